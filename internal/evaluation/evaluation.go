// Package evaluation measures a link model on test sentences, as the backtest stage does
// (docs/reference.md "Stage 7"): each sentence is stripped of its links, links are
// recommended into its plain text, and the predicted (anchor, target) pairs are compared
// with the sentence's own links, at each threshold. It adds bootstrap intervals, the area
// under the precision-recall curve and the best F1, and writes the results: the
// evaluation CSV in the reference's format, a plot and the summary (datasets holds their
// formats). The backtest stage runs it on a wiki's own model; multilingual runs it on a
// shared model for each wiki, and review reads its defaults.
package evaluation

import (
	"bytes"
	"context"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"sync"

	"github.com/addlink/addlink/atomicfile"
	"github.com/addlink/addlink/datasets"
	"github.com/addlink/addlink/internal/gbdt"
	"github.com/addlink/addlink/internal/linker"
	"github.com/addlink/addlink/internal/progress"
	"github.com/addlink/addlink/internal/wikitext"
)

// DefaultThresholds are the reference's thresholds 0.0, 0.1, ..., 0.9.
func DefaultThresholds() []float64 {
	return []float64{0.0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9}
}

// DefaultNMax is the number of test sentences the reference's pipeline evaluates.
const DefaultNMax = 10000

// Options configures an evaluation.
type Options struct {
	Thresholds []float64 // default DefaultThresholds()
	NMax       int       // at most this many sentences with links; <= 0 means all
	Threads    int
	Tokens     linker.TokenOptions
	// Bootstrap is the number of bootstrap resamples of the sentences behind the 95%
	// intervals (default DefaultBootstrap; negative: no intervals); Seed seeds them.
	Bootstrap int
	Seed      uint64
}

// DefaultBootstrap is the default number of bootstrap resamples.
const DefaultBootstrap = 1000

// Row is one line of the evaluation (its file format is datasets').
type Row = datasets.BacktestRow

// Summary is an evaluation's result (its file format is datasets').
type Summary = datasets.BacktestSummary

// Write writes a backtest's evaluation CSV, plot and summary (JSON) to these paths,
// making their directories.
func Write(s Summary, wiki, csvPath, svgPath, summaryPath string) error {
	for _, p := range []string{csvPath, svgPath, summaryPath} {
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			return err
		}
	}
	if _, err := atomicfile.WriteFile(csvPath, FormatCSV(s.Rows)); err != nil {
		return err
	}
	svg, err := Plot(wiki, s.Rows)
	if err != nil {
		return err
	}
	if _, err := atomicfile.WriteFile(svgPath, svg); err != nil {
		return err
	}
	return datasets.WriteJSON(summaryPath, s)
}

// LoadModel reads an XGBoost JSON model.
func LoadModel(path string) (*gbdt.Model, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return gbdt.ReadJSON(f)
}

// counts are one sentence's contribution at one threshold.
type counts struct{ tp, predicted, gold int }

// Rows runs the evaluation over the sentences, in parallel over sentences; the result
// does not depend on the number of threads. The rows carry no intervals (see
// Summarize).
func Rows(ctx context.Context, d *linker.Dict, model linker.Scorer, sents []datasets.Sentence, o Options, p progress.Reporter) ([]Row, error) {
	res, err := evaluate(ctx, d, model, sents, o, p)
	if err != nil {
		return nil, err
	}
	if len(o.Thresholds) == 0 {
		o.Thresholds = DefaultThresholds()
	}
	return totals(res, o.Thresholds), nil
}

// evaluate returns each evaluated sentence's counts at each threshold.
func evaluate(ctx context.Context, d *linker.Dict, model linker.Scorer, sents []datasets.Sentence, o Options, p progress.Reporter) ([][]counts, error) {
	p = progress.OrNop(p)
	set, err := scorerFeatures(model)
	if err == nil {
		err = d.Supports(set)
	}
	if err != nil {
		return nil, err
	}
	cands, err := linker.ScorerCandidates(model)
	if err != nil {
		return nil, err
	}
	extended := set.Extended()
	if len(o.Thresholds) == 0 {
		o.Thresholds = DefaultThresholds()
	}
	threads := o.Threads
	if threads <= 0 {
		threads = runtime.GOMAXPROCS(0)
	}
	// The sentences evaluated: those with gold links, up to NMax of them.
	type item struct {
		page, plain string
		gold        map[string]string
		context     []string
	}
	var items []item
	for _, s := range sents {
		gold, _ := d.Gold(s.Text, false)
		if len(gold) == 0 {
			continue
		}
		it := item{page: s.Title, plain: wikitext.StripCode(s.Text), gold: gold}
		if extended {
			// The sentence is stripped of its links: the relatedness feature sees the
			// page's other links, as the training rows do.
			it.context = d.OtherLinks(s.Title, gold)
		}
		items = append(items, it)
		if o.NMax > 0 && len(items) == o.NMax {
			break
		}
	}
	p.Phase("backtest: sentences", int64(len(items)), "sentences")
	res := make([][]counts, len(items))
	var next int
	var mu sync.Mutex
	var wg sync.WaitGroup
	for w := 0; w < threads; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			cache := &cachedScorer{model: model, set: set, cands: cands, m: map[string]float32{}}
			for {
				mu.Lock()
				i := next
				next++
				mu.Unlock()
				if i >= len(items) || ctx.Err() != nil {
					return
				}
				it := items[i]
				clear(cache.m)
				res[i] = make([]counts, len(o.Thresholds))
				for ti, th := range o.Thresholds {
					r := linker.Recommend(d, cache, it.page, it.plain, linker.RecommendOptions{Threshold: th, Tokens: o.Tokens, ContextLinks: it.context, Ctx: ctx})
					predicted := map[string]string{}
					for _, l := range r.Links {
						target := d.Resolve(l.LinkTarget)
						if _, ok := d.PageIDs[target]; !ok {
							continue
						}
						predicted[linker.NormalizeMention(l.LinkText, d.Lower)] = target
					}
					c := counts{predicted: len(predicted), gold: len(it.gold)}
					for a, t := range predicted {
						if it.gold[a] == t {
							c.tp++
						}
					}
					res[i][ti] = c
				}
				p.Add(1)
			}
		}()
	}
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	return res, nil
}

// totals sums the sentences' counts into one row per threshold (no intervals).
func totals(res [][]counts, thresholds []float64) []Row {
	rows := make([]Row, len(thresholds))
	for ti, th := range thresholds {
		r := Row{Threshold: th, N: len(res)}
		for i := range res {
			c := res[i][ti]
			r.TruePositives += c.tp
			r.Predicted += c.predicted
			r.Gold += c.gold
		}
		r.MicroPrecision, r.MicroRecall = ratio(r.TruePositives, r.Predicted), ratio(r.TruePositives, r.Gold)
		r.PrecisionLow, r.PrecisionHigh, r.RecallLow, r.RecallHigh = math.NaN(), math.NaN(), math.NaN(), math.NaN()
		rows[ti] = r
	}
	return rows
}

func ratio(a, b int) float64 {
	if b == 0 {
		return math.NaN()
	}
	return float64(a) / float64(b)
}

// scorerFeatures is the feature set of the model the backtest scores with.
func scorerFeatures(model linker.Scorer) (linker.FeatureSet, error) {
	switch m := model.(type) {
	case *gbdt.Model:
		return linker.ModelFeatures(m)
	case linker.FeatureScorer:
		return m.Features(), nil
	}
	return linker.ReferenceFeatures, nil
}

// cachedScorer remembers the model's answers for one sentence: they do not change
// with the threshold.
type cachedScorer struct {
	model linker.Scorer
	set   linker.FeatureSet
	cands linker.CandidateRules
	m     map[string]float32
	key   []byte
}

// Features says which features the cached model reads (linker.FeatureScorer).
func (c *cachedScorer) Features() linker.FeatureSet { return c.set }

// Candidates says which candidate rules the cached model applies
// (linker.CandidateScorer).
func (c *cachedScorer) Candidates() linker.CandidateRules { return c.cands }

func (c *cachedScorer) Predict(x []float32) float32 {
	c.key = c.key[:0]
	for _, v := range x {
		c.key = strconv.AppendUint(c.key, uint64(math.Float32bits(v)), 36)
		c.key = append(c.key, ',')
	}
	if p, ok := c.m[string(c.key)]; ok {
		return p
	}
	p := c.model.Predict(x)
	c.m[string(c.key)] = p
	return p
}

// FormatCSV writes the rows as pandas' DataFrame.to_csv does for the reference's
// frame: an index column without a name, floats as Python's repr, NaN as "".
func FormatCSV(rows []Row) []byte {
	var b bytes.Buffer
	b.WriteString(",threshold,N,micro_precision,micro_recall\n")
	f := func(v float64) string {
		if math.IsNaN(v) {
			return ""
		}
		return datasets.PyFloat(v, 64)
	}
	for i, r := range rows {
		fmt.Fprintf(&b, "%d,%s,%d,%s,%s\n", i, f(r.Threshold), r.N, f(r.MicroPrecision), f(r.MicroRecall))
	}
	return b.Bytes()
}

// Check returns the row at the threshold closest to th and whether it meets the
// minimum precision and recall (NaN never does).
func Check(rows []Row, th, minPrecision, minRecall float64) (Row, bool) {
	best := -1
	for i, r := range rows {
		if best < 0 || math.Abs(r.Threshold-th) < math.Abs(rows[best].Threshold-th) {
			best = i
		}
	}
	if best < 0 {
		return Row{}, false
	}
	r := rows[best]
	ok := !(r.MicroPrecision < minPrecision) && !(r.MicroRecall < minRecall) &&
		!(math.IsNaN(r.MicroPrecision) && minPrecision > 0) && !(math.IsNaN(r.MicroRecall) && minRecall > 0)
	return r, ok
}
