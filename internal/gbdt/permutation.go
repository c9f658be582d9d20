package gbdt

import "github.com/addlink/addlink/internal/mt19937"

// interval returns a uniform integer in [0, max] by masked rejection, as NumPy's legacy
// random_interval does for max < 2^32.
func interval(g *mt19937.Rand, max uint32) uint32 {
	if max == 0 {
		return 0
	}
	mask := max
	mask |= mask >> 1
	mask |= mask >> 2
	mask |= mask >> 4
	mask |= mask >> 8
	mask |= mask >> 16
	for {
		if v := g.Uint32() & mask; v <= max {
			return v
		}
	}
}

// Permutation returns the permutation of 0..n-1 that NumPy's
// RandomState(seed).permutation(n) returns (n < 2^32).
func Permutation(n int, seed uint32) []int {
	p := make([]int, n)
	for i := range p {
		p[i] = i
	}
	g := mt19937.New(seed)
	for i := n - 1; i > 0; i-- {
		j := int(interval(g, uint32(i)))
		p[i], p[j] = p[j], p[i]
	}
	return p
}
