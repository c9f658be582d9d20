package main

import (
	"fmt"
	"math"
	"os"

	"github.com/urfave/cli/v2"

	"github.com/addlink/addlink/internal/evaluation"
	"github.com/addlink/addlink/internal/linker"
	"github.com/addlink/addlink/pipeline/backtest"
)

func newBacktestCommand() *cli.Command {
	return &cli.Command{
		Name:  "backtest",
		Usage: "evaluate the model on the test sentences (precision and recall per threshold)",
		Description: `Reads testing/sentences_test.csv, <wiki>.linkmodel.json and the datasets. For each test
sentence with links (up to --nmax of them), removes its links, recommends links into its
plain text, and compares the predicted (anchor, target) pairs with the sentence's own.
Writes testing/<wiki>.backtest.eval.csv (columns ,threshold,N,micro_precision,micro_recall;
the reference's format), testing/<wiki>.backtest.svg (precision and recall against
the threshold, with 95% intervals) and backtest.summary.json (the counts, the 95%
bootstrap intervals of precision and recall per threshold from --bootstrap resamples of
the sentences, the area under the precision-recall curve with its interval, the best
F1), and prints the table. A model trained with extended features (train --features)
gets them computed the same way (the link graph and anchor statistics are read).

Any model on this wiki: --model FILE evaluates that model (another wiki's, or a
multilingual one from addlink multilingual, also on a wiki it was not trained on) with
this wiki's test sentences and datasets; a v2 (7-input) model is evaluated as the
service evaluates it. The wiki's own backtest files are then left alone: the results are
printed, and written to --out DIR (<wiki>.backtest.eval.csv, .svg and
<wiki>.backtest.summary.json) when it is given.

Quality gate: with --min-precision and/or --min-recall the row at threshold 0.5 (or at
--threshold) is checked; below either, addlink exits with status 3. Exit statuses: 0 ok,
1 error, 2 usage error, 3 below the quality gate, 130 interrupted.`,
		Flags: []cli.Flag{wikiFlag(true),
			&cli.Float64Flag{Name: "threshold", Value: -1, Usage: "evaluate this threshold only (default: 0.0, 0.1, ..., 0.9)"},
			&cli.IntFlag{Name: "nmax", Value: evaluation.DefaultNMax, Usage: "at most this many test sentences with links (0: all)"},
			&cli.Float64Flag{Name: "min-precision", Usage: "exit with status 3 when precision at the gate threshold is below this"},
			&cli.Float64Flag{Name: "min-recall", Usage: "exit with status 3 when recall at the gate threshold is below this"},
			&cli.IntFlag{Name: "bootstrap", Value: evaluation.DefaultBootstrap, Usage: "bootstrap resamples of the sentences for the 95% intervals (0: none)"},
			&cli.Uint64Flag{Name: "bootstrap-seed", Value: evaluation.DefaultSeed, Usage: "seed of the bootstrap resampling"},
			&cli.StringFlag{Name: "model", Usage: "evaluate this model file instead of the wiki's own (results printed, and written to --out)"},
			&cli.StringFlag{Name: "out", Usage: "with --model: the directory to write the evaluation files to"},
		},
		Action: func(c *cli.Context) error {
			co := commonOptions(c)
			o := backtest.Options{Wiki: c.String(flagWiki), DataDir: co.DataDir, Options: evaluation.Options{NMax: c.Int("nmax"), Threads: co.Threads,
				Bootstrap: c.Int("bootstrap"), Seed: c.Uint64("bootstrap-seed")}}
			o.Model, o.OutDir = c.String("model"), c.String("out")
			if o.OutDir != "" && o.Model == "" {
				return usagef("--out needs --model (the wiki's own backtest is written to its testing directory)")
			}
			if o.Model != "" {
				m, err := evaluation.LoadModel(o.Model)
				if err != nil {
					return usagef("--model %s: %v", o.Model, err)
				}
				if err := linker.CheckFeatureCount(m); err != nil {
					return usagef("--model %s: %v", o.Model, err)
				}
				if _, err := linker.ModelFeatures(m); err != nil {
					return usagef("--model %s: %v", o.Model, err)
				}
			}
			if o.Bootstrap == 0 {
				o.Bootstrap = -1
			}
			gate := 0.5
			if th := c.Float64("threshold"); th >= 0 {
				if th > 1 {
					return usagef("--threshold must be between 0 and 1, got %g", th)
				}
				o.Thresholds, gate = []float64{th}, th
			}
			for _, f := range []string{"min-precision", "min-recall"} {
				if v := c.Float64(f); c.IsSet(f) && (v < 0 || v > 1) {
					return usagef("--%s must be between 0 and 1, got %g", f, v)
				}
			}
			rep, done := newReporter(co)
			s, err := backtest.Run(c.Context, o, rep)
			done()
			if err != nil {
				return err
			}
			if !co.Quiet {
				fmt.Fprintf(os.Stdout, "%-9s %6s %10s %-17s %10s %-17s\n", "threshold", "N", "precision", "(95% interval)", "recall", "(95% interval)")
				for _, r := range s.Rows {
					fmt.Fprintf(os.Stdout, "%-9.1f %6d %10s %-17s %10s %-17s\n", r.Threshold, r.N, pct(r.MicroPrecision), ci(r.PrecisionLow, r.PrecisionHigh),
						pct(r.MicroRecall), ci(r.RecallLow, r.RecallHigh))
				}
				feats := s.Features
				if s.Candidates != "" {
					feats += ", candidates " + s.Candidates
				}
				fmt.Fprintf(os.Stdout, "features %s; PR AUC %s %s; best F1 %s at %.1f; intervals from %d bootstrap resamples of the %d sentences (seed %d)\n",
					feats, pct(s.PRAUC), ci(s.PRAUCLow, s.PRAUCHigh), pct(s.BestF1), s.BestF1Threshold, s.Bootstrap, s.Sentences, s.Seed)
				if csvPath, svgPath, _ := o.Outputs(); csvPath != "" {
					fmt.Fprintf(os.Stdout, "wrote %s and %s\n", csvPath, svgPath)
				}
			}
			minP, minR := c.Float64("min-precision"), c.Float64("min-recall")
			if c.IsSet("min-precision") || c.IsSet("min-recall") {
				r, ok := evaluation.Check(s.Rows, gate, minP, minR)
				if !ok {
					return qualityGateError{fmt.Errorf("backtest: at threshold %.1f precision %s (minimum %.3f), recall %s (minimum %.3f)",
						r.Threshold, pct(r.MicroPrecision), minP, pct(r.MicroRecall), minR)}
				}
			}
			return nil
		},
	}
}

// ci formats a 95% interval.
func ci(lo, hi float64) string {
	if math.IsNaN(lo) || math.IsNaN(hi) {
		return "-"
	}
	return fmt.Sprintf("[%.4f, %.4f]", lo, hi)
}

func pct(v float64) string {
	if math.IsNaN(v) {
		return "-"
	}
	return fmt.Sprintf("%.4f", v)
}
