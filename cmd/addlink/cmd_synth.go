package main

import (
	"fmt"
	"os"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/addlink/addlink/datasets"
	"github.com/addlink/addlink/internal/synth"
)

func newSynthCommand() *cli.Command {
	return &cli.Command{
		Name:      "synth",
		Usage:     "write a synthetic pages-articles dump (the sample wiki, or large ones for benchmarks)",
		ArgsUsage: " ",
		Description: `Writes a made-up but Wikipedia-shaped dump to --out: articles that link their first
mention of other articles, ambiguous anchors, redirects, templates, refs, tables, files,
categories and pages in other namespaces. The same options always give the same bytes.
FILE ending in .gz is gzip-compressed; for .bz2 pipe plain XML to lbzip2:
  addlink synth --size 300 --out big.xml && lbzip2 -n2 big.xml
Without --articles and --size it writes the built-in sample wiki (400 articles).`,
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "out", Aliases: []string{"o"}, Required: true, Usage: "output `FILE` (.xml or .xml.gz)"},
			&cli.IntFlag{Name: "articles", Usage: "number of articles (`N`)"},
			&cli.Float64Flag{Name: "size", Usage: "stop at about `MB` megabytes of XML"},
			&cli.Uint64Flag{Name: "seed", Value: 1, Usage: "random seed"},
			&cli.StringFlag{Name: "wiki", Value: datasets.SampleWiki, Usage: "database name written to <siteinfo>"},
			&cli.Float64Flag{Name: "redirect-share", Value: 0.3, Usage: "share of ns-0 pages that are redirects"},
			&cli.IntFlag{Name: "vocabulary", Value: 20000, Usage: "number of distinct made-up words"},
		},
		Action: func(c *cli.Context) error {
			out := c.String("out")
			if !strings.HasSuffix(out, ".xml") && !strings.HasSuffix(out, ".xml.gz") {
				return usagef("synth: --out must end in .xml or .xml.gz")
			}
			if c.Int("articles") < 0 || c.Float64("size") < 0 || c.Int("vocabulary") <= 0 ||
				c.Float64("redirect-share") < 0 || c.Float64("redirect-share") >= 1 {
				return usagef("synth: --articles and --size must not be negative, --vocabulary must be positive, --redirect-share in [0,1)")
			}
			o := synth.SampleOptions()
			o.Wiki = c.String("wiki")
			if c.IsSet("articles") || c.IsSet("size") {
				o = synth.Options{
					Wiki: c.String("wiki"), Articles: c.Int("articles"), TargetBytes: int64(c.Float64("size") * 1e6),
					RedirectShare: c.Float64("redirect-share"), Seed: c.Uint64("seed"), Vocabulary: c.Int("vocabulary"),
				}
			}
			if err := synth.WriteFile(out, o); err != nil {
				return err
			}
			if !c.Bool(flagQuiet) {
				if st, err := os.Stat(out); err == nil {
					fmt.Fprintf(os.Stderr, "synth: wrote %s (%.1f MB)\n", out, float64(st.Size())/1e6)
				}
			}
			return nil
		},
	}
}
