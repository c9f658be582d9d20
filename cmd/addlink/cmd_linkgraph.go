package main

import (
	"github.com/urfave/cli/v2"

	"github.com/addlink/addlink/internal/dump"
	"github.com/addlink/addlink/pipeline/linkgraph"
)

func newLinkGraphCommand() *cli.Command {
	return &cli.Command{
		Name:  "linkgraph",
		Usage: "write the articles' link graph for the relatedness feature",
		Description: `Reads <wiki>.pageids.parquet and <wiki>.redirects.parquet (from dictionaries) and the
articles (cache/articles.s2, or the dump when the cache does not match it). For every
article, the articles it links (targets normalised, resolved through one redirect, kept
when they are articles; self-links and repeats dropped) in the order of their first
link. Writes <wiki>.linkgraph.parquet (page_id, target_id) and linkgraph.summary.json.
The extended features (addlink features/train --features extended) read it.`,
		Flags: []cli.Flag{wikiFlag(true), dumpFlag()},
		Action: func(c *cli.Context) error {
			co := commonOptions(c)
			o := linkgraph.Options{Wiki: c.String(flagWiki), DataDir: co.DataDir, Dumps: c.StringSlice("dump"), Threads: co.Threads}
			files, err := dump.Files(o.Dumps, co.DumpsDir, o.Wiki)
			if err != nil {
				return usageError{err}
			}
			o.Dumps = files
			if err := o.Validate(); err != nil {
				return usageError{err}
			}
			rep, done := newReporter(co)
			defer done()
			_, err = linkgraph.Run(c.Context, o, rep)
			return err
		},
	}
}
