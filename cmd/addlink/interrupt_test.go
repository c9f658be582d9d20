package main

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/addlink/addlink/internal/lockfile"
	"github.com/addlink/addlink/internal/synth"
)

// An interrupted stage exits with status 130 within a second and leaves nothing under
// a final name: the previous artifacts stay as they were.
func TestInterruptLeavesNoPartialOutput(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	dir := t.TempDir()
	bin := filepath.Join(dir, "addlink")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	dump := filepath.Join(dir, "big.xml")
	if err := synth.WriteFile(dump, synth.Options{Wiki: "xwiki", TargetBytes: 120 << 20, Seed: 3}); err != nil {
		t.Fatal(err)
	}
	data := filepath.Join(dir, "data")
	wikiDir := filepath.Join(data, "xwiki")
	os.MkdirAll(wikiDir, 0o755)
	old := filepath.Join(wikiDir, "xwiki.anchors.parquet")
	os.WriteFile(old, []byte("previous"), 0o644)

	cmd := exec.Command(bin, "--quiet", "--data-dir", data, "dictionaries", "--wiki", "xwiki", "--dump", dump)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	time.Sleep(700 * time.Millisecond)
	sent := time.Now()
	cmd.Process.Signal(syscall.SIGINT)
	err := cmd.Wait()
	took := time.Since(sent)
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != 130 {
		t.Fatalf("exit: %v, want status 130", err)
	}
	// Typically well under a second; the margin keeps a loaded CI machine from failing it.
	if took > 3*time.Second {
		t.Errorf("stopped %v after SIGINT, want under a second", took)
	}
	t.Logf("stopped %v after SIGINT", took)
	if b, _ := os.ReadFile(old); string(b) != "previous" {
		t.Error("the previous anchors file was replaced")
	}
	filepath.WalkDir(wikiDir, func(p string, e os.DirEntry, err error) error {
		if err != nil || e.IsDir() {
			return err
		}
		if e.Name() != "xwiki.anchors.parquet" && e.Name() != lockfile.Name {
			t.Errorf("left behind: %s", p)
		}
		if strings.Contains(e.Name(), ".tmp") {
			t.Errorf("temporary file left: %s", p)
		}
		return nil
	})
}
