// Package review gathers human judgments of link suggestions and measures models on
// them. It imports candidates (suggestions a wiki's model makes at a low threshold on
// articles it was not trained on) as review items, serves a web page where reviewers
// accept, reject or skip them one at a time, keeps items and judgments in SQLite or
// MariaDB, combines labelling functions into weak labels (majority vote and a label
// model weighting each function by its estimated accuracy), evaluates any model on the
// judged items (the golden set) and exports the golden set with a data card.
//
// A judgment is a row; undoing one adds a row (label "undo") and deletes nothing. The
// state of an item for a reviewer is that reviewer's latest row for it: accept, reject
// or skip, or nothing when the latest row is an undo (Effective).
package review

import (
	"errors"
	"fmt"
	"math"
	"sort"
	"strings"
)

// Item is one suggestion to judge: a link from Mention to Target on a page, as the
// wiki's model suggested it, with what the labelling functions read.
type Item struct {
	ID        int64  `json:"id"`
	Wiki      string `json:"wiki"`
	PageID    int64  `json:"page_id"`
	PageTitle string `json:"page_title"`
	Revision  int64  `json:"revision"`
	Mention   string `json:"mention"`
	// Offset is where the mention starts in the page's wikitext, in characters (the
	// service's wikitext_offset).
	Offset        int     `json:"offset"`
	Target        string  `json:"target"`
	Score         float64 `json:"score"`
	ModelChecksum string  `json:"model_checksum"`
	ContextBefore string  `json:"context_before"`
	ContextAfter  string  `json:"context_after"`
	// Section is the heading of the section the mention is in ("" for the lead).
	Section string `json:"section"`
	// LinkProb is the anchor's link probability (linked / occurrences in the wiki),
	// NaN when the wiki's statistics do not have it.
	LinkProb float64 `json:"link_prob"`
	// Candidates is the number of targets the anchor links to in the wiki;
	// TargetLinks the links from the anchor to Target, MentionLinks to any target.
	Candidates   int   `json:"candidates"`
	TargetLinks  int64 `json:"target_links"`
	MentionLinks int64 `json:"mention_links"`
	// InQuote says the mention is inside quotation marks in its paragraph.
	InQuote bool `json:"in_quote"`
	// DumpTarget, for items imported with the page's links removed
	// (ImportOptions.FromLinks), is the target the page linked the mention to, "" when
	// it did not link it.
	DumpTarget string `json:"dump_target,omitempty"`
}

// Label is a judgment's label.
type Label string

// The labels of judgments. Undo takes back the reviewer's current judgment of an item.
const (
	Accept Label = "accept"
	Reject Label = "reject"
	Skip   Label = "skip"
	Undo   Label = "undo"
)

// ParseLabel checks a label (accept, reject, skip; undo is written by Store.Undo).
func ParseLabel(s string) (Label, error) {
	switch l := Label(s); l {
	case Accept, Reject, Skip:
		return l, nil
	}
	return "", fmt.Errorf("review: label %q: want accept, reject or skip", s)
}

// Judgment is one row of the judgments table.
type Judgment struct {
	ID       int64  `json:"id"`
	ItemID   int64  `json:"item_id"`
	Reviewer string `json:"reviewer"`
	Label    Label  `json:"label"`
	// RequestID is the client's id of the request that wrote the row: a request
	// retried after its answer was lost writes nothing more.
	RequestID string `json:"request_id"`
	// Undoes is the id of the judgment an undo takes back (0 otherwise).
	Undoes int64 `json:"undoes,omitempty"`
}

// ErrNoItem says a judgment names an item that does not exist.
var ErrNoItem = errors.New("review: no such item")

// ErrNothingToUndo says a reviewer has no judgment to take back.
var ErrNothingToUndo = errors.New("review: nothing to undo")

// Effective returns each (item, reviewer)'s current label from the judgment rows: the
// reviewer's latest row for the item, or nothing when it is an undo. The map is keyed
// by item id, then reviewer.
func Effective(js []Judgment) map[int64]map[string]Label {
	sorted := append([]Judgment(nil), js...)
	sort.Slice(sorted, func(i, j int) bool { return sorted[i].ID < sorted[j].ID })
	out := map[int64]map[string]Label{}
	for _, j := range sorted {
		m := out[j.ItemID]
		if m == nil {
			m = map[string]Label{}
			out[j.ItemID] = m
		}
		if j.Label == Undo {
			delete(m, j.Reviewer)
			if len(m) == 0 {
				delete(out, j.ItemID)
			}
			continue
		}
		m[j.Reviewer] = j.Label
	}
	return out
}

// Gold is the golden set's label of an item: accept or reject when every reviewer
// who accepted or rejected it agrees (skips do not count); ok is false when no one
// did, or they disagree.
func Gold(labels map[string]Label) (accept, ok bool) {
	var a, r int
	for _, l := range labels {
		switch l {
		case Accept:
			a++
		case Reject:
			r++
		}
	}
	switch {
	case a > 0 && r == 0:
		return true, true
	case r > 0 && a == 0:
		return false, true
	}
	return false, false
}

// Disagreements counts the items whose reviewers both accepted and rejected.
func Disagreements(eff map[int64]map[string]Label) int {
	n := 0
	for _, labels := range eff {
		var a, r bool
		for _, l := range labels {
			a = a || l == Accept
			r = r || l == Reject
		}
		if a && r {
			n++
		}
	}
	return n
}

// Reviewers returns the reviewers of the judgments, sorted.
func Reviewers(js []Judgment) []string {
	seen := map[string]bool{}
	for _, j := range js {
		seen[j.Reviewer] = true
	}
	out := make([]string, 0, len(seen))
	for r := range seen {
		out = append(out, r)
	}
	sort.Strings(out)
	return out
}

// CheckReviewer checks a reviewer's name: 1 to 64 characters, no control characters.
func CheckReviewer(name string) error {
	if strings.TrimSpace(name) == "" {
		return errors.New("review: the reviewer's name is empty")
	}
	if n := len([]rune(name)); n > 64 {
		return fmt.Errorf("review: the reviewer's name has %d characters (at most 64)", n)
	}
	for _, r := range name {
		if r < 0x20 || r == 0x7f {
			return errors.New("review: the reviewer's name has a control character")
		}
	}
	return nil
}

func nanToNull(v float64) any {
	if math.IsNaN(v) {
		return nil
	}
	return v
}
