package main

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/addlink/addlink/datasets"
	"github.com/addlink/addlink/pipeline"
	"github.com/addlink/addlink/pipeline/embeddings"
)

func newRunCommand() *cli.Command {
	return &cli.Command{
		Name:  "run",
		Usage: "run the pipeline's stages for a wiki, skipping those that are current",
		Description: `Runs the stages in order (see 'addlink status'). Each stage records a manifest of its
inputs, parameters and program version under <data-dir>/<wiki>/manifests/; a stage
whose manifest is current is skipped, so a rerun only redoes what changed. Each run
writes <data-dir>/<wiki>/report.md: stages, timings, inputs and outputs with their
sha256, and each stage's summary.
The dumps are --dump files or the latest complete dump under --dumps-dir.
With no --wiki (and no WIKI_ID) and no --dump, it runs the built-in sample wiki
(` + datasets.SampleWiki + `), generating its dump under <data-dir>/` + datasets.SampleWiki + `/dump/.
Stages: dictionaries, wdproperties (when a page_props dump is found under --dumps-dir),
filter, embeddings, sentences, features, train, backtest, export; --from and --to select
a range of them.
--features extended trains the model with extended features instead (see 'addlink
train --help'): a linkgraph stage after embeddings, every qualifying sentence of a
training article (sentences --train-per-article all), the extended features and
candidate rules without the negative rows whose target the page links elsewhere
(features --features extended --drop-linked-elsewhere), train --features extended;
backtest and export follow the model (export adds the datasets it reads, and publish
puts it under <root>/` + datasets.ExtendedRootName + `/, where the Python service never looks).
It writes the same files as the six-feature run, so a later run without the flag
trains the six-feature model again.
--embeddings graph makes the embeddings stage compute the vectors from the link graph
(addlink embeddings --method graph) instead of training skip-gram.`,
		Flags: []cli.Flag{
			wikiFlag(false), dumpFlag(), allowWikiMismatchFlag(),
			&cli.StringFlag{Name: "from", Usage: "first `STAGE` to consider"},
			&cli.StringFlag{Name: "to", Usage: "last `STAGE` to consider"},
			&cli.BoolFlag{Name: "force", Usage: "run the selected stages even when current"},
			runFeaturesFlag(),
			embeddingsMethodFlag(),
		},
		Action: func(c *cli.Context) error {
			co := commonOptions(c)
			method, err := embeddings.ParseMethod(c.String("embeddings"))
			if err != nil {
				return usageError{err}
			}
			cfg := &pipeline.Config{Wiki: c.String(flagWiki), DataDir: co.DataDir, Dumps: c.StringSlice("dump"),
				DumpsDir: co.DumpsDir, Threads: co.Threads, Version: version, AllowWikiMismatch: c.Bool(flagAllowWikiMismatch), Embeddings: method}
			if cfg.Features, err = runFeatures(c); err != nil {
				return err
			}
			stages := pipeline.StagesFor(cfg)
			runOpts := pipeline.RunOptions{From: c.String("from"), To: c.String("to"), Force: c.Bool("force")}
			if err := runOpts.Validate(stages); err != nil {
				return usageError{err}
			}
			if cfg.Wiki == "" {
				if len(cfg.Dumps) > 0 {
					return usagef("run: --wiki (or WIKI_ID) is required with --dump")
				}
				cfg.Wiki = datasets.SampleWiki
				p, err := pipeline.EnsureSample(cfg.DataDir)
				if err != nil {
					return err
				}
				cfg.Dumps = []string{p}
				if !co.Quiet {
					fmt.Fprintf(os.Stderr, "run: no WIKI_ID given: running the built-in sample wiki %q (%s)\n", cfg.Wiki, p)
				}
			}
			if err := datasets.CheckWikiID(cfg.Wiki); err != nil {
				return usageError{err}
			}
			rep, done := newReporter(co)
			defer done()
			if files, err := cfg.DumpFiles(); err == nil && cfg.Wiki != datasets.SampleWiki {
				rep.Note(fmt.Sprintf("run: %s: dump %s", cfg.Wiki, strings.Join(files, ", ")))
			}
			results, err := pipeline.Run(c.Context, cfg, stages, runOpts, rep)
			if err != nil {
				return err
			}
			for _, r := range results {
				rep.Note(fmt.Sprintf("  %-14s %-8s %s", r.Stage, r.Action, r.Reason))
			}
			if err := pipeline.WriteReport(cfg, stages, results); err != nil {
				return err
			}
			rep.Note("run: artifacts in " + cfg.Layout().Dir() + ", report in " + pipeline.ReportPath(cfg))
			outcome, err := pipeline.ReadOutcome(cfg)
			if err != nil {
				return err
			}
			rep.Note("run: " + cfg.Wiki + ": " + outcome.String())
			return nil
		},
	}
}

func newStatusCommand() *cli.Command {
	return &cli.Command{
		Name:  "status",
		Usage: "show which stages of a wiki are current, stale (and why) or missing",
		Description: "Reads the manifests under <data-dir>/<wiki>/manifests/ and compares them with the inputs.\n" +
			"--features extended shows the stages of 'addlink run --features extended'.",
		Flags: []cli.Flag{wikiFlag(false), dumpFlag(), runFeaturesFlag(), embeddingsMethodFlag()},
		Action: func(c *cli.Context) error {
			co := commonOptions(c)
			method, err := embeddings.ParseMethod(c.String("embeddings"))
			if err != nil {
				return usageError{err}
			}
			cfg := &pipeline.Config{Wiki: c.String(flagWiki), DataDir: co.DataDir, Dumps: c.StringSlice("dump"),
				DumpsDir: co.DumpsDir, Threads: co.Threads, Version: version, Embeddings: method}
			if cfg.Features, err = runFeatures(c); err != nil {
				return err
			}
			if cfg.Wiki == "" {
				cfg.Wiki = datasets.SampleWiki
			}
			if err := datasets.CheckWikiID(cfg.Wiki); err != nil {
				return usageError{err}
			}
			// The sample wiki's dump is the generated one, named or not.
			if cfg.Wiki == datasets.SampleWiki && len(cfg.Dumps) == 0 {
				cfg.Dumps = []string{pipeline.SampleDump(cfg.DataDir)}
			}
			// A wiki that has no data directory was never run here (or is misspelt):
			// say so rather than list every stage as missing.
			if dir := cfg.Layout().Dir(); cfg.Wiki != datasets.SampleWiki {
				if _, err := os.Stat(dir); errors.Is(err, fs.ErrNotExist) {
					return fmt.Errorf("status: %s has no data directory: %s does not exist (a misspelt --wiki, another --data-dir, or never run: addlink run --wiki %s)", cfg.Wiki, dir, cfg.Wiki)
				}
			}
			for _, s := range pipeline.Inspect(cfg, pipeline.StagesFor(cfg)) {
				fmt.Printf("%-14s %-8s %s\n", s.Stage, s.Status, s.Reason)
			}
			return nil
		},
	}
}

func runFeaturesFlag() *cli.StringFlag {
	return &cli.StringFlag{Name: "features", Value: "reference", Usage: "the model: reference (the six features the Python service computes) or " + pipeline.FeaturesExtended + " (see the description)"}
}

// runFeatures reads run's and status's --features: "" for the reference's model.
func runFeatures(c *cli.Context) (string, error) {
	switch f := c.String("features"); f {
	case "reference", "":
		return "", nil
	case pipeline.FeaturesExtended:
		return f, nil
	default:
		return "", usagef("--features %q: want reference or %s", f, pipeline.FeaturesExtended)
	}
}

// embeddingsMethodFlag is run's and status's --embeddings: the embeddings stage's method.
func embeddingsMethodFlag() cli.Flag {
	return &cli.StringFlag{Name: "embeddings", Value: embeddings.MethodSkipGram, Usage: "the embeddings stage's `METHOD`: skipgram or graph (see 'addlink embeddings --help')"}
}
