package lockfile

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestMain lets the test binary act as another process that holds a lock: with
// LOCKFILE_TEST_HOLD=DIR it locks DIR, says so on stdout and sleeps until killed.
func TestMain(m *testing.M) {
	if dir := os.Getenv("LOCKFILE_TEST_HOLD"); dir != "" {
		l, err := Acquire(context.Background(), dir, Options{Command: "holder --wiki xxwiki"})
		if err != nil {
			fmt.Println("error:", err)
			os.Exit(1)
		}
		fmt.Println("locked")
		time.Sleep(time.Minute)
		l.Release()
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// holder starts a process that holds the lock of dir.
func holder(t *testing.T, dir string) *exec.Cmd {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), "LOCKFILE_TEST_HOLD="+dir)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	line, _ := bufio.NewReader(out).ReadString('\n')
	if line != "locked\n" {
		t.Fatalf("holder: %q", line)
	}
	return cmd
}

// A second process is refused with the holder's pid, command and start time; the lock
// is free again as soon as the holder is killed (kill -9 included).
func TestSecondProcessIsRefusedUntilHolderDies(t *testing.T) {
	dir := t.TempDir()
	start := time.Now().Add(-time.Second)
	h := holder(t, dir)
	_, err := Acquire(context.Background(), dir, Options{})
	var held *HeldError
	if !errors.As(err, &held) || !errors.Is(err, ErrLocked) {
		t.Fatalf("err = %v, want a *HeldError", err)
	}
	if held.Holder.PID != h.Process.Pid || held.Holder.Command != "holder --wiki xxwiki" || held.Holder.Since.Before(start) {
		t.Fatalf("holder %+v, want pid %d", held.Holder, h.Process.Pid)
	}
	for _, want := range []string{dir, fmt.Sprint(h.Process.Pid), "holder --wiki xxwiki", "since", "--wait"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("message %q lacks %q", err, want)
		}
	}
	h.Process.Signal(syscall.SIGKILL)
	h.Wait()
	l, err := Acquire(context.Background(), dir, Options{})
	if err != nil {
		t.Fatalf("after the holder was killed: %v", err)
	}
	l.Release()
}

// With Wait, Acquire waits for the holder to go, says once whom it waits for, and
// gives up when its context is done.
func TestWait(t *testing.T) {
	dir := t.TempDir()
	h := holder(t, dir)
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	if _, err := Acquire(ctx, dir, Options{Wait: true}); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err = %v, want the context's error", err)
	}
	told := 0
	go func() {
		time.Sleep(300 * time.Millisecond)
		h.Process.Signal(syscall.SIGKILL)
	}()
	l, err := Acquire(context.Background(), dir, Options{Wait: true, Waiting: func(e *HeldError) {
		told++
		if e.Holder.PID != h.Process.Pid {
			t.Errorf("waiting for %+v", e.Holder)
		}
	}})
	if err != nil || told != 1 {
		t.Fatalf("err = %v, told %d times", err, told)
	}
	l.Release()
}
