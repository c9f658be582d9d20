// Package mt19937 is the Mersenne Twister MT19937 generator, the one behind CPython's
// random module and NumPy's legacy RandomState, with the two ways they seed it: New
// (init_genrand, NumPy's RandomState(seed)) and NewByArray (init_by_array, CPython's
// random.seed). Reproducing their draws bit for bit lets the pipeline split its data as
// the reference does (internal/pyrandom, gbdt.Permutation).
package mt19937

// Rand is the generator's state.
type Rand struct {
	mt  [624]uint32
	idx int
}

// New returns a generator seeded as init_genrand(seed) seeds it.
func New(seed uint32) *Rand {
	r := &Rand{}
	r.initGenrand(seed)
	return r
}

// NewByArray returns a generator seeded as init_by_array(key) seeds it.
func NewByArray(key []uint32) *Rand {
	r := &Rand{}
	r.initByArray(key)
	return r
}

func (r *Rand) initGenrand(s uint32) {
	r.mt[0] = s
	for i := 1; i < 624; i++ {
		r.mt[i] = 1812433253*(r.mt[i-1]^(r.mt[i-1]>>30)) + uint32(i)
	}
	r.idx = 624
}

func (r *Rand) initByArray(key []uint32) {
	r.initGenrand(19650218)
	i, j := 1, 0
	k := 624
	if len(key) > k {
		k = len(key)
	}
	for ; k > 0; k-- {
		r.mt[i] = (r.mt[i] ^ ((r.mt[i-1] ^ (r.mt[i-1] >> 30)) * 1664525)) + key[j] + uint32(j)
		i++
		j++
		if i >= 624 {
			r.mt[0] = r.mt[623]
			i = 1
		}
		if j >= len(key) {
			j = 0
		}
	}
	for k = 623; k > 0; k-- {
		r.mt[i] = (r.mt[i] ^ ((r.mt[i-1] ^ (r.mt[i-1] >> 30)) * 1566083941)) - uint32(i)
		i++
		if i >= 624 {
			r.mt[0] = r.mt[623]
			i = 1
		}
	}
	r.mt[0] = 0x80000000
}

// Uint32 returns the next 32 random bits (genrand_uint32).
func (r *Rand) Uint32() uint32 {
	if r.idx >= 624 {
		for k := 0; k < 624; k++ {
			y := r.mt[k]&0x80000000 | r.mt[(k+1)%624]&0x7fffffff
			v := r.mt[(k+397)%624] ^ y>>1
			if y&1 != 0 {
				v ^= 0x9908b0df
			}
			r.mt[k] = v
		}
		r.idx = 0
	}
	y := r.mt[r.idx]
	r.idx++
	y ^= y >> 11
	y ^= y << 7 & 0x9d2c5680
	y ^= y << 15 & 0xefc60000
	y ^= y >> 18
	return y
}
