package main

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

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
		created := missingDirs(dir)
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
		// A refused or failed command that wrote nothing leaves no trace: the
		// directories it made for its lock go (with the lock file) when they hold
		// nothing else.
		defer func() {
			if err != nil && len(created) > 0 {
				removeIfOnlyLock(created)
			}
		}()
		removed, err := atomicfile.RemoveStale(dir, true)
		if err != nil {
			return fmt.Errorf("%s: removing temporary files of killed runs: %w", name, err)
		}
		if len(removed) > 0 && !co.Quiet {
			fmt.Fprintf(os.Stderr, "%s: removed %d temporary file(s) left by killed runs under %s\n", name, len(removed), dir)
		}
		err = action(c)
		return err
	}
}

// missingDirs returns dir and those of its parents that do not exist, deepest first.
func missingDirs(dir string) []string {
	var out []string
	for d := filepath.Clean(dir); ; d = filepath.Dir(d) {
		if _, err := os.Lstat(d); err == nil || !errors.Is(err, fs.ErrNotExist) {
			return out
		}
		out = append(out, d)
		if filepath.Dir(d) == d {
			return out
		}
	}
}

// removeIfOnlyLock removes dirs (deepest first) while each holds nothing but the lock
// file.
func removeIfOnlyLock(dirs []string) {
	for _, d := range dirs {
		entries, err := os.ReadDir(d)
		if err != nil {
			return
		}
		for _, e := range entries {
			if e.Name() != lockfile.Name {
				return
			}
		}
		os.Remove(filepath.Join(d, lockfile.Name))
		if os.Remove(d) != nil {
			return
		}
	}
}
