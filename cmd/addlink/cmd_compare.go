package main

import (
	"fmt"

	"github.com/urfave/cli/v2"

	"github.com/addlink/addlink/atomicfile"
	"github.com/addlink/addlink/compare"
)

func newCompareCommand() *cli.Command {
	return &cli.Command{
		Name:      "compare",
		Usage:     "set two backtests side by side: precision/recall with 95% intervals, PR AUC, best F1",
		UsageText: "addlink compare [--svg FILE] RUN_A RUN_B",
		ArgsUsage: "RUN_A RUN_B",
		Description: `A run is a backtest summary (backtest.summary.json, written by addlink backtest) or a
directory holding one, such as data/<wiki>. Prints, for each threshold, both runs'
micro precision and recall with their 95% bootstrap intervals and the differences B - A,
then the area under each precision-recall curve (trapezoids through the thresholds'
points, from recall 0 at the precision of the lowest-recall point) with its interval,
and each run's best F1. With --svg, also draws both precision-recall curves with their
intervals as error bars. Runs must have been evaluated at the same thresholds.`,
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "svg", Usage: "also write the precision-recall plot to `FILE`"},
		},
		Action: func(c *cli.Context) error {
			if c.NArg() != 2 {
				return usagef("compare: give two runs, RUN_A and RUN_B (got %d arguments)", c.NArg())
			}
			a, err := compare.Load(c.Args().Get(0))
			if err != nil {
				return err
			}
			b, err := compare.Load(c.Args().Get(1))
			if err != nil {
				return err
			}
			table, err := compare.Table(a, b)
			if err != nil {
				return err
			}
			fmt.Fprint(c.App.Writer, table)
			if path := c.String("svg"); path != "" {
				svg, err := compare.Plot(a, b)
				if err != nil {
					return err
				}
				if _, err := atomicfile.WriteFile(path, svg); err != nil {
					return err
				}
				fmt.Fprintf(c.App.Writer, "wrote %s\n", path)
			}
			return nil
		},
	}
}
