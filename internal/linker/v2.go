package linker

import (
	"errors"
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/addlink/addlink/internal/gbdt"
	"github.com/addlink/addlink/internal/wikitext"
)

// V2Features are the inputs of the reference's v2 (multilingual) models, in their
// order: ngram, freq, ambig, kurtosis, w2v, jaro (the reference calls it levenshtein)
// and the wiki. Such a model records no feature names; it is told from a v1 model by
// its seven inputs, as the reference's service does. Its ngram input is computed as
// NGramTokens, not NGram, and its seventh input is 0 when serving.
var V2Features = FeatureSet{FeatureNGram, FeatureFreq, FeatureAmbig, FeatureKurtosis, FeatureW2V, FeatureJaro, FeatureWiki}

// IsV2 reports whether s is V2Features.
func (s FeatureSet) IsV2() bool { return s.equal(V2Features) }

// V2Tokens are the token options of v2 models: v2 has none of the v1 defects that
// TokenOptions can reproduce (its n-grams end at a sentence's last token, its words
// are cut by a multilingual tokenizer at every whitespace, quotes are kept), so v2
// recommendations use the fixed tokenizer whatever the caller's options.
var V2Tokens = TokenOptions{}

// ModelVersion is "v1" for a model with the reference's six inputs, "v2" for one with
// V2Features and "extended" for one that names addlink's extended features: the
// version the service logs and exports as a metric. It returns an error for a model
// this program cannot compute the inputs of (ModelFeatures).
func ModelVersion(m *gbdt.Model) (string, error) {
	s, err := ModelFeatures(m)
	if err != nil {
		return "", err
	}
	return s.Version(), nil
}

// Version is the model version of a feature set (ModelVersion).
func (s FeatureSet) Version() string {
	switch {
	case s.IsReference():
		return "v1"
	case s.IsV2():
		return "v2"
	}
	return "extended"
}

// CheckFeatureCount returns an error unless a model without feature names has six
// (v1) or seven (v2) inputs: the models the reference's service evaluates.
func CheckFeatureCount(m *gbdt.Model) error {
	if len(m.FeatureNames) == 0 && m.NumFeature != len(ReferenceFeatures) && m.NumFeature != len(V2Features) {
		return fmt.Errorf("linker: the model has %d inputs and names none: a model of the reference has %d (v1) or %d (v2)",
			m.NumFeature, len(ReferenceFeatures), len(V2Features))
	}
	return nil
}

// NGramTokens is the ngram input of v2 models: the number of word tokens of the
// mention (WordTokens with V2Tokens), leaving out whitespace tokens and tokens that
// are one punctuation character (Unicode category P). A word of a script written
// without spaces counts one per character, as its tokens are.
func NGramTokens(mention string) int {
	var toks [16]string
	n := 0
	for _, t := range appendTokens(toks[:0], mention, V2Tokens, nil) {
		if isSpaceToken(t) || punctuationToken(t) {
			continue
		}
		n++
	}
	return n
}

// punctuationToken reports whether t is one character of Unicode category P.
func punctuationToken(t string) bool {
	r, size := utf8.DecodeRuneInString(t)
	return size == len(t) && r != utf8.RuneError && unicode.IsPunct(r)
}

// findAnywhere is findWholeWord without its word boundaries, as v2 matches mentions:
// the first occurrence of w in s not preceded by "[[" or "-->", not followed by word
// characters and spaces and then "]", and not overlapping a taken span; -1 if none.
func findAnywhere(s, w string, taken []wikitext.Span) int { return findMention(s, w, taken, false) }

// ModelInputs returns what a model reading set is given for target as a link for
// mention on page, as Recommend computes it (for a v2 model: the ngram input by
// NGramTokens and the wiki input 0); ok is false when target is not a candidate of
// the mention. Features that need the page's context (Extended) are NaN.
func (d *Dict) ModelInputs(set FeatureSet, page, mention, target string) ([]float32, bool) {
	f, ok := d.Features(page, mention, target)
	if !ok {
		return nil, false
	}
	if set.IsV2() {
		f.NGram = NGramTokens(mention)
	}
	return f.AppendVector(make([]float32, 0, len(set)), set), true
}

// ErrNotV2Model is wrapped by CheckV2ModelFile's error for a file that
// is not a v2 (seven-input) model.
var ErrNotV2Model = errors.New("not a v2 (seven-input) model")

// CheckV2ModelFile checks that path is a v2 model, the kind the v2 layout holds:
// the Python service (since its v2 support) and addlink evaluate it by its number of
// inputs. A v1 model there would be computed as v1 all the same, but a model with other
// features would not be computed at all.
func CheckV2ModelFile(path string) error {
	_, set, err := ReadModelFile(path)
	if err != nil {
		return err
	}
	if !set.IsV2() {
		return fmt.Errorf("%s: %w: its inputs are %s (train one with addlink multilingual)", path, ErrNotV2Model, strings.Join(set.Names(), ", "))
	}
	return nil
}
