package atomicfile

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strconv"

	"golang.org/x/sys/unix"
)

// TempPrefix returns the prefix of a temporary name that records its owner:
// name+".tmp-<pid>-". Every temporary file or directory addlink makes is named
// TempPrefix(...)+random (os.CreateTemp(dir, TempPrefix(".x")+"*") or os.MkdirTemp),
// so that RemoveStale can tell whose it is.
func TempPrefix(name string) string {
	return name + ".tmp-" + strconv.Itoa(os.Getpid()) + "-"
}

var (
	ownedTemp = regexp.MustCompile(`\.tmp-(\d+)-`)
	// Names temporary files had before they recorded their owner.
	legacyTemp = regexp.MustCompile(`^(\..+\.tmp-\d+|\.dictionaries-\d+|corpus-\d+\.s2)$`)
)

// RemoveStale removes, under dir (recursively, not following symbolic links), the
// temporary files and directories left by processes that are gone: those whose name
// records an owner (TempPrefix) that no longer runs. With locked (the caller holds the
// directory's lock, so no other addlink process writes in it), temporary names without
// an owner, from older versions, are removed too. It returns what it removed.
func RemoveStale(dir string, locked bool) ([]string, error) {
	var removed []string
	self := os.Getpid()
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				return nil
			}
			return err
		}
		if path == dir {
			return nil
		}
		name := d.Name()
		stale := false
		if m := ownedTemp.FindStringSubmatch(name); m != nil {
			pid, _ := strconv.Atoi(m[1])
			stale = pid != self && !alive(pid)
		} else if locked && legacyTemp.MatchString(name) {
			stale = true
		}
		if !stale {
			return nil
		}
		if err := os.RemoveAll(path); err != nil {
			return err
		}
		removed = append(removed, path)
		if d.IsDir() {
			return filepath.SkipDir
		}
		return nil
	})
	return removed, err
}

// alive reports whether a process exists (kill(pid, 0) does not fail with ESRCH).
func alive(pid int) bool {
	if pid <= 0 {
		return false
	}
	err := unix.Kill(pid, 0)
	return err == nil || errors.Is(err, unix.EPERM)
}

// MkdirTemp is os.MkdirTemp(dir, TempPrefix(name)+"*") for a directory that will be
// renamed into place and read by others (a web server, a loader running as another
// user): os.MkdirTemp makes it 0700, MkdirTemp makes it 0755, as a directory created
// with os.MkdirAll under the usual umask 022 is.
func MkdirTemp(dir, name string) (string, error) {
	d, err := os.MkdirTemp(dir, TempPrefix(name)+"*")
	if err != nil {
		return "", err
	}
	if err := os.Chmod(d, 0o755); err != nil {
		os.Remove(d)
		return "", err
	}
	return d, nil
}
