package evaluation

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"sort"
	"strings"

	"github.com/addlink/addlink/datasets"
	"github.com/addlink/addlink/internal/linker"
	"github.com/addlink/addlink/internal/progress"
)

// DefaultSeed seeds the bootstrap resampling.
const DefaultSeed = 1

// Summarize runs the evaluation (Rows) and adds what one number per threshold
// cannot say: 95% bootstrap intervals of precision and recall (o.Bootstrap resamples
// of the evaluated sentences, drawn with replacement from a PCG generator seeded with
// o.Seed), the area under the precision-recall curve with its interval, and the best
// F1. Seconds is left to the caller.
func Summarize(ctx context.Context, d *linker.Dict, model linker.Scorer, sents []datasets.Sentence, o Options, p progress.Reporter) (Summary, error) {
	if len(o.Thresholds) == 0 {
		o.Thresholds = DefaultThresholds()
	}
	if o.Bootstrap == 0 {
		o.Bootstrap = DefaultBootstrap
	}
	if o.Seed == 0 {
		o.Seed = DefaultSeed
	}
	set, err := scorerFeatures(model)
	if err != nil {
		return Summary{}, err
	}
	res, err := evaluate(ctx, d, model, sents, o, p)
	if err != nil {
		return Summary{}, err
	}
	s := Summary{Rows: totals(res, o.Thresholds), Features: set.String(), Sentences: len(res), Seed: o.Seed}
	if cands, err := linker.ScorerCandidates(model); err == nil && !cands.IsReference() {
		s.Candidates = cands.String()
	}
	s.PRAUC, s.PRAUCLow, s.PRAUCHigh = PRAUC(s.Rows), math.NaN(), math.NaN()
	s.BestF1, s.BestF1Threshold = BestF1(s.Rows)
	if o.Bootstrap > 0 && len(res) > 0 {
		s.Bootstrap = o.Bootstrap
		if err := bootstrap(ctx, res, &s, o.Bootstrap, o.Seed); err != nil {
			return Summary{}, err
		}
	}
	return s, nil
}

// bootstrap fills the intervals of s from b resamples of the sentences' counts.
func bootstrap(ctx context.Context, res [][]counts, s *Summary, b int, seed uint64) error {
	nt := len(s.Rows)
	rng := rand.New(rand.NewPCG(seed, 0x9e3779b97f4a7c15))
	prec := make([][]float64, nt)
	rec := make([][]float64, nt)
	var aucs []float64
	sum := make([]counts, nt)
	rows := make([]Row, nt)
	for k := 0; k < b; k++ {
		if k%64 == 0 && ctx.Err() != nil {
			return ctx.Err()
		}
		clear(sum)
		for range res {
			c := res[rng.IntN(len(res))]
			for t := range sum {
				sum[t].tp += c[t].tp
				sum[t].predicted += c[t].predicted
				sum[t].gold += c[t].gold
			}
		}
		for t, c := range sum {
			rows[t] = Row{Threshold: s.Rows[t].Threshold, MicroPrecision: ratio(c.tp, c.predicted), MicroRecall: ratio(c.tp, c.gold)}
			if v := rows[t].MicroPrecision; !math.IsNaN(v) {
				prec[t] = append(prec[t], v)
			}
			if v := rows[t].MicroRecall; !math.IsNaN(v) {
				rec[t] = append(rec[t], v)
			}
		}
		if v := PRAUC(rows); !math.IsNaN(v) {
			aucs = append(aucs, v)
		}
	}
	for t := range s.Rows {
		s.Rows[t].PrecisionLow, s.Rows[t].PrecisionHigh = interval(prec[t])
		s.Rows[t].RecallLow, s.Rows[t].RecallHigh = interval(rec[t])
	}
	s.PRAUCLow, s.PRAUCHigh = interval(aucs)
	return nil
}

// interval returns the 2.5th and 97.5th percentiles of v (linear interpolation between
// order statistics, as numpy.percentile's default); NaN for an empty v.
func interval(v []float64) (float64, float64) {
	if len(v) == 0 {
		return math.NaN(), math.NaN()
	}
	sort.Float64s(v)
	return percentile(v, 2.5), percentile(v, 97.5)
}

func percentile(sorted []float64, q float64) float64 {
	x := q / 100 * float64(len(sorted)-1)
	i := int(math.Floor(x))
	if i >= len(sorted)-1 {
		return sorted[len(sorted)-1]
	}
	f := x - float64(i)
	return sorted[i] + f*(sorted[i+1]-sorted[i])
}

// PRAUC is the area under the precision-recall curve through the rows' points
// (recall, precision) where both are defined: trapezoids between the points sorted by
// recall, and from recall 0 the precision of the lowest-recall point. NaN without
// points. The curve spans only the recalls the thresholds reach, so a model that
// reaches more recall gets more area.
func PRAUC(rows []Row) float64 {
	type pt struct{ r, p float64 }
	var pts []pt
	for _, r := range rows {
		if !math.IsNaN(r.MicroPrecision) && !math.IsNaN(r.MicroRecall) {
			pts = append(pts, pt{r.MicroRecall, r.MicroPrecision})
		}
	}
	if len(pts) == 0 {
		return math.NaN()
	}
	sort.Slice(pts, func(i, j int) bool {
		if pts[i].r != pts[j].r {
			return pts[i].r < pts[j].r
		}
		return pts[i].p > pts[j].p
	})
	area := pts[0].r * pts[0].p
	for i := 1; i < len(pts); i++ {
		area += (pts[i].r - pts[i-1].r) * (pts[i].p + pts[i-1].p) / 2
	}
	return area
}

// F1 is the harmonic mean of a row's precision and recall (NaN when either is
// undefined, 0 when both are 0).
func F1(r Row) float64 {
	p, q := r.MicroPrecision, r.MicroRecall
	if math.IsNaN(p) || math.IsNaN(q) {
		return math.NaN()
	}
	if p+q == 0 {
		return 0
	}
	return 2 * p * q / (p + q)
}

// BestF1 returns the highest F1 over the rows and its threshold (the lowest threshold
// among equal ones); NaN without a defined F1.
func BestF1(rows []Row) (float64, float64) {
	best, th := math.NaN(), math.NaN()
	for _, r := range rows {
		if f := F1(r); !math.IsNaN(f) && (math.IsNaN(best) || f > best) {
			best, th = f, r.Threshold
		}
	}
	return best, th
}

// Markdown renders a summary as a table: per threshold, precision and recall with
// their 95% intervals and F1; then the PR AUC and the best F1 (for the run report).
func Markdown(s Summary) string {
	var b strings.Builder
	feats := s.Features
	if s.Candidates != "" {
		feats += ", candidates " + s.Candidates
	}
	fmt.Fprintf(&b, "Features %s; %d sentences; intervals: 95%%, %d bootstrap resamples (seed %d).\n\n", feats, s.Sentences, s.Bootstrap, s.Seed)
	b.WriteString("| threshold | precision | 95% interval | recall | 95% interval | F1 |\n|---|---|---|---|---|---|\n")
	for _, r := range s.Rows {
		fmt.Fprintf(&b, "| %.2f | %s | %s | %s | %s | %s |\n", r.Threshold, mdNum(r.MicroPrecision), mdCI(r.PrecisionLow, r.PrecisionHigh),
			mdNum(r.MicroRecall), mdCI(r.RecallLow, r.RecallHigh), mdNum(F1(r)))
	}
	fmt.Fprintf(&b, "\nPR AUC %s %s; best F1 %s at threshold %s.\n", mdNum(s.PRAUC), mdCI(s.PRAUCLow, s.PRAUCHigh), mdNum(s.BestF1), mdNum(s.BestF1Threshold))
	return b.String()
}

func mdNum(v float64) string {
	if math.IsNaN(v) {
		return "-"
	}
	return fmt.Sprintf("%.3f", v)
}

func mdCI(lo, hi float64) string {
	if math.IsNaN(lo) || math.IsNaN(hi) {
		return "-"
	}
	return fmt.Sprintf("[%.3f, %.3f]", lo, hi)
}
