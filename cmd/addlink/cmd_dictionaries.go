package main

import (
	"fmt"

	"github.com/urfave/cli/v2"

	"github.com/addlink/addlink/pipeline/dictionaries"
)

func dumpFlag() *cli.StringSliceFlag {
	return &cli.StringSliceFlag{Name: "dump", Aliases: []string{"d"},
		Usage: "pages-articles dump `FILE` (.xml, .xml.bz2, .xml.gz; repeat for part files); default: discover under --dumps-dir"}
}

const flagAllowWikiMismatch = "allow-wiki-mismatch"

// allowWikiMismatchFlag lets a renamed dump through: by default a dump whose <dbname>
// or file name names another wiki than --wiki is a usage error.
func allowWikiMismatchFlag() *cli.BoolFlag {
	return &cli.BoolFlag{Name: flagAllowWikiMismatch,
		Usage: "read dumps whose <dbname> or file name (<wiki>-<date>-...) names another wiki than --wiki (a renamed dump)"}
}

func newDictionariesCommand() *cli.Command {
	return &cli.Command{
		Name:  "dictionaries",
		Usage: "build the anchor, page-id and redirect dictionaries from a dump (stage 1)",
		Description: `Reads the pages-articles dump (--dump files, or the latest complete dump of the wiki
under --dumps-dir) once and writes, under <data-dir>/<wiki>/:
  <wiki>.anchors.parquet        anchor, target, n: distinct pages linking target with anchor
                                (the filter stage replaces it by the filtered dictionary)
  <wiki>.anchors_unfiltered.parquet  the same, never filtered
  <wiki>.anchors_stats.parquet  anchor, aslink, astext, linkprob, kept (lp >= 0.065)
  <wiki>.pageids.parquet        title, page_id of every article (ns 0, not a redirect)
  <wiki>.redirects.parquet      from, to
  dictionaries.summary.json     counts, replaced invalid UTF-8, seconds, MB/s
  cache/articles.s2             the articles, so that later stages need not read the dump
Print any of the Parquet files with 'addlink cat FILE --format tsv'.`,
		Flags: []cli.Flag{wikiFlag(true), dumpFlag(), allowWikiMismatchFlag()},
		Action: func(c *cli.Context) error {
			co := commonOptions(c)
			opts := dictionaries.Options{
				Wiki: c.String(flagWiki), DataDir: co.DataDir, Dumps: c.StringSlice("dump"),
				DumpsDir: co.DumpsDir, Threads: co.Threads, AllowWikiMismatch: c.Bool(flagAllowWikiMismatch),
			}
			if err := opts.Validate(); err != nil {
				return usageError{err}
			}
			rep, done := newReporter(co)
			defer done()
			s, err := dictionaries.Run(c.Context, opts, rep)
			if err != nil {
				return err
			}
			rep.Note(fmt.Sprintf("dictionaries: %d articles, %d redirects, %d anchors (%d anchor-target pairs) in %.1fs (%.1f MB/s of XML)",
				s.Articles, s.Redirects, s.Anchors, s.AnchorTargetPairs, s.Seconds, s.XMLMBPerSecond))
			return nil
		},
	}
}
