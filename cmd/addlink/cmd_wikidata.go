package main

import (
	"fmt"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/addlink/addlink/pipeline/filter"
	"github.com/addlink/addlink/pipeline/wdproperties"
)

func newWDPropertiesCommand() *cli.Command {
	return &cli.Command{
		Name:  "wdproperties",
		Usage: "find the Wikidata P31 values of every page (for the anchor filter)",
		Description: `Reads the wiki's page_props table dump (--page-props, or the latest
<dumps-dir>/<wiki>/<date>/<wiki>-<date>-page_props.sql.gz) for each page's Wikidata item
and disambiguation flag, and the Wikidata entity dump (--wikidata, or the latest
<dumps-dir>/wikidatawiki/entities/<date>/wikidata-<date>-all.json.gz or .bz2) for the P31
(instance of) values of those items; other entities are skipped without being decoded.
Writes <data-dir>/<wiki>/<wiki>.wdproperties.parquet (page_id, qid), one row per page and
value, sorted. Without an entity dump, disambiguation pages still get Q4167410.`,
		Flags: []cli.Flag{wikiFlag(true),
			&cli.StringFlag{Name: "page-props", Usage: "page_props dump `FILE` (.sql, .sql.gz, .sql.bz2)"},
			&cli.StringFlag{Name: "wikidata", Usage: "Wikidata entity dump `FILE` (.json, .json.gz, .json.bz2)"},
			&cli.BoolFlag{Name: "skip-bad-rows", Usage: "skip and count malformed SQL rows and JSON lines instead of failing"},
		},
		Action: func(c *cli.Context) error {
			co := commonOptions(c)
			o := wdproperties.Options{Wiki: c.String(flagWiki), DataDir: co.DataDir, PageProps: c.String("page-props"),
				Wikidata: c.String("wikidata"), DumpsDir: co.DumpsDir, Threads: co.Threads, SkipBadRows: c.Bool("skip-bad-rows")}
			if err := o.Validate(); err != nil {
				return usageError{err}
			}
			rep, done := newReporter(co)
			defer done()
			s, err := wdproperties.Run(c.Context, o, rep)
			if err != nil {
				return err
			}
			rep.Note(fmt.Sprintf("wdproperties: %d pages with an item, %d disambiguation pages, %d rows (%d entities scanned, %.0f MB/s)",
				s.PagesWithItem, s.Disambiguations, s.Rows, s.EntitiesScanned, s.EntityMBPerSecond))
			return nil
		},
	}
}

func newFilterCommand() *cli.Command {
	return &cli.Command{
		Name:  "filter",
		Usage: "remove candidate targets that are disambiguation pages, lists, dates, units, names...",
		Description: `Reads <wiki>.anchors_unfiltered.parquet (written by dictionaries), <wiki>.pageids.parquet and
<wiki>.wdproperties.parquet, removes every candidate target one of whose P31 values is on
the filter list (the reference's list; for enwiki also countries and continents), drops
anchors left without candidates, and writes <wiki>.anchors.parquet and
filter.summary.json (how many candidates each item removed). Running it again gives the
same result. Without wdproperties the dictionary is used unfiltered, and it says so.
--filter-config FILE (JSON) replaces or extends the list:
  {"default": {"mode": "extend", "qids": ["Q5"]},
   "wikis": {"dewiki": {"mode": "replace", "qids": ["Q4167410"]}}}`,
		Flags: []cli.Flag{wikiFlag(true),
			&cli.StringFlag{Name: "filter-config", Usage: "JSON `FILE` that replaces or extends the filter list"}},
		Action: func(c *cli.Context) error {
			co := commonOptions(c)
			o := filter.Options{Wiki: c.String(flagWiki), DataDir: co.DataDir, FilterConfig: c.String("filter-config")}
			rep, done := newReporter(co)
			defer done()
			s, err := filter.Run(c.Context, o, rep)
			if err != nil {
				return err
			}
			var top []string
			for _, r := range s.Removals() {
				top = append(top, fmt.Sprintf("%s %d", r.QID, r.N))
			}
			rep.Note(fmt.Sprintf("filter: %d -> %d candidates, %d -> %d anchors; removed by item: %s",
				s.CandidatesBefore, s.CandidatesAfter, s.AnchorsBefore, s.AnchorsAfter, strings.Join(top, ", ")))
			return nil
		},
	}
}
