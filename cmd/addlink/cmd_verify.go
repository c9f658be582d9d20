package main

import (
	"fmt"
	"os"

	"github.com/urfave/cli/v2"

	"github.com/addlink/addlink/checksum"
)

func newVerifyCommand() *cli.Command {
	return &cli.Command{
		Name:      "verify",
		Usage:     "check sha256 checksum files (.checksum)",
		ArgsUsage: "PATH ...",
		Description: `Each PATH is a .checksum file (one line "<sha256>  <file name>", the format of
shasum -a 256 and sha256sum) or a directory whose .checksum files are all checked. The
named file must exist beside its checksum file and hash to the recorded digest. Prints
one line per checksum file; exits with status 1 naming every mismatch or missing file.`,
		Action: func(c *cli.Context) error {
			if c.NArg() == 0 {
				return usagef("verify: give at least one PATH")
			}
			co := commonOptions(c)
			bad := 0
			for _, r := range checksum.VerifyPaths(c.Args().Slice()) {
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
