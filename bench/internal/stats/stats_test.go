package stats

import (
	"testing"
	"time"
)

func TestPercentile(t *testing.T) {
	xs := []float64{5, 1, 4, 2, 3}
	for _, tc := range []struct{ p, want float64 }{{0, 1}, {0.5, 3}, {0.99, 4}, {1, 5}} {
		if got := Percentile(xs, tc.p); got != tc.want {
			t.Errorf("Percentile(%v, %g) = %g, want %g", xs, tc.p, got, tc.want)
		}
	}
	if xs[0] != 5 {
		t.Error("the samples were sorted in place")
	}
	ds := []time.Duration{3 * time.Millisecond, time.Millisecond}
	if got := Percentile(ds, 1); got != 3*time.Millisecond {
		t.Errorf("largest duration %v", got)
	}
	if got := Percentile([]int(nil), 0.5); got != 0 {
		t.Errorf("no samples: %d", got)
	}
}
