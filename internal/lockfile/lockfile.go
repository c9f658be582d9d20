// Package lockfile gives a process exclusive use of a directory through an advisory
// lock (flock(2)) on a lock file inside it. The lock file also says who holds it
// (process id, command line, start time), so that a second process can name the holder
// when it is refused. The kernel releases the lock when the holder exits, however it
// exits (kill -9 included): a lock is never left behind by a dead process.
package lockfile

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"golang.org/x/sys/unix"
)

// Name is the lock file's name inside the locked directory.
const Name = ".addlink.lock"

// ErrLocked is wrapped by the *HeldError that Acquire returns when another process
// holds the lock.
var ErrLocked = errors.New("lockfile: locked by another process")

// Holder describes the process that holds a lock, as it recorded itself.
type Holder struct {
	PID     int
	Command string
	Since   time.Time
}

// HeldError says which process holds the lock of Dir.
type HeldError struct {
	Dir    string
	Holder Holder // zero when the holder had not written its details yet
}

func (e *HeldError) Error() string {
	h := e.Holder
	if h.PID == 0 {
		return fmt.Sprintf("%s is in use by another addlink process; wait for it to finish (or pass --wait)", e.Dir)
	}
	return fmt.Sprintf("%s is in use by process %d (%s) since %s; wait for it to finish (or pass --wait)",
		e.Dir, h.PID, h.Command, h.Since.UTC().Format(time.RFC3339))
}

func (e *HeldError) Unwrap() error { return ErrLocked }

// Lock is a held lock. Release it with Release; exiting releases it too.
type Lock struct {
	f *os.File
}

// Options configures Acquire.
type Options struct {
	// Wait makes Acquire wait until the lock is free (or ctx is done) instead of
	// returning a *HeldError.
	Wait bool
	// Waiting, when set, is called once with the holder if Acquire has to wait.
	Waiting func(*HeldError)
	// Command is recorded as the holder's command line; empty means os.Args.
	Command string
}

// Acquire locks dir (created if needed) for this process.
func Acquire(ctx context.Context, dir string, o Options) (*Lock, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	path := filepath.Join(dir, Name)
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, fmt.Errorf("lockfile: %w", err)
	}
	told := false
	for {
		err := unix.Flock(int(f.Fd()), unix.LOCK_EX|unix.LOCK_NB)
		if err == nil {
			break
		}
		if !errors.Is(err, unix.EWOULDBLOCK) {
			f.Close()
			return nil, fmt.Errorf("lockfile: lock %s: %w", path, err)
		}
		held := &HeldError{Dir: dir, Holder: readHolder(path)}
		if !o.Wait {
			f.Close()
			return nil, held
		}
		if !told && o.Waiting != nil {
			o.Waiting(held)
			told = true
		}
		select {
		case <-ctx.Done():
			f.Close()
			return nil, ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
	}
	cmd := o.Command
	if cmd == "" {
		cmd = strings.Join(os.Args, " ")
	}
	info := fmt.Sprintf("pid %d\nsince %s\ncommand %s\n", os.Getpid(), time.Now().UTC().Format(time.RFC3339Nano),
		strings.ReplaceAll(cmd, "\n", " "))
	if err := f.Truncate(0); err == nil {
		_, err = f.WriteAt([]byte(info), 0)
	}
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("lockfile: %s: %w", path, err)
	}
	return &Lock{f: f}, nil
}

// Release unlocks. The lock file stays: removing it would let two processes lock two
// different files of the same name.
func (l *Lock) Release() error {
	if l == nil || l.f == nil {
		return nil
	}
	err := l.f.Close() // closing the last descriptor releases the flock
	l.f = nil
	return err
}

// readHolder parses the lock file; a file being written gives a partial Holder.
func readHolder(path string) Holder {
	b, err := os.ReadFile(path)
	if err != nil {
		return Holder{}
	}
	var h Holder
	for _, line := range strings.Split(string(b), "\n") {
		k, v, _ := strings.Cut(line, " ")
		switch k {
		case "pid":
			h.PID, _ = strconv.Atoi(v)
		case "since":
			h.Since, _ = time.Parse(time.RFC3339Nano, v)
		case "command":
			h.Command = v
		}
	}
	return h
}

// Alive reports whether a process with this id exists (kill(pid, 0) does not fail with
// ESRCH). A process id of a dead process may be reused: callers that hold the lock of
// the directory know more (see atomicfile.RemoveStale).
func Alive(pid int) bool {
	if pid <= 0 {
		return false
	}
	err := unix.Kill(pid, 0)
	return err == nil || errors.Is(err, unix.EPERM)
}
