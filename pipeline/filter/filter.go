// Package filter is the stage that removes from the anchor dictionary the candidate
// targets that are instances (P31) of unwanted kinds of pages: disambiguation pages,
// lists, dates, units, given names, ... (docs/reference.md "Stage 2"). It reads the unfiltered
// dictionary (<wiki>.anchors_unfiltered.parquet, written by the dictionaries stage) and
// writes the dictionary in use, <wiki>.anchors.parquet; running it again gives the same
// result. Without <wiki>.wdproperties.parquet it copies the dictionary unchanged and
// says so.
package filter

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"sort"
	"time"

	"github.com/addlink/addlink/datasets"
	"github.com/addlink/addlink/internal/progress"
)

// DefaultQIDs is the reference's filter list (filter_dict_anchor.py).
var DefaultQIDs = []string{
	"Q4167410",                                                                                  // disambiguation page
	"Q13406463",                                                                                 // list
	"Q3186692", "Q577", "Q573", "Q39911", "Q578", "Q36507", "Q47150325", "Q47018478", "Q205892", // dates
	"Q14795564", "Q18340514", // points in time, events of a period
	"Q1978718", "Q1790144", "Q1302471", "Q3647172", "Q2916980", "Q3550873", "Q8142", "Q27084", // units, currency
	"Q202444", "Q1243157", "Q3409032", "Q12308941", "Q11879590", // given names
}

// WikiQIDs are the reference's extra filters per wiki.
var WikiQIDs = map[string][]string{
	"enwiki": {"Q6256", "Q5107"}, // countries, continents (T386867)
}

// Config replaces or extends the filter list. Its JSON form:
//
//	{"default": {"mode": "extend", "qids": ["Q5"]},
//	 "wikis": {"dewiki": {"mode": "replace", "qids": ["Q4167410"]}}}
//
// "extend" adds to the list in force, "replace" replaces it; the default entry applies
// to every wiki, a wiki's entry after it.
type Config struct {
	Default *Rule           `json:"default"`
	Wikis   map[string]Rule `json:"wikis"`
}

// Rule is one entry of a Config.
type Rule struct {
	Mode string   `json:"mode"`
	QIDs []string `json:"qids"`
}

// ReadConfig reads a Config file.
func ReadConfig(path string) (*Config, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var c Config
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&c); err != nil {
		return nil, fmt.Errorf("filter: %s: %w", path, err)
	}
	check := func(r Rule) error {
		if r.Mode != "extend" && r.Mode != "replace" {
			return fmt.Errorf("filter: %s: mode %q (want extend or replace)", path, r.Mode)
		}
		return nil
	}
	if c.Default != nil {
		if err := check(*c.Default); err != nil {
			return nil, err
		}
	}
	for _, r := range c.Wikis {
		if err := check(r); err != nil {
			return nil, err
		}
	}
	return &c, nil
}

// QIDs returns the filter list for wiki: the defaults and the wiki's extras, changed by
// the config when there is one.
func QIDs(wiki string, c *Config) []string {
	list := append(append([]string(nil), DefaultQIDs...), WikiQIDs[wiki]...)
	apply := func(r Rule) {
		if r.Mode == "replace" {
			list = nil
		}
		list = append(list, r.QIDs...)
	}
	if c != nil {
		if c.Default != nil {
			apply(*c.Default)
		}
		if r, ok := c.Wikis[wiki]; ok {
			apply(r)
		}
	}
	return list
}

// Options configures the stage.
type Options struct {
	Wiki         string
	DataDir      string
	FilterConfig string
}

// Summary is what the stage reports.
type Summary struct {
	Applied          bool           `json:"applied"`
	Reason           string         `json:"reason,omitempty"`
	QIDs             []string       `json:"qids"`
	CandidatesBefore int            `json:"candidates_before"`
	CandidatesAfter  int            `json:"candidates_after"`
	AnchorsBefore    int            `json:"anchors_before"`
	AnchorsAfter     int            `json:"anchors_after"`
	RemovedByQID     map[string]int `json:"removed_by_qid"`
	TargetsWithoutID int            `json:"targets_without_page_id"`
	Seconds          float64        `json:"seconds"`
}

// Run filters the dictionary.
func Run(ctx context.Context, o Options, p progress.Reporter) (Summary, error) {
	start := time.Now()
	p = progress.OrNop(p)
	if err := datasets.CheckWikiID(o.Wiki); err != nil {
		return Summary{}, err
	}
	l := datasets.Layout{DataDir: o.DataDir, Wiki: o.Wiki}
	var cfg *Config
	if o.FilterConfig != "" {
		var err error
		if cfg, err = ReadConfig(o.FilterConfig); err != nil {
			return Summary{}, err
		}
	}
	s := Summary{QIDs: QIDs(o.Wiki, cfg), RemovedByQID: map[string]int{}}
	src := l.AnchorsUnfiltered()
	if _, err := os.Stat(src); err != nil {
		return s, fmt.Errorf("filter: %w (run the dictionaries stage first)", err)
	}
	anchors, err := datasets.ReadParquet[datasets.Anchor](src)
	if err != nil {
		return s, err
	}
	s.CandidatesBefore = len(anchors)
	s.AnchorsBefore = countAnchors(anchors)
	kept := anchors
	if _, err := os.Stat(l.WDProperties()); err != nil {
		s.Reason = "no " + l.WDProperties() + ": the dictionary is used unfiltered"
		p.Note("filter: " + s.Reason)
	} else {
		s.Applied = true
		props, err := datasets.ReadParquet[datasets.WDProperty](l.WDProperties())
		if err != nil {
			return s, err
		}
		ids, err := datasets.ReadParquet[datasets.PageID](l.PageIDs())
		if err != nil {
			return s, err
		}
		pageID := make(map[string]int64, len(ids))
		for _, r := range ids {
			pageID[r.Title] = r.PageID
		}
		bad := map[string]bool{}
		for _, q := range s.QIDs {
			bad[q] = true
		}
		hits := map[int64][]string{} // page -> its P31 values on the list
		for _, r := range props {
			if bad[r.QID] {
				hits[r.PageID] = append(hits[r.PageID], r.QID)
			}
		}
		kept = nil
		for _, a := range anchors {
			id, ok := pageID[a.Target]
			if !ok {
				s.TargetsWithoutID++
			}
			if h := hits[id]; ok && len(h) > 0 {
				for _, q := range h {
					s.RemovedByQID[q]++
				}
				continue
			}
			kept = append(kept, a)
		}
	}
	if err := ctx.Err(); err != nil {
		return s, err
	}
	s.CandidatesAfter, s.AnchorsAfter = len(kept), countAnchors(kept)
	if _, err := datasets.WriteParquet(l.Anchors(), kept); err != nil {
		return s, err
	}
	s.Seconds = time.Since(start).Seconds()
	return s, datasets.WriteSummary(l, "filter", s)
}

func countAnchors(rows []datasets.Anchor) int {
	n := 0
	for i := range rows {
		if i == 0 || rows[i].Anchor != rows[i-1].Anchor {
			n++
		}
	}
	return n
}

// Removal is how many candidates one filter item removed.
type Removal struct {
	QID string
	N   int
}

// Removals returns the removal counts, most first.
func (s Summary) Removals() []Removal {
	var out []Removal
	for q, n := range s.RemovedByQID {
		out = append(out, Removal{q, n})
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].N != out[j].N {
			return out[i].N > out[j].N
		}
		return out[i].QID < out[j].QID
	})
	return out
}
