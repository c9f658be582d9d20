package main

import (
	"fmt"
	"os"

	"github.com/urfave/cli/v2"

	"github.com/addlink/addlink/checksum"
	"github.com/addlink/addlink/datasets"
)

func newVerifyCommand() *cli.Command {
	return &cli.Command{
		Name:      "verify",
		Usage:     "check sha256 checksum files (.checksum) and that export sets are whole and current",
		ArgsUsage: "PATH ...",
		Description: `Each PATH is a .checksum file (one line "<sha256>  <file name>", the format of
shasum -a 256 and sha256sum) or a directory whose .checksum files are all checked. The
named file must exist beside its checksum file and hash to the recorded digest. An
export set found under a PATH (` + "`" + `export-set.json` + "`" + `, written by 'addlink export') is checked as a
whole: exactly its files, each with its recorded sha256, made from the datasets and
model now in its wiki directory. Prints one line per checksum file and set; exits with
status 1 naming every mismatch, missing or extra file, or stale set.`,
		Action: func(c *cli.Context) error {
			if c.NArg() == 0 {
				return usagef("verify: give at least one PATH")
			}
			co := commonOptions(c)
			bad := 0
			// Each checksum file, then each export set found: whole, and current for the
			// datasets and model of the wiki directory it is in.
			results := checksum.VerifyPathsSkipping(c.Args().Slice(), datasets.NotTheExport)
			results = append(results, datasets.VerifyExportSets(c.Args().Slice())...)
			for _, r := range results {
				if r.Err != nil {
					bad++
					fmt.Fprintf(os.Stderr, "FAILED %s: %v\n", r.Sidecar, r.Err)
				} else if !co.Quiet {
					fmt.Printf("OK %s\n", r.Sidecar)
				}
			}
			if bad > 0 {
				return fmt.Errorf("verify: %d checksum file(s) failed", bad)
			}
			return nil
		},
	}
}
