package main

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/addlink/addlink/internal/testfixtures"
)

// The scripts run addlink in the caller's directory: relative paths mean what they
// mean where they were typed (issue 18, item 11). (Without --data-dir or
// ADDLINK_DATA_DIR, addlink.sh sets the checkout's data/, as the README says.)
func TestScriptsResolvePathsWhereTyped(t *testing.T) {
	if testing.Short() {
		t.Skip("builds bin/addlink through the script")
	}
	root := testfixtures.Root(t)
	cwd := t.TempDir()
	script := func(env []string, name string, args ...string) (string, string) {
		t.Helper()
		cmd := exec.Command("bash", append([]string{filepath.Join(root, name)}, args...)...)
		cmd.Dir = cwd
		for _, kv := range os.Environ() {
			if k, _, _ := strings.Cut(kv, "="); k != "WIKI_ID" && k != "ADDLINK_DATA_DIR" && k != "DUMPS_DIR" {
				cmd.Env = append(cmd.Env, kv)
			}
		}
		cmd.Env = append(cmd.Env, env...)
		var stdout, stderr bytes.Buffer
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		if err := cmd.Run(); err != nil {
			t.Fatalf("%s %q: %v\n%s", name, args, err, stderr.String())
		}
		return stdout.String(), stderr.String()
	}
	// A relative output path is written in the caller's directory.
	script(nil, "addlink.sh", "synth", "--wiki", "xwiki", "--out", "rel.xml.gz")
	if _, err := os.Stat(filepath.Join(cwd, "rel.xml.gz")); err != nil {
		t.Errorf("synth --out rel.xml.gz through addlink.sh: %v", err)
	}
	if _, err := os.Stat(filepath.Join(root, "rel.xml.gz")); err == nil {
		os.Remove(filepath.Join(root, "rel.xml.gz"))
		t.Errorf("synth --out rel.xml.gz wrote into the checkout")
	}
	// A relative --dump and --data-dir too: status finds the dump (no "no dump") and
	// reads the data directory typed.
	script(nil, "run-pipeline.sh", "--wiki", "xwiki", "--dump", "rel.xml.gz", "--data-dir", "d", "--to", "dictionaries", "--quiet")
	if _, err := os.Stat(filepath.Join(cwd, "d", "xwiki", "xwiki.pageids.parquet")); err != nil {
		t.Errorf("run-pipeline.sh --data-dir d: %v", err)
	}
	status, _ := script(nil, "addlink.sh", "status", "--wiki", "xwiki", "--dump", "rel.xml.gz", "--data-dir", "d")
	if !strings.Contains(status, "dictionaries   current") {
		t.Errorf("status through addlink.sh with relative paths:\n%s", status)
	}
	// ADDLINK_DATA_DIR, when given, is read relative to the caller's directory too.
	status, _ = script([]string{"ADDLINK_DATA_DIR=d"}, "addlink.sh", "status", "--wiki", "xwiki", "--dump", "rel.xml.gz")
	if !strings.Contains(status, "dictionaries   current") {
		t.Errorf("status with ADDLINK_DATA_DIR=d:\n%s", status)
	}
}
