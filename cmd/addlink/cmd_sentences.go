package main

import (
	"fmt"

	"github.com/urfave/cli/v2"

	"github.com/addlink/addlink/internal/dump"
	"github.com/addlink/addlink/internal/linker"
	"github.com/addlink/addlink/pipeline/features"
	"github.com/addlink/addlink/pipeline/sentences"
)

func featuresFlag() *cli.StringFlag {
	return &cli.StringFlag{Name: "features", Value: "reference", Usage: "the model's features: reference (the six the Python service computes), extended (those and linkprob, relatedness, position), or names joined by + such as reference+linkprob"}
}

func candidatesFlag() *cli.StringFlag {
	return &cli.StringFlag{Name: "candidates", Value: "auto", Usage: "the candidate rules: reference, extended (" + linker.ExtendedCandidates.String() + "), names joined by + (exacttitle, titles, redirects), or auto: extended with features other than reference, reference otherwise"}
}

// candidateRules reads --candidates for the feature set of --features.
func candidateRules(c *cli.Context, set linker.FeatureSet) (linker.CandidateRules, error) {
	spec := c.String("candidates")
	if spec == "auto" || spec == "" {
		if set.IsReference() {
			return linker.ReferenceCandidates, nil
		}
		return linker.ExtendedCandidates, nil
	}
	return linker.ParseCandidateRules(spec)
}

func quirksFlag() *cli.StringSliceFlag {
	return &cli.StringSliceFlag{Name: "reference-quirks", Usage: "reproduce these defects of the reference (comma-separated names, or all); see the description"}
}

func newSentencesCommand() *cli.Command {
	d := sentences.DefaultOptions()
	return &cli.Command{
		Name:  "sentences",
		Usage: "pick linked sentences of each article (--train-per-article, 3 by default) and split them into training and test halves",
		Description: `Reads the dump. For each article (namespace 0, not a redirect) takes the first sentence
made only of text and wikilinks with at least one link (references removed, markup other
than links reduced to text; sentences end at "." and at the full stops of other scripts).
Shuffles them as Python's random.seed(--seed); random.shuffle does, and writes the first
half to training/sentences_train.csv and the rest to testing/sentences_test.csv:
title<TAB>sentence per line, with tab, newline and backslash inside a value escaped as
\t, \n and \\. An article whose sentence went to the training half also gives it its
next qualifying sentences, up to --train-per-article in all (the test half is unchanged;
1 is the reference's choice; all takes every qualifying sentence of the article).

Reference quirks (--reference-quirks) that apply here:
  greedy-refs, dot-stops`,
		Flags: []cli.Flag{wikiFlag(true), dumpFlag(),
			&cli.IntFlag{Name: "limit", Value: d.Limit, Usage: "at most this many sentences"},
			&cli.Uint64Flag{Name: "seed", Value: d.Seed, Usage: "seed of the shuffle (Python's random.seed)"},
			&cli.IntFlag{Name: "per-article", Value: d.PerArticle, Usage: "sentences taken from each article into either half (the reference takes 1)"},
			&cli.StringFlag{Name: "train-per-article", Value: fmt.Sprint(d.TrainPerArticle), Usage: "sentences a training article gives the training half, a number or all (the reference: 1)"},
			quirksFlag(), allowWikiMismatchFlag(),
		},
		Action: func(c *cli.Context) error {
			co := commonOptions(c)
			so, _, err := linker.ParseQuirks(c.StringSlice("reference-quirks"))
			if err != nil {
				return usageError{err}
			}
			tpa, err := sentences.ParsePerArticle(c.String("train-per-article"))
			if err != nil {
				return usageError{err}
			}
			o := sentences.Options{Wiki: c.String(flagWiki), DataDir: co.DataDir, Dumps: c.StringSlice("dump"),
				Limit: c.Int("limit"), Seed: c.Uint64("seed"), PerArticle: c.Int("per-article"), TrainPerArticle: tpa, Threads: co.Threads, Sentence: so,
				AllowWikiMismatch: c.Bool(flagAllowWikiMismatch)}
			files, err := dump.Files(o.Dumps, co.DumpsDir, o.Wiki)
			if err != nil {
				return usageError{err}
			}
			o.Dumps = files
			if err := o.Validate(); err != nil {
				return usageError{err}
			}
			rep, done := newReporter(co)
			defer done()
			_, err = sentences.Run(c.Context, o, rep)
			return err
		},
	}
}

func newFeaturesCommand() *cli.Command {
	return &cli.Command{
		Name:  "features",
		Usage: "compute the training rows of the training sentences",
		Description: `Reads training/sentences_train.csv, <wiki>.anchors.parquet, <wiki>.pageids.parquet,
<wiki>.redirects.parquet and <wiki>.w2vfiltered.parquet. For every sentence, every n-gram
(10..1 tokens) of its plain text that is an anchor, and the anchors of its links, gives
one row per candidate target: page, mention, target, ngram, freq, ambig, kurtosis, w2v,
jaro, label (True when the sentence links the mention to that target). Writes
training/link_train.csv (tab-separated, no header, the reference's format) and
training/link_train.parquet, in a fixed order.

With --features extended (or a list such as reference+linkprob) it also writes
training/link_train_extended.csv: a header line, then the same rows with every feature
of the set (linkprob: the mention's link probability from <wiki>.anchors_stats.parquet;
relatedness: the candidate's mean Milne-Witten relatedness to the page's other links,
from <wiki>.linkgraph.parquet, see addlink linkgraph; position: where the mention first
occurs in the sentence). addlink train --features reads it. --drop-linked-elsewhere
drops the negative rows whose target the page links outside the sentence (editors link
a target once per article), from the link graph; see docs/features.md.

--candidates (default auto: extended with --features other than reference) sets the
candidate rules: titles makes the articles' titles mentions when the dictionary lacks
the anchor, redirects the redirects' titles; their rows go only to
link_train_extended.csv. exacttitle changes only the recommendations (the page's title
blocks just itself, not the mentions inside it). addlink train --candidates must match.

Reference quirks (--reference-quirks) that apply here:
` + linker.QuirksUsage(),
		Flags: []cli.Flag{wikiFlag(true), quirksFlag(), featuresFlag(), candidatesFlag(),
			&cli.BoolFlag{Name: "drop-linked-elsewhere", Usage: "drop negative rows whose target the page links outside the sentence (needs <wiki>.linkgraph.parquet)"}},
		Action: func(c *cli.Context) error {
			co := commonOptions(c)
			_, to, err := linker.ParseQuirks(c.StringSlice("reference-quirks"))
			if err != nil {
				return usageError{err}
			}
			set, err := linker.ParseFeatureSet(c.String("features"))
			if err != nil {
				return usageError{err}
			}
			if to.Candidates, err = candidateRules(c, set); err != nil {
				return usageError{err}
			}
			rep, done := newReporter(co)
			defer done()
			to.DropLinkedElsewhere = c.Bool("drop-linked-elsewhere")
			_, err = features.Run(c.Context, features.Options{Wiki: c.String(flagWiki), DataDir: co.DataDir, Threads: co.Threads, Training: to, Features: set}, rep)
			return err
		},
	}
}
