package main

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/addlink/addlink/internal/testfixtures"
	"github.com/addlink/addlink/learn"
)

func TestLearnCommand(t *testing.T) {
	for _, args := range [][]string{
		{"learn", "--arms", "0.5,x"},
		{"learn", "--discount", "2"},
		{"learn", "simulate"},
		{"learn", "nonsense"},
		{"serve", "--feedback"},
		{"serve", "--bandit", "--state", "memcached://x"},
		{"serve", "--bandit", "--rejection-cost", "-1"},
		{"serve", "--bandit", "--max-reviewed", "0"},
	} {
		if out, code := runApp(t, args...); code != exitUsage {
			t.Errorf("%v: exit %d, want %d: %s", args, code, exitUsage, out)
		}
	}
	curve := testfixtures.Path(t, "reference/viwiki/backtest.eval.csv")
	out, code := runApp(t, "learn", "--curve", curve, "--requests", "500", "--seeds", "2", "simulate")
	if code != exitOK || !strings.Contains(out, "| thompson |") || !strings.Contains(out, "| ucb1 |") {
		t.Fatalf("simulate: exit %d: %s", code, out)
	}
	if out, code := runApp(t, "learn", "--curve", testfixtures.Path(t, "reference/jawiki/backtest.eval.csv"), "simulate"); code != exitError {
		t.Errorf("the reference's jawiki curve, which has no point: exit %d, want %d: %s", code, exitError, out)
	}

	// The learner over a log the collector wrote: a report per wiki on stdout.
	data := t.TempDir()
	lg, err := learn.OpenLog(context.Background(), filepath.Join(data, "events"))
	if err != nil {
		t.Fatal(err)
	}
	score, th := 0.8, 0.6
	ts := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC).Format(time.RFC3339)
	if _, _, err := lg.Append(context.Background(), []learn.Event{
		{ID: "1", Type: learn.Impression, Wiki: "enwiki", Page: "P", Revision: 1, Target: "T", Mention: "t", Score: &score, Threshold: &th, Timestamp: ts},
		{ID: "2", Type: learn.Accept, Wiki: "enwiki", Page: "P", Revision: 1, Target: "T", Timestamp: ts},
	}); err != nil {
		t.Fatal(err)
	}
	lg.Close()
	out, code = runApp(t, "--data-dir", data, "learn")
	if code != exitOK {
		t.Fatalf("learn: exit %d: %s", code, out)
	}
	var reps []learn.Report
	if err := json.Unmarshal([]byte(out), &reps); err != nil || len(reps) != 1 || reps[0].Wiki != "enwiki" || reps[0].Decisions != 1 {
		t.Errorf("report %q (%v)", out, err)
	}
}

var updateCurve = flag.Bool("update", false, "rewrite learn/testdata/jawiki.backtest.eval.csv from the pipeline")

// The jawiki curve learn's simulation tests use is our pipeline's backtest of the
// jawiki fixture dump (the reference's predicted no link there): running the pipeline
// gives that file byte for byte (-update rewrites it), and learn simulate reads the
// backtest from the data directory.
func TestJawikiBacktestCurve(t *testing.T) {
	dump := testfixtures.Path(t, "dumps/jawiki/jawiki-20230501-pages-articles-head.xml.bz2")
	data := t.TempDir()
	if out, code := runApp(t, "-q", "--threads", "2", "--data-dir", data, "run", "--wiki", "jawiki", "--dump", dump, "--to", "backtest"); code != exitOK {
		t.Fatalf("run: exit %d: %s", code, out)
	}
	got, err := os.ReadFile(filepath.Join(data, "jawiki", "testing", "jawiki.backtest.eval.csv"))
	if err != nil {
		t.Fatal(err)
	}
	golden := filepath.Join("..", "..", "learn", "testdata", "jawiki.backtest.eval.csv")
	if *updateCurve {
		if err := os.WriteFile(golden, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("the pipeline's jawiki backtest differs from %s (rerun with -update if the model changed on purpose):\n%s", golden, got)
	}
	out, code := runApp(t, "--data-dir", data, "learn", "--wiki", "jawiki", "--requests", "500", "--seeds", "2", "simulate")
	if code != exitOK || !strings.Contains(out, "| thompson | learning |") || !strings.Contains(out, "| best fixed arm (0.5) | oracle |") {
		t.Errorf("simulate on the pipeline's jawiki backtest: exit %d: %s", code, out)
	}
}
