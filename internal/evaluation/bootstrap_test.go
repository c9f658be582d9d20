package evaluation

import (
	"context"
	"encoding/json"
	"math"
	"reflect"
	"strings"
	"testing"
)

func TestPRAUCAndF1(t *testing.T) {
	nan := math.NaN()
	for _, tc := range []struct {
		name     string
		rows     []Row
		auc, f1  float64
		f1Thresh float64
	}{
		{"no points", []Row{{Threshold: 0.5, MicroPrecision: nan, MicroRecall: 0}}, nan, nan, nan},
		{"one point: a rectangle from recall 0", []Row{{Threshold: 0.5, MicroPrecision: 0.8, MicroRecall: 0.5}}, 0.4, 2 * 0.8 * 0.5 / 1.3, 0.5},
		{"trapezoids, unsorted rows", []Row{
			{Threshold: 0.9, MicroPrecision: 1, MicroRecall: 0.2},
			{Threshold: 0.0, MicroPrecision: 0.5, MicroRecall: 0.6},
			{Threshold: 0.5, MicroPrecision: 0.8, MicroRecall: 0.4},
		}, 0.2 + 0.2*0.9 + 0.2*0.65, 2 * 0.5 * 0.6 / 1.1, 0.0},
		{"zero precision and recall", []Row{{Threshold: 0.1, MicroPrecision: 0, MicroRecall: 0}}, 0, 0, 0.1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := PRAUC(tc.rows); !same(got, tc.auc) {
				t.Errorf("PRAUC %v, want %v", got, tc.auc)
			}
			f1, th := BestF1(tc.rows)
			if !same(f1, tc.f1) || !same(th, tc.f1Thresh) {
				t.Errorf("best F1 %v at %v, want %v at %v", f1, th, tc.f1, tc.f1Thresh)
			}
		})
	}
}

func same(a, b float64) bool {
	if math.IsNaN(a) || math.IsNaN(b) {
		return math.IsNaN(a) && math.IsNaN(b)
	}
	return math.Abs(a-b) < 1e-12
}

func TestPercentile(t *testing.T) {
	v := []float64{4, 1, 3, 2, 5}
	lo, hi := interval(v)
	// numpy.percentile([1,2,3,4,5], [2.5, 97.5]) = [1.1, 4.9]
	if !same(lo, 1.1) || !same(hi, 4.9) {
		t.Errorf("interval %v %v", lo, hi)
	}
	if lo, hi := interval(nil); !math.IsNaN(lo) || !math.IsNaN(hi) {
		t.Error("empty interval not NaN")
	}
}

// TestBootstrap: the intervals are reproducible for a seed, contain the estimate,
// change with the seed, narrow with more sentences, and collapse when every sentence
// counts the same.
func TestBootstrap(t *testing.T) {
	thresholds := []float64{0.2, 0.5}
	mk := func(n int) [][]counts {
		res := make([][]counts, n)
		for i := range res {
			// Sentence i: 2 gold links; at 0.2 it predicts 2 (1 right, or 2 every third),
			// at 0.5 it predicts 1, right every other sentence.
			tp := 1
			if i%3 == 0 {
				tp = 2
			}
			res[i] = []counts{{tp: tp, predicted: 2, gold: 2}, {tp: (i + 1) % 2, predicted: 1, gold: 2}}
		}
		return res
	}
	run := func(res [][]counts, seed uint64) Summary {
		s := Summary{Rows: totals(res, thresholds)}
		s.PRAUC = PRAUC(s.Rows)
		if err := bootstrap(context.Background(), res, &s, 500, seed); err != nil {
			t.Fatal(err)
		}
		return s
	}
	a, b := run(mk(60), 1), run(mk(60), 1)
	ja, _ := json.Marshal(a)
	jb, _ := json.Marshal(b)
	if string(ja) != string(jb) {
		t.Error("same seed, different intervals")
	}
	c := run(mk(60), 2)
	if reflect.DeepEqual(a.Rows[0].PrecisionLow, c.Rows[0].PrecisionLow) && reflect.DeepEqual(a.Rows[1].RecallHigh, c.Rows[1].RecallHigh) {
		t.Error("the seed does not change the resampling")
	}
	for _, r := range a.Rows {
		if !(r.PrecisionLow <= r.MicroPrecision && r.MicroPrecision <= r.PrecisionHigh && r.RecallLow <= r.MicroRecall && r.MicroRecall <= r.RecallHigh) {
			t.Errorf("interval misses the estimate: %+v", r)
		}
		if !(r.PrecisionHigh > r.PrecisionLow) {
			t.Errorf("empty interval: %+v", r)
		}
	}
	big := run(mk(2400), 1)
	if w, wb := a.Rows[1].RecallHigh-a.Rows[1].RecallLow, big.Rows[1].RecallHigh-big.Rows[1].RecallLow; !(wb < w/3) {
		t.Errorf("40 times the sentences: interval %v, was %v", wb, w)
	}
	flat := make([][]counts, 30)
	for i := range flat {
		flat[i] = []counts{{tp: 1, predicted: 2, gold: 4}, {tp: 1, predicted: 1, gold: 4}}
	}
	f := run(flat, 1)
	if r := f.Rows[0]; r.PrecisionLow != 0.5 || r.PrecisionHigh != 0.5 || r.RecallLow != 0.25 || r.RecallHigh != 0.25 {
		t.Errorf("identical sentences: %+v", r)
	}
	if !(a.PRAUCLow <= a.PRAUC && a.PRAUC <= a.PRAUCHigh) {
		t.Errorf("PR AUC %v outside [%v, %v]", a.PRAUC, a.PRAUCLow, a.PRAUCHigh)
	}
}

// TestSummaryJSON: NaN is written as null and read back as NaN.
func TestSummaryJSON(t *testing.T) {
	s := Summary{Rows: totals([][]counts{{{tp: 0, predicted: 0, gold: 1}}}, []float64{0.5}), Features: "reference", Sentences: 1}
	s.PRAUC, s.PRAUCLow, s.PRAUCHigh = PRAUC(s.Rows), math.NaN(), math.NaN()
	s.BestF1, s.BestF1Threshold = BestF1(s.Rows)
	b, err := json.Marshal(s)
	if err != nil {
		t.Fatal(err)
	}
	var back Summary
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	b2, _ := json.Marshal(back)
	if string(b) != string(b2) || !math.IsNaN(back.Rows[0].MicroPrecision) || back.Rows[0].MicroRecall != 0 || !math.IsNaN(back.BestF1) {
		t.Errorf("round trip:\n%s\n%s", b, b2)
	}
}

func TestMarkdown(t *testing.T) {
	s := Summary{Rows: []Row{{Threshold: 0.5, MicroPrecision: 0.8, MicroRecall: 0.4, PrecisionLow: 0.7, PrecisionHigh: 0.9, RecallLow: math.NaN(), RecallHigh: math.NaN()}},
		Features: "extended", Sentences: 10, Bootstrap: 1000, Seed: 1, PRAUC: 0.32, PRAUCLow: 0.2, PRAUCHigh: 0.4, BestF1: 0.533, BestF1Threshold: 0.5}
	got := Markdown(s)
	for _, want := range []string{"Features extended; 10 sentences", "| 0.50 | 0.800 | [0.700, 0.900] | 0.400 | - | 0.533 |", "PR AUC 0.320 [0.200, 0.400]"} {
		if !strings.Contains(got, want) {
			t.Errorf("missing %q in\n%s", want, got)
		}
	}
}
