// Package gbdt implements gradient-boosted decision trees for binary classification:
// histogram-based training with the logistic loss (XGBoost's "hist" method and its
// default parameters), learned default directions for missing values (NaN), reading and
// writing XGBoost's JSON model format, and prediction with XGBoost's float32 semantics.
//
// Training is multi-threaded and deterministic: the same data and parameters give the
// bit-identical model for any number of threads.
package gbdt

import (
	"fmt"
	"math"
)

// Tree is one regression tree stored as XGBoost stores it: parallel arrays indexed by
// node id, node 0 the root. A leaf has Left[i] == -1; its value is SplitCondition[i].
type Tree struct {
	Left           []int32
	Right          []int32
	Parent         []int32 // -1 (written as 2147483647) for the root
	SplitIndex     []int32
	SplitCondition []float32 // the threshold (x < t goes left), or the leaf value
	DefaultLeft    []bool    // where a missing value (NaN) goes
	BaseWeight     []float32
	LossChange     []float32
	SumHessian     []float32
}

// NumNodes is the number of nodes of t.
func (t *Tree) NumNodes() int { return len(t.Left) }

// Leaf returns the value of the leaf that the feature vector x reaches.
func (t *Tree) Leaf(x []float32) float32 {
	n := int32(0)
	for t.Left[n] >= 0 {
		f := t.SplitIndex[n]
		var v float32
		if int(f) < len(x) {
			v = x[f]
		} else {
			v = float32(math.NaN())
		}
		switch {
		case v != v:
			if t.DefaultLeft[n] {
				n = t.Left[n]
			} else {
				n = t.Right[n]
			}
		case v < t.SplitCondition[n]:
			n = t.Left[n]
		default:
			n = t.Right[n]
		}
	}
	return t.SplitCondition[n]
}

// check verifies the structure of t: array lengths agree, children are in range and
// every node is reached exactly once from the root, so Leaf always terminates.
func (t *Tree) check(numFeature int) error {
	n := len(t.Left)
	if n == 0 {
		return fmt.Errorf("tree has no nodes")
	}
	for name, l := range map[string]int{"right_children": len(t.Right), "parents": len(t.Parent),
		"split_indices": len(t.SplitIndex), "split_conditions": len(t.SplitCondition),
		"default_left": len(t.DefaultLeft), "base_weights": len(t.BaseWeight),
		"loss_changes": len(t.LossChange), "sum_hessian": len(t.SumHessian)} {
		if l != n {
			return fmt.Errorf("%s has %d entries, left_children %d", name, l, n)
		}
	}
	seen := make([]bool, n)
	stack := []int32{0}
	seen[0] = true
	for len(stack) > 0 {
		i := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		l, r := t.Left[i], t.Right[i]
		if l == -1 {
			if r != -1 {
				return fmt.Errorf("node %d: left child -1 but right child %d", i, r)
			}
			continue
		}
		if f := t.SplitIndex[i]; f < 0 || (numFeature > 0 && int(f) >= numFeature) {
			return fmt.Errorf("node %d: split feature %d out of range [0,%d)", i, f, numFeature)
		}
		for _, c := range [2]int32{l, r} {
			if c <= 0 || int(c) >= n || seen[c] {
				return fmt.Errorf("node %d: bad child %d", i, c)
			}
			seen[c] = true
			stack = append(stack, c)
		}
	}
	for i, s := range seen {
		if !s {
			return fmt.Errorf("node %d is not reachable from the root", i)
		}
	}
	return nil
}

// Model is a binary logistic gradient-boosted tree ensemble.
type Model struct {
	// NumFeature is the number of input features.
	NumFeature int
	// BaseScore is the initial prediction as a probability (XGBoost's base_score).
	BaseScore float32
	// Trees are summed in order.
	Trees []Tree
	// Attributes are XGBoost learner attributes, written back as they are.
	Attributes map[string]string
	// FeatureNames are optional names of the features (empty in the reference's models).
	FeatureNames []string
}

// baseMargin is the base score in margin (log-odds) space, as float32.
func (m *Model) baseMargin() float32 {
	p := float64(m.BaseScore)
	return float32(-math.Log(1/p - 1))
}

// PredictMargin returns the raw score (log-odds) for x: the base margin plus every
// tree's leaf, summed in float32 in tree order as XGBoost does.
func (m *Model) PredictMargin(x []float32) float32 {
	s := m.baseMargin()
	for i := range m.Trees {
		s += m.Trees[i].Leaf(x)
	}
	return s
}

// Predict returns the probability of the positive class for x; NaN is a missing value.
func (m *Model) Predict(x []float32) float32 {
	return sigmoid32(m.PredictMargin(x))
}

func sigmoid32(x float32) float32 {
	return float32(1 / (1 + math.Exp(-float64(x))))
}
