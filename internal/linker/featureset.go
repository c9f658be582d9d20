package linker

import (
	"errors"
	"fmt"
	"math"
	"os"
	"strings"

	"github.com/addlink/addlink/internal/gbdt"
)

// Feature names one input of the model.
type Feature int

// The features the linker computes. The first six are the reference's, in its column
// order; the others are addlink's extended features.
const (
	FeatureNGram Feature = iota
	FeatureFreq
	FeatureAmbig
	FeatureKurtosis
	FeatureW2V
	FeatureJaro
	// FeatureLinkProb is the mention's link probability, or keyphraseness (Mihalcea and
	// Csomai 2007): how often its text is a link where it appears, aslink / (aslink +
	// astext) of <wiki>.anchors_stats.parquet.
	FeatureLinkProb
	// FeatureRelatedness is the mean Milne-Witten relatedness (2008) of the candidate
	// to the page's existing links (at most MaxContextLinks of them), from the
	// articles' in-links of <wiki>.linkgraph.parquet; missing when the page has none.
	FeatureRelatedness
	// FeaturePosition is where the mention first occurs in the text the linker is
	// given, as a fraction of the text's length in bytes (0 at the start).
	FeaturePosition
	// FeatureWiki is the seventh input of v2 (multilingual) models: the wiki a row
	// comes from, as a number (see V2Features); serving feeds 0.
	FeatureWiki
	numFeature
)

var featureNames = [numFeature]string{"ngram", "freq", "ambig", "kurtosis", "w2v", "jaro", "linkprob", "relatedness", "position", "wiki"}

// String returns the feature's name, as written in training files and models.
func (f Feature) String() string {
	if f < 0 || f >= numFeature {
		return fmt.Sprintf("Feature(%d)", int(f))
	}
	return featureNames[f]
}

// FeatureSet is the ordered list of features a model reads.
type FeatureSet []Feature

// ReferenceFeatures are the reference's six features, in its order. A model with them
// records no feature names (as the reference's models), so that the Python service
// loads it.
var ReferenceFeatures = FeatureSet{FeatureNGram, FeatureFreq, FeatureAmbig, FeatureKurtosis, FeatureW2V, FeatureJaro}

// ExtendedFeatures are the reference's six followed by every extended feature.
var ExtendedFeatures = FeatureSet{FeatureNGram, FeatureFreq, FeatureAmbig, FeatureKurtosis, FeatureW2V, FeatureJaro,
	FeatureLinkProb, FeatureRelatedness, FeaturePosition}

// ParseFeatureSet reads a feature set: "reference", "extended", or names joined by
// "," or "+", where "reference" stands for its six features ("reference+linkprob").
func ParseFeatureSet(spec string) (FeatureSet, error) {
	var s FeatureSet
	seen := map[Feature]bool{}
	add := func(f Feature) {
		if !seen[f] {
			seen[f] = true
			s = append(s, f)
		}
	}
	for _, part := range strings.FieldsFunc(spec, func(r rune) bool { return r == ',' || r == '+' }) {
		part = strings.TrimSpace(part)
		switch part {
		case "reference":
			for _, f := range ReferenceFeatures {
				add(f)
			}
			continue
		case "extended":
			for _, f := range ExtendedFeatures {
				add(f)
			}
			continue
		}
		f, ok := featureByName(part)
		if !ok {
			return nil, fmt.Errorf("unknown feature %q (known: reference, extended, %s)", part, strings.Join(featureNames[:], ", "))
		}
		add(f)
	}
	if len(s) == 0 {
		return nil, fmt.Errorf("empty feature set %q", spec)
	}
	return s, nil
}

func featureByName(name string) (Feature, bool) {
	for i, n := range featureNames {
		if n == name {
			return Feature(i), true
		}
	}
	return 0, false
}

// FeatureSetFromNames reads the feature names a model records; no names means the
// reference's six (a model without names and with seven inputs is a v2 model: see
// ModelFeatures).
func FeatureSetFromNames(names []string) (FeatureSet, error) {
	if len(names) == 0 {
		return ReferenceFeatures, nil
	}
	s := make(FeatureSet, 0, len(names))
	for _, n := range names {
		f, ok := featureByName(n)
		if !ok {
			return nil, fmt.Errorf("linker: the model reads a feature this program does not compute: %q", n)
		}
		s = append(s, f)
	}
	return s, nil
}

// ModelFeatures returns the features a model reads, from the names in its JSON
// (learner.feature_names): none for the reference's six, and checks that the model has
// as many inputs.
func ModelFeatures(m *gbdt.Model) (FeatureSet, error) {
	if len(m.FeatureNames) == 0 && m.NumFeature == len(V2Features) {
		return V2Features, nil
	}
	s, err := FeatureSetFromNames(m.FeatureNames)
	if err != nil {
		return nil, err
	}
	if m.NumFeature != len(s) {
		return nil, fmt.Errorf("linker: the model has %d inputs but names %d features (%s)", m.NumFeature, len(s), s)
	}
	return s, nil
}

// ServiceCompatible returns an error unless the model reads exactly the reference's
// six features, the only ones the Python link-recommendation service computes.
func ServiceCompatible(m *gbdt.Model) error {
	s, err := ModelFeatures(m)
	if err != nil {
		return err
	}
	r, err := ModelCandidates(m)
	if err != nil {
		return err
	}
	if !r.IsReference() {
		return fmt.Errorf("the model finds candidates by the rules %s; the Python link-recommendation service applies only the reference's: train with --features reference --candidates reference to publish, or serve this one with addlink", r)
	}
	if s.IsV2() {
		return fmt.Errorf("the model is a v2 (seven-input) model: a consumer of the v1 layout would compute its inputs as v1's (the Python service before v2 support); export and publish write v1 models only")
	}
	if !s.IsReference() {
		return fmt.Errorf("the model reads the features %s; the Python link-recommendation service computes only the reference's six (%s): train with --features reference to publish, or serve this one with addlink",
			strings.Join(s.Names(), ", "), strings.Join(ReferenceFeatures.Names(), ", "))
	}
	return nil
}

// Names returns the features' names.
func (s FeatureSet) Names() []string {
	out := make([]string, len(s))
	for i, f := range s {
		out[i] = f.String()
	}
	return out
}

// ModelNames returns the names a model with these features records: none for the
// reference's six and for V2Features (the reference's models carry none; the Python
// service tells them apart by their number of inputs), the names otherwise.
func (s FeatureSet) ModelNames() []string {
	if s.IsReference() || s.IsV2() {
		return nil
	}
	return s.Names()
}

// String returns "reference", "extended" or the names joined by ",".
func (s FeatureSet) String() string {
	switch {
	case s.IsReference():
		return "reference"
	case s.IsV2():
		return "v2"
	case s.equal(ExtendedFeatures):
		return "extended"
	}
	return strings.Join(s.Names(), ",")
}

// IsReference reports whether s is the reference's six features in its order.
func (s FeatureSet) IsReference() bool { return s.equal(ReferenceFeatures) }

func (s FeatureSet) equal(t FeatureSet) bool {
	if len(s) != len(t) {
		return false
	}
	for i := range s {
		if s[i] != t[i] {
			return false
		}
	}
	return true
}

// Has reports whether f is in s.
func (s FeatureSet) Has(f Feature) bool {
	for _, g := range s {
		if g == f {
			return true
		}
	}
	return false
}

// Extended reports whether s reads a feature beyond the reference's six that needs
// the page's context or extra datasets (the wiki feature of v2 models does not).
func (s FeatureSet) Extended() bool {
	for _, f := range s {
		if f > FeatureJaro && f != FeatureWiki {
			return true
		}
	}
	return false
}

// Value returns one feature of f as the model reads it (NaN when missing).
func (f Features) Value(x Feature) float32 {
	switch x {
	case FeatureNGram:
		return float32(f.NGram)
	case FeatureFreq:
		return float32(f.Freq)
	case FeatureAmbig:
		return float32(f.Ambig)
	case FeatureKurtosis:
		return float32(f.Kurtosis)
	case FeatureW2V:
		return f.W2V
	case FeatureJaro:
		return float32(f.Jaro)
	case FeatureLinkProb:
		return float32(f.LinkProb)
	case FeatureRelatedness:
		return float32(f.Relatedness)
	case FeaturePosition:
		return float32(f.Position)
	case FeatureWiki:
		return float32(f.Wiki)
	}
	return float32(math.NaN())
}

// AppendVector appends the features of set to dst, in the set's order.
func (f Features) AppendVector(dst []float32, set FeatureSet) []float32 {
	for _, x := range set {
		dst = append(dst, f.Value(x))
	}
	return dst
}

// featureSetOf is the feature set a scorer reads: a *gbdt.Model's from its feature
// names, a FeatureScorer's own, the reference's otherwise.
func featureSetOf(s Scorer) (FeatureSet, error) {
	switch m := s.(type) {
	case FeatureScorer:
		return m.Features(), nil
	case *gbdt.Model:
		return ModelFeatures(m)
	}
	return ReferenceFeatures, nil
}

// FeatureScorer is a Scorer that says which features it reads (a wrapper of a model
// should implement it and return ModelFeatures of the model).
type FeatureScorer interface {
	Scorer
	Features() FeatureSet
}

// ErrNotServiceModel is wrapped by the error of CheckServiceModelFile for a model with
// features the Python service does not compute.
var ErrNotServiceModel = errors.New("not a model the Python link-recommendation service can use")

// CheckServiceModelFile reads a model file and returns an error wrapping
// ErrNotServiceModel when it reads features other than the reference's six (or
// features this program does not know): export and publish call it so that a model
// with extended features is never published as one the Python service loads. A file
// that is not a model at all gives an error that does not wrap ErrNotServiceModel.
func CheckServiceModelFile(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	m, err := gbdt.ReadJSON(f)
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	if err := ServiceCompatible(m); err != nil {
		return fmt.Errorf("%s: %w: %w", path, ErrNotServiceModel, err)
	}
	return nil
}

// Datasets returns the datasets beyond the reference's four (datasets.DatasetNames)
// that the features of s read, in the order of datasets.ExtendedDatasetNames:
// anchors_stats for linkprob, linkgraph for relatedness. Dict.LoadExtended and
// LoadExtendedSQLite read them.
func (s FeatureSet) Datasets() []string {
	var out []string
	if s.Has(FeatureLinkProb) {
		out = append(out, "anchors_stats")
	}
	if s.Has(FeatureRelatedness) {
		out = append(out, "linkgraph")
	}
	return out
}

// ReadModelFile reads a model file with the features it reads.
func ReadModelFile(path string) (*gbdt.Model, FeatureSet, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, nil, err
	}
	defer f.Close()
	m, err := gbdt.ReadJSON(f)
	if err != nil {
		return nil, nil, fmt.Errorf("%s: %w", path, err)
	}
	set, err := ModelFeatures(m)
	if err != nil {
		return nil, nil, fmt.Errorf("%s: %w", path, err)
	}
	return m, set, nil
}
