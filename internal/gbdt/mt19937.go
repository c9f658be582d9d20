package gbdt

// mt19937 is the Mersenne Twister MT19937 generator, the one behind NumPy's legacy
// RandomState.
type mt19937 struct {
	mt  [624]uint32
	idx int
}

func newMT19937(seed uint32) *mt19937 {
	g := &mt19937{idx: 624}
	g.mt[0] = seed
	for i := 1; i < 624; i++ {
		g.mt[i] = 1812433253*(g.mt[i-1]^(g.mt[i-1]>>30)) + uint32(i)
	}
	return g
}

func (g *mt19937) uint32() uint32 {
	if g.idx >= 624 {
		for i := 0; i < 624; i++ {
			y := g.mt[i]&0x80000000 | g.mt[(i+1)%624]&0x7fffffff
			v := g.mt[(i+397)%624] ^ y>>1
			if y&1 != 0 {
				v ^= 0x9908b0df
			}
			g.mt[i] = v
		}
		g.idx = 0
	}
	y := g.mt[g.idx]
	g.idx++
	y ^= y >> 11
	y ^= y << 7 & 0x9d2c5680
	y ^= y << 15 & 0xefc60000
	y ^= y >> 18
	return y
}

// interval returns a uniform integer in [0, max] by masked rejection, as NumPy's legacy
// random_interval does for max < 2^32.
func (g *mt19937) interval(max uint32) uint32 {
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
		if v := g.uint32() & mask; v <= max {
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
	g := newMT19937(seed)
	for i := n - 1; i > 0; i-- {
		j := int(g.interval(uint32(i)))
		p[i], p[j] = p[j], p[i]
	}
	return p
}
