package review

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"path/filepath"

	"github.com/addlink/addlink/atomicfile"
	"github.com/addlink/addlink/datasets"
	"github.com/addlink/addlink/internal/linker"
	"github.com/addlink/addlink/internal/wikitext"
)

// WeakOptions configures WriteWeakRows.
type WeakOptions struct {
	Wiki    string
	DataDir string
	// Out is the file written (default <data-dir>/<wiki>/training/link_train_weak.csv).
	Out string
	// MinConfidence is the least probability of its label (the label model's P(accept)
	// for an accept, 1 - P(accept) for a reject) a row needs (default 0.5: every item
	// the label model labels).
	MinConfidence float64
}

// Validate checks the options and fills the defaults.
func (o *WeakOptions) Validate() error {
	if err := datasets.CheckWikiID(o.Wiki); err != nil {
		return err
	}
	if o.Out == "" {
		o.Out = filepath.Join(datasets.Layout{DataDir: o.DataDir, Wiki: o.Wiki}.Dir(), "training", "link_train_weak.csv")
	}
	if o.MinConfidence == 0 {
		o.MinConfidence = 0.5
	}
	if o.MinConfidence < 0.5 || o.MinConfidence > 1 {
		return fmt.Errorf("review: --min-confidence %g: want a number between 0.5 and 1", o.MinConfidence)
	}
	return nil
}

// WeakSummary is what WriteWeakRows wrote.
type WeakSummary struct {
	Items        int    `json:"items"`         // the wiki's items
	JudgedPages  int    `json:"judged_pages"`  // pages with a judged item (left out)
	Abstained    int    `json:"abstained"`     // items the label model gave no label, or below MinConfidence
	NotCandidate int    `json:"not_candidate"` // items whose target the dictionary no longer has for the mention
	Rows         int    `json:"rows"`
	Positives    int    `json:"positives"`
	Out          string `json:"out"`
}

// ErrNoWeakRows says no item could be given a weak label.
var ErrNoWeakRows = errors.New("review: no weakly labelled row")

// WriteWeakRows labels the wiki's items with the label model fitted on the labelling
// functions' votes and writes them as training rows in the reference's link_train.csv
// format (the features computed by internal/linker from the wiki's dictionary, as the
// features stage computes them), for `addlink train --add-rows`. Items of pages with
// any judged item are left out, so that a model trained with the rows is measured on
// the golden set on pages it was not trained on.
func WriteWeakRows(ctx context.Context, st *Store, o WeakOptions) (WeakSummary, error) {
	if err := o.Validate(); err != nil {
		return WeakSummary{}, err
	}
	s := WeakSummary{Out: o.Out}
	items, err := st.Items(ctx, o.Wiki)
	if err != nil {
		return s, err
	}
	s.Items = len(items)
	if len(items) == 0 {
		return s, fmt.Errorf("%w: no items for %s (run review import)", ErrNoWeakRows, o.Wiki)
	}
	js, err := st.Judgments(ctx, o.Wiki)
	if err != nil {
		return s, err
	}
	judged := map[int64]bool{}
	for id := range Effective(js) {
		judged[id] = true
	}
	judgedPages := map[int64]bool{}
	for _, it := range items {
		if judged[it.ID] {
			judgedPages[it.PageID] = true
		}
	}
	s.JudgedPages = len(judgedPages)
	lfs := LabellingFunctions()
	L := Apply(lfs, items)
	lm, err := FitLabelModel(L, len(lfs))
	if err != nil {
		return s, err
	}
	pred, probs := lm.Predict(L)
	d, err := linker.LoadDict(datasets.Layout{DataDir: o.DataDir, Wiki: o.Wiki}, true)
	if err != nil {
		return s, fmt.Errorf("review: %w", err)
	}
	f, err := atomicfile.CreateUnhashed(o.Out)
	if err != nil {
		return s, err
	}
	defer f.Abort()
	w := bufio.NewWriter(f)
	var b []byte
	for i, it := range items {
		if judgedPages[it.PageID] {
			continue
		}
		conf := probs[i]
		if pred[i] == VoteReject {
			conf = 1 - conf
		}
		if pred[i] == Abstain || conf < o.MinConfidence {
			s.Abstained++
			continue
		}
		page := wikitext.NormalizeTitle(it.PageTitle)
		mention := linker.NormalizeMention(it.Mention, d.Lower)
		ft, ok := d.Features(page, mention, it.Target)
		if !ok {
			s.NotCandidate++
			continue
		}
		r := linker.Row{Page: page, Mention: mention, Target: it.Target, Features: ft, Label: pred[i] == VoteAccept}
		b = linker.FormatRow(b[:0], r, ft.W2V != 0)
		if _, err := w.Write(b); err != nil {
			return s, err
		}
		s.Rows++
		if r.Label {
			s.Positives++
		}
	}
	if s.Rows == 0 {
		return s, fmt.Errorf("%w for %s: %d items, %d on judged pages, %d without a confident label", ErrNoWeakRows, o.Wiki, s.Items, s.JudgedPages, s.Abstained)
	}
	if err := w.Flush(); err != nil {
		return s, err
	}
	return s, f.Commit()
}
