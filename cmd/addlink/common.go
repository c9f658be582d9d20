package main

import (
	"os"
	"runtime"
	"time"

	"github.com/urfave/cli/v2"
	"golang.org/x/term"

	"github.com/addlink/addlink/internal/progress"
)

// Common flags, accepted before or after the command name.
const (
	flagDataDir  = "data-dir"
	flagDumpsDir = "dumps-dir"
	flagThreads  = "threads"
	flagQuiet    = "quiet"
	flagLogFmt   = "log-format"
	flagWiki     = "wiki"
)

// defaultDumpsDir is where Wikimedia's dump hosts mount the public dumps.
const defaultDumpsDir = "/mnt/data/xmldatadumps/public"

func commonFlags() []cli.Flag {
	return []cli.Flag{
		&cli.StringFlag{Name: flagDataDir, Value: "data", EnvVars: []string{"ADDLINK_DATA_DIR"},
			Usage: "root of the artifacts: each wiki's files go to `DIR`/<wiki>/"},
		&cli.StringFlag{Name: flagDumpsDir, Value: defaultDumpsDir, EnvVars: []string{"DUMPS_DIR"},
			Usage: "root of the dumps in Wikimedia's layout (`DIR`/<wiki>/<YYYYMMDD>/...)"},
		&cli.IntFlag{Name: flagThreads, Value: runtime.NumCPU(),
			Usage: "number of worker threads (`N`); results do not depend on it"},
		&cli.BoolFlag{Name: flagQuiet, Aliases: []string{"q"}, Usage: "no progress on stderr"},
		&cli.BoolFlag{Name: flagWait, Usage: "when another addlink process is using the wiki's data directory, wait for it instead of failing"},
		&cli.StringFlag{Name: flagLogFmt, Value: "text", Usage: "progress on stderr as `text` (a bar on a terminal) or json (one object per line)"},
	}
}

// wikiFlag is the --wiki flag of the commands that work on one wiki.
func wikiFlag(required bool) *cli.StringFlag {
	return &cli.StringFlag{Name: flagWiki, Aliases: []string{"w"}, Required: required,
		EnvVars: []string{"WIKI_ID"},
		Usage:   "wiki database name (`ID`), e.g. cswiki; artifacts go to <data-dir>/ID/"}
}

// common holds the values of the common flags.
type common struct {
	DataDir  string
	DumpsDir string
	Threads  int
	Quiet    bool
	JSONLog  bool
}

// setIn returns the innermost context (the command's, then the app's) where the flag
// was given, so that common flags work before and after the command name.
func setIn(c *cli.Context, name string) *cli.Context {
	for _, x := range c.Lineage() {
		if x.IsSet(name) {
			return x
		}
	}
	return c
}

func commonOptions(c *cli.Context) common {
	o := common{
		DataDir:  setIn(c, flagDataDir).String(flagDataDir),
		DumpsDir: setIn(c, flagDumpsDir).String(flagDumpsDir),
		Threads:  setIn(c, flagThreads).Int(flagThreads),
		Quiet:    setIn(c, flagQuiet).Bool(flagQuiet),
		JSONLog:  setIn(c, flagLogFmt).String(flagLogFmt) == "json",
	}
	if o.Threads <= 0 {
		o.Threads = runtime.NumCPU()
	}
	return o
}

// newReporter returns the progress reporter for a command and a function to close it.
func newReporter(o common) (progress.Reporter, func()) {
	if o.Quiet {
		return progress.Nop, func() {}
	}
	if o.JSONLog {
		r := progress.NewJSONRenderer(os.Stderr, 5*time.Second)
		return r, r.Close
	}
	tty := term.IsTerminal(int(os.Stderr.Fd()))
	interval := 5 * time.Second
	if tty {
		interval = 200 * time.Millisecond
	}
	r := progress.NewRenderer(os.Stderr, tty, interval)
	return r, r.Close
}
