package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/addlink/addlink/checksum"
	"github.com/addlink/addlink/internal/testfixtures"
)

func runApp(t *testing.T, args ...string) (string, int) {
	t.Helper()
	app := newApp()
	var out bytes.Buffer
	app.Writer = &out
	app.ErrWriter = &out
	err := app.RunContext(context.Background(), append([]string{"addlink"}, args...))
	return out.String(), exitStatus(err, false)
}

func TestTrainCommand(t *testing.T) {
	if _, code := runApp(t, "train"); code != exitUsage {
		t.Errorf("train without --wiki or files: exit %d, want %d", code, exitUsage)
	}
	if _, code := runApp(t, "train", "--training-file", "x", "--model-out", "y", "--holdout", "1.5"); code != exitUsage {
		t.Errorf("--holdout 1.5: exit %d, want %d", code, exitUsage)
	}
	src := testfixtures.Path(t, "reference/viwiki/link_train.tsv")
	model := filepath.Join(t.TempDir(), "m.json")
	out, code := runApp(t, "--quiet", "--threads", "2", "train", "--training-file", src, "--model-out", model)
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, out)
	}
	if !strings.Contains(out, "ROC AUC=0.89986") {
		t.Errorf("output %q lacks the held-out AUC", out)
	}
	if err := checksum.Verify(model + checksum.Ext); err != nil {
		t.Error(err)
	}
	bad := filepath.Join(t.TempDir(), "bad.csv")
	if err := os.WriteFile(bad, []byte("a\tb\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, code := runApp(t, "--quiet", "train", "--training-file", bad, "--model-out", model+"2"); code != exitError {
		t.Errorf("bad file: exit %d, want %d", code, exitError)
	}
}
