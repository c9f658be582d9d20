package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const summaryA = `{"rows":[{"threshold":0,"n":3,"micro_precision":0.5,"micro_recall":0.6,"true_positives":3,"predicted":6,"gold":5,
"precision_low":0.3,"precision_high":0.7,"recall_low":0.4,"recall_high":0.8},
{"threshold":0.5,"n":3,"micro_precision":null,"micro_recall":0,"true_positives":0,"predicted":0,"gold":5,
"precision_low":null,"precision_high":null,"recall_low":0,"recall_high":0}],
"features":"reference","sentences":3,"bootstrap":1000,"seed":1,"pr_auc":0.3,"pr_auc_low":0.2,"pr_auc_high":0.4,"best_f1":0.545,"best_f1_threshold":0}`

func TestCompareCommand(t *testing.T) {
	dir := t.TempDir()
	a := filepath.Join(dir, "a.json")
	if err := os.WriteFile(a, []byte(summaryA), 0o644); err != nil {
		t.Fatal(err)
	}
	b := filepath.Join(dir, "wiki")
	os.MkdirAll(b, 0o755)
	bSummary := strings.Replace(strings.Replace(summaryA, `"features":"reference"`, `"features":"extended"`, 1), `"micro_recall":0.6`, `"micro_recall":0.8`, 1)
	if err := os.WriteFile(filepath.Join(b, "backtest.summary.json"), []byte(bSummary), 0o644); err != nil {
		t.Fatal(err)
	}
	svg := filepath.Join(dir, "cmp.svg")
	out, code := runApp(t, "compare", "--svg", svg, a, b)
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, out)
	}
	for _, want := range []string{"features reference", "features extended", "0.500 [0.300, 0.700]", "+0.200", "PR AUC", "best F1"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	if b, err := os.ReadFile(svg); err != nil || !strings.Contains(string(b), "<svg") {
		t.Errorf("svg: %v", err)
	}
	if _, code := runApp(t, "compare", a); code != exitUsage {
		t.Errorf("one run: exit %d, want %d", code, exitUsage)
	}
	if out, code := runApp(t, "compare", a, filepath.Join(dir, "missing")); code != exitError {
		t.Errorf("missing run: exit %d, %s", code, out)
	}
	other := filepath.Join(dir, "other.json")
	os.WriteFile(other, []byte(strings.Replace(summaryA, `"threshold":0.5`, `"threshold":0.6`, 1)), 0o644)
	if _, code := runApp(t, "compare", a, other); code != exitError {
		t.Errorf("different thresholds: exit %d, want %d", code, exitError)
	}
}

func TestFeaturesFlags(t *testing.T) {
	for _, args := range [][]string{
		{"train", "--training-file", "x", "--model-out", "y", "--features", "reference+pagerank"},
		{"features", "--wiki", "xwiki", "--features", "nope"},
		{"sentences", "--wiki", "xwiki", "--dump", "x", "--train-per-article", "some"},
	} {
		// A data directory of its own: commands may lock it before they check flags.
		if out, code := runApp(t, append([]string{"--data-dir", t.TempDir()}, args...)...); code != exitUsage {
			t.Errorf("%v: exit %d, want %d: %s", args, code, exitUsage, out)
		}
	}
}
