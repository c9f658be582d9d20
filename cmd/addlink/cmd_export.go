package main

import (
	"fmt"
	"os"

	"github.com/urfave/cli/v2"

	"github.com/addlink/addlink/datasets"
	"github.com/addlink/addlink/pipeline/export"
)

func newExportCommand() *cli.Command {
	return &cli.Command{
		Name:  "export",
		Usage: "write the datasets the Link Recommendation service loads, with checksums",
		Description: `Reads <wiki>.{anchors,pageids,redirects,w2vfiltered}.parquet and <wiki>.linkmodel.json under
<data-dir>/<wiki>/ and writes into <data-dir>/<wiki>/export/, for each dataset (w2vfiltered
when the embeddings exist):
  <wiki>.<name>.sqlite           sqlitedict layout (table "unnamed", key TEXT, value BLOB)
                                 with Python pickles (protocol 4) as values
  <wiki>.<name>.sqlite.gz        its gzipped copy; <wiki>.<name>.sqlite.checksum: sha256 of the .gz
  lr_<wiki>_<name>.sql.gz        one INSERT INTO line per row (mysqldump --skip-opt
                                 --no-create-info --skip-extended-insert style), + .checksum
and a copy of <wiki>.linkmodel.json with its .checksum. The same inputs give byte-identical
files. They form one set: written into a new directory with export-set.json (every file's
sha256 and those of the datasets and model they were made from), then export/ (a link) is
switched to it in one rename, so readers never see a mix of two exports.
--print-schema prints the CREATE TABLE statements of the lr_ tables, lr_model and lr_checksum.
--multilingual NAME exports the wiki's datasets with the v2 (multilingual) model
<data-dir>/NAME/NAME.linkmodel.json (addlink multilingual) instead of the wiki's own model, as
<wiki>.linkmodel.json, into <data-dir>/NAME/v2/<wiki>/export/: the set that publish
--multilingual NAME puts in the v2 layout. The wiki's own export is left alone.`,
		Flags: []cli.Flag{
			wikiFlag(true),
			&cli.StringFlag{Name: "multilingual", Usage: "export the wiki's datasets with the multilingual model `NAME` (<data-dir>/NAME/) for the v2 layout"},
			&cli.BoolFlag{Name: "print-schema", Usage: "print the MySQL CREATE TABLE statements and exit"},
		},
		Action: func(c *cli.Context) error {
			co := commonOptions(c)
			o := export.Options{Wiki: c.String(flagWiki), DataDir: co.DataDir, Multilingual: c.String("multilingual")}
			if err := o.Validate(); err != nil {
				return usageError{err}
			}
			if c.Bool("print-schema") {
				fmt.Print(datasets.SQLSchema(o.Wiki))
				return nil
			}
			rep, done := newReporter(co)
			defer done()
			s, err := export.Run(c.Context, o, rep)
			if err != nil {
				return err
			}
			rows := 0
			for _, n := range s.Rows {
				rows += n
			}
			line := fmt.Sprintf("export: %d rows, %d files in %.1fs; SQLite files %.0f rows/s, SQL dumps %.0f rows/s",
				rows, len(s.Files), s.Seconds, float64(rows)/s.SqliteSeconds, float64(rows)/s.SQLSeconds)
			if co.Quiet {
				fmt.Fprintln(os.Stderr, line)
			} else {
				rep.Note(line)
			}
			return nil
		},
	}
}
