// Package backtest is the stage that evaluates a trained model on the held-out test
// sentences (docs/reference.md "Stage 7"): each sentence is stripped of its links, links are
// recommended into its plain text, and the predicted (anchor, target) pairs are compared
// with the sentence's own links. It writes testing/<wiki>.backtest.eval.csv in the
// reference's format and a plot of precision and recall against the threshold,
// testing/<wiki>.backtest.svg. The evaluation itself is internal/evaluation's, which
// multilingual runs too.
package backtest

import (
	"context"
	"fmt"
	"path/filepath"
	"time"

	"github.com/addlink/addlink/datasets"
	"github.com/addlink/addlink/internal/evaluation"
	"github.com/addlink/addlink/internal/linker"
	"github.com/addlink/addlink/internal/progress"
)

// Options configures the stage: the wiki, and how its model is evaluated.
type Options struct {
	Wiki    string
	DataDir string
	evaluation.Options
	// Model, when set, is the model file evaluated instead of the wiki's own (any
	// model: another wiki's, a multilingual one); the wiki's datasets are used. The
	// results then go to OutDir only (nothing is written when it is empty), so that
	// the wiki's own backtest is never overwritten.
	Model  string
	OutDir string
}

// Outputs are the files Run writes for a wiki: the evaluation CSV, its plot and the
// summary; all empty when it writes nothing.
func (o Options) Outputs() (csv, svg, summary string) {
	l := datasets.Layout{DataDir: o.DataDir, Wiki: o.Wiki}
	switch {
	case o.Model == "":
		return l.BacktestEval(), l.BacktestPlot(), l.Summary("backtest")
	case o.OutDir == "":
		return "", "", ""
	}
	return filepath.Join(o.OutDir, filepath.Base(l.BacktestEval())), filepath.Join(o.OutDir, filepath.Base(l.BacktestPlot())),
		filepath.Join(o.OutDir, o.Wiki+".backtest.summary.json")
}

// Row is one line of the evaluation (its file format is datasets').
type Row = datasets.BacktestRow

// Summary is what the stage reports (its file format is datasets').
type Summary = datasets.BacktestSummary

// Run evaluates the model and writes the CSV, the plot and the summary (with the
// bootstrap intervals).
func Run(ctx context.Context, o Options, p progress.Reporter) (Summary, error) {
	start := time.Now()
	p = progress.OrNop(p)
	if err := datasets.CheckWikiID(o.Wiki); err != nil {
		return Summary{}, err
	}
	if len(o.Thresholds) == 0 {
		o.Thresholds = evaluation.DefaultThresholds()
	}
	l := datasets.Layout{DataDir: o.DataDir, Wiki: o.Wiki}
	sents, err := datasets.ReadSentences(l.SentencesTest())
	if err != nil {
		return Summary{}, fmt.Errorf("backtest: %w (run the sentences stage first)", err)
	}
	modelPath := o.Model
	if modelPath == "" {
		modelPath = l.Model()
	}
	model, err := evaluation.LoadModel(modelPath)
	if err != nil {
		if o.Model == "" {
			err = fmt.Errorf("%w (run the train stage first)", err)
		}
		return Summary{}, fmt.Errorf("backtest: %w", err)
	}
	if err := linker.CheckFeatureCount(model); err != nil {
		return Summary{}, fmt.Errorf("backtest: %s: %w", modelPath, err)
	}
	set, err := linker.ModelFeatures(model)
	if err != nil {
		return Summary{}, fmt.Errorf("backtest: %s: %w", modelPath, err)
	}
	p.Phase("backtest: loading dictionaries", 0, "")
	d, err := linker.LoadDict(l, true)
	if err != nil {
		return Summary{}, fmt.Errorf("backtest: %w", err)
	}
	if err := d.LoadExtended(l, set); err != nil {
		return Summary{}, fmt.Errorf("backtest: %w", err)
	}
	s, err := evaluation.Summarize(ctx, d, model, sents, o.Options, p)
	if err != nil {
		return Summary{}, err
	}
	s.Seconds = time.Since(start).Seconds()
	csvPath, svgPath, sumPath := o.Outputs()
	if csvPath == "" {
		return s, nil
	}
	return s, evaluation.Write(s, o.Wiki, csvPath, svgPath, sumPath)
}
