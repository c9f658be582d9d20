package evaluation

import (
	"math"
	"testing"
)

func TestFormatCSV(t *testing.T) {
	rows := []Row{{Threshold: 0, N: 3, MicroPrecision: 0.5, MicroRecall: 1.0 / 3}, {Threshold: 0.1, N: 3, MicroPrecision: math.NaN(), MicroRecall: 0}}
	want := ",threshold,N,micro_precision,micro_recall\n0,0.0,3,0.5,0.3333333333333333\n1,0.1,3,,0.0\n"
	if got := string(FormatCSV(rows)); got != want {
		t.Errorf("got %q\nwant %q", got, want)
	}
	if _, ok := Check(rows, 0.5, 0.75, 0.2); ok {
		t.Error("gate passed with NaN precision")
	}
	if r, ok := Check(rows, 0.0, 0.5, 0.3); !ok || r.Threshold != 0 {
		t.Errorf("gate failed: %+v", r)
	}
}
