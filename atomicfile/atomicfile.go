// Package atomicfile writes files durably: data goes to a temporary file in the
// destination directory, which is synced and renamed over the final name only by
// Commit. A file that is never committed leaves nothing under its final name.
package atomicfile

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"os"
	"path/filepath"
)

// File is a file being written under a temporary name. It hashes (SHA-256) what is
// written. The caller must call Commit or Abort; Abort after Commit is a no-op, so
// `defer f.Abort()` is the usual pattern.
type File struct {
	f      *os.File
	final  string
	h      hash.Hash
	n      int64
	done   bool
	closed bool
}

// Create starts writing the file that will be called path. The directory is created if
// needed.
func Create(path string) (*File, error) {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	f, err := os.CreateTemp(dir, TempPrefix("."+filepath.Base(path))+"*")
	if err != nil {
		return nil, err
	}
	return &File{f: f, final: path, h: sha256.New()}, nil
}

// CreateUnhashed is Create for a file whose SHA-256 nobody asks for (SHA256 panics):
// hashing costs about 1 ns a byte.
func CreateUnhashed(path string) (*File, error) {
	a, err := Create(path)
	if err == nil {
		a.h = nil
	}
	return a, err
}

// Write implements io.Writer.
func (a *File) Write(p []byte) (int, error) {
	n, err := a.f.Write(p)
	if a.h != nil {
		a.h.Write(p[:n])
	}
	a.n += int64(n)
	return n, err
}

// Name returns the final path.
func (a *File) Name() string { return a.final }

// TempName returns the temporary path being written.
func (a *File) TempName() string { return a.f.Name() }

// Size returns the number of bytes written so far.
func (a *File) Size() int64 { return a.n }

// SHA256 returns the hex SHA-256 of what was written so far.
func (a *File) SHA256() string { return hex.EncodeToString(a.h.Sum(nil)) }

// Commit syncs and closes the temporary file, renames it to the final path and syncs
// the directory.
func (a *File) Commit() error {
	if a.done {
		return errors.New("atomicfile: already finished")
	}
	a.done = true
	if err := a.f.Sync(); err != nil {
		a.cleanup()
		return fmt.Errorf("atomicfile: sync %s: %w", a.final, err)
	}
	a.closed = true
	if err := a.f.Close(); err != nil {
		a.cleanup()
		return fmt.Errorf("atomicfile: close %s: %w", a.final, err)
	}
	if err := os.Chmod(a.f.Name(), 0o644); err != nil {
		a.cleanup()
		return err
	}
	if err := os.Rename(a.f.Name(), a.final); err != nil {
		a.cleanup()
		return fmt.Errorf("atomicfile: %w", err)
	}
	return SyncDir(filepath.Dir(a.final))
}

// Abort discards the temporary file. It is a no-op after Commit.
func (a *File) Abort() {
	if a.done {
		return
	}
	a.done = true
	a.cleanup()
}

func (a *File) cleanup() {
	if !a.closed {
		a.f.Close()
		a.closed = true
	}
	os.Remove(a.f.Name())
}

// SyncDir fsyncs a directory so that a rename in it is durable.
func SyncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	serr := d.Sync()
	cerr := d.Close()
	if serr != nil {
		return fmt.Errorf("atomicfile: sync dir %s: %w", dir, serr)
	}
	return cerr
}

// WriteFile writes data to path atomically and returns its hex SHA-256.
func WriteFile(path string, data []byte) (string, error) {
	f, err := Create(path)
	if err != nil {
		return "", err
	}
	defer f.Abort()
	if _, err := f.Write(data); err != nil {
		return "", err
	}
	sum := f.SHA256()
	return sum, f.Commit()
}

// CopyFile copies src to dst atomically and returns the hex SHA-256 of the copy.
func CopyFile(dst, src string) (string, error) {
	in, err := os.Open(src)
	if err != nil {
		return "", err
	}
	defer in.Close()
	f, err := Create(dst)
	if err != nil {
		return "", err
	}
	defer f.Abort()
	if _, err := io.Copy(f, in); err != nil {
		return "", err
	}
	sum := f.SHA256()
	return sum, f.Commit()
}
