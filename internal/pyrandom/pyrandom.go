// Package pyrandom reproduces the parts of CPython's random module the reference
// pipeline relies on: random.seed(n) for a non-negative integer n and random.shuffle.
// The reference splits its sentences with random.seed(2) and random.shuffle; using the
// same generator gives the same training and test halves.
package pyrandom

import "github.com/addlink/addlink/internal/mt19937"

// Rand is CPython's generator (MT19937, seeded as random.seed seeds it) with the
// integer draws of its random module.
type Rand struct {
	*mt19937.Rand
}

// New returns a generator seeded as random.seed(seed) seeds it for seed >= 0.
func New(seed uint64) *Rand {
	// CPython splits abs(seed) into 32-bit words, least significant first, and calls
	// init_by_array with them (one zero word for seed 0).
	key := []uint32{uint32(seed)}
	if hi := uint32(seed >> 32); hi != 0 {
		key = append(key, hi)
	}
	return &Rand{mt19937.NewByArray(key)}
}

// getrandbits returns k random bits, 0 < k <= 64, as random.getrandbits(k) does.
func (r *Rand) getrandbits(k int) uint64 {
	if k <= 32 {
		return uint64(r.Uint32() >> (32 - k))
	}
	lo := uint64(r.Uint32())
	hi := uint64(r.Uint32() >> (64 - k))
	return hi<<32 | lo
}

// below returns a uniform integer in [0, n), as random._randbelow(n) does.
func (r *Rand) below(n int) int {
	k := 0
	for v := n; v > 0; v >>= 1 {
		k++
	}
	for {
		if v := r.getrandbits(k); v < uint64(n) {
			return int(v)
		}
	}
}

// Shuffle permutes n elements with swap exactly as random.shuffle does.
func (r *Rand) Shuffle(n int, swap func(i, j int)) {
	for i := n - 1; i > 0; i-- {
		swap(i, r.below(i+1))
	}
}
