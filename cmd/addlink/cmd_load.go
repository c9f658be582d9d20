package main

import (
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/addlink/addlink/datasets"
	"github.com/addlink/addlink/loader"
	"github.com/addlink/addlink/service"
)

func newLoadCommand() *cli.Command {
	return &cli.Command{
		Name:      "load",
		Usage:     "load published datasets into MySQL/MariaDB for the Link Recommendation service",
		ArgsUsage: " ",
		Description: `Does what the service's load-datasets.py does, into the same tables (lr_<wiki>_anchors,
_pageids, _redirects, _w2vfiltered, lr_model, lr_checksum; created when missing):

  addlink load --download --path /tmp/datasets          every wiki of both wikis.txt
  addlink load --download --path /tmp/datasets --wiki-id cswiki
  addlink load --path /srv/published                      <path>/<wiki>/ read in place

With --download, each dataset's published .checksum is compared with lr_checksum; a
dataset whose checksum is already there is skipped; the others are downloaded from
$ANALYTICS_BASE_URL/<wiki>/ (or $ANALYTICS_BASE_URL_LEGACY for wikis only it lists) to
<path>/<wiki>/, or read in place when the base URL is a directory (a publish root).
Without --download the files are read from <path>/<wiki>/ (every subdirectory holding
datasets when --wiki-id is not given), and also skipped when lr_checksum has them.

Every file's sha256 is checked before anything is written. Tables are filled under
other names and swapped in with one RENAME TABLE, then the model and the checksums are
written in one transaction: readers never see a half-loaded wiki. A failed wiki leaves
the database as it was and the next wiki is loaded; the exit status is 1 if any failed.
Downloads time out when stalled (--timeout), are retried with backoff (--retries) and
resumed with Range requests. A MySQL lock keeps two loaders of one database apart.

Models with extended features (addlink run --features extended, then publish) are
published under <base>/` + datasets.ExtendedRootName + `/ with their own wikis.txt, where the
reference's loader never looks. A wiki listed there is loaded from there (in preference
to the same wiki under the base), downloaded to <path>/` + datasets.ExtendedRootName + `/<wiki>/
(read from there without --download), with the datasets the features read besides the
others (lr_<wiki>_anchors_stats, lr_<wiki>_linkgraph; their checksums in lr_checksum) and
the same guarantees; a model whose datasets are not published beside it fails its wiki.

Then each loaded wiki's serving index is built from its tables, streamed (a few bytes per
key in memory whatever the wiki's size), into --index-dir: where addlink serve with
DB_BACKEND=mysql and the same --index-dir maps it on the wiki's first request instead of
reading the tables. An index already built from the same checksums is kept; a model that
reads more than the index holds (extended features) gets none; --index-dir none builds
nothing (serve then builds the index on the wiki's first request).

Database: DB_HOST, DB_PORT (3306), DB_USER, DB_PASSWORD, DB_DATABASE, DB_READ_DEFAULT_FILE
(a my.cnf whose [client] section fills what they leave unset), as addlink serve.`,
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "wiki-id", Aliases: []string{"id"}, Usage: "load only this wiki (`ID`, e.g. cswiki); default: every published wiki"},
			&cli.StringSliceFlag{Name: "datasets", Aliases: []string{"d"}, Usage: "`NAMES` to load, in order (comma-separated or repeated): " + strings.Join(loader.DefaultDatasets, ",") + " (and " + strings.Join(datasets.ExtendedDatasetNames, ",") + " for extended models)"},
			&cli.StringFlag{Name: "path", Aliases: []string{"p"}, Usage: "parent `DIR` of the per-wiki directories: downloads go to, or files are read from, DIR/<wiki>/"},
			&cli.BoolFlag{Name: "download", Usage: "download the datasets whose published checksum differs from lr_checksum's"},
			&cli.StringFlag{Name: "output-format", Value: "print", Usage: "messages on stdout as `print` (text) or json (one object per line)"},
			&cli.StringFlag{Name: "base-url", EnvVars: []string{"ANALYTICS_BASE_URL"}, Value: loader.DefaultBaseURL, Usage: "where the datasets are published: an http(s) `URL` or a directory"},
			&cli.StringFlag{Name: "legacy-base-url", EnvVars: []string{"ANALYTICS_BASE_URL_LEGACY"}, Value: loader.DefaultLegacyBaseURL, Usage: "the older publication, also listed when --wiki-id is not given (`URL`, directory, or none; default: the reference's URL when --base-url is a URL, none when it is a directory)"},
			&cli.BoolFlag{Name: "dry-run", Aliases: []string{"n"}, Usage: "say what would be downloaded and loaded, change nothing"},
			&cli.BoolFlag{Name: "force", Usage: "load datasets whose checksum is already in lr_checksum too"},
			&cli.DurationFlag{Name: "timeout", Value: time.Minute, Usage: "an HTTP request that sends nothing for this `DURATION` fails"},
			&cli.IntFlag{Name: "retries", Value: 3, Usage: "further attempts of a failed HTTP request (`N`), with backoff"},
			&cli.DurationFlag{Name: "lock-wait", Value: 10 * time.Second, Usage: "how long to wait for another loader of the database (`DURATION`)"},
			&cli.IntFlag{Name: "parallel", Value: loader.DefaultParallel, Usage: "datasets imported at once (`N`), each on its own connection, largest first"},
			&cli.StringFlag{Name: "index-dir", Usage: "build the loaded wikis' serving indexes in `DIR`, serve's --index-dir (default: addlink/serve-index under the user's cache directory; none: build none)"},
			&cli.StringFlag{Name: "method", Value: loader.MethodAuto, Usage: "how rows are sent: `auto` (load-data when the server allows local_infile), load-data or insert"},
		},
		Action: func(c *cli.Context) error {
			co := commonOptions(c)
			o := loader.Options{
				WikiID:        c.String("wiki-id"),
				Path:          c.String("path"),
				Download:      c.Bool("download"),
				BaseURL:       c.String("base-url"),
				LegacyBaseURL: c.String("legacy-base-url"),
				DryRun:        c.Bool("dry-run"),
				Force:         c.Bool("force"),
				Timeout:       c.Duration("timeout"),
				Retries:       c.Int("retries"),
				Backoff:       2 * time.Second,
				LockWait:      c.Duration("lock-wait"),
				Method:        c.String("method"),
				Parallel:      c.Int("parallel"),
				IndexDir:      c.String("index-dir"),
			}
			switch o.IndexDir {
			case "":
				o.IndexDir = service.DefaultIndexDir()
			case "none":
				o.IndexDir = ""
			}
			if o.LegacyBaseURL == "none" {
				o.LegacyBaseURL = ""
			}
			// A publish root on this machine as the base: the default legacy publication
			// (on the internet) is listed only when asked for, so a load from a
			// directory needs no network.
			if !c.IsSet("legacy-base-url") && !strings.HasPrefix(o.BaseURL, "http://") && !strings.HasPrefix(o.BaseURL, "https://") {
				o.LegacyBaseURL = ""
			}
			for _, d := range c.StringSlice("datasets") {
				o.Datasets = append(o.Datasets, strings.FieldsFunc(d, func(r rune) bool { return r == ',' || r == ' ' })...)
			}
			// The reference takes `--datasets anchors model`: names after the flag.
			if c.IsSet("datasets") {
				for _, a := range c.Args().Slice() {
					if strings.HasPrefix(a, "-") {
						return usagef("load: flag %s after the dataset names: give names comma-separated (-d anchors,model) or last", a)
					}
					o.Datasets = append(o.Datasets, a)
				}
			} else if c.NArg() > 0 {
				return usagef("load: unexpected arguments %q", c.Args().Slice())
			}
			var out io.Writer = os.Stdout
			switch c.String("output-format") {
			case "print":
				o.Log = slog.New(slog.NewTextHandler(out, &slog.HandlerOptions{ReplaceAttr: dropTime}))
			case "json":
				o.Log = slog.New(slog.NewJSONHandler(out, nil))
			default:
				return usagef("load: --output-format %q: want print or json", c.String("output-format"))
			}
			dsn, err := loader.DSNFromEnv(os.LookupEnv)
			if err != nil {
				return usageError{err}
			}
			o.DSN = dsn
			o.Defaults()
			if err := o.Validate(); err != nil {
				return usageError{fmt.Errorf("load: %w", err)}
			}
			rep, done := newReporter(co)
			o.Progress = rep
			r, err := loader.Run(c.Context, o)
			done()
			printLoadReport(o.Log, r)
			if err != nil {
				return fmt.Errorf("load: %w", err)
			}
			if failed := r.Failed(); len(failed) > 0 {
				var names []string
				for _, w := range failed {
					names = append(names, w.Wiki)
				}
				return fmt.Errorf("load: %d of %d wikis failed (%s); their tables are unchanged", len(failed), len(r.Wikis), strings.Join(names, " "))
			}
			for _, w := range r.Wikis {
				if w.IndexErr != nil {
					return fmt.Errorf("load: %s is loaded, but its serving index could not be built in %s: %w", w.Wiki, o.IndexDir, w.IndexErr)
				}
			}
			return nil
		},
	}
}

func dropTime(groups []string, a slog.Attr) slog.Attr {
	if len(groups) == 0 && a.Key == slog.TimeKey {
		return slog.Attr{}
	}
	return a
}

// printLoadReport logs one summary line per wiki.
func printLoadReport(log *slog.Logger, r loader.Report) {
	for _, w := range r.Wikis {
		switch {
		case w.Err != nil:
			log.Error("failed", "wiki", w.Wiki, "error", w.Err.Error())
		case len(w.Loaded) == 0:
			log.Info("up to date, nothing changed", "wiki", w.Wiki)
		case r.DryRun:
			log.Info("would load", "wiki", w.Wiki, "datasets", strings.Join(w.Loaded, " "), "from", w.Source)
		default:
			var rows int64
			for _, n := range w.Rows {
				rows += n
			}
			log.Info("loaded", "wiki", w.Wiki, "datasets", strings.Join(w.Loaded, " "), "rows", rows,
				"bytes", w.Bytes, "seconds", fmt.Sprintf("%.1f", w.Duration.Seconds()))
		}
	}
	if !r.Changed() && len(r.Failed()) == 0 && !r.DryRun {
		log.Info("the database did not change")
	}
}
