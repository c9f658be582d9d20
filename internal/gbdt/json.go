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

// ErrFormat is wrapped by every error about a malformed model file.
var ErrFormat = errors.New("gbdt: malformed XGBoost JSON model")

// rootParent is how XGBoost writes the parent of the root node.
const rootParent = 2147483647

// maxFeatures bounds num_feature in models we read.
const maxFeatures = 1 << 20

// jsonVersion is the XGBoost version written into models; XGBoost 1.7 to 2.x load it.
var jsonVersion = [3]int{1, 7, 4}

type jsonModel struct {
	Learner struct {
		Attributes      map[string]string `json:"attributes"`
		FeatureNames    []string          `json:"feature_names"`
		GradientBooster struct {
			Name  string `json:"name"`
			Model struct {
				Trees []jsonTree `json:"trees"`
			} `json:"model"`
		} `json:"gradient_booster"`
		LearnerModelParam struct {
			BaseScore  string `json:"base_score"`
			NumClass   string `json:"num_class"`
			NumFeature string `json:"num_feature"`
		} `json:"learner_model_param"`
		Objective struct {
			Name string `json:"name"`
		} `json:"objective"`
	} `json:"learner"`
	Version []int `json:"version"`
}

type jsonTree struct {
	Left           []int32         `json:"left_children"`
	Right          []int32         `json:"right_children"`
	Parent         []int64         `json:"parents"`
	SplitIndex     []int32         `json:"split_indices"`
	SplitCondition []float32       `json:"split_conditions"`
	DefaultLeft    []flag          `json:"default_left"`
	BaseWeight     []float32       `json:"base_weights"`
	LossChange     []float32       `json:"loss_changes"`
	SumHessian     []float32       `json:"sum_hessian"`
	SplitType      []int           `json:"split_type"`
	Categories     json.RawMessage `json:"categories"`
}

// flag is a boolean written as 0/1 (XGBoost 1.x) or true/false.
type flag bool

func (f *flag) UnmarshalJSON(b []byte) error {
	switch string(b) {
	case "0", "false":
		*f = false
	case "1", "true":
		*f = true
	default:
		return fmt.Errorf("default_left value %s is not 0, 1, true or false", b)
	}
	return nil
}

// parseBaseScore reads base_score as XGBoost 1.x ("5E-1") or 2.x ("[5E-1]") writes it.
func parseBaseScore(s string) (float32, error) {
	s = strings.TrimSpace(s)
	if strings.HasPrefix(s, "[") && strings.HasSuffix(s, "]") {
		s = strings.TrimSpace(s[1 : len(s)-1])
		if strings.Contains(s, ",") {
			return 0, fmt.Errorf("base_score %q has several values (multi-target models are not supported)", s)
		}
	}
	v, err := strconv.ParseFloat(s, 32)
	if err != nil {
		return 0, fmt.Errorf("base_score %q: %w", s, err)
	}
	if !(v > 0 && v < 1) {
		return 0, fmt.Errorf("base_score %v is not a probability in (0,1)", v)
	}
	return float32(v), nil
}

// ReadJSON reads a binary:logistic gbtree model in XGBoost's JSON format, as written by
// XGBoost 1.7 to 2.x or by WriteJSON.
func ReadJSON(r io.Reader) (*Model, error) {
	var jm jsonModel
	dec := json.NewDecoder(r)
	if err := dec.Decode(&jm); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrFormat, err)
	}
	l := &jm.Learner
	if name := l.Objective.Name; name != "binary:logistic" && name != "reg:logistic" {
		return nil, fmt.Errorf("%w: objective %q, want binary:logistic", ErrFormat, name)
	}
	if l.GradientBooster.Name != "gbtree" {
		return nil, fmt.Errorf("%w: booster %q, want gbtree", ErrFormat, l.GradientBooster.Name)
	}
	if nc := l.LearnerModelParam.NumClass; nc != "" && nc != "0" && nc != "1" {
		return nil, fmt.Errorf("%w: num_class %s, want a binary model", ErrFormat, nc)
	}
	m := &Model{Attributes: l.Attributes, FeatureNames: l.FeatureNames}
	nf, err := strconv.Atoi(l.LearnerModelParam.NumFeature)
	if err != nil || nf < 0 || nf > maxFeatures {
		return nil, fmt.Errorf("%w: num_feature %q", ErrFormat, l.LearnerModelParam.NumFeature)
	}
	m.NumFeature = nf
	if m.BaseScore, err = parseBaseScore(l.LearnerModelParam.BaseScore); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrFormat, err)
	}
	for i, jt := range l.GradientBooster.Model.Trees {
		t := Tree{Left: jt.Left, Right: jt.Right, SplitIndex: jt.SplitIndex,
			SplitCondition: jt.SplitCondition, BaseWeight: jt.BaseWeight,
			LossChange: jt.LossChange, SumHessian: jt.SumHessian}
		t.Parent = make([]int32, len(jt.Parent))
		for j, p := range jt.Parent {
			if p == rootParent || p < 0 {
				p = -1
			}
			if p >= math.MaxInt32 {
				return nil, fmt.Errorf("%w: tree %d: parent %d out of range", ErrFormat, i, p)
			}
			t.Parent[j] = int32(p)
		}
		t.DefaultLeft = make([]bool, len(jt.DefaultLeft))
		for j, d := range jt.DefaultLeft {
			t.DefaultLeft[j] = bool(d)
		}
		for j, st := range jt.SplitType {
			if st != 0 && j < len(t.Left) && t.Left[j] != -1 {
				return nil, fmt.Errorf("%w: tree %d node %d: categorical splits are not supported", ErrFormat, i, j)
			}
		}
		if err := t.check(nf); err != nil {
			return nil, fmt.Errorf("%w: tree %d: %w", ErrFormat, i, err)
		}
		m.Trees = append(m.Trees, t)
	}
	return m, nil
}

// appendFloat writes f the way XGBoost does: the shortest representation that reads
// back as the same float32, with an exponent ("-1.5339754E0", "8E-1", "-0E0").
func appendFloat(b []byte, f float32) []byte {
	if math.IsNaN(float64(f)) || math.IsInf(float64(f), 0) {
		// JSON has no NaN or infinity; training never produces them.
		panic(fmt.Sprintf("gbdt: non-finite value %v in a model", f))
	}
	s := strconv.FormatFloat(float64(f), 'E', -1, 32)
	i := strings.IndexByte(s, 'E')
	b = append(b, s[:i+1]...)
	exp := s[i+1:]
	if exp[0] == '+' {
		exp = exp[1:]
	} else if exp[0] == '-' {
		b = append(b, '-')
		exp = exp[1:]
	}
	exp = strings.TrimLeft(exp, "0")
	if exp == "" {
		exp = "0"
	}
	return append(b, exp...)
}

type jsonWriter struct{ b []byte }

func (w *jsonWriter) raw(s string) { w.b = append(w.b, s...) }
func (w *jsonWriter) str(s string) {
	q, _ := json.Marshal(s) // a string always marshals
	w.b = append(w.b, q...)
}
func (w *jsonWriter) key(k string) { w.str(k); w.b = append(w.b, ':') }

func (w *jsonWriter) ints(v []int32) {
	w.b = append(w.b, '[')
	for i, x := range v {
		if i > 0 {
			w.b = append(w.b, ',')
		}
		w.b = strconv.AppendInt(w.b, int64(x), 10)
	}
	w.b = append(w.b, ']')
}

func (w *jsonWriter) floats(v []float32) {
	w.b = append(w.b, '[')
	for i, x := range v {
		if i > 0 {
			w.b = append(w.b, ',')
		}
		w.b = appendFloat(w.b, x)
	}
	w.b = append(w.b, ']')
}

// MarshalJSON returns m in XGBoost's JSON model format (version 1.7.4, keys sorted as
// XGBoost writes them), loadable by XGBoost's Booster.load_model and
// XGBClassifier.load_model. The output depends only on m.
func (m *Model) MarshalJSON() ([]byte, error) {
	for i := range m.Trees {
		t := &m.Trees[i]
		if err := t.check(m.NumFeature); err != nil {
			return nil, fmt.Errorf("gbdt: tree %d: %w", i, err)
		}
		for _, v := range [][]float32{t.SplitCondition, t.BaseWeight, t.LossChange, t.SumHessian} {
			for _, x := range v {
				if math.IsNaN(float64(x)) || math.IsInf(float64(x), 0) {
					return nil, fmt.Errorf("gbdt: tree %d has a non-finite value %v", i, x)
				}
			}
		}
	}
	if !(m.BaseScore > 0 && m.BaseScore < 1) {
		return nil, fmt.Errorf("gbdt: base score %v is not a probability in (0,1)", m.BaseScore)
	}
	w := &jsonWriter{}
	nf := strconv.Itoa(m.NumFeature)
	w.raw(`{"learner":{"attributes":{`)
	keys := make([]string, 0, len(m.Attributes))
	for k := range m.Attributes {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for i, k := range keys {
		if i > 0 {
			w.raw(",")
		}
		w.key(k)
		w.str(m.Attributes[k])
	}
	w.raw(`},"feature_names":[`)
	for i, n := range m.FeatureNames {
		if i > 0 {
			w.raw(",")
		}
		w.str(n)
	}
	w.raw(`],"feature_types":[`)
	for i := range m.FeatureNames {
		if i > 0 {
			w.raw(",")
		}
		w.str("float")
	}
	w.raw(`],"gradient_booster":{"model":{"gbtree_model_param":{"num_parallel_tree":"1","num_trees":"`)
	w.raw(strconv.Itoa(len(m.Trees)))
	w.raw(`","size_leaf_vector":"0"},"tree_info":[`)
	for i := range m.Trees {
		if i > 0 {
			w.raw(",")
		}
		w.raw("0")
	}
	w.raw(`],"trees":[`)
	for i := range m.Trees {
		if i > 0 {
			w.raw(",")
		}
		m.Trees[i].writeJSON(w, i, nf)
	}
	w.raw(`]},"name":"gbtree"},"learner_model_param":{"base_score":"`)
	w.b = appendFloat(w.b, m.BaseScore)
	w.raw(`","boost_from_average":"0","num_class":"0","num_feature":"`)
	w.raw(nf)
	w.raw(`","num_target":"1"},"objective":{"name":"binary:logistic","reg_loss_param":{"scale_pos_weight":"1"}}},"version":[`)
	for i, v := range jsonVersion {
		if i > 0 {
			w.raw(",")
		}
		w.raw(strconv.Itoa(v))
	}
	w.raw("]}")
	return w.b, nil
}

func (t *Tree) writeJSON(w *jsonWriter, id int, nf string) {
	n := t.NumNodes()
	w.raw(`{"base_weights":`)
	w.floats(t.BaseWeight)
	w.raw(`,"categories":[],"categories_nodes":[],"categories_segments":[],"categories_sizes":[],"default_left":[`)
	for i, d := range t.DefaultLeft {
		if i > 0 {
			w.raw(",")
		}
		if d {
			w.raw("1")
		} else {
			w.raw("0")
		}
	}
	w.raw(`],"id":`)
	w.raw(strconv.Itoa(id))
	w.raw(`,"left_children":`)
	w.ints(t.Left)
	w.raw(`,"loss_changes":`)
	w.floats(t.LossChange)
	w.raw(`,"parents":[`)
	for i, p := range t.Parent {
		if i > 0 {
			w.raw(",")
		}
		if p < 0 {
			w.raw(strconv.Itoa(rootParent))
		} else {
			w.b = strconv.AppendInt(w.b, int64(p), 10)
		}
	}
	w.raw(`],"right_children":`)
	w.ints(t.Right)
	w.raw(`,"split_conditions":`)
	w.floats(t.SplitCondition)
	w.raw(`,"split_indices":`)
	w.ints(t.SplitIndex)
	w.raw(`,"split_type":[`)
	for i := 0; i < n; i++ {
		if i > 0 {
			w.raw(",")
		}
		w.raw("0")
	}
	w.raw(`],"sum_hessian":`)
	w.floats(t.SumHessian)
	w.raw(`,"tree_param":{"num_deleted":"0","num_feature":"`)
	w.raw(nf)
	w.raw(`","num_nodes":"`)
	w.raw(strconv.Itoa(n))
	w.raw(`","size_leaf_vector":"0"}}`)
}

// WriteJSON writes m to w in XGBoost's JSON model format (see MarshalJSON).
func (m *Model) WriteJSON(w io.Writer) error {
	b, err := m.MarshalJSON()
	if err != nil {
		return err
	}
	_, err = io.Copy(w, bytes.NewReader(b))
	return err
}
