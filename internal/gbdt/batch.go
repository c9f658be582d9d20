package gbdt

import (
	"math"
	"sync"
	"sync/atomic"
)

// flatNode is a tree node packed for batch prediction: a leaf has left < 0 and its value
// in cond; feat's top bit says that missing values go left.
type flatNode struct {
	cond        float32
	feat        uint32
	left, right int32
}

const defaultLeftBit = 1 << 31

func (t *Tree) flatten() []flatNode {
	nodes := make([]flatNode, t.NumNodes())
	for i := range nodes {
		n := flatNode{cond: t.SplitCondition[i], feat: uint32(t.SplitIndex[i]), left: t.Left[i], right: t.Right[i]}
		if t.DefaultLeft[i] {
			n.feat |= defaultLeftBit
		}
		nodes[i] = n
	}
	return nodes
}

// PredictColumns returns the probabilities for the rows of features (column-major:
// features[f][i] is feature f of row i, NaN when missing), computed on up to threads
// goroutines. The results equal Predict's for each row, bit for bit.
func (m *Model) PredictColumns(features [][]float32, threads int) []float32 {
	n := 0
	if len(features) > 0 {
		n = len(features[0])
	}
	trees := make([][]flatNode, len(m.Trees))
	for i := range m.Trees {
		trees[i] = m.Trees[i].flatten()
	}
	nan := float32(math.NaN())
	out := make([]float32, n)
	const block = 1024
	var next atomic.Int64
	var wg sync.WaitGroup
	if threads < 1 {
		threads = 1
	}
	for w := 0; w < threads; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				lo := int(next.Add(block) - block)
				if lo >= n {
					return
				}
				hi := min(lo+block, n)
				margin := out[lo:hi]
				for i := range margin {
					margin[i] = m.baseMargin()
				}
				// Tree by tree, so the sum runs in the same order as PredictMargin's.
				for _, nodes := range trees {
					for i := range margin {
						k := int32(0)
						for nodes[k].left >= 0 {
							nd := &nodes[k]
							f := int(nd.feat &^ defaultLeftBit)
							v := nan
							if f < len(features) {
								v = features[f][lo+i]
							}
							switch {
							case v != v:
								if nd.feat&defaultLeftBit != 0 {
									k = nd.left
								} else {
									k = nd.right
								}
							case v < nd.cond:
								k = nd.left
							default:
								k = nd.right
							}
						}
						margin[i] += nodes[k].cond
					}
				}
				for i, v := range margin {
					margin[i] = sigmoid32(v)
				}
			}
		}()
	}
	wg.Wait()
	return out
}
