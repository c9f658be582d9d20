package linker

import (
	"fmt"
	"math"
	"sort"
	"strings"

	"github.com/addlink/addlink/internal/gbdt"
)

// CandidateRules say which mentions of a page are considered and which targets they
// get, beyond the reference's rules (the zero value): the mention is an anchor of the
// dictionary, and every mention contained in the page's own title counts as linked.
// A model trained with other rules records them (CandidatesAttribute) so that every
// caller of Recommend and TrainingRows applies the same ones.
type CandidateRules struct {
	// ExactTitle: the page's own title blocks only the mention equal to it, not the
	// mentions it contains ("Ohio" stays a mention on the page "Lá cờ Ohio").
	ExactTitle bool
	// Titles: an article's title (lower-cased as anchors are) is a mention with the
	// article as its one candidate when the dictionary has no such anchor (an anchor
	// the dictionary drops: linked once, a year, a link probability below 0.065).
	Titles bool
	// Redirects: a redirect's title is, likewise, a mention of the article it leads to.
	Redirects bool
}

// ReferenceCandidates are the reference's rules.
var ReferenceCandidates = CandidateRules{}

// ExtendedCandidates are the rules the extended mode uses (chosen by measurement,
// docs/features.md).
var ExtendedCandidates = CandidateRules{Titles: true}

// CandidatesAttribute is the model attribute (XGBoost learner.attributes) that
// records a model's candidate rules; a model without it uses the reference's.
const CandidatesAttribute = "addlink_candidates"

var candidateRuleNames = []string{"exacttitle", "titles", "redirects"}

func (r *CandidateRules) field(name string) *bool {
	switch name {
	case "exacttitle":
		return &r.ExactTitle
	case "titles":
		return &r.Titles
	case "redirects":
		return &r.Redirects
	}
	return nil
}

// ParseCandidateRules reads candidate rules: "reference" (none), "extended"
// (ExtendedCandidates), or rule names (exacttitle, titles, redirects) joined by "+"
// or ",", which may start with "reference" or "extended".
func ParseCandidateRules(spec string) (CandidateRules, error) {
	var r CandidateRules
	parts := strings.FieldsFunc(spec, func(c rune) bool { return c == ',' || c == '+' })
	if len(parts) == 0 {
		return r, fmt.Errorf("empty candidate rules %q", spec)
	}
	for _, p := range parts {
		p = strings.TrimSpace(p)
		switch p {
		case "reference":
			continue
		case "extended":
			e := ExtendedCandidates
			r.ExactTitle = r.ExactTitle || e.ExactTitle
			r.Titles = r.Titles || e.Titles
			r.Redirects = r.Redirects || e.Redirects
			continue
		}
		f := r.field(p)
		if f == nil {
			return r, fmt.Errorf("unknown candidate rule %q (known: reference, extended, %s)", p, strings.Join(candidateRuleNames, ", "))
		}
		*f = true
	}
	return r, nil
}

// IsReference reports whether r are the reference's rules.
func (r CandidateRules) IsReference() bool { return r == ReferenceCandidates }

// String returns "reference" or the rules' names joined by "," (the form the model
// records; ParseCandidateRules reads it).
func (r CandidateRules) String() string {
	if r.IsReference() {
		return "reference"
	}
	var names []string
	for _, n := range candidateRuleNames {
		if *r.field(n) {
			names = append(names, n)
		}
	}
	return strings.Join(names, ",")
}

// SetModelCandidates records r in the model's attributes (nothing for the
// reference's rules, so that such a model stays as it was).
func SetModelCandidates(m *gbdt.Model, r CandidateRules) {
	if r.IsReference() {
		delete(m.Attributes, CandidatesAttribute)
		return
	}
	if m.Attributes == nil {
		m.Attributes = map[string]string{}
	}
	m.Attributes[CandidatesAttribute] = r.String()
}

// ModelCandidates returns the candidate rules a model records (the reference's when
// it records none).
func ModelCandidates(m *gbdt.Model) (CandidateRules, error) {
	s, ok := m.Attributes[CandidatesAttribute]
	if !ok {
		return ReferenceCandidates, nil
	}
	r, err := ParseCandidateRules(s)
	if err != nil {
		return r, fmt.Errorf("linker: the model's %s: %w", CandidatesAttribute, err)
	}
	return r, nil
}

// CandidateScorer is a Scorer that says which candidate rules it was trained with (a
// wrapper of a model with rules other than the reference's must implement it and
// return ModelCandidates of the model).
type CandidateScorer interface {
	Scorer
	Candidates() CandidateRules
}

// candidateRulesOf is the candidate rules of a scorer: a *gbdt.Model's from its
// attributes, a CandidateScorer's own, the reference's otherwise.
func candidateRulesOf(s Scorer) (CandidateRules, error) {
	switch m := s.(type) {
	case CandidateScorer:
		return m.Candidates(), nil
	case *gbdt.Model:
		return ModelCandidates(m)
	}
	return ReferenceCandidates, nil
}

// ScorerCandidates returns the candidate rules a scorer applies (see CandidateScorer).
func ScorerCandidates(s Scorer) (CandidateRules, error) { return candidateRulesOf(s) }

// titleRules are the rules that add mentions to the dictionary's.
func (r CandidateRules) titleRules() CandidateRules {
	return CandidateRules{Titles: r.Titles, Redirects: r.Redirects}
}

// Mention returns the dictionary's entry for a (lower-cased) mention under the rules:
// the anchor's, or when the dictionary has none and the rules add titles or
// redirects, the one built from them (extra true). Safe for concurrent use.
func (d *Dict) Mention(mention string, r CandidateRules) (m *Mention, extra bool) {
	return d.mentions(r).get(mention)
}

// PrepareCandidates builds the mentions the rules add (they are otherwise built on the
// first look-up), so that a server pays for it when it loads a wiki: a map entry per
// article title (and redirect) that the dictionary has no anchor for.
func (d *Dict) PrepareCandidates(r CandidateRules) { d.mentions(r) }

// mentionLookup finds mentions under some rules without locking (Dict.mentions): in
// the dictionary's anchors, or in one map of the anchors and the mentions the rules
// add (one look-up for the many n-grams that are neither).
type mentionLookup struct {
	all map[string]*Mention
	// index, when set, is the dictionary's (the reference's rules only).
	index *Dict
}

// find returns the entry of a mention, nil when it is none.
func (l mentionLookup) find(mention []byte) *Mention {
	if l.index != nil {
		return l.index.anchor(mention)
	}
	return l.all[string(mention)]
}

func (l mentionLookup) get(mention string) (*Mention, bool) {
	m := l.find([]byte(mention))
	return m, m != nil && m.added
}

// mentions returns the lookup of the mentions under the rules, for many lookups.
func (d *Dict) mentions(r CandidateRules) mentionLookup {
	if tr := r.titleRules(); !tr.IsReference() {
		return mentionLookup{all: d.titleMentions(tr)}
	}
	if d.index != nil {
		return mentionLookup{index: d}
	}
	return mentionLookup{all: d.Anchors}
}

// titleMentions returns (building once) the dictionary's anchors and the mentions the
// rules add (Mention.added): the normalised article titles and redirect titles the
// dictionary has no anchor for, each with the articles they name as candidates with a
// count of 0 (never linked with that text as far as the dictionary knows), ordered by
// title.
func (d *Dict) titleMentions(r CandidateRules) map[string]*Mention {
	d.titleMu.Lock()
	defer d.titleMu.Unlock()
	if m, ok := d.titles[r]; ok {
		return m
	}
	out := map[string]*Mention{}
	add := func(text, target string) {
		k := NormalizeMention(text, d.Lower)
		if k == "" || d.Anchors[k] != nil {
			return
		}
		m := out[k]
		if m == nil {
			m = &Mention{LinkProb: math.NaN(), added: true}
			if lp, ok := d.otherLinkProbs[k]; ok {
				m.LinkProb = lp
			}
			out[k] = m
		}
		if _, ok := m.Freq(target); !ok {
			m.Candidates = append(m.Candidates, Candidate{Title: target})
		}
	}
	if r.Titles {
		for t := range d.PageIDs {
			add(t, t)
		}
	}
	if r.Redirects {
		for from, to := range d.Redirects {
			if _, ok := d.PageIDs[to]; ok {
				add(from, to)
			}
		}
	}
	kurtosis := map[int]float64{} // of n zeros
	for _, m := range out {
		sort.Slice(m.Candidates, func(i, j int) bool { return m.Candidates[i].Title < m.Candidates[j].Title })
		k, ok := kurtosis[len(m.Candidates)]
		if !ok {
			k = Kurtosis(make([]int64, len(m.Candidates)))
			kurtosis[len(m.Candidates)] = k
		}
		m.Kurtosis = k
		if len(m.Candidates) >= indexFrom {
			m.index = make(map[string]int, len(m.Candidates))
			for i, c := range m.Candidates {
				m.index[c.Title] = i
			}
		}
	}
	for a, m := range d.Anchors {
		out[a] = m
	}
	if d.titles == nil {
		d.titles = map[CandidateRules]map[string]*Mention{}
	}
	d.titles[r] = out
	return out
}
