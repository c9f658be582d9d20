// Package train is the model stage: it reads the training rows (the reference's
// link_train.csv format), holds out a seeded share of them to measure ROC AUC and log
// loss, fits a gradient-boosted tree model on the rest with XGBoost's defaults, and writes
// the model in XGBoost's JSON format with a sha256 checksum sidecar.
package train

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"runtime"

	"github.com/addlink/addlink/atomicfile"
	"github.com/addlink/addlink/checksum"
	"github.com/addlink/addlink/datasets"
	"github.com/addlink/addlink/internal/gbdt"
	"github.com/addlink/addlink/internal/linker"
	"github.com/addlink/addlink/internal/progress"
)

// Options configure a training run. Either Wiki (with DataDir) or TrainingFile and
// ModelOut must be set.
type Options struct {
	DataDir string
	Wiki    string
	// TrainingFile and ModelOut override the paths derived from Wiki:
	// <data-dir>/<wiki>/training/link_train.csv and <data-dir>/<wiki>/<wiki>.linkmodel.json.
	TrainingFile string
	ModelOut     string
	// Holdout is the share of rows held out for evaluation (the reference: 0.33); 0
	// trains on every row and skips the evaluation.
	Holdout float64
	// Seed seeds the hold-out split (the reference: 7; the split equals scikit-learn's
	// train_test_split(test_size=Holdout, random_state=Seed)).
	Seed uint32
	// Params are the boosting parameters; Params.Threads is the number of threads.
	Params gbdt.Params
	// Refit, after the hold-out evaluation, trains the model that is written on every
	// row (the default). The reference writes the model trained without the hold-out
	// rows; on the fixture wikis refitting raises backtest recall at threshold 0.5 (see
	// the README).
	Refit bool
	// Features are the model's inputs. Nil or the reference's six read TrainingFile in
	// the reference's format and write a model without feature names, as today; any
	// other set reads the named columns of training/link_train_extended.csv (the
	// features stage with the same --features) and records the names in the model
	// (learner.feature_names) so that every caller of internal/linker computes them.
	Features linker.FeatureSet
	// Candidates are the candidate rules the training rows were made with (the
	// features stage's --candidates); rules other than the reference's read
	// link_train_extended.csv, which holds the rows of the mentions they add, and are
	// recorded in the model (linker.CandidatesAttribute).
	Candidates linker.CandidateRules
	// AddRows are files of further rows in the reference's link_train.csv format, for
	// example weakly labelled ones (addlink review weak): they are added to the rows
	// the model is trained on and never held out, so the hold-out figures stay those
	// of the wiki's own rows. Only with the reference's features.
	AddRows []string
}

// DefaultOptions returns the reference's settings (33% hold-out, seed 7, XGBoost's
// default parameters) with one improvement: the model written is refitted on every
// row after the hold-out evaluation (Refit; false reproduces the reference).
func DefaultOptions() Options {
	return Options{DataDir: "data", Holdout: 0.33, Seed: 7, Params: gbdt.DefaultParams(), Refit: true}
}

// Validate checks the options and fills the paths derived from Wiki.
func (o *Options) Validate() error {
	if o.Wiki != "" {
		if err := datasets.CheckWikiID(o.Wiki); err != nil {
			return err
		}
		l := datasets.Layout{DataDir: o.DataDir, Wiki: o.Wiki}
		if o.TrainingFile == "" {
			o.TrainingFile = l.LinkTrain()
			if !o.reference() {
				o.TrainingFile = l.LinkTrainExtended()
			}
		}
		if o.ModelOut == "" {
			o.ModelOut = l.Model()
		}
	}
	if o.TrainingFile == "" || o.ModelOut == "" {
		return errors.New("train: give a wiki, or a training file and a model output path")
	}
	if len(o.AddRows) > 0 && !o.reference() {
		return errors.New("train: added rows are in the reference's format: use them with the reference's features and candidates")
	}
	if !(o.Holdout >= 0 && o.Holdout < 1) {
		return fmt.Errorf("train: hold-out share %v not in [0,1)", o.Holdout)
	}
	return o.Params.Validate()
}

func (o *Options) reference() bool {
	return (o.Features == nil || o.Features.IsReference()) && o.Candidates.IsReference()
}

// checkCandidates compares the candidate rules with those the features stage made the
// wiki's training rows with (features.summary.json), when it says.
func (o *Options) checkCandidates() error {
	if o.Wiki == "" {
		return nil
	}
	l := datasets.Layout{DataDir: o.DataDir, Wiki: o.Wiki}
	b, err := os.ReadFile(l.Summary("features"))
	if err != nil {
		return nil
	}
	var fs struct {
		Candidates string `json:"candidates"`
	}
	if json.Unmarshal(b, &fs) != nil {
		return nil
	}
	if fs.Candidates == "" {
		fs.Candidates = "reference"
	}
	if fs.Candidates != o.Candidates.String() {
		return fmt.Errorf("train: the training rows were made with the candidate rules %s (features --candidates), not %s: run the features stage again or pass --candidates %s",
			fs.Candidates, o.Candidates, fs.Candidates)
	}
	return nil
}

// Summary describes a training run; it is also written as JSON beside the model when
// training for a wiki.
type Summary struct {
	TrainingFile string `json:"training_file"`
	Model        string `json:"model"`
	ModelSHA256  string `json:"model_sha256"`
	Rows         int    `json:"rows"`
	Positives    int    `json:"positives"`
	TrainRows    int    `json:"train_rows"`
	TestRows     int    `json:"test_rows"`
	// ROCAUC and LogLoss are measured on the held-out rows; nil without hold-out or
	// when the held-out rows have only one class.
	ROCAUC   *float64 `json:"roc_auc"`
	LogLoss  *float64 `json:"log_loss"`
	Holdout  float64  `json:"holdout"`
	Refit    bool     `json:"refit"`
	Seed     uint32   `json:"seed"`
	Trees    int      `json:"trees"`
	MaxDepth int      `json:"max_depth"`
	Eta      float64  `json:"eta"`
	Features []string `json:"features"`
	// Candidates are the model's candidate rules when not the reference's.
	Candidates string `json:"candidates,omitempty"`
	// AddedRows (of them AddedPositives positive) came from Options.AddRows.
	AddedRows      int `json:"added_rows,omitempty"`
	AddedPositives int `json:"added_positives,omitempty"`
}

// concat returns the rows of a followed by those of b.
func concat(a, b *gbdt.Dataset) *gbdt.Dataset {
	s := &gbdt.Dataset{Features: make([][]float32, len(a.Features)), Labels: append(append([]float32{}, a.Labels...), b.Labels...)}
	for f := range a.Features {
		s.Features[f] = append(append([]float32{}, a.Features[f]...), b.Features[f]...)
	}
	return s
}

// subset returns the rows idx of d, in that order.
func subset(d *gbdt.Dataset, idx []int) *gbdt.Dataset {
	s := &gbdt.Dataset{Features: make([][]float32, len(d.Features)), Labels: make([]float32, len(idx))}
	for f, col := range d.Features {
		c := make([]float32, len(idx))
		for i, r := range idx {
			c[i] = col[r]
		}
		s.Features[f] = c
	}
	for i, r := range idx {
		s.Labels[i] = d.Labels[r]
	}
	return s
}

// Run trains the model as opts say and writes it (temporary file + rename) with its
// checksum sidecar; for a wiki it also writes the stage summary. It returns ctx.Err()
// when cancelled between trees, leaving no model behind.
func Run(ctx context.Context, opts Options, p progress.Reporter) (Summary, error) {
	p = progress.OrNop(p)
	if err := opts.Validate(); err != nil {
		return Summary{}, err
	}
	sum := Summary{TrainingFile: opts.TrainingFile, Model: opts.ModelOut, Holdout: opts.Holdout,
		Seed: opts.Seed, Trees: opts.Params.Rounds, MaxDepth: opts.Params.MaxDepth,
		Eta: opts.Params.Eta, Features: FeatureNames[:]}
	p.Phase("reading "+filepath.Base(opts.TrainingFile), 0, "rows")
	threads := opts.Params.Threads
	if threads <= 0 {
		threads = runtime.NumCPU()
	}
	var all *gbdt.Dataset
	var err error
	if opts.reference() {
		all, err = ReadTrainingFile(opts.TrainingFile, threads)
	} else {
		// link_train_extended.csv holds the rows of the features stage's rules.
		if err := opts.checkCandidates(); err != nil {
			return sum, err
		}
		set := opts.Features
		if set == nil {
			set = linker.ReferenceFeatures
		}
		opts.Features = set
		if !opts.Candidates.IsReference() {
			sum.Candidates = opts.Candidates.String()
		}
		sum.Features = opts.Features.Names()
		all, err = ReadNamedFile(opts.TrainingFile, sum.Features)
	}
	if err != nil {
		return sum, fmt.Errorf("train: %w", err)
	}
	sum.Rows = all.NumRows()
	for _, y := range all.Labels {
		if y == 1 {
			sum.Positives++
		}
	}
	p.Add(int64(sum.Rows))
	if sum.Rows == 0 {
		return sum, fmt.Errorf("train: %s has no rows", opts.TrainingFile)
	}
	if sum.Positives == 0 || sum.Positives == sum.Rows {
		return sum, fmt.Errorf("train: %s has %d rows, all of them %s: a model needs both labels (a wiki this small has too few links between its articles; the reference fails on it too)",
			opts.TrainingFile, sum.Rows, map[bool]string{true: "positive", false: "negative"}[sum.Positives > 0])
	}
	trainIdx, testIdx := gbdt.HoldoutSplit(sum.Rows, opts.Holdout, opts.Seed)
	trainSet := all
	if len(testIdx) > 0 {
		trainSet = subset(all, trainIdx)
	}
	for _, f := range opts.AddRows {
		add, err := ReadTrainingFile(f, threads)
		if err != nil {
			return sum, fmt.Errorf("train: %w", err)
		}
		sum.AddedRows += add.NumRows()
		for _, y := range add.Labels {
			if y == 1 {
				sum.AddedPositives++
			}
		}
		// Appended after the wiki's rows: testIdx still names the held-out ones.
		trainSet, all = concat(trainSet, add), concat(all, add)
	}
	sum.TrainRows, sum.TestRows = len(trainIdx)+sum.AddedRows, len(testIdx)
	if sum.TrainRows == 0 {
		return sum, fmt.Errorf("train: no rows left to train on after holding out %d of %d", sum.TestRows, sum.Rows)
	}
	model, err := gbdt.Train(ctx, trainSet, opts.Params, p)
	if err != nil {
		return sum, fmt.Errorf("train: %w", err)
	}
	if len(testIdx) > 0 {
		test := subset(all, testIdx)
		probs := model.PredictColumns(test.Features, threads)
		if auc := gbdt.AUC(test.Labels, probs); !math.IsNaN(auc) {
			sum.ROCAUC = &auc
		}
		ll := gbdt.LogLoss(test.Labels, probs)
		sum.LogLoss = &ll
	}
	if opts.Refit && len(testIdx) > 0 {
		if model, err = gbdt.Train(ctx, all, opts.Params, p); err != nil {
			return sum, fmt.Errorf("train: %w", err)
		}
		sum.Refit = true
	}
	if !opts.reference() {
		model.FeatureNames = opts.Features.ModelNames()
		linker.SetModelCandidates(model, opts.Candidates)
	}
	b, err := model.MarshalJSON()
	if err != nil {
		return sum, fmt.Errorf("train: %w", err)
	}
	if dir := filepath.Dir(opts.ModelOut); dir != "" {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return sum, fmt.Errorf("train: %w", err)
		}
	}
	if sum.ModelSHA256, err = atomicfile.WriteFile(opts.ModelOut, b); err != nil {
		return sum, fmt.Errorf("train: writing the model: %w", err)
	}
	if err := checksum.WriteSidecar(opts.ModelOut, sum.ModelSHA256); err != nil {
		return sum, fmt.Errorf("train: %w", err)
	}
	if opts.Wiki != "" {
		l := datasets.Layout{DataDir: opts.DataDir, Wiki: opts.Wiki}
		if err := datasets.WriteSummary(l, "train", sum); err != nil {
			return sum, fmt.Errorf("train: writing the summary: %w", err)
		}
	}
	return sum, nil
}
