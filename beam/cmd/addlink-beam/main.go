// Command addlink-beam runs the dictionaries stage of addlink as an Apache Beam
// pipeline: locally on Prism (the default), or on Dataflow, Flink or Spark with Beam's
// own flags (see docs/beam.md). It writes, under --data-dir, the datasets that
// `addlink dictionaries` writes for the same dump, byte for byte.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"runtime/pprof"
	"strings"
	"syscall"
	"time"

	"github.com/apache/beam/sdks/v2/go/pkg/beam"
	_ "github.com/apache/beam/sdks/v2/go/pkg/beam/io/filesystem/gcs" // gs:// dumps and shards
	"github.com/apache/beam/sdks/v2/go/pkg/beam/x/beamx"
	"golang.org/x/term"

	beamdict "github.com/addlink/addlink/beam/dictionaries"
	"github.com/addlink/addlink/internal/progress"
)

// Exit statuses, as addlink's.
const (
	exitOK          = 0
	exitError       = 1
	exitUsage       = 2
	exitInterrupted = 130
)

// stringList is a repeatable flag.
type stringList []string

func (l *stringList) String() string     { return strings.Join(*l, ",") }
func (l *stringList) Set(v string) error { *l = append(*l, v); return nil }

// ourFlags are the flags of addlink-beam (the rest are Beam's pipeline options).
var ourFlags = []string{"wiki", "dump", "dumps-dir", "data-dir", "shards", "split-bytes", "threads", "allow-wiki-mismatch", "quiet", "cpuprofile"}

func main() {
	var (
		dumps stringList
		o     beamdict.Options
		quiet bool
	)
	flag.StringVar(&o.Wiki, "wiki", "", "wiki `ID` (e.g. elwiki); required")
	flag.Var(&dumps, "dump", "pages-articles dump `FILE` or glob on any Beam filesystem (local, gs://); repeat for part\nfiles; give a multistream file's -index file too to read it in parallel by streams")
	flag.StringVar(&o.DumpsDir, "dumps-dir", os.Getenv("DUMPS_DIR"), "without --dump: the latest complete dump of the wiki under `DIR` (local; env DUMPS_DIR)")
	flag.StringVar(&o.DataDir, "data-dir", envOr("ADDLINK_DATA_DIR", "data"), "local `DIR` the datasets are written to, under <wiki>/ (env ADDLINK_DATA_DIR)")
	flag.IntVar(&o.Shards, "shards", 16, "`N` shards of each dataset, by anchor or title hash, merged at the end")
	flag.Int64Var(&o.SplitBytes, "split-bytes", 64<<20, "compressed `BYTES` per split of a multistream file (whole streams)")
	flag.IntVar(&o.Threads, "threads", 0, "bzip2 goroutines per split (default: the worker's cores)")
	flag.BoolVar(&o.AllowWikiMismatch, "allow-wiki-mismatch", false, "read dump files whose <dbname> or file name names another wiki")
	flag.BoolVar(&quiet, "quiet", false, "no progress on stderr")
	cpuProfile := flag.String("cpuprofile", "", "write a Go CPU profile of this process (with Prism: the whole pipeline) to `FILE`")
	flag.Usage = usage
	flag.Parse()
	// Prism (in process) logs every job's steps at level INFO on the default logger.
	slog.SetLogLoggerLevel(slog.LevelWarn)
	// On a worker (Dataflow, Flink, Spark, or Prism's process environment) Init runs
	// the worker harness and does not return.
	beam.Init()

	if flag.NArg() > 0 {
		fmt.Fprintf(os.Stderr, "addlink-beam: unexpected argument %q\n", flag.Arg(0))
		os.Exit(exitUsage)
	}
	o.Dumps = dumps
	if f := flag.Lookup("temp_location"); f != nil {
		o.TempLocation = f.Value.String()
	}
	// Dataflow's --dry_run builds and validates the job without submitting it.
	if f := flag.Lookup("dry_run"); f != nil && f.Value.String() == "true" {
		o.DryRun = true
	}
	if err := o.Validate(); err != nil {
		fmt.Fprintf(os.Stderr, "addlink-beam: %v\n", err)
		os.Exit(exitUsage)
	}
	if *cpuProfile != "" {
		f, err := os.Create(*cpuProfile)
		if err == nil {
			err = pprof.StartCPUProfile(f)
		}
		if err != nil {
			fmt.Fprintf(os.Stderr, "addlink-beam: --cpuprofile: %v\n", err)
			os.Exit(exitError)
		}
		defer f.Close()
		defer pprof.StopCPUProfile()
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, o, quiet)
	interrupted := ctx.Err() != nil
	stop()
	if code := exitStatus(err, interrupted); code != exitOK {
		os.Exit(code)
	}
}

func run(ctx context.Context, o beamdict.Options, quiet bool) error {
	var rep progress.Reporter = progress.Nop
	if !quiet {
		tty := term.IsTerminal(int(os.Stderr.Fd()))
		interval := 5 * time.Second
		if tty {
			interval = 200 * time.Millisecond
		}
		r := progress.NewRenderer(os.Stderr, tty, interval)
		defer r.Close()
		rep = r
	}
	s, err := beamdict.Run(ctx, o, beamx.RunWithMetrics, rep)
	if errors.Is(err, beamdict.ErrDryRun) {
		rep.Note(err.Error())
		return nil
	}
	if err != nil {
		return err
	}
	rep.Note(fmt.Sprintf("addlink-beam: %d articles, %d redirects, %d anchors (%d anchor-target pairs) in %.1fs (%.1f MB/s of XML)",
		s.Articles, s.Redirects, s.Anchors, s.AnchorTargetPairs, s.Seconds, s.XMLMBPerSecond))
	return nil
}

// exitStatus is the only place where errors become exit statuses.
func exitStatus(err error, interrupted bool) int {
	switch {
	case err == nil:
		return exitOK
	case interrupted || errors.Is(err, context.Canceled):
		fmt.Fprintln(os.Stderr, "addlink-beam: interrupted")
		return exitInterrupted
	default:
		fmt.Fprintf(os.Stderr, "addlink-beam: %v\n", err)
		return exitError
	}
}

func envOr(name, def string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return def
}

func usage() {
	w := flag.CommandLine.Output()
	fmt.Fprint(w, `Usage: addlink-beam --wiki W --dump FILE ... [--data-dir DIR] [Beam options]

Runs addlink's dictionaries stage as an Apache Beam pipeline and writes, under
<data-dir>/<wiki>/, what 'addlink dictionaries' writes for the same dump, byte for byte:
<wiki>.anchors.parquet, .anchors_unfiltered.parquet, .anchors_stats.parquet,
.pageids.parquet, .redirects.parquet and dictionaries.summary.json (not the articles
cache: later stages then read the dump).

Part files are read in parallel, one per worker; a multistream dump given with its
-index file is read in parallel by ranges of streams; any other file by one worker.

Flags:
`)
	for _, name := range ourFlags {
		f := flag.Lookup(name)
		arg, help := flag.UnquoteUsage(f)
		fmt.Fprintf(w, "  --%s %s\n    \t%s", name, arg, strings.ReplaceAll(help, "\n", "\n    \t"))
		if f.DefValue != "" && f.DefValue != "0" && f.DefValue != "false" {
			fmt.Fprintf(w, " (default %s)", f.DefValue)
		}
		fmt.Fprintln(w)
	}
	fmt.Fprint(w, `
Beam's pipeline options are accepted too, among them:
  --runner prism|dataflow|flink|spark|universal   (default prism: local, in process)
  --endpoint HOST:PORT       job server of Flink, Spark or universal
  --environment_type LOOPBACK|DOCKER|EXTERNAL    how the runner starts workers
  --temp_location DIR        where the workers write the shards (gs://... on Dataflow;
                             default: a directory under <data-dir>/<wiki>/)
  --project, --region, --staging_location        Dataflow
The exact commands for Dataflow, Flink and Spark are in docs/beam.md.
Exit status: 0 success, 1 error, 2 usage error, 130 interrupted.
`)
}
