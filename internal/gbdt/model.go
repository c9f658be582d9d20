// Package gbdt implements gradient-boosted decision trees for binary classification
// with the semantics of XGBoost's binary:logistic objective: histogram training with
// learned default directions for missing values (NaN), prediction in float32 like
// XGBoost, and reading and writing XGBoost's JSON model format (1.7 to 2.x).
package gbdt

import (
	"math"
)

// Tree is one regression tree in XGBoost's array layout: node 0 is the root; a node
// is a leaf when Left[i] == -1, and then Threshold[i] is its output.
type Tree struct {
	Left, Right []int32
	Parent      []int32
	Feature     []int32   // split feature index (0 for leaves)
	Threshold   []float32 // split condition: go left when x < Threshold; leaf value for leaves
	DefaultLeft []bool    // where missing values go
	BaseWeight  []float32 // node weight before shrinkage
	LossChange  []float32 // split gain (0 for leaves)
	SumHessian  []float32 // hessian sum of the node's rows
	NumFeature  int
	NumNodes    int

	nodes []cnode // compact copy for prediction, made by compile
}

// cnode is a node laid out for prediction: one cache-friendly struct per node.
type cnode struct {
	left, right int32 // -1 for a leaf
	feature     int32
	value       float32 // threshold, or the leaf's value
	defaultLeft bool
}

// compile makes the compact node array from the parallel arrays.
func (t *Tree) compile() {
	t.nodes = make([]cnode, len(t.Left))
	for i := range t.nodes {
		t.nodes[i] = cnode{t.Left[i], t.Right[i], t.Feature[i], t.Threshold[i], t.DefaultLeft[i]}
	}
}

// Model is a binary:logistic booster.
type Model struct {
	Trees       []Tree
	NumFeature  int
	BaseScore   float32 // probability, as XGBoost's base_score; the margin starts at logit(BaseScore)
	FeatureName []string
	// Attributes are kept as they were read and written back (XGBoost's "attributes").
	Attributes map[string]string
	// Params are training parameters recorded in the JSON (informational).
	Params Params
}

// leafValue returns the value of the leaf reached by row x.
func (t *Tree) leafValue(x []float32) float32 {
	if t.nodes == nil {
		t.compile()
	}
	nodes := t.nodes
	n := &nodes[0]
	for n.left != -1 {
		v := x[n.feature]
		// Branch-free choice: right unless v < threshold, or v is missing and the
		// default is left.
		next := n.right
		if v < n.value || (v != v && n.defaultLeft) {
			next = n.left
		}
		n = &nodes[next]
	}
	return n.value
}

// baseMargin is the margin predictions start from.
func (m *Model) baseMargin() float32 {
	p := float64(m.BaseScore)
	if p <= 0 || p >= 1 {
		return 0
	}
	return float32(math.Log(p / (1 - p)))
}

// Margin returns the raw score of one row (features as float32; NaN is missing),
// accumulated in float32 in tree order as XGBoost does.
func (m *Model) Margin(x []float32) float32 {
	s := m.baseMargin()
	for i := range m.Trees {
		s += m.Trees[i].leafValue(x)
	}
	return s
}

// Predict returns the probability of the positive class for one row.
func (m *Model) Predict(x []float32) float32 {
	return sigmoid(m.Margin(x))
}

// sigmoid is XGBoost's float32 logistic: 1 / (1 + exp(-x)).
func sigmoid(x float32) float32 {
	return float32(1 / (1 + math.Exp(-float64(x))))
}

// compile prepares every tree for prediction; it must run before Predict is called
// from several goroutines.
func (m *Model) compile() {
	for i := range m.Trees {
		m.Trees[i].compile()
	}
}

// PredictRows returns the probabilities of rows (each of NumFeature values).
func (m *Model) PredictRows(rows [][]float32) []float32 {
	out := make([]float32, len(rows))
	for i, r := range rows {
		out[i] = m.Predict(r)
	}
	return out
}

// PredictDataset returns the probabilities of all rows of d, computed on up to threads
// goroutines (each row's result does not depend on them). Rows are walked down each
// tree a level at a time in blocks, which keeps the walk free of unpredictable branches.
func (m *Model) PredictDataset(d *Dataset, threads int) []float32 {
	out := make([]float32, d.N)
	m.compile()
	depth := 0
	for i := range m.Trees {
		depth = max(depth, m.Trees[i].depth())
	}
	const block = 256
	chunks(d.N, threads, func(lo, hi int) {
		var margin [block]float32
		var idx [block]int32
		for b0 := lo; b0 < hi; b0 += block {
			n := min(block, hi-b0)
			bm := m.baseMargin()
			for r := 0; r < n; r++ {
				margin[r] = bm
			}
			for ti := range m.Trees {
				nodes := m.Trees[ti].nodes
				clear(idx[:n])
				for level := 0; level < depth; level++ {
					for r := 0; r < n; r++ {
						nd := &nodes[idx[r]]
						if nd.left < 0 {
							continue
						}
						v := d.X[int(nd.feature)*d.N+b0+r]
						next := nd.right
						if v < nd.value {
							next = nd.left
						}
						if v != v && nd.defaultLeft {
							next = nd.left
						}
						idx[r] = next
					}
				}
				for r := 0; r < n; r++ {
					margin[r] += nodes[idx[r]].value
				}
			}
			for r := 0; r < n; r++ {
				out[b0+r] = sigmoid(margin[r])
			}
		}
	})
	return out
}

// depth returns the number of edges on the tree's longest path.
func (t *Tree) depth() int {
	var walk func(i int32) int
	walk = func(i int32) int {
		if t.Left[i] == -1 {
			return 0
		}
		return 1 + max(walk(t.Left[i]), walk(t.Right[i]))
	}
	return walk(0)
}
