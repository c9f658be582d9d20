// Package checksum writes and verifies SHA-256 sidecar files in the format of
// `shasum -a 256` and `sha256sum`: one line "<64 hex digits><two spaces><file name>\n",
// where the file name is the bare name of the file beside the sidecar.
package checksum

import (
	"bufio"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/addlink/addlink/atomicfile"
)

// Ext is the suffix of sidecar files.
const Ext = ".checksum"

// ErrMismatch is returned (wrapped) by Verify when a file's hash differs from its sidecar.
var ErrMismatch = errors.New("checksum: mismatch")

// Line formats one sidecar line for the file named name with hex digest sum.
func Line(sum, name string) string { return sum + "  " + filepath.Base(name) + "\n" }

// WriteSidecar writes path+".checksum" atomically for a file whose hex SHA-256 is sum.
func WriteSidecar(path, sum string) error {
	_, err := atomicfile.WriteFile(path+Ext, []byte(Line(sum, path)))
	return err
}

// File returns the hex SHA-256 of the file at path.
func File(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", fmt.Errorf("checksum: read %s: %w", path, err)
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// WriteFor hashes the file at path and writes its sidecar.
func WriteFor(path string) (string, error) {
	sum, err := File(path)
	if err != nil {
		return "", err
	}
	return sum, WriteSidecar(path, sum)
}

// ErrNotSidecar is the error of a file that is not a sidecar.
var ErrNotSidecar = errors.New(`not a checksum file (want one line "<sha256>  <file name>")`)

// maxSidecar bounds what ReadSidecar reads: a digest, two spaces and a file name.
const maxSidecar = 4096

// ReadSidecar parses a sidecar file and returns the digest and the file name it names.
func ReadSidecar(sidecar string) (sum, name string, err error) {
	line, err := readLine(sidecar)
	if err != nil {
		return "", "", err
	}
	sum, name, ok := strings.Cut(line, " ")
	name = strings.TrimPrefix(strings.TrimPrefix(name, " "), "*")
	if !ok || len(sum) != 64 || name == "" {
		// The line is not quoted: the file may be anything, and its content is no
		// business of the terminal.
		return "", "", fmt.Errorf("checksum: %s: %w", sidecar, ErrNotSidecar)
	}
	if _, err := hex.DecodeString(sum); err != nil {
		return "", "", fmt.Errorf("checksum: %s: bad digest: %w", sidecar, err)
	}
	return strings.ToLower(sum), name, nil
}

// ReadDigest returns the digest a sidecar file records (ParseDigest of its first line),
// for readers that only compare digests: the service's meta.dataset_checksums and the
// loader's lr_checksum. An error wrapping fs.ErrNotExist means there is no sidecar.
func ReadDigest(sidecar string) (string, error) {
	line, err := readLine(sidecar)
	if err != nil {
		return "", err
	}
	return ParseDigest(sidecar, line)
}

// ParseDigest returns the digest in the text of a sidecar named name (a path or a URL,
// for the error): its first whitespace-separated field, which must be 64 hex digits,
// lower-cased. The file name after it is not required, as `shasum` output piped
// through cut has none.
func ParseDigest(name, text string) (string, error) {
	f := strings.Fields(text)
	if len(f) == 0 || len(f[0]) != 64 {
		return "", fmt.Errorf("%s: not a sha256 checksum line: %q", name, firstLine(text))
	}
	if _, err := hex.DecodeString(f[0]); err != nil {
		return "", fmt.Errorf("%s: not a sha256 checksum: %w", name, err)
	}
	return strings.ToLower(f[0]), nil
}

func firstLine(s string) string {
	s, _, _ = strings.Cut(s, "\n")
	if len(s) > 80 {
		s = s[:80] + "..."
	}
	return s
}

// readLine reads the first line of a sidecar, without its line ending.
func readLine(sidecar string) (string, error) {
	f, err := os.Open(sidecar)
	if err != nil {
		return "", err
	}
	defer f.Close()
	// A sidecar is one short line: reading a little suffices and keeps a large file
	// given by mistake from being read whole.
	line, err := bufio.NewReader(io.LimitReader(f, maxSidecar)).ReadString('\n')
	if err != nil && !(errors.Is(err, io.EOF) && line != "") {
		return "", fmt.Errorf("checksum: %s: empty or unreadable: %w", sidecar, err)
	}
	return strings.TrimRight(line, "\r\n"), nil
}

// Verify checks one sidecar: the file it names (in the sidecar's directory) must exist
// and hash to the recorded digest.
func Verify(sidecar string) error {
	want, name, err := ReadSidecar(sidecar)
	if err != nil {
		return err
	}
	target := filepath.Join(filepath.Dir(sidecar), name)
	got, err := File(target)
	if err != nil {
		return fmt.Errorf("checksum: %s: %w", sidecar, err)
	}
	if got != want {
		return fmt.Errorf("%w: %s: recorded %s, file has %s", ErrMismatch, target, want, got)
	}
	return nil
}

// Result is the outcome of verifying one sidecar.
type Result struct {
	Sidecar string
	Err     error // nil when the file matches
}

// VerifyPaths verifies sidecar files: each path is a .checksum file, or a directory
// whose .checksum files (recursively) are all verified. A path that does not exist, or
// a directory without any sidecar, is an error result.
func VerifyPaths(paths []string) []Result { return VerifyPathsSkipping(paths, nil) }

// VerifyPathsSkipping is VerifyPaths passing over the directories for which skip
// returns true (a nil skip passes over none), without reading them.
func VerifyPathsSkipping(paths []string, skip func(dir string) bool) []Result {
	var out []Result
	for _, p := range paths {
		st, err := os.Stat(p)
		if err != nil {
			out = append(out, Result{p, err})
			continue
		}
		if !st.IsDir() {
			out = append(out, Result{p, Verify(p)})
			continue
		}
		// A directory given through a symbolic link (data/<wiki>/export) is walked;
		// links met inside it are not followed.
		root, err := filepath.EvalSymlinks(p)
		if err != nil {
			out = append(out, Result{p, err})
			continue
		}
		n := 0
		err = filepath.WalkDir(root, func(path string, d os.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if d.IsDir() && path != root && skip != nil && skip(path) {
				return filepath.SkipDir
			}
			if !d.IsDir() && strings.HasSuffix(path, Ext) {
				out = append(out, Result{path, Verify(path)})
				n++
			}
			return nil
		})
		if err != nil {
			out = append(out, Result{p, err})
		} else if n == 0 {
			out = append(out, Result{p, fmt.Errorf("checksum: no %s files in %s", Ext, p)})
		}
	}
	return out
}

// WriteSidecarNamed writes the sidecar file at sidecar for the file called name (bare
// name, in the same directory) whose hex SHA-256 is sum. The Link Recommendation
// datasets use it for <wiki>.<name>.sqlite.checksum, which names the .sqlite.gz.
func WriteSidecarNamed(sidecar, name, sum string) error {
	_, err := atomicfile.WriteFile(sidecar, []byte(Line(sum, name)))
	return err
}
