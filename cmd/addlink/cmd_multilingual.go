package main

import (
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/addlink/addlink/multilingual"
)

func newMultilingualCommand() *cli.Command {
	d := multilingual.DefaultOptions()
	return &cli.Command{
		Name:      "multilingual",
		Usage:     "train one v2 (7-input) model on the training rows of several wikis and backtest it on each",
		UsageText: "addlink multilingual --wikis W1,W2,... --name NAME [--min-precision P]",
		Description: `Pools the training rows (training/link_train.csv) of the wikis, each of which must have
run through the features stage with the reference's features, and trains one model with the
wiki as its seventh input, as Wikimedia's v2 (multilingual) models have it; the service
feeds that input as 0. Each wiki's share of the pooled rows is proportional to its rows
raised to --balance (1: as they are; 0: every wiki the same share; small wikis are
up-sampled and large ones down-sampled, the total kept), so a large wiki does not drown a
small one. --wiki-feature codes numbers the wikis 1, 2, ... (sorted ids) in training;
zero gives every row 0, the value serving feeds.

Writes <data-dir>/NAME/NAME.linkmodel.json (+ .checksum), for every wiki its backtest with
the shared model and the wiki's own datasets (NAME/testing/<wiki>.backtest.eval.csv, the
same columns as the backtest stage's, with its plot and summary), and
NAME/multilingual.summary.json; prints per wiki precision and recall at 0.5 with their
95% bootstrap intervals and the best F1, each against the wiki's own model's backtest
when it has one. Serve the model for a wiki with serve --model WIKI=FILE, evaluate it on
another wiki (zero-shot) with backtest --wiki W --model FILE.

Bad input (fewer than two wikis, a wiki without training rows, wikis whose rows were made
with different feature sets) is a usage error (status 2) and nothing is written.
--min-precision P is a deploy gate: when a wiki's precision at 0.5 is below P, the
wikis below are listed and addlink exits with status 3 (the files are written).`,
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "wikis", Usage: "the wikis, comma-separated (`W1,W2,...`)"},
			&cli.StringFlag{Name: "name", Usage: "the model's `NAME`: its files go to <data-dir>/NAME/"},
			&cli.Float64Flag{Name: "balance", Value: d.Balance, Usage: "each wiki's share of the rows is proportional to rows^`B` (0..1)"},
			&cli.StringFlag{Name: "wiki-feature", Value: d.WikiFeature, Usage: "the seventh input in training: codes (1, 2, ... per wiki) or zero"},
			&cli.Uint64Flag{Name: "seed", Value: d.Seed, Usage: "seed of the rows' sampling"},
			&cli.IntFlag{Name: "rounds", Value: d.Params.Rounds, Usage: "number of trees (`N`)"},
			&cli.IntFlag{Name: "max-depth", Value: d.Params.MaxDepth, Usage: "maximum tree depth (`N`)"},
			&cli.Float64Flag{Name: "eta", Value: d.Params.Eta, Usage: "learning rate (`F`)"},
			&cli.IntFlag{Name: "nmax", Value: d.NMax, Usage: "backtest: at most this many test sentences with links per wiki (0: all)"},
			&cli.IntFlag{Name: "bootstrap", Value: d.Bootstrap, Usage: "backtest: bootstrap resamples for the 95% intervals (0: none)"},
			&cli.Float64Flag{Name: "min-precision", Value: -1, Usage: "exit with status 3 when a wiki's precision at 0.5 is below `P`"},
		},
		Action: func(c *cli.Context) error {
			co := commonOptions(c)
			o := multilingual.DefaultOptions()
			o.DataDir, o.Threads = co.DataDir, co.Threads
			for _, w := range strings.Split(c.String("wikis"), ",") {
				if w = strings.TrimSpace(w); w != "" {
					o.Wikis = append(o.Wikis, w)
				}
			}
			o.Name = c.String("name")
			if o.Name == "" {
				return usagef("multilingual: give --name")
			}
			o.Balance, o.WikiFeature, o.Seed = c.Float64("balance"), c.String("wiki-feature"), c.Uint64("seed")
			o.Params.Rounds, o.Params.MaxDepth, o.Params.Eta = c.Int("rounds"), c.Int("max-depth"), c.Float64("eta")
			o.NMax, o.Bootstrap = c.Int("nmax"), c.Int("bootstrap")
			if o.Bootstrap == 0 {
				o.Bootstrap = -1
			}
			if c.IsSet("min-precision") {
				o.MinPrecision = c.Float64("min-precision")
				if o.MinPrecision < 0 || o.MinPrecision > 1 {
					return usagef("--min-precision must be between 0 and 1, got %g", o.MinPrecision)
				}
			}
			if err := o.Validate(); err != nil {
				return usageError{err}
			}
			rep, done := newReporter(co)
			s, err := multilingual.Run(c.Context, o, rep)
			done()
			if errors.Is(err, multilingual.ErrInput) {
				return usageError{err}
			}
			if err != nil {
				return err
			}
			if !co.Quiet {
				printMultilingual(s)
			}
			if len(s.Failing) > 0 {
				return qualityGateError{fmt.Errorf("multilingual: precision at 0.5 below %g on %s", o.MinPrecision, strings.Join(s.Failing, ", "))}
			}
			return nil
		},
	}
}

// printMultilingual prints the summary's table.
func printMultilingual(s multilingual.Summary) {
	fmt.Fprintf(os.Stdout, "%-14s %8s %8s  %-26s %-26s %-16s\n", "wiki", "rows", "pooled", "precision@0.5 (own)", "recall@0.5 (own)", "best F1 (own)")
	for _, r := range s.Wikis {
		own := func(f func(*multilingual.Scores) float64) string {
			if r.Own == nil {
				return "-"
			}
			return pct(f(r.Own))
		}
		m := r.Multilingual
		fmt.Fprintf(os.Stdout, "%-14s %8d %8d  %-26s %-26s %-16s\n", r.Wiki, r.Rows, r.TrainRows,
			fmt.Sprintf("%s %s (%s)", pct(m.Precision), ci(m.PrecisionLow, m.PrecisionHigh), own(func(s *multilingual.Scores) float64 { return s.Precision })),
			fmt.Sprintf("%s %s (%s)", pct(m.Recall), ci(m.RecallLow, m.RecallHigh), own(func(s *multilingual.Scores) float64 { return s.Recall })),
			fmt.Sprintf("%s (%s)", pct(m.BestF1), own(func(s *multilingual.Scores) float64 { return s.BestF1 })))
	}
	ownMacro := "-"
	if s.OwnMacroF1 != nil {
		ownMacro = pct(*s.OwnMacroF1)
	}
	fmt.Fprintf(os.Stdout, "macro best F1 %s (own models %s); wiki feature %s, balance %g; wrote %s\n",
		pct(s.MacroBestF1), ownMacro, s.WikiFeature, s.Balance, s.Model)
}
