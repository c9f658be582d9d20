package learn

import (
	"math"
	"math/rand/v2"
)

// HSTParams configures a Half-Space-Trees detector.
type HSTParams struct {
	Trees      int // default 10
	Height     int // default 6: each tree has 2^(Height+1)-1 nodes
	WindowSize int // observations per mass window, default 25
}

func (p *HSTParams) defaults() {
	if p.Trees <= 0 {
		p.Trees = 10
	}
	if p.Height <= 0 {
		p.Height = 6
	}
	if p.WindowSize <= 0 {
		p.WindowSize = 25
	}
}

// HST is a Half-Space-Trees anomaly detector (Tan, Ting and Liu 2011) over features
// in [0, 1], scored as River's HalfSpaceTrees does: 0 during the first window, then
// 1 - (sum over trees and over the nodes of x's path of reference mass times 2^depth,
// the path stopping after the first node with less than a tenth of a window's mass) /
// (trees * window * (2^(height+1) - 1)), so that high means anomalous. Trees are complete binary trees stored as arrays (children of node i
// are 2i+1 and 2i+2); its exported fields are its checkpointed state.
type HST struct {
	Params  HSTParams
	Feature [][]int     // per tree, per inner node: the feature split on
	Split   [][]float64 // per tree, per inner node: the split value
	RMass   [][]float64 // per tree, per node: mass of the last complete window
	LMass   [][]float64 // per tree, per node: mass of the window being filled
	Count   int         // observations in the window being filled
	Windows int         // complete windows
}

// NewHST builds the trees over nFeatures features in [0, 1] from seed: at each node a
// random feature is split at a random point of its current range, kept 15% away
// from the range's ends.
func NewHST(p HSTParams, nFeatures int, seed uint64) *HST {
	p.defaults()
	rng := rand.New(rand.NewPCG(seed, 0x4853545f5345454e))
	nodes := 1<<(p.Height+1) - 1
	inner := 1<<p.Height - 1
	h := &HST{Params: p}
	for t := 0; t < p.Trees; t++ {
		feat := make([]int, inner)
		split := make([]float64, inner)
		lo := make([][]float64, nodes)
		hi := make([][]float64, nodes)
		lo[0], hi[0] = make([]float64, nFeatures), make([]float64, nFeatures)
		for f := range hi[0] {
			hi[0][f] = 1
		}
		for i := 0; i < inner; i++ {
			f := rng.IntN(nFeatures)
			a, b := lo[i][f], hi[i][f]
			pad := 0.15 * (b - a)
			s := a + pad + rng.Float64()*(b-a-2*pad)
			feat[i], split[i] = f, s
			l, r := 2*i+1, 2*i+2
			lo[l], hi[l] = append([]float64(nil), lo[i]...), append([]float64(nil), hi[i]...)
			lo[r], hi[r] = append([]float64(nil), lo[i]...), append([]float64(nil), hi[i]...)
			hi[l][f], lo[r][f] = s, s
		}
		h.Feature = append(h.Feature, feat)
		h.Split = append(h.Split, split)
		h.RMass = append(h.RMass, make([]float64, nodes))
		h.LMass = append(h.LMass, make([]float64, nodes))
	}
	return h
}

// Score returns the anomaly score of x (0 until a first window is complete).
func (h *HST) Score(x []float64) float64 {
	if h.Windows == 0 {
		return 0
	}
	p := h.Params
	limit := 0.1 * float64(p.WindowSize)
	inner := 1<<p.Height - 1
	var s float64
	for t := range h.Feature {
		i, depth := 0, 0
		for {
			m := h.RMass[t][i]
			s += m * math.Pow(2, float64(depth))
			if m < limit || i >= inner {
				break
			}
			i = h.child(t, i, x)
			depth++
		}
	}
	max := float64(p.Trees*p.WindowSize) * float64(int(1)<<(p.Height+1)-1)
	return 1 - s/max
}

func (h *HST) child(t, i int, x []float64) int {
	if x[h.Feature[t][i]] < h.Split[t][i] {
		return 2*i + 1
	}
	return 2*i + 2
}

// Learn adds x to the window being filled; a full window becomes the reference.
func (h *HST) Learn(x []float64) {
	inner := 1<<h.Params.Height - 1
	for t := range h.Feature {
		i := 0
		for {
			h.LMass[t][i]++
			if i >= inner {
				break
			}
			i = h.child(t, i, x)
		}
	}
	h.Count++
	if h.Count == h.Params.WindowSize {
		for t := range h.RMass {
			copy(h.RMass[t], h.LMass[t])
			clear(h.LMass[t])
		}
		h.Count = 0
		h.Windows++
	}
}
