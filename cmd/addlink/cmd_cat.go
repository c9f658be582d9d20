package main

import (
	"os"

	"github.com/urfave/cli/v2"

	"github.com/addlink/addlink/datasets"
)

func newCatCommand() *cli.Command {
	return &cli.Command{
		Name:      "cat",
		Usage:     "print a Parquet dataset as TSV or JSON lines",
		ArgsUsage: "FILE",
		Description: `Prints any of addlink's Parquet datasets (anchors, anchors_stats, pageids, redirects,
w2vfiltered, ...) on stdout. --format tsv (default) writes a header line and escapes tab,
newline and backslash inside values as \t, \n and \\, with floats as Python prints them,
like the reference pipeline's TSV files; --format jsonl writes one JSON object per row.`,
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "format", Aliases: []string{"f"}, Value: datasets.FormatTSV, Usage: "`tsv` or jsonl"},
		},
		Action: func(c *cli.Context) error {
			if c.NArg() != 1 {
				return usagef("cat: want exactly one FILE, got %d", c.NArg())
			}
			f := c.String("format")
			if f != datasets.FormatTSV && f != datasets.FormatJSONL {
				return usagef("cat: --format must be tsv or jsonl, not %q", f)
			}
			return datasets.Cat(os.Stdout, c.Args().First(), f)
		},
	}
}
