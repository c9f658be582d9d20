// Command addlink trains and publishes link-recommendation models for a Wikipedia from
// its public dumps. Each subcommand lives in its own cmd_<name>.go file and does wiring
// only: it fills an options struct from its flags, validates it and calls one function.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime/pprof"
	"syscall"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/addlink/addlink/internal/dump"
	"github.com/addlink/addlink/pipeline"
)

// version is set at build time with -ldflags "-X main.version=...".
var version = "dev"

// Exit statuses (a contract for scripts: README.md, docs/reference.md "The command line").
const (
	exitOK          = 0
	exitError       = 1
	exitUsage       = 2
	exitQualityGate = 3
	exitInterrupted = 130
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	stopProfile := startProfile()
	jsonLog, err := run(ctx, os.Args)
	stopProfile()
	interrupted := ctx.Err() != nil
	stop()
	os.Exit(report(os.Stderr, err, interrupted, jsonLog))
}

// exitStatus is the only place where errors become exit statuses; it prints the error
// on stderr.
func exitStatus(err error, interrupted bool) int {
	return report(os.Stderr, err, interrupted, false)
}

// report prints err on w (one JSON object when jsonLog) and returns the exit status.
func report(w io.Writer, err error, interrupted, jsonLog bool) int {
	if err == nil {
		return exitOK
	}
	var usage usageError
	var gate qualityGateError
	var stage *pipeline.StageError
	var mismatch *dump.WikiMismatchError
	code, msg, stageName := exitError, err.Error(), ""
	switch {
	case interrupted || errors.Is(err, context.Canceled):
		code = exitInterrupted
		if errors.As(err, &stage) {
			stageName = stage.Stage
			msg = fmt.Sprintf("interrupted in stage %s: the stages before it are kept, and the next run resumes with %s", stage.Stage, stage.Stage)
		} else {
			msg = "interrupted: nothing half-written is left under a final name; run the command again to redo it"
		}
	case errors.As(err, &usage), errors.As(err, &mismatch):
		code = exitUsage
	case errors.As(err, &gate):
		code = exitQualityGate
	}
	if jsonLog {
		b, _ := json.Marshal(struct {
			Time       string `json:"time"`
			Level      string `json:"level"`
			Msg        string `json:"msg"`
			Stage      string `json:"stage,omitempty"`
			ExitStatus int    `json:"exit_status"`
		}{time.Now().UTC().Format(time.RFC3339Nano), "error", msg, stageName, code})
		fmt.Fprintf(w, "%s\n", b)
	} else {
		fmt.Fprintf(w, "addlink: %s\n", msg)
	}
	return code
}

// usageError marks a mistake in the command line (exit status 2).
type usageError struct{ error }

func (e usageError) Unwrap() error { return e.error }

// usagef returns a usageError.
func usagef(format string, args ...any) error {
	return usageError{fmt.Errorf(format, args...)}
}

// dashed is a flag-parsing error whose message spells long flags with two dashes.
type dashed struct{ error }

func (e dashed) Error() string { return dashedFlags(e.error.Error()) }
func (e dashed) Unwrap() error { return e.error }

// qualityGateError marks a backtest below --min-precision or --min-recall (exit status 3).
type qualityGateError struct{ error }

func (e qualityGateError) Unwrap() error { return e.error }

func newApp() *cli.App {
	app := &cli.App{
		Name:    "addlink",
		Usage:   "train and publish link-recommendation models from Wikipedia dumps",
		Version: version,
		Description: "addlink re-implements Wikimedia's \"add a link\" training pipeline in one binary.\n" +
			"Artifacts are written under <data-dir>/<wiki>/. Run `addlink COMMAND --help` for what\n" +
			"each command reads and writes.",
		// --wiki is listed with the common flags: normalizeArgs moves it, like every
		// flag, after the command name, where the commands that take it read it.
		Flags:                append(commonFlags(), wikiFlag(false)),
		Metadata:             map[string]any{},
		Commands:             commands(),
		EnableBashCompletion: true,
		// Errors go back to main, which alone decides the exit status, so deferred
		// cleanup always runs.
		ExitErrHandler: func(*cli.Context, error) {},
		OnUsageError: func(_ *cli.Context, err error, _ bool) error {
			return usageError{dashed{err}}
		},
	}
	for _, c := range app.Commands {
		setUsageErrors(c)
		if len(c.Subcommands) > 0 {
			// A command made of subcommands (review) has no action of its own: its
			// subcommands are checked and take the common flags.
			for _, s := range c.Subcommands {
				s.Before = checkCommandLine(takeRequired(s))
				s.Action = guard(s.Action)
				s.Flags = append(s.Flags, commonFlags()...)
			}
			continue
		}
		c.Before = checkCommandLine(takeRequired(c))
		c.Action = guard(c.Action) // outside lockWiki: an empty --wiki is refused before any lock
		// The common flags are accepted after the command name too.
		c.Flags = append(c.Flags, commonFlags()...)
	}
	return app
}

func setUsageErrors(c *cli.Command) {
	if c.OnUsageError == nil {
		c.OnUsageError = func(_ *cli.Context, err error, _ bool) error { return usageError{dashed{err}} }
	}
	for _, s := range c.Subcommands {
		setUsageErrors(s)
	}
}

// startProfile writes a CPU profile of the whole command to the file named by
// ADDLINK_CPUPROFILE, for developers (go tool pprof bin/addlink FILE).
func startProfile() func() {
	path := os.Getenv("ADDLINK_CPUPROFILE")
	if path == "" {
		return func() {}
	}
	f, err := os.Create(path)
	if err != nil {
		fmt.Fprintf(os.Stderr, "addlink: ADDLINK_CPUPROFILE: %v\n", err)
		return func() {}
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		fmt.Fprintf(os.Stderr, "addlink: ADDLINK_CPUPROFILE: %v\n", err)
		f.Close()
		return func() {}
	}
	return func() {
		pprof.StopCPUProfile()
		f.Close()
	}
}
