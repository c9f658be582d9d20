package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/urfave/cli/v2"

	"github.com/addlink/addlink/checksum"
	"github.com/addlink/addlink/internal/dump"
)

func TestExitStatus(t *testing.T) {
	for _, tt := range []struct {
		name        string
		err         error
		interrupted bool
		want        int
	}{
		{"success", nil, false, 0},
		{"clean stop after SIGTERM (serve)", nil, true, 0},
		{"error", errors.New("boom"), false, 1},
		{"usage", usagef("missing --wiki"), false, 2},
		{"wrapped usage", fmt.Errorf("x: %w", usagef("bad")), false, 2},
		{"quality gate", qualityGateError{errors.New("precision 0.5 < 0.75")}, false, 3},
		{"dump of another wiki", fmt.Errorf("dictionaries: %w", &dump.WikiMismatchError{File: "f", Wiki: "cswiki", Found: "dewiki", Source: "<dbname>"}), false, 2},
		{"canceled", fmt.Errorf("stage: %w", context.Canceled), false, 130},
		{"interrupted", errors.New("read: file closed"), true, 130},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if got := exitStatus(tt.err, tt.interrupted); got != tt.want {
				t.Errorf("exitStatus = %d, want %d", got, tt.want)
			}
		})
	}
}

func TestUnknownFlagIsUsageError(t *testing.T) {
	err := newApp().Run([]string{"addlink", "--no-such-flag"})
	if got := exitStatus(err, false); got != exitUsage {
		t.Fatalf("exit status %d for an unknown flag (err %v), want %d", got, err, exitUsage)
	}
}

func TestCommonFlagsBeforeAndAfterCommand(t *testing.T) {
	for _, args := range [][]string{
		{"addlink", "--data-dir", "D", "--threads", "3", "status", "--wiki", "xwiki"},
		{"addlink", "status", "--wiki", "xwiki", "--data-dir", "D", "--threads", "3"},
		{"addlink", "--data-dir", "other", "status", "--data-dir", "D", "--threads", "3", "--wiki", "xwiki"},
	} {
		app := newApp()
		var got common
		for _, c := range app.Commands {
			if c.Name == "status" {
				c.Action = func(c *cli.Context) error { got = commonOptions(c); return nil }
			}
		}
		if err := app.Run(args); err != nil {
			t.Fatalf("%v: %v", args, err)
		}
		if got.DataDir != "D" || got.Threads != 3 {
			t.Errorf("%v: got %+v", args, got)
		}
	}
}

func TestVerifyCommand(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "a.sql.gz")
	os.WriteFile(p, []byte("data"), 0o644)
	if _, err := checksum.WriteFor(p); err != nil {
		t.Fatal(err)
	}
	if err := newApp().Run([]string{"addlink", "verify", "-q", dir}); err != nil {
		t.Fatalf("verify of a good directory: %v", err)
	}
	os.WriteFile(p, []byte("changed"), 0o644)
	err := newApp().Run([]string{"addlink", "verify", "-q", p + ".checksum"})
	if exitStatus(err, false) != exitError {
		t.Fatalf("verify of a changed file: %v", err)
	}
	if err := newApp().Run([]string{"addlink", "verify"}); exitStatus(err, false) != exitUsage {
		t.Fatalf("verify without paths: %v", err)
	}
}
