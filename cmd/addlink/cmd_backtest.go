package main

import (
	"encoding/json"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/addlink/addlink/datasets"
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
the reference's format) and testing/<wiki>.backtest.svg (precision and recall against
the threshold), and prints the table.

Quality gate: with --min-precision and/or --min-recall the row at threshold 0.5 (or at
--threshold) is checked; below either, addlink exits with status 3. Exit statuses: 0 ok,
1 error, 2 usage error, 3 below the quality gate, 130 interrupted.`,
		Flags: []cli.Flag{wikiFlag(true),
			&cli.Float64Flag{Name: "threshold", Value: -1, Usage: "evaluate this threshold only (default: 0.0, 0.1, ..., 0.9)"},
			&cli.IntFlag{Name: "nmax", Value: backtest.DefaultNMax, Usage: "at most this many test sentences with links (0: all)"},
			&cli.Float64Flag{Name: "min-precision", Usage: "exit with status 3 when precision at the gate threshold is below this"},
			&cli.Float64Flag{Name: "min-recall", Usage: "exit with status 3 when recall at the gate threshold is below this"},
		},
		Action: func(c *cli.Context) error {
			co := commonOptions(c)
			o := backtest.Options{Wiki: c.String(flagWiki), DataDir: co.DataDir, NMax: c.Int("nmax"), Threads: co.Threads}
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
			l := datasets.Layout{DataDir: co.DataDir, Wiki: o.Wiki}
			if !co.Quiet {
				fmt.Fprintf(os.Stdout, "%-9s %6s %10s %10s\n", "threshold", "N", "precision", "recall")
				for _, r := range s.Rows {
					fmt.Fprintf(os.Stdout, "%-9.1f %6d %10s %10s\n", r.Threshold, r.N, pct(r.MicroPrecision), pct(r.MicroRecall))
				}
				fmt.Fprintf(os.Stdout, "wrote %s and %s\n", l.BacktestEval(), l.BacktestPlot())
			}
			minP, minR := c.Float64("min-precision"), c.Float64("min-recall")
			if c.IsSet("min-precision") || c.IsSet("min-recall") {
				r, ok := backtest.Check(s.Rows, gate, minP, minR)
				if !ok {
					return qualityGateError{fmt.Errorf("backtest: at threshold %.1f precision %s (minimum %.3f), recall %s (minimum %.3f)",
						r.Threshold, pct(r.MicroPrecision), minP, pct(r.MicroRecall), minR)}
				}
			}
			return nil
		},
	}
}

func pct(v float64) string {
	if math.IsNaN(v) {
		return "-"
	}
	return fmt.Sprintf("%.4f", v)
}

func newQueryCommand() *cli.Command {
	return &cli.Command{
		Name:  "query",
		Usage: "recommend links for one page and print the service's JSON response",
		Description: `Reads the wiki's datasets (<wiki>.anchors, pageids, redirects and w2vfiltered as Parquet
under the data directory, or else the exported <wiki>.<name>.sqlite or .sqlite.gz files,
also from a published directory given with --datasets) and <wiki>.linkmodel.json, and
the page's wikitext from
--wikitext-file or standard input. Prints the Link Recommendation service's response:
page_title, pageid, revid, links_count, meta {format_version, dataset_checksums} and
links [{link_text, wikitext_offset, context_before, context_after, link_target,
match_index, score, link_index}]. wikitext_offset counts characters (code points).
A title that is not in the wiki still gets recommendations; empty wikitext gives none.`,
		Flags: []cli.Flag{wikiFlag(true),
			&cli.StringFlag{Name: "title", Required: true, Usage: "the page's title"},
			&cli.StringFlag{Name: "wikitext-file", Usage: "read the wikitext from this file (default: standard input)"},
			&cli.Float64Flag{Name: "threshold", Value: 0.5, Usage: "minimum probability of a recommended link"},
			&cli.IntFlag{Name: "max-recommendations", Value: 15, Usage: "at most this many links (0: no limit)"},
			&cli.StringSliceFlag{Name: "sections-to-exclude", Usage: "section titles whose text gets no links (%LEAD% for the lead); repeatable"},
			&cli.DurationFlag{Name: "time-budget", Value: 29 * time.Second, Usage: "stop looking for links after this long"},
			&cli.Int64Flag{Name: "revid", Usage: "revision id to report"},
			&cli.StringFlag{Name: "datasets", Usage: "read the datasets and the model from this directory (e.g. <publish root>/<wiki>) instead of <data-dir>/<wiki>"},
		},
		Action: func(c *cli.Context) error {
			co := commonOptions(c)
			th := c.Float64("threshold")
			if th < 0 || th > 1 {
				return usagef("--threshold must be between 0 and 1, got %g", th)
			}
			var text []byte
			var err error
			if f := c.String("wikitext-file"); f != "" {
				text, err = os.ReadFile(f)
			} else {
				text, err = io.ReadAll(os.Stdin)
			}
			if err != nil {
				return err
			}
			wiki := c.String(flagWiki)
			if err := datasets.CheckWikiID(wiki); err != nil {
				return usageError{err}
			}
			l := datasets.Layout{DataDir: co.DataDir, Wiki: wiki}
			if dir := c.String("datasets"); dir != "" {
				if filepath.Base(filepath.Clean(dir)) != wiki {
					return usagef("--datasets %s: the directory must be named after the wiki (%s)", dir, wiki)
				}
				l = datasets.Layout{DataDir: filepath.Dir(filepath.Clean(dir)), Wiki: wiki}
			}
			q, err := linker.OpenQuery(l)
			if err != nil {
				return err
			}
			q.Version = version
			o := linker.RecommendOptions{Threshold: th, MaxRecommendations: c.Int("max-recommendations"),
				SectionsToExclude: c.StringSlice("sections-to-exclude")}
			if b := c.Duration("time-budget"); b > 0 {
				o.Deadline = time.Now().Add(b)
			}
			resp := q.Response(strings.TrimSpace(c.String("title")), c.Int64("revid"), string(text), o)
			enc := json.NewEncoder(os.Stdout)
			enc.SetIndent("", "  ")
			enc.SetEscapeHTML(false)
			return enc.Encode(resp)
		},
	}
}
