// Package stats computes the figures the benchmarks print from their samples.
package stats

import (
	"cmp"
	"slices"
)

// Percentile returns the p-quantile (p in [0, 1]) of samples: the element at index
// ⌊p·(n−1)⌋ of the sorted samples, so p = 0 is the least and p = 1 the largest. It
// sorts a copy, leaving samples as they are, and returns the zero value for none.
func Percentile[T cmp.Ordered](samples []T, p float64) T {
	var zero T
	if len(samples) == 0 {
		return zero
	}
	s := slices.Clone(samples)
	slices.Sort(s)
	return s[int(p*float64(len(s)-1))]
}
