package compare

import (
	"errors"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/addlink/addlink/pipeline/backtest"
)

func TestLoad(t *testing.T) {
	dir := t.TempDir()
	write := func(name, s string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	for _, tc := range []struct {
		name, path, err string
	}{
		{"missing", filepath.Join(dir, "nope.json"), "no such file"},
		{"directory without a summary", dir, "backtest.summary.json"},
		{"not JSON", write("bad.json", "{"), "bad.json"},
		{"no rows", write("empty.json", `{"rows":[]}`), "no backtest rows"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := Load(tc.path); err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("error %v, want %q", err, tc.err)
			}
		})
	}
	r, err := Load(write("ok.json", `{"rows":[{"threshold":0.5,"micro_precision":null,"micro_recall":0.25}],"pr_auc":null}`))
	if err != nil {
		t.Fatal(err)
	}
	if row := r.Summary.Rows[0]; !math.IsNaN(row.MicroPrecision) || row.MicroRecall != 0.25 || !math.IsNaN(row.RecallLow) || !math.IsNaN(r.Summary.PRAUC) {
		t.Errorf("nulls not read as NaN: %+v", r.Summary)
	}
}

func TestTable(t *testing.T) {
	nan := math.NaN()
	run := func(th, p, r float64) Run {
		return Run{Name: "x", Summary: backtest.Summary{Rows: []backtest.Row{{Threshold: th, MicroPrecision: p, MicroRecall: r,
			PrecisionLow: nan, PrecisionHigh: nan, RecallLow: r - 0.1, RecallHigh: r + 0.1}}, PRAUC: p * r, PRAUCLow: nan, PRAUCHigh: nan, BestF1: nan, BestF1Threshold: nan}}
	}
	got, err := Table(run(0.5, 0.8, 0.4), run(0.5, 0.75, 0.5))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"0.800", "0.750", "0.400 [0.300, 0.500]", "-0.050", "+0.100", "B-A +0.055"} {
		if !strings.Contains(got, want) {
			t.Errorf("table lacks %q:\n%s", want, got)
		}
	}
	if _, err := Table(run(0.5, 1, 1), run(0.6, 1, 1)); !errors.Is(err, ErrThresholds) {
		t.Errorf("different thresholds: %v", err)
	}
}
