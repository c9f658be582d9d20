package main

import (
	"fmt"

	"github.com/urfave/cli/v2"

	"github.com/addlink/addlink/internal/gbdt"
	"github.com/addlink/addlink/internal/linker"
	"github.com/addlink/addlink/pipeline/train"
)

func newTrainCommand() *cli.Command {
	d := train.DefaultOptions()
	return &cli.Command{
		Name:      "train",
		Usage:     "train the link model (gradient-boosted trees, XGBoost JSON)",
		UsageText: "addlink train --wiki W | --training-file F --model-out M [--holdout 0.33] [--seed 7]",
		Description: "Reads the training rows <data-dir>/<wiki>/training/link_train.csv (tab-separated, no\n" +
			"header: page, mention, target, ngram, freq, ambig, kurtosis, w2v, jaro, True/False),\n" +
			"holds out --holdout of them (seeded by --seed; the same split as the reference's\n" +
			"scikit-learn train_test_split) and prints the held-out ROC AUC and log loss, trains\n" +
			"binary logistic gradient-boosted trees with XGBoost's defaults on the rest, and writes\n" +
			"<data-dir>/<wiki>/<wiki>.linkmodel.json (XGBoost's JSON model format), its\n" +
			"<wiki>.linkmodel.json.checksum (sha256, `shasum -a 256` format) and train.summary.json.\n" +
			"With --training-file and --model-out any file in that format can be used instead.\n" +
			"--features other than reference (extended, or names such as reference+linkprob) reads\n" +
			"those columns of training/link_train_extended.csv (addlink features --features extended)\n" +
			"and records their names in the model (learner.feature_names), so that backtest, query\n" +
			"and serve compute the same features; export adds the datasets they read and publish\n" +
			"puts such a model under <publish-root>/addlink-extended/, where the Python service\n" +
			"(which computes only the reference's six) never looks. --candidates (default auto: extended\n" +
			"with --features other than reference) must be the features stage's; rules other than\n" +
			"the reference's are recorded in the model (learner.attributes.addlink_candidates).\n" +
			"The model is identical for any --threads.",
		Flags: []cli.Flag{
			wikiFlag(false),
			&cli.StringFlag{Name: "training-file", Usage: "training rows `FILE` (default: the wiki's link_train.csv)"},
			&cli.StringFlag{Name: "model-out", Usage: "write the model to `FILE` (default: the wiki's linkmodel.json)"},
			&cli.Float64Flag{Name: "holdout", Value: d.Holdout, Usage: "share of rows held out for evaluation (`F`, 0 = none)"},
			&cli.UintFlag{Name: "seed", Value: uint(d.Seed), Usage: "seed of the hold-out split (`N`)"},
			&cli.IntFlag{Name: "rounds", Value: d.Params.Rounds, Usage: "number of trees (`N`)"},
			&cli.IntFlag{Name: "max-depth", Value: d.Params.MaxDepth, Usage: "maximum tree depth (`N`)"},
			&cli.Float64Flag{Name: "eta", Value: d.Params.Eta, Usage: "learning rate (`F`)"},
			&cli.IntFlag{Name: "max-bin", Value: d.Params.MaxBin, Usage: "histogram bins per feature (`N`)"},
			&cli.BoolFlag{Name: "refit", Value: d.Refit, Usage: "after the hold-out evaluation, write a model trained on every row; --refit=false writes the one trained without the hold-out, as the reference"},
			featuresFlag(), candidatesFlag(),
			&cli.StringSliceFlag{Name: "add-rows", Usage: "also train on the rows of `FILE` (link_train.csv format, e.g. addlink review weak's; never held out; repeatable). Measured on the fixture wikis it lowers F1 at 0.5 (docs/review.md)"},
			&cli.BoolFlag{Name: "estimate-base-score", Usage: "fit the base score to the labels as XGBoost 2.x does (default: 0.5 as 1.x)"},
		},
		Action: func(c *cli.Context) error {
			co := commonOptions(c)
			opts := train.Options{
				DataDir:      co.DataDir,
				Wiki:         c.String(flagWiki),
				TrainingFile: c.String("training-file"),
				ModelOut:     c.String("model-out"),
				Holdout:      c.Float64("holdout"),
				Refit:        c.Bool("refit"),
				Params:       gbdt.DefaultParams(),
				AddRows:      c.StringSlice("add-rows"),
			}
			set, err := linker.ParseFeatureSet(c.String("features"))
			if err != nil {
				return usageError{err}
			}
			opts.Features = set
			if opts.Candidates, err = candidateRules(c, set); err != nil {
				return usageError{err}
			}
			seed := c.Uint("seed")
			if seed > 1<<32-1 {
				return usagef("--seed %d does not fit in 32 bits", seed)
			}
			opts.Seed = uint32(seed)
			opts.Params.Rounds = c.Int("rounds")
			opts.Params.MaxDepth = c.Int("max-depth")
			opts.Params.Eta = c.Float64("eta")
			opts.Params.MaxBin = c.Int("max-bin")
			opts.Params.EstimateBaseScore = c.Bool("estimate-base-score")
			opts.Params.Threads = co.Threads
			if opts.Wiki == "" && (opts.TrainingFile == "" || opts.ModelOut == "") {
				return usagef("train: give --wiki, or --training-file and --model-out")
			}
			if err := opts.Validate(); err != nil {
				return usageError{err}
			}
			rep, done := newReporter(co)
			sum, err := train.Run(c.Context, opts, rep)
			done()
			if err != nil {
				return err
			}
			w := c.App.Writer
			fmt.Fprintf(w, "rows: %d (%d positive); trained on %d, held out %d\n",
				sum.Rows, sum.Positives, sum.TrainRows, sum.TestRows)
			if sum.AddedRows > 0 {
				fmt.Fprintf(w, "added rows: %d (%d positive), trained on and not held out\n", sum.AddedRows, sum.AddedPositives)
			}
			switch {
			case sum.TestRows == 0:
			case sum.ROCAUC == nil:
				fmt.Fprintln(w, "ROC AUC not defined (one class in the held-out rows)")
			default:
				fmt.Fprintf(w, "ROC AUC=%.5f\n", *sum.ROCAUC)
			}
			if sum.LogLoss != nil {
				fmt.Fprintf(w, "log loss=%.4f\n", *sum.LogLoss)
			}
			fmt.Fprintf(w, "model: %s (sha256 %s)\n", sum.Model, sum.ModelSHA256)
			return nil
		},
	}
}
