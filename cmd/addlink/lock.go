package main

import (
	"fmt"
	"os"

	"github.com/urfave/cli/v2"

	"github.com/addlink/addlink/atomicfile"
	"github.com/addlink/addlink/datasets"
	"github.com/addlink/addlink/internal/lockfile"
)

const flagWait = "wait"

// checkWikiSet refuses a --wiki (or WIKI_ID) that is set but empty: only an unset
// WIKI_ID means the sample wiki.
func checkWikiSet(c *cli.Context) error {
	x := setIn(c, flagWiki)
	if x.IsSet(flagWiki) && x.String(flagWiki) == "" {
		return usagef("%s: --wiki (or WIKI_ID) is set but empty: give a wiki id such as cswiki, or unset WIKI_ID to run the built-in sample wiki", c.Command.Name)
	}
	return nil
}

// guard wraps every command's action: it refuses an empty --wiki.
func guard(action cli.ActionFunc) cli.ActionFunc {
	if action == nil {
		return nil
	}
	return func(c *cli.Context) error {
		if err := checkWikiSet(c); err != nil {
			return err
		}
		return action(c)
	}
}

// lockWiki wraps the action of a locked command (commands.go): it holds the lock of
// <data-dir>/<wiki>/ while the action runs, after removing the temporary files that
// killed runs left there.
func lockWiki(name string, action cli.ActionFunc) cli.ActionFunc {
	return func(c *cli.Context) error {
		wiki := c.String(flagWiki)
		if wiki == "" && name == "run" && len(c.StringSlice("dump")) == 0 {
			wiki = datasets.SampleWiki
		}
		if datasets.CheckWikiID(wiki) != nil || c.Bool("print-schema") {
			return action(c) // nothing to lock: the action reports the mistake or writes nothing
		}
		co := commonOptions(c)
		dir := datasets.Layout{DataDir: co.DataDir, Wiki: wiki}.Dir()
		lock, err := lockfile.Acquire(c.Context, dir, lockfile.Options{
			Wait: setIn(c, flagWait).Bool(flagWait),
			Waiting: func(h *lockfile.HeldError) {
				fmt.Fprintf(os.Stderr, "%s: waiting: %v\n", name, h)
			},
		})
		if err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
		defer lock.Release()
		removed, err := atomicfile.RemoveStale(dir, true)
		if err != nil {
			return fmt.Errorf("%s: removing temporary files of killed runs: %w", name, err)
		}
		if len(removed) > 0 && !co.Quiet {
			fmt.Fprintf(os.Stderr, "%s: removed %d temporary file(s) left by killed runs under %s\n", name, len(removed), dir)
		}
		return action(c)
	}
}
