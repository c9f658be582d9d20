package review

import (
	"bytes"
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"

	"github.com/addlink/addlink/atomicfile"
	"github.com/addlink/addlink/datasets"
)

// GoldenRow is one row of the exported golden set: an item with a golden label.
type GoldenRow struct {
	Wiki          string  `parquet:"wiki"`
	PageID        int64   `parquet:"page_id"`
	PageTitle     string  `parquet:"page_title"`
	Revision      int64   `parquet:"revision"`
	Mention       string  `parquet:"mention"`
	Offset        int64   `parquet:"wikitext_offset"`
	Target        string  `parquet:"target"`
	Score         float64 `parquet:"score"`
	ModelChecksum string  `parquet:"model_checksum"`
	ContextBefore string  `parquet:"context_before"`
	ContextAfter  string  `parquet:"context_after"`
	Label         string  `parquet:"label"` // accept or reject
	Reviewers     int64   `parquet:"reviewers"`
}

// ExportOptions configures Export.
type ExportOptions struct {
	Wiki string // "" for every wiki
	// Dir is where the files go (default <DataDir>/<Wiki>/review, or <DataDir>/review
	// for every wiki).
	Dir     string
	DataDir string
}

// Validate checks the options and fills the defaults.
func (o *ExportOptions) Validate() error {
	if o.Wiki != "" {
		if err := datasets.CheckWikiID(o.Wiki); err != nil {
			return err
		}
	}
	if o.Dir == "" {
		if o.DataDir == "" {
			return errors.New("review: no directory to export to")
		}
		o.Dir = filepath.Join(o.DataDir, "review")
		if o.Wiki != "" {
			o.Dir = filepath.Join(o.DataDir, o.Wiki, "review")
		}
	}
	return nil
}

// ExportSummary names the files Export wrote and what the data card says.
type ExportSummary struct {
	Parquet, CSV, Card string
	DataCard           DataCard
}

// DataCard describes the golden set.
type DataCard struct {
	Wiki          string
	Items         int
	JudgedItems   int // items with a judgment in force
	Golden        int
	Accepted      int
	Rejected      int
	SkippedOnly   int // judged items every reviewer skipped
	Disagreements int
	// PerReviewer counts each reviewer's judgments in force by label.
	PerReviewer map[string]map[Label]int
	// Double is the number of items judged by two reviewers or more; Kappa is Cohen's
	// kappa of the first two reviewers of each such item over accept, reject and skip
	// (NaN when undefined), Agreement their observed agreement.
	Double    int
	Kappa     float64
	Agreement float64
	Rows      int
}

// Export writes the golden set as golden.parquet and golden.csv (the same rows, by
// wiki, page and offset) and a data card, golden.md, to o.Dir.
func Export(ctx context.Context, st *Store, o ExportOptions) (ExportSummary, error) {
	if err := o.Validate(); err != nil {
		return ExportSummary{}, err
	}
	items, err := st.Items(ctx, o.Wiki)
	if err != nil {
		return ExportSummary{}, err
	}
	js, err := st.Judgments(ctx, o.Wiki)
	if err != nil {
		return ExportSummary{}, err
	}
	card, rows := goldenSet(o.Wiki, items, js)
	if card.Golden == 0 {
		return ExportSummary{}, fmt.Errorf("%w for %s", ErrNoGolden, orAll(o.Wiki))
	}
	if err := os.MkdirAll(o.Dir, 0o755); err != nil {
		return ExportSummary{}, err
	}
	s := ExportSummary{Parquet: filepath.Join(o.Dir, "golden.parquet"), CSV: filepath.Join(o.Dir, "golden.csv"),
		Card: filepath.Join(o.Dir, "golden.md"), DataCard: card}
	if _, err := datasets.WriteParquet(s.Parquet, rows); err != nil {
		return s, err
	}
	if _, err := atomicfile.WriteFile(s.CSV, goldenCSV(rows)); err != nil {
		return s, err
	}
	if _, err := atomicfile.WriteFile(s.Card, []byte(card.Markdown())); err != nil {
		return s, err
	}
	return s, nil
}

// goldenSet computes the data card and the golden rows.
func goldenSet(wiki string, items []Item, js []Judgment) (DataCard, []GoldenRow) {
	eff := Effective(js)
	card := DataCard{Wiki: wiki, Items: len(items), PerReviewer: map[string]map[Label]int{}}
	// The order in which reviewers first judged each item (for kappa's two raters).
	first := map[int64][]string{}
	for _, j := range js {
		if j.Label == Undo {
			continue
		}
		seen := false
		for _, r := range first[j.ItemID] {
			seen = seen || r == j.Reviewer
		}
		if !seen {
			first[j.ItemID] = append(first[j.ItemID], j.Reviewer)
		}
	}
	var rows []GoldenRow
	var pairs [][2]Label
	for _, it := range items {
		labels := eff[it.ID]
		if len(labels) == 0 {
			continue
		}
		card.JudgedItems++
		for r, l := range labels {
			if card.PerReviewer[r] == nil {
				card.PerReviewer[r] = map[Label]int{}
			}
			card.PerReviewer[r][l]++
		}
		var in []string
		for _, r := range first[it.ID] {
			if _, ok := labels[r]; ok {
				in = append(in, r)
			}
		}
		if len(in) >= 2 {
			card.Double++
			pairs = append(pairs, [2]Label{labels[in[0]], labels[in[1]]})
		}
		g, ok := Gold(labels)
		if !ok {
			a, r := false, false
			for _, l := range labels {
				a, r = a || l == Accept, r || l == Reject
			}
			if a && r {
				card.Disagreements++
			} else {
				card.SkippedOnly++
			}
			continue
		}
		card.Golden++
		label := "reject"
		if g {
			card.Accepted++
			label = "accept"
		} else {
			card.Rejected++
		}
		rows = append(rows, GoldenRow{Wiki: it.Wiki, PageID: it.PageID, PageTitle: it.PageTitle, Revision: it.Revision,
			Mention: it.Mention, Offset: int64(it.Offset), Target: it.Target, Score: it.Score, ModelChecksum: it.ModelChecksum,
			ContextBefore: it.ContextBefore, ContextAfter: it.ContextAfter, Label: label, Reviewers: int64(len(labels))})
	}
	sort.SliceStable(rows, func(i, j int) bool {
		a, b := rows[i], rows[j]
		if a.Wiki != b.Wiki {
			return a.Wiki < b.Wiki
		}
		if a.PageID != b.PageID {
			return a.PageID < b.PageID
		}
		if a.Offset != b.Offset {
			return a.Offset < b.Offset
		}
		return a.Target < b.Target
	})
	card.Rows = len(rows)
	card.Kappa, card.Agreement = CohensKappa(pairs)
	return card, rows
}

// CohensKappa returns Cohen's kappa of two raters' labels and their observed
// agreement: (po - pe) / (1 - pe), pe from each rater's label shares. Both are NaN
// without pairs; kappa is NaN when pe is 1 (both raters always gave one same label).
func CohensKappa(pairs [][2]Label) (kappa, agreement float64) {
	if len(pairs) == 0 {
		return math.NaN(), math.NaN()
	}
	n := float64(len(pairs))
	a, b := map[Label]float64{}, map[Label]float64{}
	agree := 0.0
	for _, p := range pairs {
		a[p[0]]++
		b[p[1]]++
		if p[0] == p[1] {
			agree++
		}
	}
	po := agree / n
	pe := 0.0
	for _, l := range []Label{Accept, Reject, Skip} {
		pe += (a[l] / n) * (b[l] / n)
	}
	if pe >= 1 {
		return math.NaN(), po
	}
	return (po - pe) / (1 - pe), po
}

func goldenCSV(rows []GoldenRow) []byte {
	var buf bytes.Buffer
	w := csv.NewWriter(&buf)
	w.Write([]string{"wiki", "page_id", "page_title", "revision", "mention", "wikitext_offset", "target", "score",
		"model_checksum", "context_before", "context_after", "label", "reviewers"})
	for _, r := range rows {
		w.Write([]string{r.Wiki, strconv.FormatInt(r.PageID, 10), r.PageTitle, strconv.FormatInt(r.Revision, 10), r.Mention,
			strconv.FormatInt(r.Offset, 10), r.Target, strconv.FormatFloat(r.Score, 'g', -1, 64), r.ModelChecksum,
			r.ContextBefore, r.ContextAfter, r.Label, strconv.FormatInt(r.Reviewers, 10)})
	}
	w.Flush()
	return buf.Bytes()
}

// Markdown renders the data card.
func (c DataCard) Markdown() string {
	var b strings.Builder
	fmt.Fprintf(&b, "# Golden set: %s\n\n", orAll(c.Wiki))
	b.WriteString("Link suggestions judged by reviewers in `addlink review serve`. An item's label is\n" +
		"accept or reject when every reviewer who accepted or rejected it agrees (skips do not\n" +
		"count); items whose reviewers disagree, or that were only skipped, are left out.\n" +
		"Files: golden.parquet and golden.csv (the same rows, by wiki, page and offset).\n\n")
	b.WriteString("## Counts\n\n| | items |\n|---|---|\n")
	fmt.Fprintf(&b, "| imported | %d |\n| judged | %d |\n| golden (rows) | %d |\n| accepted | %d |\n| rejected | %d |\n| only skipped | %d |\n| reviewers disagree | %d |\n\n",
		c.Items, c.JudgedItems, c.Golden, c.Accepted, c.Rejected, c.SkippedOnly, c.Disagreements)
	b.WriteString("## Reviewers\n\n| reviewer | accept | reject | skip |\n|---|---|---|---|\n")
	names := make([]string, 0, len(c.PerReviewer))
	for r := range c.PerReviewer {
		names = append(names, r)
	}
	sort.Strings(names)
	for _, r := range names {
		m := c.PerReviewer[r]
		fmt.Fprintf(&b, "| %s | %d | %d | %d |\n", strings.ReplaceAll(r, "|", `\|`), m[Accept], m[Reject], m[Skip])
	}
	b.WriteString("\n## Agreement\n\n")
	if c.Double == 0 {
		b.WriteString("No item was judged by two reviewers (serve with --judges 2 to measure agreement).\n")
	} else {
		fmt.Fprintf(&b, "%d items judged by two reviewers or more; over the first two of each (accept, reject, skip):\n"+
			"observed agreement %s, Cohen's kappa %s.\n", c.Double, num(c.Agreement), num(c.Kappa))
	}
	return b.String()
}
