package review

import (
	"context"
	"fmt"
	"io"
	"math"
	"strings"

	"github.com/addlink/addlink/datasets"
)

// golden returns the golden label of each item that has one, keyed by the item's
// position in items, and the number of items whose reviewers disagree.
func golden(items []Item, js []Judgment) (map[int]bool, int) {
	eff := Effective(js)
	gold := map[int]bool{}
	for i, it := range items {
		if g, ok := Gold(eff[it.ID]); ok {
			gold[i] = g
		}
	}
	sub := map[int64]map[string]Label{}
	for _, it := range items {
		if e := eff[it.ID]; e != nil {
			sub[it.ID] = e
		}
	}
	return gold, Disagreements(sub)
}

// LFReport is what `review lfs` prints.
type LFReport struct {
	Wiki          string          `json:"wiki"`
	Items         int             `json:"items"`
	Golden        int             `json:"golden"`
	GoldenAccepts int             `json:"golden_accepts"`
	Disagreements int             `json:"disagreements"`
	Functions     []LFStats       `json:"functions"`
	Docs          []string        `json:"docs"`
	Coverage      float64         `json:"label_coverage"`
	Overlap       float64         `json:"label_overlap"`
	Conflict      float64         `json:"label_conflict"`
	Prior         float64         `json:"label_model_prior"`
	Combiners     []CombinerScore `json:"combiners"`
	// Better names the combiner with the higher Overall score on the golden set, ""
	// when there is no golden item or they tie.
	Better string `json:"better"`
}

// LFOptions names the items the labelling functions are applied to.
type LFOptions struct {
	Wiki string // "" for every wiki
}

// Validate checks the options.
func (o *LFOptions) Validate() error {
	if o.Wiki == "" {
		return nil
	}
	return datasets.CheckWikiID(o.Wiki)
}

// LabellingReport applies the labelling functions to a wiki's items ("" for all),
// summarises them, and scores majority vote and the label model on the golden set.
func LabellingReport(ctx context.Context, st *Store, wiki string) (LFReport, error) {
	items, err := st.Items(ctx, wiki)
	if err != nil {
		return LFReport{}, err
	}
	if len(items) == 0 {
		return LFReport{}, fmt.Errorf("review: no items for %s (run addlink review import first)", orAll(wiki))
	}
	js, err := st.Judgments(ctx, wiki)
	if err != nil {
		return LFReport{}, err
	}
	gold, dis := golden(items, js)
	lfs := LabellingFunctions()
	L := Apply(lfs, items)
	r := LFReport{Wiki: wiki, Items: len(items), Golden: len(gold), Disagreements: dis, Functions: Summary(lfs, L, gold)}
	for _, g := range gold {
		if g {
			r.GoldenAccepts++
		}
	}
	for _, lf := range lfs {
		r.Docs = append(r.Docs, lf.Name+": "+lf.Doc)
	}
	r.Coverage, r.Overlap, r.Conflict = DatasetStats(L)
	lm, err := FitLabelModel(L, len(lfs))
	if err != nil {
		return r, err
	}
	for j := range r.Functions {
		r.Functions[j].Weight = lm.Acc[j]
	}
	r.Prior = lm.Prior
	lmPred, _ := lm.Predict(L)
	mv, lmS := Score("majority vote", MajorityVote(L), gold), Score("label model", lmPred, gold)
	r.Combiners = []CombinerScore{mv, lmS}
	switch {
	case len(gold) == 0 || mv.Overall == lmS.Overall:
	case mv.Overall > lmS.Overall:
		r.Better = mv.Name
	default:
		r.Better = lmS.Name
	}
	return r, nil
}

func orAll(wiki string) string {
	if wiki == "" {
		return "any wiki"
	}
	return wiki
}

// Write prints the report as text.
func (r LFReport) Write(w io.Writer) error {
	var b strings.Builder
	fmt.Fprintf(&b, "%s: %d items, %d golden (%d accepted), %d with reviewers disagreeing\n\n", orAll(r.Wiki), r.Items, r.Golden, r.GoldenAccepts, r.Disagreements)
	fmt.Fprintf(&b, "%-24s %-9s %8s %8s %9s %7s %9s %8s %11s\n", "function", "polarity", "coverage", "overlaps", "conflicts", "correct", "incorrect", "emp.acc", "learned acc")
	for _, s := range r.Functions {
		pol := make([]string, len(s.Polarity))
		for i, v := range s.Polarity {
			pol[i] = fmt.Sprint(int(v))
		}
		fmt.Fprintf(&b, "%-24s %-9s %8.3f %8.3f %9.3f %7d %9d %8s %11s\n", s.Name, "["+strings.Join(pol, ",")+"]",
			s.Coverage, s.Overlaps, s.Conflicts, s.Correct, s.Incorrect, num(s.EmpAcc), num(s.Weight))
	}
	fmt.Fprintf(&b, "\nlabel coverage %.3f, overlap %.3f, conflict %.3f; label model prior of accept %.3f\n", r.Coverage, r.Overlap, r.Conflict, r.Prior)
	fmt.Fprintf(&b, "\non the golden set (%d items):\n", r.Golden)
	for _, c := range r.Combiners {
		fmt.Fprintf(&b, "  %-14s labels %d, %d right: accuracy %s where it labels, %s over all golden items\n", c.Name, c.Labelled, c.Correct, num(c.Accuracy), num(c.Overall))
	}
	switch {
	case r.Golden == 0:
		b.WriteString("no golden items: judge some (addlink review serve) to compare the combiners\n")
	case r.Better == "":
		b.WriteString("the two combiners tie on the golden set\n")
	default:
		fmt.Fprintf(&b, "better on the golden set: %s\n", r.Better)
	}
	b.WriteString("\npolarity: 0 reject, 1 accept. The functions:\n")
	for _, d := range r.Docs {
		b.WriteString("  " + d + "\n")
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func num(v float64) string {
	if math.IsNaN(v) {
		return "-"
	}
	return fmt.Sprintf("%.3f", v)
}
