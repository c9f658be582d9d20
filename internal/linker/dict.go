package linker

import (
	"encoding/binary"
	"math"
	"sort"
	"sync"

	"github.com/addlink/addlink/datasets"
	"github.com/addlink/addlink/internal/wikitext"
)

// Candidate is one target of an anchor with its number of links.
type Candidate struct {
	Title string
	Count int64
}

// Mention is an anchor of the dictionary with its candidates, most linked first (ties
// by title), and the features that depend only on the anchor.
type Mention struct {
	Candidates []Candidate
	Kurtosis   float64
	// LinkProb is the anchor's link probability (FeatureLinkProb), NaN until
	// Dict.LoadExtended reads it.
	LinkProb float64
	index    map[string]int // title -> position in Candidates, for long lists (NewDict)
	added    bool           // added by CandidateRules, not an anchor of the dictionary
}

// indexFrom is the length from which NewDict indexes a mention's candidates by title.
const indexFrom = 9

// Freq returns the number of links from the mention to title, and whether it is a
// candidate. It only reads the mention: stages call it from several goroutines.
func (m *Mention) Freq(title string) (int64, bool) {
	if m.index == nil {
		for _, c := range m.Candidates {
			if c.Title == title {
				return c.Count, true
			}
		}
		return 0, false
	}
	i, ok := m.index[title]
	if !ok {
		return 0, false
	}
	return m.Candidates[i].Count, true
}

// Dict holds a wiki's datasets as the linker uses them.
type Dict struct {
	Anchors   map[string]*Mention
	PageIDs   map[string]int64
	Redirects map[string]string
	Vectors   map[string][]float32
	// Lower lower-cases text the way the dictionary's anchors were lower-cased.
	Lower func(string) string
	// Graph is the link graph the relatedness feature reads (Dict.LoadExtended); nil
	// until loaded.
	Graph *LinkGraph
	// linkProbs says whether SetLinkProbs ran; otherLinkProbs are the link
	// probabilities of the anchors the dictionary dropped, for the mentions that
	// CandidateRules add (titleMentions).
	linkProbs      bool
	otherLinkProbs map[string]float64
	titleMu        sync.Mutex
	titles         map[CandidateRules]map[string]*Mention
	// index, when set, holds the four datasets instead of the maps (NewIndexDict).
	index *datasets.ServeIndex
}

// NewDict builds a Dict from dataset rows. Vectors may be nil.
func NewDict(anchors []datasets.Anchor, pageids []datasets.PageID, redirects []datasets.Redirect, vectors []datasets.Embedding) *Dict {
	d := &Dict{
		Anchors:   make(map[string]*Mention, len(anchors)/2),
		PageIDs:   make(map[string]int64, len(pageids)),
		Redirects: make(map[string]string, len(redirects)),
		Vectors:   make(map[string][]float32, len(vectors)),
		Lower:     wikitext.Lower,
	}
	for _, a := range anchors {
		m := d.Anchors[a.Anchor]
		if m == nil {
			m = &Mention{LinkProb: math.NaN()}
			d.Anchors[a.Anchor] = m
		}
		m.Candidates = append(m.Candidates, Candidate{a.Target, a.N})
	}
	counts := []int64{}
	for _, m := range d.Anchors {
		sort.Slice(m.Candidates, func(i, j int) bool {
			a, b := m.Candidates[i], m.Candidates[j]
			if a.Count != b.Count {
				return a.Count > b.Count
			}
			return a.Title < b.Title
		})
		counts = counts[:0]
		for _, c := range m.Candidates {
			counts = append(counts, c.Count)
		}
		m.Kurtosis = Kurtosis(counts)
		if len(m.Candidates) >= indexFrom {
			m.index = make(map[string]int, len(m.Candidates))
			for i, c := range m.Candidates {
				m.index[c.Title] = i
			}
		}
	}
	for _, p := range pageids {
		d.PageIDs[p.Title] = p.PageID
	}
	for _, r := range redirects {
		d.Redirects[r.From] = r.To
	}
	for _, v := range vectors {
		d.Vectors[v.Title] = v.Vector
	}
	return d
}

// LoadDict reads a wiki's anchors, page ids, redirects and (when present) embeddings.
func LoadDict(l datasets.Layout, withVectors bool) (*Dict, error) {
	anchors, err := datasets.ReadParquet[datasets.Anchor](l.Anchors())
	if err != nil {
		return nil, err
	}
	pageids, err := datasets.ReadParquet[datasets.PageID](l.PageIDs())
	if err != nil {
		return nil, err
	}
	redirects, err := datasets.ReadParquet[datasets.Redirect](l.Redirects())
	if err != nil {
		return nil, err
	}
	var vectors []datasets.Embedding
	if withVectors {
		if vectors, err = datasets.ReadParquet[datasets.Embedding](l.Embeddings()); err != nil {
			return nil, err
		}
	}
	d := NewDict(anchors, pageids, redirects, vectors)
	d.Lower = wikitext.LowerFor(datasets.Language(l.Wiki))
	return d, nil
}

// Resolve follows one redirect, as the reference does.
func (d *Dict) Resolve(title string) string {
	if d.index != nil {
		if v, ok := d.index.LookupString(datasets.IndexRedirects, title); ok {
			return string(v)
		}
		return title
	}
	if t, ok := d.Redirects[title]; ok {
		return t
	}
	return title
}

// PageID returns the page id of an article title, and whether it is one.
func (d *Dict) PageID(title string) (int64, bool) {
	if d.index != nil {
		v, ok := d.index.LookupString(datasets.IndexPageIDs, title)
		if !ok {
			return 0, false
		}
		id, n := binary.Varint(v)
		return id, n > 0
	}
	id, ok := d.PageIDs[title]
	return id, ok
}

// vector returns the embedding of a title (nil when it has none).
func (d *Dict) vector(title string) []float32 {
	if d.index != nil {
		v, ok := d.index.LookupString(datasets.IndexVectors, title)
		if !ok {
			return nil
		}
		return datasets.DecodeVectorValue(v)
	}
	return d.Vectors[title]
}

// anchor returns the entry of an anchor of the dictionary, nil when it is none.
func (d *Dict) anchor(key []byte) *Mention {
	if d.index == nil {
		return d.Anchors[string(key)]
	}
	v, ok := d.index.Lookup(datasets.IndexAnchors, key)
	if !ok {
		return nil
	}
	m := &Mention{LinkProb: math.NaN()}
	k, _, err := datasets.DecodeAnchorValue(v, func(title []byte, count int64) {
		m.Candidates = append(m.Candidates, Candidate{string(title), count})
	})
	if err != nil {
		return nil
	}
	m.Kurtosis = k
	return m
}

// AnchorCount is the number of anchors of the dictionary.
func (d *Dict) AnchorCount() int {
	if d.index != nil {
		return d.index.Count(datasets.IndexAnchors)
	}
	return len(d.Anchors)
}

// Indexed reports whether the dictionary reads a serving index (NewIndexDict).
func (d *Dict) Indexed() bool { return d.index != nil }

// NewIndexDict returns a dictionary that reads its four datasets from a serving index
// (datasets.OpenServeIndex) instead of holding them: its maps are empty, and only
// what recommending with the reference's candidate rules and the reference's features
// reads works (OpenWikiIndex checks the model). The index must stay open while the
// dictionary is used.
func NewIndexDict(ix *datasets.ServeIndex, lower func(string) string) *Dict {
	return &Dict{index: ix, Lower: lower}
}

// Features are the model's inputs for one (page, mention, target) candidate: the
// reference's six, in its column order, then the extended ones (NaN when not computed).
type Features struct {
	NGram    int
	Freq     int64
	Ambig    int
	Kurtosis float64
	W2V      float32
	Jaro     float64
	// LinkProb, Relatedness and Position are FeatureLinkProb, FeatureRelatedness and
	// FeaturePosition.
	LinkProb, Relatedness, Position float64
	// Wiki is FeatureWiki: the number of the wiki a training row comes from in a
	// multilingual model's training (WikiCode), 0 when serving, as the reference does.
	Wiki float64
}

// Vector returns the features as the model reads them.
func (f Features) Vector() []float32 {
	return []float32{float32(f.NGram), float32(f.Freq), float32(f.Ambig), float32(f.Kurtosis), f.W2V, float32(f.Jaro)}
}

// Features computes the features of target as a link for mention on page; the
// context-dependent ones (relatedness, position) are NaN (see FeaturesAt). ok is false
// when target is not a candidate of the mention.
func (d *Dict) Features(page, mention, target string) (Features, bool) {
	return d.featuresOf(d.anchor([]byte(mention)), page, mention, target)
}

// featuresOf is Features with the mention's entry m (Dict.Mention).
func (d *Dict) featuresOf(m *Mention, page, mention, target string) (Features, bool) {
	if m == nil {
		return Features{}, false
	}
	freq, ok := m.Freq(target)
	if !ok {
		return Features{}, false
	}
	return Features{
		NGram:    NGram(mention),
		Freq:     freq,
		Ambig:    len(m.Candidates),
		Kurtosis: m.Kurtosis,
		W2V:      Cosine(d.vector(page), d.vector(target)),
		Jaro:     JaroFeature(mention, target),
		LinkProb: m.LinkProb, Relatedness: math.NaN(), Position: math.NaN(),
	}, true
}

// LowerFunc returns the lower-casing of a language (wikitext.LowerFor).
func LowerFunc(lang string) func(string) string { return wikitext.LowerFor(lang) }
