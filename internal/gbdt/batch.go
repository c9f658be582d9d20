package gbdt

import (
	"math"
	"sync"
	"sync/atomic"
	"unsafe"
)

// flatNode is a tree node packed for batch prediction: a leaf has left < 0 and its value
// in cond; feat's top bit says that missing values go left; missRight is 1 when they go
// right.
type flatNode struct {
	cond        float32
	feat        uint32
	left, right int32
	missRight   int32
}

const defaultLeftBit = 1 << 31

func (t *Tree) flatten() []flatNode {
	nodes := make([]flatNode, t.NumNodes())
	for i := range nodes {
		n := flatNode{cond: t.SplitCondition[i], feat: uint32(t.SplitIndex[i]), left: t.Left[i], right: t.Right[i]}
		if t.DefaultLeft[i] {
			n.feat |= defaultLeftBit
		} else {
			n.missRight = 1
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
	// With every right child next to its left one (as in the trees Train and XGBoost
	// make) and every split feature present, the walk can go without branches.
	adjacent := true
	for i := range m.Trees {
		trees[i] = m.Trees[i].flatten()
		for _, nd := range trees[i] {
			if nd.left >= 0 && (nd.right != nd.left+1 || int(nd.right) >= len(trees[i]) ||
				int(nd.feat&^defaultLeftBit) >= len(features)) {
				adjacent = false
			}
		}
	}
	nan := float32(math.NaN())
	out := make([]float32, n)
	const block = 1024
	var next atomic.Int64
	var wg sync.WaitGroup
	if threads < 1 {
		threads = 1
	}
	nf := len(features)
	for w := 0; w < threads; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			// The block's rows, row-major, for the branch-free walk.
			var rowsBuf []float32
			if adjacent {
				rowsBuf = make([]float32, block*nf)
			}
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
				if adjacent {
					for f, col := range features {
						for i, v := range col[lo:hi] {
							rowsBuf[i*nf+f] = v
						}
					}
				}
				// Tree by tree, so the sum runs in the same order as PredictMargin's.
				for _, nodes := range trees {
					if adjacent {
						walkAdjacent(nodes, rowsBuf, nf, margin)
						continue
					}
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

// walkAdjacent adds the leaf of the tree nodes for the rows (row-major, nf values each)
// to margin, with branch-free steps (requires right == left+1 at every split, and every
// split feature below nf). Eight rows walk in lockstep so their independent loads
// overlap. Node indices stay inside nodes and feature indices below nf (checked by the
// caller), so the steps read through pointers without bounds checks.
func walkAdjacent(nodes []flatNode, rows []float32, nf int, margin []float32) {
	np := unsafe.Pointer(unsafe.SliceData(nodes))
	rp := unsafe.Pointer(unsafe.SliceData(rows[:len(margin)*nf]))
	node := func(k int32) *flatNode {
		return (*flatNode)(unsafe.Add(np, uintptr(k)*unsafe.Sizeof(flatNode{})))
	}
	step := func(k int32, i int) int32 {
		nd := node(k)
		if nd.left < 0 {
			return k
		}
		v := *(*float32)(unsafe.Add(rp, uintptr(i*nf+int(nd.feat&^defaultLeftBit))*4))
		s := int32(0)
		if !(v < nd.cond) {
			s = 1
		}
		if v != v {
			s = nd.missRight
		}
		return nd.left + s
	}
	i := 0
	for ; i+8 <= len(margin); i += 8 {
		var k0, k1, k2, k3, k4, k5, k6, k7 int32
		for node(k0).left >= 0 || node(k1).left >= 0 || node(k2).left >= 0 || node(k3).left >= 0 ||
			node(k4).left >= 0 || node(k5).left >= 0 || node(k6).left >= 0 || node(k7).left >= 0 {
			k0, k1, k2, k3 = step(k0, i), step(k1, i+1), step(k2, i+2), step(k3, i+3)
			k4, k5, k6, k7 = step(k4, i+4), step(k5, i+5), step(k6, i+6), step(k7, i+7)
		}
		m := margin[i : i+8 : i+8]
		m[0] += node(k0).cond
		m[1] += node(k1).cond
		m[2] += node(k2).cond
		m[3] += node(k3).cond
		m[4] += node(k4).cond
		m[5] += node(k5).cond
		m[6] += node(k6).cond
		m[7] += node(k7).cond
	}
	for ; i < len(margin); i++ {
		k := int32(0)
		for node(k).left >= 0 {
			k = step(k, i)
		}
		margin[i] += node(k).cond
	}
}
