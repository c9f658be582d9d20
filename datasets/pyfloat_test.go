package datasets

import (
	"math"
	"testing"
)

func TestPyFloat(t *testing.T) {
	// Expected values are Python 3's repr().
	for _, tt := range []struct {
		f    float64
		want string
	}{
		{1, "1.0"}, {0, "0.0"}, {0.037037037037037035, "0.037037037037037035"}, {0.5, "0.5"},
		{1e-05, "1e-05"}, {0.0001, "0.0001"}, {1e16, "1e+16"}, {1e15, "1000000000000000.0"},
		{123456789.125, "123456789.125"}, {-2.5e-7, "-2.5e-07"}, {1.5e300, "1.5e+300"},
		{math.NaN(), "nan"}, {math.Inf(1), "inf"}, {math.Inf(-1), "-inf"}, {2.0 / 3, "0.6666666666666666"},
	} {
		if got := PyFloat(tt.f, 64); got != tt.want {
			t.Errorf("PyFloat(%v) = %q, want %q", tt.f, got, tt.want)
		}
	}
}
