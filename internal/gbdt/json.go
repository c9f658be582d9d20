package gbdt

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"sort"
	"strconv"
	"strings"
)

// ErrFormat is wrapped by errors about malformed model JSON.
var ErrFormat = errors.New("gbdt: not an XGBoost binary:logistic JSON model")

type jsonTree struct {
	BaseWeights        []float64         `json:"base_weights"`
	Categories         []int             `json:"categories"`
	CategoriesNodes    []int             `json:"categories_nodes"`
	CategoriesSegments []int             `json:"categories_segments"`
	CategoriesSizes    []int             `json:"categories_sizes"`
	DefaultLeft        []int             `json:"default_left"`
	ID                 int               `json:"id"`
	LeftChildren       []int64           `json:"left_children"`
	LossChanges        []float64         `json:"loss_changes"`
	Parents            []int64           `json:"parents"`
	RightChildren      []int64           `json:"right_children"`
	SplitConditions    []float64         `json:"split_conditions"`
	SplitIndices       []int64           `json:"split_indices"`
	SplitType          []int             `json:"split_type"`
	SumHessian         []float64         `json:"sum_hessian"`
	TreeParam          map[string]string `json:"tree_param"`
}

type jsonModel struct {
	Learner struct {
		Attributes      map[string]string `json:"attributes"`
		FeatureNames    []string          `json:"feature_names"`
		FeatureTypes    []string          `json:"feature_types"`
		GradientBooster struct {
			Model struct {
				GBTreeModelParam map[string]string `json:"gbtree_model_param"`
				TreeInfo         []int             `json:"tree_info"`
				Trees            []jsonTree        `json:"trees"`
			} `json:"model"`
			Name string `json:"name"`
		} `json:"gradient_booster"`
		LearnerModelParam map[string]string `json:"learner_model_param"`
		Objective         struct {
			Name         string            `json:"name"`
			RegLossParam map[string]string `json:"reg_loss_param"`
		} `json:"objective"`
	} `json:"learner"`
	Version []int `json:"version"`
}

// ReadJSON reads a model saved by XGBoost (1.7 to 2.x) or by WriteJSON: a gbtree
// booster with the binary:logistic objective and numerical splits.
func ReadJSON(r io.Reader) (*Model, error) {
	var jm jsonModel
	dec := json.NewDecoder(r)
	if err := dec.Decode(&jm); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrFormat, err)
	}
	l := &jm.Learner
	if l.GradientBooster.Name != "gbtree" {
		return nil, fmt.Errorf("%w: booster %q (want gbtree)", ErrFormat, l.GradientBooster.Name)
	}
	if l.Objective.Name != "binary:logistic" {
		return nil, fmt.Errorf("%w: objective %q", ErrFormat, l.Objective.Name)
	}
	nf, err := strconv.Atoi(l.LearnerModelParam["num_feature"])
	if err != nil || nf <= 0 || nf > 1<<20 {
		return nil, fmt.Errorf("%w: num_feature %q", ErrFormat, l.LearnerModelParam["num_feature"])
	}
	bs, err := parseBaseScore(l.LearnerModelParam["base_score"])
	if err != nil {
		return nil, err
	}
	m := &Model{NumFeature: nf, BaseScore: bs, FeatureName: l.FeatureNames, Attributes: l.Attributes}
	for ti, jt := range l.GradientBooster.Model.Trees {
		t, err := treeFromJSON(&jt, nf)
		if err != nil {
			return nil, fmt.Errorf("%w: tree %d: %v", ErrFormat, ti, err)
		}
		m.Trees = append(m.Trees, t)
	}
	m.compile()
	return m, nil
}

// parseBaseScore reads base_score as written by XGBoost 1.x ("5E-1") or 2.x ("[5E-1]").
func parseBaseScore(s string) (float32, error) {
	s = strings.TrimSpace(s)
	s = strings.TrimSuffix(strings.TrimPrefix(s, "["), "]")
	if s == "" {
		return 0.5, nil
	}
	if i := strings.IndexByte(s, ','); i >= 0 {
		return 0, fmt.Errorf("%w: base_score %q has several values", ErrFormat, s)
	}
	v, err := strconv.ParseFloat(s, 32)
	if err != nil || v <= 0 || v >= 1 {
		return 0, fmt.Errorf("%w: base_score %q", ErrFormat, s)
	}
	return float32(v), nil
}

func treeFromJSON(jt *jsonTree, nf int) (Tree, error) {
	n := len(jt.LeftChildren)
	if n == 0 {
		return Tree{}, errors.New("no nodes")
	}
	for name, l := range map[string]int{"right_children": len(jt.RightChildren), "split_conditions": len(jt.SplitConditions),
		"split_indices": len(jt.SplitIndices), "default_left": len(jt.DefaultLeft)} {
		if l != n {
			return Tree{}, fmt.Errorf("%s has %d entries for %d nodes", name, l, n)
		}
	}
	for _, st := range jt.SplitType {
		if st != 0 {
			return Tree{}, errors.New("categorical splits are not supported")
		}
	}
	t := Tree{
		Left: make([]int32, n), Right: make([]int32, n), Parent: make([]int32, n), Feature: make([]int32, n),
		Threshold: make([]float32, n), DefaultLeft: make([]bool, n), BaseWeight: make([]float32, n),
		LossChange: make([]float32, n), SumHessian: make([]float32, n), NumFeature: nf, NumNodes: n,
	}
	for i := 0; i < n; i++ {
		l, r := jt.LeftChildren[i], jt.RightChildren[i]
		if (l == -1) != (r == -1) || l != -1 && (l <= int64(i) || l >= int64(n) || r <= int64(i) || r >= int64(n)) {
			return Tree{}, fmt.Errorf("node %d has children %d, %d", i, l, r)
		}
		f := jt.SplitIndices[i]
		if l != -1 && (f < 0 || f >= int64(nf)) {
			return Tree{}, fmt.Errorf("node %d splits on feature %d of %d", i, f, nf)
		}
		t.Left[i], t.Right[i], t.Feature[i] = int32(l), int32(r), int32(max(f, 0))
		t.Threshold[i] = float32(jt.SplitConditions[i])
		t.DefaultLeft[i] = jt.DefaultLeft[i] != 0
		if i < len(jt.Parents) {
			t.Parent[i] = int32(jt.Parents[i])
		}
		if i < len(jt.BaseWeights) {
			t.BaseWeight[i] = float32(jt.BaseWeights[i])
		}
		if i < len(jt.LossChanges) {
			t.LossChange[i] = float32(jt.LossChanges[i])
		}
		if i < len(jt.SumHessian) {
			t.SumHessian[i] = float32(jt.SumHessian[i])
		}
	}
	// Every node must be reachable exactly once from the root (no cycles or sharing).
	seen := make([]bool, n)
	stack := []int32{0}
	for len(stack) > 0 {
		i := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		if seen[i] {
			return Tree{}, fmt.Errorf("node %d is reached twice", i)
		}
		seen[i] = true
		if t.Left[i] != -1 {
			stack = append(stack, t.Left[i], t.Right[i])
		}
	}
	return t, nil
}

// WriteJSON writes the model in XGBoost's JSON format (as XGBoost 1.7.4 saves an
// XGBClassifier), loadable by XGBoost 1.7 and later. Output is deterministic.
func (m *Model) WriteJSON(w io.Writer) error {
	var b bytes.Buffer
	b.WriteString(`{"learner":{"attributes":{`)
	keys := make([]string, 0, len(m.Attributes))
	for k := range m.Attributes {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for i, k := range keys {
		if i > 0 {
			b.WriteByte(',')
		}
		writeString(&b, k)
		b.WriteByte(':')
		writeString(&b, m.Attributes[k])
	}
	b.WriteString(`},"feature_names":[`)
	for i, f := range m.FeatureName {
		if i > 0 {
			b.WriteByte(',')
		}
		writeString(&b, f)
	}
	b.WriteString(`],"feature_types":[`)
	for i := range m.FeatureName {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(`"float"`)
	}
	fmt.Fprintf(&b, `],"gradient_booster":{"model":{"gbtree_model_param":{"num_parallel_tree":"1","num_trees":"%d","size_leaf_vector":"0"},"tree_info":[`, len(m.Trees))
	for i := range m.Trees {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteByte('0')
	}
	b.WriteString(`],"trees":[`)
	for i := range m.Trees {
		if i > 0 {
			b.WriteByte(',')
		}
		m.Trees[i].writeJSON(&b, i, m.NumFeature)
	}
	fmt.Fprintf(&b, `]},"name":"gbtree"},"learner_model_param":{"base_score":"%s","boost_from_average":"1","num_class":"0","num_feature":"%d","num_target":"1"},"objective":{"name":"binary:logistic","reg_loss_param":{"scale_pos_weight":"1"}}},"version":[1,7,4]}`,
		xgbFloat(m.BaseScore), m.NumFeature)
	_, err := w.Write(b.Bytes())
	return err
}

func (t *Tree) writeJSON(b *bytes.Buffer, id, nf int) {
	floats := func(name string, v []float32) {
		fmt.Fprintf(b, `"%s":[`, name)
		for i, x := range v {
			if i > 0 {
				b.WriteByte(',')
			}
			b.WriteString(xgbFloat(x))
		}
		b.WriteString("],")
	}
	ints := func(name string, n int, f func(int) int64) {
		fmt.Fprintf(b, `"%s":[`, name)
		for i := 0; i < n; i++ {
			if i > 0 {
				b.WriteByte(',')
			}
			b.WriteString(strconv.FormatInt(f(i), 10))
		}
		b.WriteString("],")
	}
	n := len(t.Left)
	b.WriteByte('{')
	floats("base_weights", t.BaseWeight)
	b.WriteString(`"categories":[],"categories_nodes":[],"categories_segments":[],"categories_sizes":[],`)
	ints("default_left", n, func(i int) int64 {
		if t.DefaultLeft[i] {
			return 1
		}
		return 0
	})
	fmt.Fprintf(b, `"id":%d,`, id)
	ints("left_children", n, func(i int) int64 { return int64(t.Left[i]) })
	floats("loss_changes", t.LossChange)
	ints("parents", n, func(i int) int64 {
		if i == 0 {
			return math.MaxInt32
		}
		return int64(t.Parent[i])
	})
	ints("right_children", n, func(i int) int64 { return int64(t.Right[i]) })
	floats("split_conditions", t.Threshold)
	ints("split_indices", n, func(i int) int64 { return int64(t.Feature[i]) })
	ints("split_type", n, func(int) int64 { return 0 })
	floats("sum_hessian", t.SumHessian)
	fmt.Fprintf(b, `"tree_param":{"num_deleted":"0","num_feature":"%d","num_nodes":"%d","size_leaf_vector":"0"}}`, nf, n)
}

// xgbFloat formats a float32 as XGBoost's JSON writer does: the shortest digits that
// round-trip, in exponent form ("9.6393764E-1", "1.5E0"), so that every number carries
// an exponent and reads back as a float.
func xgbFloat(v float32) string {
	f := float64(v)
	switch {
	case math.IsNaN(f):
		return "NaN"
	case math.IsInf(f, 1):
		return "Infinity"
	case math.IsInf(f, -1):
		return "-Infinity"
	}
	s := strconv.FormatFloat(f, 'E', -1, 32)
	mant, exp, _ := strings.Cut(s, "E")
	e, _ := strconv.Atoi(exp)
	return mant + "E" + strconv.Itoa(e)
}

func writeString(b *bytes.Buffer, s string) {
	enc, _ := json.Marshal(s)
	b.Write(enc)
}
