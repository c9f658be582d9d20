package linker

import (
	"errors"
	"fmt"
	"math"
	"os"
	"sort"
	"strings"

	"github.com/addlink/addlink/datasets"
)

// LoadExtended reads the datasets the features of set need beyond the reference's:
// the anchors' link probabilities (<wiki>.anchors_stats.parquet) for FeatureLinkProb
// and the link graph (<wiki>.linkgraph.parquet) for FeatureRelatedness. The reference's
// set needs nothing.
func (d *Dict) LoadExtended(l datasets.Layout, set FeatureSet) error {
	if set.Has(FeatureLinkProb) {
		stats, err := datasets.ReadParquet[datasets.AnchorStat](l.AnchorStats())
		if errors.Is(err, os.ErrNotExist) {
			err = &IncompleteError{"anchors_stats", err}
		}
		if err != nil {
			return fmt.Errorf("linker: the linkprob feature needs the dictionaries stage's anchor statistics: %w", err)
		}
		d.SetLinkProbs(stats)
	}
	if set.Has(FeatureRelatedness) {
		links, err := datasets.ReadParquet[datasets.Link](l.LinkGraph())
		if err != nil {
			if errors.Is(err, os.ErrNotExist) {
				err = &IncompleteError{"linkgraph", fmt.Errorf("%w (run `addlink linkgraph --wiki %s`)", err, l.Wiki)}
			}
			return fmt.Errorf("linker: the relatedness feature needs the link graph: %w", err)
		}
		d.SetLinkGraph(links)
	}
	return nil
}

// Supports returns an error unless d holds the datasets the features of set read
// (Dict.LoadExtended): a model must never be given features computed without them.
func (d *Dict) Supports(set FeatureSet) error {
	if set.Has(FeatureLinkProb) && !d.linkProbs {
		return errors.New("linker: the model reads linkprob but the anchor statistics are not loaded (Dict.LoadExtended)")
	}
	if set.Has(FeatureRelatedness) && d.Graph == nil {
		return errors.New("linker: the model reads relatedness but the link graph is not loaded (Dict.LoadExtended)")
	}
	return nil
}

// SetLinkProbs sets the link probability of the dictionary's anchors from their
// statistics: aslink / (aslink + astext).
func (d *Dict) SetLinkProbs(stats []datasets.AnchorStat) {
	d.linkProbs = true
	d.otherLinkProbs = map[string]float64{}
	for _, s := range stats {
		if s.AsLink+s.AsText <= 0 {
			continue
		}
		lp := float64(s.AsLink) / float64(s.AsLink+s.AsText)
		if m := d.Anchors[s.Anchor]; m != nil {
			m.LinkProb = lp
		} else {
			d.otherLinkProbs[s.Anchor] = lp
		}
	}
	d.titleMu.Lock()
	d.titles = nil // built again with the link probabilities
	d.titleMu.Unlock()
}

// SetLinkGraph builds d.Graph from link graph rows, over the articles of d.PageIDs.
func (d *Dict) SetLinkGraph(links []datasets.Link) {
	ids := make([]datasets.PageID, 0, len(d.PageIDs))
	for t, id := range d.PageIDs {
		ids = append(ids, datasets.PageID{Title: t, PageID: id})
	}
	sort.Slice(ids, func(i, j int) bool { return ids[i].PageID < ids[j].PageID })
	d.Graph = NewLinkGraph(ids, links)
}

// OtherLinks returns the articles page links (from the link graph, in page order)
// except the targets of gold: the page's existing links as the backtest and training
// rows see them, where gold are the links of the sentence at hand. Nil without a graph.
func (d *Dict) OtherLinks(page string, gold map[string]string) []string {
	if d.Graph == nil {
		return nil
	}
	n, ok := d.Graph.Node(d.PageIDs[page])
	if _, known := d.PageIDs[page]; !known || !ok {
		return nil
	}
	skip := make(map[string]bool, len(gold))
	for _, t := range gold {
		skip[t] = true
	}
	var out []string
	for _, m := range d.Graph.Out(n) {
		if t := d.Graph.Title(m); !skip[t] {
			out = append(out, t)
		}
	}
	return out
}

// PageContext is what the context-dependent features know about a page: its title and
// its existing links. Not safe for concurrent use (it caches relatedness values).
type PageContext struct {
	Page  string
	nodes []int32
	cache map[string]float64
}

// NewPageContext returns the context of page with its existing links (titles, in page
// order; the first MaxContextLinks distinct articles other than the page are kept).
func (d *Dict) NewPageContext(page string, links []string) *PageContext {
	c := &PageContext{Page: page, cache: map[string]float64{}}
	if d.Graph == nil {
		return c
	}
	self, hasSelf := d.Graph.Node(d.PageIDs[page])
	if _, ok := d.PageIDs[page]; !ok {
		hasSelf = false
	}
	seen := map[int32]bool{}
	for _, t := range links {
		if len(c.nodes) == MaxContextLinks {
			break
		}
		id, ok := d.PageIDs[t]
		if !ok {
			continue
		}
		n, ok := d.Graph.Node(id)
		if !ok || seen[n] || (hasSelf && n == self) {
			continue
		}
		seen[n] = true
		c.nodes = append(c.nodes, n)
	}
	return c
}

// relatedness returns the relatedness feature of target in the context.
func (d *Dict) relatedness(c *PageContext, target string) float64 {
	if d.Graph == nil || c == nil {
		return math.NaN()
	}
	if v, ok := c.cache[target]; ok {
		return v
	}
	v := math.NaN()
	if id, ok := d.PageIDs[target]; ok {
		if n, ok := d.Graph.Node(id); ok {
			v = d.Graph.ContextRelatedness(n, c.nodes)
		}
	}
	c.cache[target] = v
	return v
}

// FeaturesAt computes every feature of target as a link for mention in the page's
// context, the mention first occurring at relative position pos of the text (NaN
// when unknown). ok is false when target is not a candidate of the mention.
func (d *Dict) FeaturesAt(c *PageContext, mention, target string, pos float64) (Features, bool) {
	return d.featuresAt(d.Anchors[mention], c, mention, target, pos)
}

// featuresAt is FeaturesAt with the mention's entry m (Dict.Mention).
func (d *Dict) featuresAt(m *Mention, c *PageContext, mention, target string, pos float64) (Features, bool) {
	f, ok := d.featuresOf(m, c.Page, mention, target)
	if !ok {
		return f, false
	}
	f.Relatedness = d.relatedness(c, target)
	f.Position = pos
	return f, true
}

// relativePosition is the byte offset of the first occurrence of s in text as a
// fraction of the text's length; NaN when s does not occur.
func relativePosition(text, s string) float64 {
	i := strings.Index(text, s)
	if i < 0 || len(text) == 0 {
		return math.NaN()
	}
	return float64(i) / float64(len(text))
}
