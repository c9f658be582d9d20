package main

import (
	"fmt"
	"math"
	"os"

	"github.com/urfave/cli/v2"

	"github.com/addlink/addlink/pipeline/train"
)

func newTrainCommand() *cli.Command {
	d := train.DefaultOptions()
	return &cli.Command{
		Name:  "train",
		Usage: "train the link model (gradient-boosted trees) on the training rows",
		Description: `Reads <data-dir>/<wiki>/training/link_train.csv (or --training-file): tab-separated, no
header, page, mention, target, the features ngram, freq, ambig, kurtosis, w2v, jaro
("nan" for missing), and the label True/False. Holds out --holdout of the rows (seeded) to
print ROC AUC and log loss, trains on the rest with XGBoost's defaults (100 trees, depth 6,
eta 0.3, histogram method with 256 bins, base score 0.5), and writes
<data-dir>/<wiki>/<wiki>.linkmodel.json (or --model-out) in XGBoost's JSON format, with
<model>.checksum beside it (shasum -a 256 format). XGBoost 1.7 and later load the model.
The model does not depend on --threads.`,
		Flags: []cli.Flag{
			wikiFlag(false),
			&cli.StringFlag{Name: "training-file", Usage: "training rows `FILE` (default: the wiki's link_train.csv)"},
			&cli.StringFlag{Name: "model-out", Usage: "model `FILE` to write (default: the wiki's linkmodel.json)"},
			&cli.Float64Flag{Name: "holdout", Value: d.Holdout, Usage: "share of rows held out for evaluation (0: train on all)"},
			&cli.StringFlag{Name: "holdout-file", Usage: "evaluate on the rows of `FILE` (same format) instead of a held-out share"},
			&cli.Uint64Flag{Name: "seed", Value: d.Seed, Usage: "seed of the hold-out split"},
			&cli.IntFlag{Name: "rounds", Value: d.Params.Rounds, Usage: "boosting rounds (trees)"},
			&cli.IntFlag{Name: "max-depth", Value: d.Params.MaxDepth, Usage: "maximum tree depth"},
			&cli.Float64Flag{Name: "eta", Value: d.Params.Eta, Usage: "learning rate"},
			&cli.BoolFlag{Name: "estimate-base-score", Usage: "estimate the base score from the labels as XGBoost 2.x does (default: 0.5 as 1.x)"},
		},
		Action: func(c *cli.Context) error {
			co := commonOptions(c)
			o := train.DefaultOptions()
			o.Wiki, o.DataDir = c.String(flagWiki), co.DataDir
			o.TrainingFile, o.ModelOut = c.String("training-file"), c.String("model-out")
			o.Holdout, o.Seed = c.Float64("holdout"), c.Uint64("seed")
			if o.HoldoutFile = c.String("holdout-file"); o.HoldoutFile != "" {
				o.Holdout = 0
			}
			o.Params.Rounds, o.Params.MaxDepth, o.Params.Eta = c.Int("rounds"), c.Int("max-depth"), c.Float64("eta")
			o.Params.EstimateBaseScore = c.Bool("estimate-base-score")
			o.Params.Threads = co.Threads
			if err := o.Validate(); err != nil {
				return usageError{err}
			}
			rep, done := newReporter(co)
			defer done()
			s, err := train.Run(c.Context, o, rep)
			if err != nil {
				return err
			}
			auc := "not defined"
			if !math.IsNaN(s.AUC) {
				auc = fmt.Sprintf("%.3f", s.AUC)
			}
			// The AUC line is printed even with --quiet: it is the command's result.
			line := fmt.Sprintf("train: %d rows (%d positive), trained on %d; held-out %d: ROC AUC=%s log loss=%.4f; wrote %s (%.1fs)",
				s.Rows, s.Positives, s.TrainRows, s.HoldoutRows, auc, s.LogLoss, s.Model, s.Seconds)
			if co.Quiet {
				fmt.Fprintln(os.Stderr, line)
			} else {
				rep.Note(line)
			}
			return nil
		},
	}
}
