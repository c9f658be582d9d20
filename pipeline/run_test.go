package pipeline

import (
	"context"
	"os"
	"strings"
	"testing"
	"time"
)

func actions(rs []StageResult) map[string]string {
	m := map[string]string{}
	for _, r := range rs {
		m[r.Stage] = r.Action
	}
	return m
}

func TestRunSkipsCurrentStages(t *testing.T) {
	dir := t.TempDir()
	// The dump lies outside the data directory, as real dumps do.
	dump, err := EnsureSample(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	cfg := &Config{Wiki: "samplewiki", DataDir: dir, Dumps: []string{dump}, Threads: 2, Version: "test"}
	ctx := context.Background()
	rs, err := Run(ctx, cfg, Stages(), RunOptions{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if a := actions(rs); a["dictionaries"] != "ran" || a["train"] != "ran" || a["backtest"] != "ran" || a["wdproperties"] != "skipped" {
		t.Fatalf("first run: %v", a)
	}
	if err := WriteReport(cfg, Stages(), rs); err != nil {
		t.Fatal(err)
	}
	report, _ := os.ReadFile(ReportPath(cfg))
	for _, want := range []string{"| dictionaries | ran |", "samplewiki.anchors.parquet", `"articles": 400`, "| train | ran |", "| backtest | ran |", "## Backtest", "| 0.5 |", "testing/samplewiki.backtest.svg", "samplewiki.anchors.sqlite.gz"} {
		if !strings.Contains(string(report), want) {
			t.Errorf("report lacks %q:\n%s", want, report)
		}
	}
	anchors, _ := os.ReadFile(cfg.Layout().Anchors())

	rs, err = Run(ctx, cfg, Stages(), RunOptions{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if a := actions(rs); a["dictionaries"] != "current" {
		t.Fatalf("second run: %v", a)
	}
	for _, s := range Inspect(cfg, Stages()) {
		if s.Stage == "dictionaries" && s.Status != "current" {
			t.Errorf("status %+v", s)
		}
	}

	// Without the dump (no --dump, no dumps under --dumps-dir) the stages that read it
	// are "no dump", not stale: nothing says the dump changed (issue 18, item 12).
	noDump := *cfg
	noDump.Dumps, noDump.DumpsDir = nil, t.TempDir()
	for _, s := range Inspect(&noDump, Stages()) {
		switch s.Stage {
		case "dictionaries", "embeddings", "sentences":
			if s.Status != "no dump" {
				t.Errorf("without the dump: %+v, want status \"no dump\"", s)
			}
		default:
			if s.Status == "stale" {
				t.Errorf("without the dump: %+v", s)
			}
		}
	}
	// The run's outcome: the model's held-out AUC and the backtest at 0.5.
	out, err := ReadOutcome(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if out.ROCAUC == nil || out.Precision == nil || out.Recall == nil || out.N == 0 || *out.ROCAUC < 0.5 {
		t.Errorf("outcome %+v", out)
	}
	if s := out.String(); !strings.Contains(s, "held-out AUC 0.") || !strings.Contains(s, "backtest at 0.5: precision ") {
		t.Errorf("outcome line %q", s)
	}

	// Deleting the model redoes train, backtest and export only.
	os.Remove(cfg.Layout().Model())
	rs, err = Run(ctx, cfg, Stages(), RunOptions{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	for stage, action := range actions(rs) {
		want := "current"
		switch stage {
		case "train", "backtest", "export":
			want = "ran"
		case "wdproperties":
			want = "skipped"
		}
		if action != want {
			t.Errorf("after deleting the model: %s %s, want %s", stage, action, want)
		}
	}

	// Touching the dump redoes the stage; its outputs are byte-identical.
	later := time.Now().Add(time.Minute)
	os.Chtimes(dump, later, later)
	rs, err = Run(ctx, cfg, Stages(), RunOptions{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if a := actions(rs); a["dictionaries"] != "ran" {
		t.Fatalf("after touching the dump: %v", a)
	}
	again, _ := os.ReadFile(cfg.Layout().Anchors())
	if string(again) != string(anchors) {
		t.Error("a rerun changed the anchors' bytes")
	}

	// Deleting an output makes the stage stale.
	os.Remove(cfg.Layout().PageIDs())
	if s := Inspect(cfg, Stages())[0]; s.Status != "stale" {
		t.Errorf("after deleting pageids: %+v", s)
	}
	if _, err := Run(ctx, cfg, Stages(), RunOptions{From: "nope"}, nil); err == nil {
		t.Error("an unknown --from stage was accepted")
	}

	// A cancelled run stops before doing anything.
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := Run(cctx, cfg, Stages(), RunOptions{Force: true}, nil); err == nil {
		t.Error("a cancelled run succeeded")
	}
}
