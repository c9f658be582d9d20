package review

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"os"
	"sort"
	"strings"

	"github.com/addlink/addlink/checksum"
	"github.com/addlink/addlink/datasets"
	"github.com/addlink/addlink/internal/evaluation"
	"github.com/addlink/addlink/internal/linker"
	"github.com/addlink/addlink/internal/progress"
	"github.com/addlink/addlink/internal/wikitext"
)

// EvalOptions configures Evaluate.
type EvalOptions struct {
	Wiki    string
	DataDir string
	// Model is the model file to measure (default: the wiki's <wiki>.linkmodel.json);
	// it reads the wiki's datasets, as query and serve do.
	Model      string
	Thresholds []float64 // default 0.0, 0.1, ..., 0.9
	Bootstrap  int       // resamples of the pages behind the 95% intervals (default 1000; negative: none)
	Seed       uint64    // seeds the resampling (default 1)
}

// Validate checks the options and fills the defaults.
func (o *EvalOptions) Validate() error {
	if err := datasets.CheckWikiID(o.Wiki); err != nil {
		return err
	}
	for _, t := range o.Thresholds {
		if t < 0 || t > 1 || math.IsNaN(t) {
			return fmt.Errorf("review: threshold %g: want a number between 0 and 1", t)
		}
	}
	if len(o.Thresholds) == 0 {
		o.Thresholds = evaluation.DefaultThresholds()
	}
	if o.Bootstrap == 0 {
		o.Bootstrap = 1000
	}
	if o.Seed == 0 {
		o.Seed = 1
	}
	return nil
}

// EvalRow is one threshold's figures on the golden set. A golden item counts as
// predicted when the model, run at the threshold, suggests its mention with its
// target: precision is the accepted share of the predicted golden
// items, recall the predicted share of the accepted ones. Unjudged counts the
// model's suggestions at the threshold that are not golden items (not in the
// figures). Intervals are NaN when not computed or undefined.
type EvalRow struct {
	Threshold      float64 `json:"threshold"`
	TruePositives  int     `json:"true_positives"`
	FalsePositives int     `json:"false_positives"`
	FalseNegatives int     `json:"false_negatives"`
	Unjudged       int     `json:"unjudged"`
	Precision      float64 `json:"precision"`
	Recall         float64 `json:"recall"`
	F1             float64 `json:"f1"`
	PrecisionLow   float64 `json:"precision_low"`
	PrecisionHigh  float64 `json:"precision_high"`
	RecallLow      float64 `json:"recall_low"`
	RecallHigh     float64 `json:"recall_high"`
	F1Low          float64 `json:"f1_low"`
	F1High         float64 `json:"f1_high"`
	// The backtest's precision, recall and F1 at this threshold (NaN without a
	// backtest summary for the wiki's own model).
	BacktestPrecision float64 `json:"backtest_precision"`
	BacktestRecall    float64 `json:"backtest_recall"`
	BacktestF1        float64 `json:"backtest_f1"`
}

// EvalReport is what Evaluate returns.
type EvalReport struct {
	Wiki          string    `json:"wiki"`
	Model         string    `json:"model"`
	ModelChecksum string    `json:"model_checksum"`
	Golden        int       `json:"golden"`
	Accepted      int       `json:"accepted"`
	Pages         int       `json:"pages"`
	Bootstrap     int       `json:"bootstrap"`
	Seed          uint64    `json:"seed"`
	Rows          []EvalRow `json:"rows"`
	// Backtest says where the backtest's figures come from ("" when there are none).
	Backtest string `json:"backtest"`
}

// ErrNoGolden says there is no judged item to measure a model on.
var ErrNoGolden = errors.New("review: no golden items (accepted or rejected by reviewers)")

// Evaluate measures a model on a wiki's golden set: it suggests links on each page
// with golden items (the stored wikitext, linker.Recommend as serve calls it, once per
// threshold as the backtest does) and compares the suggestions with the judgments. The intervals
// come from resampling the pages with replacement (seeded).
func Evaluate(ctx context.Context, st *Store, o EvalOptions, p progress.Reporter) (EvalReport, error) {
	p = progress.OrNop(p)
	if err := o.Validate(); err != nil {
		return EvalReport{}, err
	}
	l := datasets.Layout{DataDir: o.DataDir, Wiki: o.Wiki}
	items, err := st.Items(ctx, o.Wiki)
	if err != nil {
		return EvalReport{}, err
	}
	js, err := st.Judgments(ctx, o.Wiki)
	if err != nil {
		return EvalReport{}, err
	}
	gold, _ := golden(items, js)
	if len(gold) == 0 {
		return EvalReport{}, fmt.Errorf("%w for %s", ErrNoGolden, o.Wiki)
	}
	own := o.Model == ""
	rep := EvalReport{Wiki: o.Wiki, Model: o.Model, Seed: o.Seed}
	if own {
		rep.Model = l.Model()
	}
	if _, err := os.Stat(rep.Model); err != nil {
		return EvalReport{}, fmt.Errorf("%w for %s: %s does not exist", ErrNoModel, o.Wiki, rep.Model)
	}
	if rep.ModelChecksum, err = checksum.File(rep.Model); err != nil {
		return rep, err
	}
	p.Phase("review eval: loading the model and datasets", 0, "")
	q, err := linker.OpenWikiModel(l, linker.Parquet, rep.Model)
	if err != nil {
		return rep, fmt.Errorf("review: %w", err)
	}
	// The golden items of each page.
	type key struct {
		mention, target string
	}
	byPage := map[int64][]int{}
	var pages []int64
	for i := range items {
		if _, ok := gold[i]; !ok {
			continue
		}
		id := items[i].PageID
		if byPage[id] == nil {
			pages = append(pages, id)
		}
		byPage[id] = append(byPage[id], i)
		rep.Golden++
		if gold[i] {
			rep.Accepted++
		}
	}
	sort.Slice(pages, func(a, b int) bool { return pages[a] < pages[b] })
	rep.Pages = len(pages)
	nt := len(o.Thresholds)
	// counts[page][threshold]
	counts := make([][]evalCounts, len(pages))
	p.Phase("review eval: suggesting links", int64(len(pages)), "pages")
	for pi, id := range pages {
		if err := ctx.Err(); err != nil {
			return rep, err
		}
		pg, err := st.PageText(ctx, o.Wiki, id)
		if err != nil {
			return rep, fmt.Errorf("review: page %d: %w", id, err)
		}
		// The model at each threshold, as the backtest runs it: the links it inserts
		// change which mentions are still free, so the suggestions at a threshold are
		// not those of a lower one cut at it.
		c := make([]evalCounts, nt)
		for t, th := range o.Thresholds {
			res := linker.Recommend(q.Dict, q.Model, wikitext.NormalizeTitle(pg.Title), pg.Wikitext, linker.RecommendOptions{Threshold: th, Ctx: ctx})
			suggested := map[key]bool{}
			for _, rec := range res.Links {
				suggested[key{linker.NormalizeMention(rec.LinkText, q.Dict.Lower), q.Dict.Resolve(rec.LinkTarget)}] = true
			}
			judged := 0
			for _, i := range byPage[id] {
				it := items[i]
				k := key{linker.NormalizeMention(it.Mention, q.Dict.Lower), q.Dict.Resolve(it.Target)}
				predicted := suggested[k]
				if predicted {
					judged++
				}
				switch {
				case predicted && gold[i]:
					c[t].tp++
				case predicted:
					c[t].fp++
				case gold[i]:
					c[t].fn++
				}
			}
			c[t].unjudged = len(suggested) - judged
		}
		counts[pi] = c
		p.Add(1)
	}
	rep.Rows = make([]EvalRow, nt)
	for t, th := range o.Thresholds {
		var c evalCounts
		for pi := range counts {
			c.add(counts[pi][t])
		}
		r := EvalRow{Threshold: th, TruePositives: c.tp, FalsePositives: c.fp, FalseNegatives: c.fn, Unjudged: c.unjudged}
		r.Precision, r.Recall, r.F1 = c.prf()
		r.PrecisionLow, r.PrecisionHigh, r.RecallLow, r.RecallHigh, r.F1Low, r.F1High = math.NaN(), math.NaN(), math.NaN(), math.NaN(), math.NaN(), math.NaN()
		r.BacktestPrecision, r.BacktestRecall, r.BacktestF1 = math.NaN(), math.NaN(), math.NaN()
		rep.Rows[t] = r
	}
	if o.Bootstrap > 0 {
		rep.Bootstrap = o.Bootstrap
		bootstrapEval(counts, rep.Rows, o.Bootstrap, o.Seed)
	}
	if own {
		if b, err := os.ReadFile(l.Summary("backtest")); err == nil {
			var s datasets.BacktestSummary
			if err := json.Unmarshal(b, &s); err == nil {
				rep.Backtest = l.Summary("backtest")
				for i := range rep.Rows {
					for _, br := range s.Rows {
						if math.Abs(br.Threshold-rep.Rows[i].Threshold) < 1e-9 {
							rep.Rows[i].BacktestPrecision, rep.Rows[i].BacktestRecall = br.MicroPrecision, br.MicroRecall
							rep.Rows[i].BacktestF1 = f1(br.MicroPrecision, br.MicroRecall)
						}
					}
				}
			}
		}
	}
	return rep, nil
}

type evalCounts struct{ tp, fp, fn, unjudged int }

func (c *evalCounts) add(d evalCounts) {
	c.tp += d.tp
	c.fp += d.fp
	c.fn += d.fn
	c.unjudged += d.unjudged
}

func (c evalCounts) prf() (p, r, f float64) {
	p, r = math.NaN(), math.NaN()
	if c.tp+c.fp > 0 {
		p = float64(c.tp) / float64(c.tp+c.fp)
	}
	if c.tp+c.fn > 0 {
		r = float64(c.tp) / float64(c.tp+c.fn)
	}
	return p, r, f1(p, r)
}

func f1(p, r float64) float64 {
	if math.IsNaN(p) || math.IsNaN(r) {
		return math.NaN()
	}
	if p+r == 0 {
		return 0
	}
	return 2 * p * r / (p + r)
}

// bootstrapEval fills the rows' 95% intervals from b resamples of the pages.
func bootstrapEval(counts [][]evalCounts, rows []EvalRow, b int, seed uint64) {
	if len(counts) == 0 {
		return
	}
	rng := rand.New(rand.NewPCG(seed, 0x9e3779b97f4a7c15))
	nt := len(rows)
	ps, rs, fs := make([][]float64, nt), make([][]float64, nt), make([][]float64, nt)
	sum := make([]evalCounts, nt)
	for k := 0; k < b; k++ {
		clear(sum)
		for range counts {
			c := counts[rng.IntN(len(counts))]
			for t := range sum {
				sum[t].add(c[t])
			}
		}
		for t := range sum {
			p, r, f := sum[t].prf()
			if !math.IsNaN(p) {
				ps[t] = append(ps[t], p)
			}
			if !math.IsNaN(r) {
				rs[t] = append(rs[t], r)
			}
			if !math.IsNaN(f) {
				fs[t] = append(fs[t], f)
			}
		}
	}
	for t := range rows {
		rows[t].PrecisionLow, rows[t].PrecisionHigh = interval(ps[t])
		rows[t].RecallLow, rows[t].RecallHigh = interval(rs[t])
		rows[t].F1Low, rows[t].F1High = interval(fs[t])
	}
}

// interval returns the 2.5th and 97.5th percentiles (nearest rank), NaN for none.
func interval(v []float64) (lo, hi float64) {
	if len(v) == 0 {
		return math.NaN(), math.NaN()
	}
	sort.Float64s(v)
	at := func(q float64) float64 {
		i := int(math.Ceil(q*float64(len(v)))) - 1
		return v[max(0, min(len(v)-1, i))]
	}
	return at(0.025), at(0.975)
}

// Write prints the report as a table.
func (r EvalReport) Write(w io.Writer) error {
	var b strings.Builder
	fmt.Fprintf(&b, "%s: model %s (sha256 %.12s), %d golden items (%d accepted) on %d pages; 95%% intervals from %d resamples of the pages (seed %d)\n",
		r.Wiki, r.Model, r.ModelChecksum, r.Golden, r.Accepted, r.Pages, r.Bootstrap, r.Seed)
	bt := r.Backtest != ""
	fmt.Fprintf(&b, "%-9s %-21s %-21s %-21s %4s %4s %4s %8s", "threshold", "precision [95%]", "recall [95%]", "F1 [95%]", "tp", "fp", "fn", "unjudged")
	if bt {
		fmt.Fprintf(&b, " | %-9s %-9s %-9s", "backtest P", "R", "F1")
	}
	b.WriteByte('\n')
	ci := func(v, lo, hi float64) string {
		if math.IsNaN(lo) {
			return num(v)
		}
		return fmt.Sprintf("%s [%s,%s]", num(v), num(lo), num(hi))
	}
	for _, row := range r.Rows {
		fmt.Fprintf(&b, "%-9.1f %-21s %-21s %-21s %4d %4d %4d %8d", row.Threshold, ci(row.Precision, row.PrecisionLow, row.PrecisionHigh),
			ci(row.Recall, row.RecallLow, row.RecallHigh), ci(row.F1, row.F1Low, row.F1High),
			row.TruePositives, row.FalsePositives, row.FalseNegatives, row.Unjudged)
		if bt {
			fmt.Fprintf(&b, " | %-10s %-9s %-9s", num(row.BacktestPrecision), num(row.BacktestRecall), num(row.BacktestF1))
		}
		b.WriteByte('\n')
	}
	if bt {
		fmt.Fprintf(&b, "backtest: %s (the page's own links as the truth, on the test sentences)\n", r.Backtest)
	}
	_, err := io.WriteString(w, b.String())
	return err
}
