// Package multilingual trains one link model on the training rows of several wikis and
// evaluates it on each of them (`addlink multilingual`). The model is a v2 model, as
// Wikimedia's multilingual models are: the reference's six inputs with the ngram input
// counted in word tokens (linker.NGramTokens), and the wiki as the seventh input, which
// the service feeds as 0. Each wiki keeps its own dictionaries and embeddings: only
// the model is shared.
//
// Pooling: each wiki's share of the training rows is proportional to its number of
// rows raised to Options.Balance (temperature sampling): 1 pools the rows as they are,
// 0 gives every wiki the same share, in between a small wiki is up-sampled and a large
// one down-sampled. The total number of rows stays the pooled one. A wiki's rows are
// taken as whole copies and then a seeded sample without replacement for the rest, so
// the training set (and the model) is the same for the same inputs and seed.
//
// The seventh input (Options.WikiFeature): "codes" numbers the wikis 1, 2, ... in the
// sorted order of their ids (0 is kept for what serving feeds), "zero" gives every row
// 0, so that the trees never split on it and the model is the same at training and
// serving. With codes, serving's 0 lies below every code: at each split on the wiki the
// service takes the side of the lowest-numbered wiki.
package multilingual

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/addlink/addlink/atomicfile"
	"github.com/addlink/addlink/checksum"
	"github.com/addlink/addlink/datasets"
	"github.com/addlink/addlink/internal/evaluation"
	"github.com/addlink/addlink/internal/gbdt"
	"github.com/addlink/addlink/internal/linker"
	"github.com/addlink/addlink/internal/progress"
)

// ErrInput is wrapped by the errors of bad input (options, missing or inconsistent
// training rows): nothing has been written then.
var ErrInput = errors.New("multilingual: bad input")

// Wiki-feature encodings (Options.WikiFeature).
const (
	WikiCodes = "codes"
	WikiZero  = "zero"
)

// Options configure a run.
type Options struct {
	DataDir string
	Wikis   []string
	// Name names the model: its files go to <DataDir>/<Name>/.
	Name string
	// WikiFeature is WikiCodes or WikiZero (see the package comment).
	WikiFeature string
	// Balance is the exponent of the wikis' shares, in [0, 1] (see the package comment).
	Balance float64
	// Seed seeds the sampling of the rows.
	Seed   uint64
	Params gbdt.Params
	// NMax, Bootstrap and BootstrapSeed are the backtest's (evaluation.Options).
	NMax          int
	Bootstrap     int
	BootstrapSeed uint64
	Threads       int
	// MinPrecision, when >= 0, is the deploy gate: a wiki whose precision at 0.5 is
	// below it (or undefined) fails (Summary.Failing).
	MinPrecision float64
}

// DefaultOptions returns the defaults, chosen by bench/multilingual.sh on the four
// fixture wikis (docs/multilingual.md): the wiki input 0 in training as at serving
// (WikiZero), the rows pooled as they are (Balance 1: lowering it cost the largest
// wiki's precision and gained the small ones nothing), XGBoost's parameters.
func DefaultOptions() Options {
	return Options{DataDir: "data", WikiFeature: WikiZero, Balance: 1, Seed: 1, Params: gbdt.DefaultParams(),
		NMax: evaluation.DefaultNMax, Bootstrap: evaluation.DefaultBootstrap, BootstrapSeed: evaluation.DefaultSeed, MinPrecision: -1}
}

func inputErr(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrInput, fmt.Sprintf(format, args...))
}

// Validate checks the options (not the files: Run does).
func (o *Options) Validate() error {
	if len(o.Wikis) < 2 {
		return inputErr("give at least two wikis (--wikis W1,W2,...), got %d", len(o.Wikis))
	}
	seen := map[string]bool{}
	for _, w := range o.Wikis {
		if err := datasets.CheckWikiID(w); err != nil {
			return inputErr("wiki %q: %v", w, err)
		}
		if seen[w] {
			return inputErr("wiki %s given twice", w)
		}
		seen[w] = true
	}
	if err := datasets.CheckWikiID(o.Name); err != nil {
		return inputErr("--name %q: %v", o.Name, err)
	}
	if seen[o.Name] {
		return inputErr("--name %s is one of the wikis: the model's files would go to that wiki's directory", o.Name)
	}
	if o.WikiFeature != WikiCodes && o.WikiFeature != WikiZero {
		return inputErr("wiki feature %q: want %s or %s", o.WikiFeature, WikiCodes, WikiZero)
	}
	if !(o.Balance >= 0 && o.Balance <= 1) {
		return inputErr("balance %v not in [0, 1]", o.Balance)
	}
	if o.MinPrecision > 1 {
		return inputErr("minimum precision %v above 1", o.MinPrecision)
	}
	if err := o.Params.Validate(); err != nil {
		return fmt.Errorf("%w: %w", ErrInput, err)
	}
	return nil
}

// Sorted returns the wikis in sorted order, the order of their codes.
func (o *Options) sorted() []string {
	w := slices.Clone(o.Wikis)
	slices.Sort(w)
	return w
}

// Result is one wiki's line of the summary.
type Result struct {
	Wiki string `json:"wiki"`
	// Code is the wiki's seventh input in training (0 with WikiZero).
	Code int `json:"code"`
	// Rows are the wiki's training rows; TrainRows how many the pooled set holds.
	Rows      int `json:"rows"`
	TrainRows int `json:"train_rows"`
	// Multilingual is the shared model's backtest on the wiki; Own the wiki's own
	// model's (its backtest.summary.json), nil when it has none.
	Multilingual Scores  `json:"multilingual"`
	Own          *Scores `json:"own"`
	// Pass is whether precision at 0.5 reaches Options.MinPrecision (true without
	// a gate).
	Pass bool `json:"pass"`
}

// Scores are the figures of one backtest compared in the summary.
type Scores struct {
	Sentences     int     `json:"sentences"`
	Precision     float64 `json:"precision_at_05"`
	PrecisionLow  float64 `json:"precision_at_05_low"`
	PrecisionHigh float64 `json:"precision_at_05_high"`
	Recall        float64 `json:"recall_at_05"`
	RecallLow     float64 `json:"recall_at_05_low"`
	RecallHigh    float64 `json:"recall_at_05_high"`
	BestF1        float64 `json:"best_f1"`
	BestF1At      float64 `json:"best_f1_threshold"`
	Features      string  `json:"features"`
}

// MarshalJSON writes NaN as null.
func (s Scores) MarshalJSON() ([]byte, error) {
	type plain Scores
	return json.Marshal(struct {
		plain
		Precision     *float64 `json:"precision_at_05"`
		PrecisionLow  *float64 `json:"precision_at_05_low"`
		PrecisionHigh *float64 `json:"precision_at_05_high"`
		Recall        *float64 `json:"recall_at_05"`
		RecallLow     *float64 `json:"recall_at_05_low"`
		RecallHigh    *float64 `json:"recall_at_05_high"`
		BestF1        *float64 `json:"best_f1"`
		BestF1At      *float64 `json:"best_f1_threshold"`
	}{plain(s), datasets.NaNAsNull(s.Precision), datasets.NaNAsNull(s.PrecisionLow), datasets.NaNAsNull(s.PrecisionHigh), datasets.NaNAsNull(s.Recall), datasets.NaNAsNull(s.RecallLow),
		datasets.NaNAsNull(s.RecallHigh), datasets.NaNAsNull(s.BestF1), datasets.NaNAsNull(s.BestF1At)})
}

// scoresOf takes the compared figures from a backtest summary.
func scoresOf(s evaluation.Summary) Scores {
	sc := Scores{Sentences: s.Sentences, BestF1: s.BestF1, BestF1At: s.BestF1Threshold, Features: s.Features,
		Precision: math.NaN(), PrecisionLow: math.NaN(), PrecisionHigh: math.NaN(),
		Recall: math.NaN(), RecallLow: math.NaN(), RecallHigh: math.NaN()}
	for _, r := range s.Rows {
		if math.Abs(r.Threshold-0.5) < 1e-9 {
			sc.Precision, sc.PrecisionLow, sc.PrecisionHigh = r.MicroPrecision, r.PrecisionLow, r.PrecisionHigh
			sc.Recall, sc.RecallLow, sc.RecallHigh = r.MicroRecall, r.RecallLow, r.RecallHigh
		}
	}
	return sc
}

// Summary is multilingual.summary.json.
type Summary struct {
	Name         string   `json:"name"`
	Model        string   `json:"model"`
	ModelSHA256  string   `json:"model_sha256"`
	WikiFeature  string   `json:"wiki_feature"`
	Balance      float64  `json:"balance"`
	Seed         uint64   `json:"seed"`
	Trees        int      `json:"trees"`
	Wikis        []Result `json:"wikis"`
	MacroBestF1  float64  `json:"macro_best_f1"`
	OwnMacroF1   *float64 `json:"own_macro_best_f1"`
	MinPrecision *float64 `json:"min_precision"`
	// Failing lists the wikis below MinPrecision.
	Failing []string `json:"failing"`
}

// row is one training row of a wiki: its six inputs (the ngram one recounted for v2)
// and its label.
type wikiRows struct {
	x      [][6]float32
	labels []float32
}

// readRows reads a wiki's training/link_train.csv (the reference's format: page,
// mention, target, the six features, label) and recounts the ngram input of each row
// for a v2 model (linker.NGramTokens of the mention).
func readRows(path string) (*wikiRows, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	r := &wikiRows{}
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 16<<20)
	line := 0
	for sc.Scan() {
		line++
		b := sc.Bytes()
		if len(bytes.TrimSpace(b)) == 0 {
			continue
		}
		fields := strings.Split(string(b), "\t")
		if len(fields) != 10 {
			return nil, fmt.Errorf("%s:%d: %d tab-separated fields, want 10 (page, mention, target, six features, label)", path, line, len(fields))
		}
		var x [6]float32
		x[0] = float32(linker.NGramTokens(fields[1]))
		for i := 1; i < 6; i++ {
			v, err := parseFeature(fields[3+i])
			if err != nil {
				return nil, fmt.Errorf("%s:%d: field %d: %w", path, line, 4+i, err)
			}
			x[i] = v
		}
		var y float32
		switch fields[9] {
		case "True":
			y = 1
		case "False":
		default:
			return nil, fmt.Errorf("%s:%d: label %q is not True or False", path, line, fields[9])
		}
		r.x = append(r.x, x)
		r.labels = append(r.labels, y)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return r, nil
}

// parseFeature reads a feature as the train stage does: missing spellings are NaN.
func parseFeature(s string) (float32, error) {
	switch s {
	case "", "nan", "NaN", "NA", "N/A", "null", "None", "<NA>":
		return float32(math.NaN()), nil
	}
	v, err := strconv.ParseFloat(s, 32)
	if err != nil {
		return 0, err
	}
	if math.IsInf(v, 0) {
		return 0, fmt.Errorf("infinite value %q", s)
	}
	return float32(v), nil
}

// checkFeatureSet returns an error unless the wiki's training rows were made with the
// reference's features and candidate rules (features.summary.json), the rows of the
// reference's format that the pooled model reads.
func checkFeatureSet(l datasets.Layout) (string, error) {
	b, err := os.ReadFile(l.Summary("features"))
	if err != nil {
		return "", inputErr("%s: %v (run the features stage for %s)", l.Summary("features"), err, l.Wiki)
	}
	var fs struct {
		Features   []string `json:"features"`
		Candidates string   `json:"candidates"`
	}
	if err := json.Unmarshal(b, &fs); err != nil {
		return "", inputErr("%s: %v", l.Summary("features"), err)
	}
	set := "reference"
	if len(fs.Features) > 0 {
		set = strings.Join(fs.Features, ",")
	}
	if fs.Candidates != "" && fs.Candidates != "reference" {
		set += " (candidates " + fs.Candidates + ")"
	}
	return set, nil
}

// plan returns how many rows of each wiki the pooled set takes: shares proportional
// to rows^balance, the pooled total kept.
func plan(rows []int, balance float64) []int {
	total, weights := 0, make([]float64, len(rows))
	sum := 0.0
	for i, n := range rows {
		total += n
		weights[i] = math.Pow(float64(n), balance)
		sum += weights[i]
	}
	out := make([]int, len(rows))
	for i := range rows {
		out[i] = int(math.Round(float64(total) * weights[i] / sum))
	}
	return out
}

// pool builds the training set: for each wiki (in order) whole copies of its rows and
// a seeded sample without replacement for the rest of its share.
func pool(all []*wikiRows, take []int, codes []float32, seed uint64) *gbdt.Dataset {
	n := 0
	for _, t := range take {
		n += t
	}
	d := &gbdt.Dataset{Features: make([][]float32, 7), Labels: make([]float32, 0, n)}
	for f := range d.Features {
		d.Features[f] = make([]float32, 0, n)
	}
	add := func(r *wikiRows, i int, code float32) {
		for f := 0; f < 6; f++ {
			d.Features[f] = append(d.Features[f], r.x[i][f])
		}
		d.Features[6] = append(d.Features[6], code)
		d.Labels = append(d.Labels, r.labels[i])
	}
	for w, r := range all {
		rows := len(r.labels)
		for c := 0; c < take[w]/rows; c++ {
			for i := 0; i < rows; i++ {
				add(r, i, codes[w])
			}
		}
		rest := take[w] % rows
		if rest == 0 {
			continue
		}
		rng := rand.New(rand.NewPCG(seed, uint64(w)))
		idx := rng.Perm(rows)[:rest]
		slices.Sort(idx)
		for _, i := range idx {
			add(r, i, codes[w])
		}
	}
	return d
}

// Run trains the shared model on the wikis' pooled rows, backtests it on each wiki and
// writes <DataDir>/<Name>/<Name>.linkmodel.json (+ .checksum), testing/<wiki>.backtest.eval.csv
// (and its plot and summary) for each wiki, and multilingual.summary.json. Errors of
// input (wrapping ErrInput) come before anything is written. It returns ctx.Err() when
// cancelled, having written nothing.
func Run(ctx context.Context, o Options, p progress.Reporter) (Summary, error) {
	p = progress.OrNop(p)
	if err := o.Validate(); err != nil {
		return Summary{}, err
	}
	wikis := o.sorted()
	all := make([]*wikiRows, len(wikis))
	sets := map[string][]string{}
	var sents [][]datasets.Sentence
	for i, w := range wikis {
		l := datasets.Layout{DataDir: o.DataDir, Wiki: w}
		set, err := checkFeatureSet(l)
		if err != nil {
			return Summary{}, err
		}
		sets[set] = append(sets[set], w)
		p.Phase("reading the training rows of "+w, 0, "")
		r, err := readRows(l.LinkTrain())
		if err != nil {
			if errors.Is(err, os.ErrNotExist) {
				return Summary{}, inputErr("%s has no training rows: %v (run the features stage)", w, err)
			}
			return Summary{}, fmt.Errorf("%w: %w", ErrInput, err)
		}
		if len(r.labels) == 0 {
			return Summary{}, inputErr("%s has no training rows (%s is empty)", w, l.LinkTrain())
		}
		all[i] = r
		s, err := datasets.ReadSentences(l.SentencesTest())
		if err != nil {
			return Summary{}, inputErr("%s: %v (run the sentences stage)", w, err)
		}
		sents = append(sents, s)
		if _, err := os.Stat(l.Anchors()); err != nil {
			return Summary{}, inputErr("%s: %v (run the dictionaries stage)", w, err)
		}
	}
	if len(sets) > 1 {
		var parts []string
		for set, ws := range sets {
			parts = append(parts, set+": "+strings.Join(ws, ","))
		}
		slices.Sort(parts)
		return Summary{}, inputErr("the wikis' training rows were made with different feature sets (%s): run the features stage of each with the same --features and --candidates", strings.Join(parts, "; "))
	}
	if _, ok := sets["reference"]; !ok {
		for set := range sets {
			return Summary{}, inputErr("the wikis' training rows were made with the features %s; a multilingual (v2) model reads the reference's six and the wiki", set)
		}
	}
	counts := make([]int, len(all))
	codes := make([]float32, len(all))
	for i, r := range all {
		counts[i] = len(r.labels)
		if o.WikiFeature == WikiCodes {
			codes[i] = float32(i + 1)
		}
	}
	take := plan(counts, o.Balance)
	train := pool(all, take, codes, o.Seed)
	pos := 0
	for _, y := range train.Labels {
		if y == 1 {
			pos++
		}
	}
	if pos == 0 || pos == len(train.Labels) {
		return Summary{}, inputErr("the pooled rows have only one label (%d positive of %d)", pos, len(train.Labels))
	}
	params := o.Params
	params.Threads = o.Threads
	model, err := gbdt.Train(ctx, train, params, p)
	if err != nil {
		return Summary{}, fmt.Errorf("multilingual: %w", err)
	}
	out := datasets.Layout{DataDir: o.DataDir, Wiki: o.Name}
	sum := Summary{Name: o.Name, Model: out.Model(), WikiFeature: o.WikiFeature, Balance: o.Balance, Seed: o.Seed,
		Trees: len(model.Trees), Failing: []string{}}
	if o.MinPrecision >= 0 {
		mp := o.MinPrecision
		sum.MinPrecision = &mp
	}
	var evals []evaluation.Summary
	ownSum, ownN := 0.0, 0
	for i, w := range wikis {
		l := datasets.Layout{DataDir: o.DataDir, Wiki: w}
		p.Phase("backtest of the shared model on "+w, 0, "")
		d, err := linker.LoadDict(l, true)
		if err != nil {
			return Summary{}, fmt.Errorf("multilingual: %s: %w", w, err)
		}
		bs, err := evaluation.Summarize(ctx, d, model, sents[i], evaluation.Options{
			NMax: o.NMax, Threads: o.Threads, Bootstrap: o.Bootstrap, Seed: o.BootstrapSeed}, p)
		if err != nil {
			return Summary{}, fmt.Errorf("multilingual: %s: %w", w, err)
		}
		evals = append(evals, bs)
		res := Result{Wiki: w, Code: int(codes[i]), Rows: counts[i], TrainRows: take[i], Multilingual: scoresOf(bs), Pass: true}
		if b, err := os.ReadFile(l.Summary("backtest")); err == nil {
			var own evaluation.Summary
			if err := json.Unmarshal(b, &own); err == nil && len(own.Rows) > 0 {
				sc := scoresOf(own)
				res.Own = &sc
				ownSum += sc.BestF1
				ownN++
			}
		}
		if o.MinPrecision >= 0 && !(res.Multilingual.Precision >= o.MinPrecision) {
			res.Pass = false
			sum.Failing = append(sum.Failing, w)
		}
		sum.MacroBestF1 += res.Multilingual.BestF1 / float64(len(wikis))
		sum.Wikis = append(sum.Wikis, res)
	}
	if ownN == len(wikis) {
		v := ownSum / float64(ownN)
		sum.OwnMacroF1 = &v
	}
	if err := ctx.Err(); err != nil {
		return Summary{}, err
	}
	// Everything is computed: write.
	b, err := model.MarshalJSON()
	if err != nil {
		return Summary{}, fmt.Errorf("multilingual: %w", err)
	}
	if err := os.MkdirAll(filepath.Join(out.Dir(), "testing"), 0o755); err != nil {
		return Summary{}, err
	}
	if sum.ModelSHA256, err = atomicfile.WriteFile(out.Model(), b); err != nil {
		return Summary{}, fmt.Errorf("multilingual: writing the model: %w", err)
	}
	if err := checksum.WriteSidecar(out.Model(), sum.ModelSHA256); err != nil {
		return Summary{}, fmt.Errorf("multilingual: %w", err)
	}
	for i, w := range wikis {
		csv, svg, js := EvalPaths(o.DataDir, o.Name, w)
		if err := evaluation.Write(evals[i], w, csv, svg, js); err != nil {
			return Summary{}, fmt.Errorf("multilingual: %w", err)
		}
	}
	if err := datasets.WriteJSON(SummaryPath(o.DataDir, o.Name), sum); err != nil {
		return Summary{}, err
	}
	return sum, nil
}

// SummaryPath is <dataDir>/<name>/multilingual.summary.json.
func SummaryPath(dataDir, name string) string {
	return filepath.Join(dataDir, name, "multilingual.summary.json")
}

// EvalPaths are where a wiki's backtest with the shared model goes:
// <dataDir>/<name>/testing/<wiki>.backtest.eval.csv, .svg and <wiki>.backtest.summary.json.
func EvalPaths(dataDir, name, wiki string) (csv, svg, summary string) {
	dir := filepath.Join(dataDir, name, "testing")
	return filepath.Join(dir, wiki+".backtest.eval.csv"), filepath.Join(dir, wiki+".backtest.svg"),
		filepath.Join(dir, wiki+".backtest.summary.json")
}
