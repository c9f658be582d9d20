package pipeline

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/addlink/addlink/datasets"
	"github.com/addlink/addlink/internal/dump"
	"github.com/addlink/addlink/internal/embed"
	"github.com/addlink/addlink/internal/evaluation"
	"github.com/addlink/addlink/internal/graphvec"
	"github.com/addlink/addlink/internal/linker"
	"github.com/addlink/addlink/internal/progress"
	"github.com/addlink/addlink/internal/synth"
	"github.com/addlink/addlink/pipeline/backtest"
	"github.com/addlink/addlink/pipeline/dictionaries"
	"github.com/addlink/addlink/pipeline/embeddings"
	"github.com/addlink/addlink/pipeline/export"
	"github.com/addlink/addlink/pipeline/features"
	"github.com/addlink/addlink/pipeline/filter"
	"github.com/addlink/addlink/pipeline/linkgraph"
	"github.com/addlink/addlink/pipeline/sentences"
	"github.com/addlink/addlink/pipeline/train"
	"github.com/addlink/addlink/pipeline/wdproperties"
)

// wdOptions are the wdproperties stage's options: files discovered under DumpsDir.
func (c *Config) wdOptions() wdproperties.Options {
	return wdproperties.Options{Wiki: c.Wiki, DataDir: c.DataDir, DumpsDir: c.DumpsDir, Threads: c.Threads}
}

// SampleDump is where the built-in sample wiki's dump is written.
func SampleDump(dataDir string) string {
	return filepath.Join(dataDir, datasets.SampleWiki, "dump", datasets.SampleWiki+"-sample-pages-articles.xml.gz")
}

// EnsureSample writes the sample wiki's dump unless it exists, and returns its path.
func EnsureSample(dataDir string) (string, error) {
	p := SampleDump(dataDir)
	if _, err := os.Stat(p); err == nil {
		return p, nil
	}
	return p, synth.WriteFile(p, synth.SampleOptions())
}

// DumpFiles returns the run's dump files: the ones given, or the latest complete dump
// under DumpsDir. An error wraps dump.ErrNotFound when there is none.
func (c *Config) DumpFiles() ([]string, error) { return c.dumps() }

// dumps returns the run's dump files, discovering them when none were given.
func (c *Config) dumps() ([]string, error) {
	// A run checks given files before its first stage, so that a typo fails at once.
	for _, f := range c.Dumps {
		if _, err := os.Stat(f); err != nil {
			return nil, fmt.Errorf("dump: %w: %w", dump.ErrNotFound, err)
		}
	}
	files, err := dump.Files(c.Dumps, c.DumpsDir, c.Wiki)
	if err != nil {
		return nil, err
	}
	c.Dumps = files
	return files, nil
}

// Extended reports whether the run trains the model with extended features
// (Config.Features "extended").
func (c *Config) Extended() bool { return c.Features == FeaturesExtended }

// FeaturesExtended is Config.Features of a run that trains the extended model.
const FeaturesExtended = "extended"

// sentencesOptions are the sentences stage's options but the wiki, dumps and threads:
// every qualifying sentence of a training article for the extended model.
func (c *Config) sentencesOptions() sentences.Options {
	o := sentences.DefaultOptions()
	if c.Extended() {
		o.TrainPerArticle = sentences.AllPerArticle
	}
	return o
}

// featuresOptions are the features stage's options: for the extended model every
// feature, the extended candidate rules and no negative row whose target the page
// links elsewhere (the recipe of `features --features extended --drop-linked-elsewhere`).
func (c *Config) featuresOptions() features.Options {
	o := features.Options{Wiki: c.Wiki, DataDir: c.DataDir, Threads: c.Threads}
	if c.Extended() {
		o.Features = linker.ExtendedFeatures
		o.Training.Candidates = linker.ExtendedCandidates
		o.Training.DropLinkedElsewhere = true
	}
	return o
}

// trainOptions are the train stage's default options, with the extended features and
// candidate rules for the extended model.
func (c *Config) trainOptions() train.Options {
	o := train.DefaultOptions()
	if c.Extended() {
		o.Features, o.Candidates = linker.ExtendedFeatures, linker.ExtendedCandidates
	}
	return o
}

// StagesFor returns the stage graph of a run: Stages, and for the extended model the
// linkgraph stage after embeddings (the relatedness feature and the features stage's
// dropped rows read the link graph).
func StagesFor(c *Config) []Stage {
	all := Stages()
	if !c.Extended() {
		return all
	}
	var out []Stage
	for _, s := range all {
		if s.Name == "sentences" {
			out = append(out, linkGraphStage())
		}
		out = append(out, s)
	}
	return out
}

// linkGraphStage writes <wiki>.linkgraph.parquet from the dump's articles.
func linkGraphStage() Stage {
	return Stage{
		Name: "linkgraph",
		Inputs: func(c *Config) ([]string, error) {
			files, err := c.dumps()
			if err != nil {
				return nil, err
			}
			return append([]string{c.Layout().PageIDs(), c.Layout().Redirects()}, files...), nil
		},
		Outputs: func(c *Config) []string { return []string{c.Layout().LinkGraph()} },
		Run: func(ctx context.Context, c *Config, p progress.Reporter) error {
			files, err := c.dumps()
			if err != nil {
				return err
			}
			o := linkgraph.Options{Wiki: c.Wiki, DataDir: c.DataDir, Dumps: files, Threads: c.Threads}
			if err := o.Validate(); err != nil {
				return err
			}
			_, err = linkgraph.Run(ctx, o, p)
			return err
		},
	}
}

// Stages returns the stage graph in execution order. Stages that are not built yet
// are not listed.
func Stages() []Stage {
	return []Stage{
		{
			Name:   "dictionaries",
			Inputs: func(c *Config) ([]string, error) { return c.dumps() },
			Outputs: func(c *Config) []string {
				l := c.Layout()
				// anchors.parquet belongs to the filter stage, which rewrites it.
				return []string{l.AnchorsUnfiltered(), l.AnchorStats(), l.PageIDs(), l.Redirects()}
			},
			Run: func(ctx context.Context, c *Config, p progress.Reporter) error {
				files, err := c.dumps()
				if err != nil {
					return err
				}
				o := dictionaries.Options{Wiki: c.Wiki, DataDir: c.DataDir, Dumps: files, Threads: c.Threads, AllowWikiMismatch: c.AllowWikiMismatch}
				if err := o.Validate(); err != nil {
					return err
				}
				_, err = dictionaries.Run(ctx, o, p)
				return err
			},
		},
		{
			Name: "wdproperties",
			Inputs: func(c *Config) ([]string, error) {
				o := c.wdOptions()
				if err := o.Validate(); err != nil {
					return nil, err
				}
				if o.Wikidata == "" {
					return []string{o.PageProps}, nil
				}
				return []string{o.PageProps, o.Wikidata}, nil
			},
			Outputs: func(c *Config) []string { return []string{c.Layout().WDProperties()} },
			Skip: func(c *Config) string {
				if _, err := wdproperties.FindPageProps(c.DumpsDir, c.Wiki); err != nil {
					return "no page_props dump under " + c.DumpsDir
				}
				return ""
			},
			Run: func(ctx context.Context, c *Config, p progress.Reporter) error {
				o := c.wdOptions()
				if err := o.Validate(); err != nil {
					return err
				}
				_, err := wdproperties.Run(ctx, o, p)
				return err
			},
		},
		{
			Name: "filter",
			Inputs: func(c *Config) ([]string, error) {
				l := c.Layout()
				in := []string{l.AnchorsUnfiltered(), l.PageIDs()}
				if _, err := os.Stat(l.WDProperties()); err == nil {
					in = append(in, l.WDProperties())
				}
				return in, nil
			},
			Outputs: func(c *Config) []string { return []string{c.Layout().Anchors()} },
			Run: func(ctx context.Context, c *Config, p progress.Reporter) error {
				_, err := filter.Run(ctx, filter.Options{Wiki: c.Wiki, DataDir: c.DataDir}, p)
				return err
			},
		},
		{
			Name: "embeddings",
			Inputs: func(c *Config) ([]string, error) {
				files, err := c.dumps()
				if err != nil {
					return nil, err
				}
				return append([]string{c.Layout().PageIDs(), c.Layout().Redirects()}, files...), nil
			},
			Outputs: func(c *Config) []string { return []string{c.Layout().Embeddings()} },
			Params: func(c *Config) map[string]string {
				if c.Embeddings == embeddings.MethodGraph {
					g := graphvec.DefaultParams()
					return map[string]string{"method": embeddings.MethodGraph, "dim": fmt.Sprint(g.Dim), "oversample": fmt.Sprint(g.Oversample),
						"iterations": fmt.Sprint(g.Iterations), "smoothing": fmt.Sprint(g.Smoothing), "inlinks": fmt.Sprint(g.Inlinks),
						"self": fmt.Sprint(g.Self), "seed": fmt.Sprint(g.Seed)}
				}
				// The skip-gram's parameters as they were before the graph method: its
				// manifests stay current.
				p := embed.DefaultParams()
				return map[string]string{"dim": fmt.Sprint(p.Dim), "epochs": fmt.Sprint(p.Epochs), "window": fmt.Sprint(p.Window),
					"negatives": fmt.Sprint(p.Negatives), "link_weight": fmt.Sprint(p.LinkWeight), "seed": fmt.Sprint(p.Seed),
					"shards": fmt.Sprint(p.Shards), "word_epochs": fmt.Sprint(p.WordEpochs)}
			},
			Run: func(ctx context.Context, c *Config, p progress.Reporter) error {
				files, err := c.dumps()
				if err != nil {
					return err
				}
				params := embed.DefaultParams()
				// The vectors depend on the shards, not on the threads.
				params.Threads = c.Threads
				_, err = embeddings.Run(ctx, embeddings.Options{Wiki: c.Wiki, DataDir: c.DataDir, Dumps: files, Params: params,
					Method: c.Embeddings, Graph: graphvec.DefaultParams(), AllowWikiMismatch: c.AllowWikiMismatch}, p)
				return err
			},
		},
		{
			Name: "sentences",
			Inputs: func(c *Config) ([]string, error) {
				return c.dumps()
			},
			Outputs: func(c *Config) []string {
				return []string{c.Layout().SentencesTrain(), c.Layout().SentencesTest()}
			},
			Params: func(c *Config) map[string]string {
				d := c.sentencesOptions()
				tpa := fmt.Sprint(d.TrainPerArticle)
				if d.TrainPerArticle == sentences.AllPerArticle {
					tpa = "all"
				}
				return map[string]string{"limit": fmt.Sprint(d.Limit), "seed": fmt.Sprint(d.Seed), "per_article": fmt.Sprint(d.PerArticle),
					"train_per_article": tpa}
			},
			Run: func(ctx context.Context, c *Config, p progress.Reporter) error {
				files, err := c.dumps()
				if err != nil {
					return err
				}
				o := c.sentencesOptions()
				o.Wiki, o.DataDir, o.Dumps, o.Threads, o.AllowWikiMismatch = c.Wiki, c.DataDir, files, c.Threads, c.AllowWikiMismatch
				_, err = sentences.Run(ctx, o, p)
				return err
			},
		},
		{
			Name: "features",
			Inputs: func(c *Config) ([]string, error) {
				l := c.Layout()
				in := []string{l.SentencesTrain(), l.Anchors(), l.PageIDs(), l.Redirects(), l.Embeddings()}
				if c.Extended() {
					in = append(in, datasets.ExtendedInputs(l)...)
				}
				return in, nil
			},
			Outputs: func(c *Config) []string {
				out := []string{c.Layout().LinkTrain(), c.Layout().LinkTrainParquet()}
				if c.Extended() {
					out = append(out, c.Layout().LinkTrainExtended())
				}
				return out
			},
			Params: func(c *Config) map[string]string {
				if !c.Extended() {
					return nil
				}
				o := c.featuresOptions()
				return map[string]string{"features": o.Features.String(), "candidates": o.Training.Candidates.String(),
					"drop_linked_elsewhere": fmt.Sprint(o.Training.DropLinkedElsewhere)}
			},
			Run: func(ctx context.Context, c *Config, p progress.Reporter) error {
				_, err := features.Run(ctx, c.featuresOptions(), p)
				return err
			},
		},
		{
			Name: "train",
			Inputs: func(c *Config) ([]string, error) {
				if c.Extended() {
					return []string{c.Layout().LinkTrainExtended()}, nil
				}
				return []string{c.Layout().LinkTrain()}, nil
			},
			Outputs: func(c *Config) []string {
				return []string{c.Layout().Model(), c.Layout().Model() + ".checksum"}
			},
			Params: func(c *Config) map[string]string {
				d := c.trainOptions()
				m := map[string]string{"holdout": fmt.Sprint(d.Holdout), "seed": fmt.Sprint(d.Seed),
					"rounds": fmt.Sprint(d.Params.Rounds), "max_depth": fmt.Sprint(d.Params.MaxDepth), "eta": fmt.Sprint(d.Params.Eta), "refit": fmt.Sprint(d.Refit)}
				if c.Extended() {
					m["features"], m["candidates"] = d.Features.String(), d.Candidates.String()
				}
				return m
			},
			Run: func(ctx context.Context, c *Config, p progress.Reporter) error {
				o := c.trainOptions()
				o.Wiki, o.DataDir = c.Wiki, c.DataDir
				o.Params.Threads = c.Threads
				if err := o.Validate(); err != nil {
					return err
				}
				_, err := train.Run(ctx, o, p)
				return err
			},
		},
		{
			Name: "backtest",
			Inputs: func(c *Config) ([]string, error) {
				l := c.Layout()
				in := []string{l.SentencesTest(), l.Model(), l.Anchors(), l.PageIDs(), l.Redirects(), l.Embeddings()}
				if c.Extended() {
					in = append(in, datasets.ExtendedInputs(l)...)
				}
				return in, nil
			},
			Outputs: func(c *Config) []string {
				return []string{c.Layout().BacktestEval(), c.Layout().BacktestPlot()}
			},
			Params: func(c *Config) map[string]string {
				return map[string]string{"thresholds": fmt.Sprint(evaluation.DefaultThresholds()), "nmax": fmt.Sprint(evaluation.DefaultNMax)}
			},
			Run: func(ctx context.Context, c *Config, p progress.Reporter) error {
				_, err := backtest.Run(ctx, backtest.Options{Wiki: c.Wiki, DataDir: c.DataDir, Options: evaluation.Options{NMax: evaluation.DefaultNMax, Threads: c.Threads}}, p)
				return err
			},
		},
		{
			Name:    "export",
			Inputs:  func(c *Config) ([]string, error) { return export.Inputs(c.Layout()), nil },
			Outputs: func(c *Config) []string { return export.Outputs(c.Layout()) },
			Run: func(ctx context.Context, c *Config, p progress.Reporter) error {
				o := export.Options{Wiki: c.Wiki, DataDir: c.DataDir}
				if err := o.Validate(); err != nil {
					return err
				}
				_, err := export.Run(ctx, o, p)
				return err
			},
		},
	}
}
