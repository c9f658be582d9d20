// Negative sampling: Vose's alias table over the unigram distribution, and the random
// draws the training takes from a PCG stream.

package embed

import (
	"math"
	"math/bits"
	"math/rand/v2"
)

// sampler draws ids base..base+n-1 with probabilities proportional to freq^0.75 by
// Vose's alias method: one small array of cells, so draws stay in cache (a large
// unigram table as word2vec's costs a cache miss per negative).
type sampler struct {
	cells []aliasCell
	base  int32
}

// newSampler builds a sampler over ids [0, len(freq)) offset by base.
func newSampler(freq []int64, base int32) sampler {
	n := len(freq)
	s := sampler{cells: make([]aliasCell, n), base: base}
	var total float64
	w := make([]float64, n)
	for i, f := range freq {
		w[i] = math.Pow(float64(f), 0.75)
		total += w[i]
	}
	if total == 0 {
		s.cells = nil
		return s
	}
	var small, large []int32
	for i := range w {
		w[i] = w[i] * float64(n) / total
		if w[i] < 1 {
			small = append(small, int32(i))
		} else {
			large = append(large, int32(i))
		}
	}
	for len(small) > 0 && len(large) > 0 {
		l := small[len(small)-1]
		small = small[:len(small)-1]
		g := large[len(large)-1]
		s.cells[l] = aliasCell{float32(w[l]), g}
		w[g] -= 1 - w[l]
		if w[g] < 1 {
			large = large[:len(large)-1]
			small = append(small, g)
		}
	}
	for _, i := range append(small, large...) {
		s.cells[i] = aliasCell{1, i}
	}
	return s
}

// aliasCell is a column of the alias table: draw its own id with probability prob,
// alias otherwise. One array of both keeps a draw to one cache line.
type aliasCell struct {
	prob  float32
	alias int32
}

func (s sampler) empty() bool { return len(s.cells) == 0 }

// randFloat32 and randIntN are rand.Rand's Float32 and IntN on src (the same values from
// the same stream), called without the interface.
func randFloat32(src *rand.PCG) float32 {
	return float32(uint32(src.Uint64()>>32)<<8>>8) / (1 << 24)
}

func randIntN(src *rand.PCG, n int) int {
	u := uint64(n)
	if u&(u-1) == 0 {
		return int(src.Uint64() & (u - 1))
	}
	hi, lo := bits.Mul64(src.Uint64(), u)
	if lo < u {
		thresh := -u % u
		for lo < thresh {
			hi, lo = bits.Mul64(src.Uint64(), u)
		}
	}
	return int(hi)
}

// drawN appends n draws to dst (none when the sampler is empty).
func (s sampler) drawN(r *rand.PCG, dst []int32, n int) []int32 {
	if s.empty() {
		return dst
	}
	for range n {
		dst = append(dst, s.draw(r))
	}
	return dst
}

func (s sampler) draw(r *rand.PCG) int32 {
	x := r.Uint64()
	i := int32((x >> 32) * uint64(len(s.cells)) >> 32)
	// Both outcomes are loaded, and the choice is a conditional move, not a branch
	// (the coin is unpredictable).
	c := s.cells[i]
	if float32(uint32(x))*(1.0/(1<<32)) >= c.prob {
		i = c.alias
	}
	return s.base + i
}
