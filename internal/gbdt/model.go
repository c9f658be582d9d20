// Package gbdt implements gradient-boosted decision trees for binary classification
// with the semantics of XGBoost's binary:logistic objective: histogram training with
// learned default directions for missing values (NaN), prediction in float32 like
// XGBoost, and reading and writing XGBoost's JSON model format (1.7 to 2.x).
package gbdt

import (
	"math"
)

// Tree is one regression tree in XGBoost's array layout: node 0 is the root; a node
// is a leaf when Left[i] == -1, and then Value[i] is its output.
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
	leafCache   bool
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

// leaf returns the leaf index reached by row x.
func (t *Tree) leaf(x []float32) int {
	i := int32(0)
	for t.Left[i] != -1 {
		v := x[t.Feature[i]]
		switch {
		case v != v: // NaN: missing
			if t.DefaultLeft[i] {
				i = t.Left[i]
			} else {
				i = t.Right[i]
			}
		case v < t.Threshold[i]:
			i = t.Left[i]
		default:
			i = t.Right[i]
		}
	}
	return int(i)
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
		t := &m.Trees[i]
		s += t.Threshold[t.leaf(x)]
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

// PredictRows returns the probabilities of rows (each of NumFeature values).
func (m *Model) PredictRows(rows [][]float32) []float32 {
	out := make([]float32, len(rows))
	for i, r := range rows {
		out[i] = m.Predict(r)
	}
	return out
}
