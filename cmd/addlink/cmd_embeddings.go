package main

import (
	"fmt"

	"github.com/urfave/cli/v2"

	"github.com/addlink/addlink/internal/dump"
	"github.com/addlink/addlink/internal/embed"
	"github.com/addlink/addlink/pipeline/embeddings"
)

func newEmbeddingsCommand() *cli.Command {
	d := embed.DefaultParams()
	return &cli.Command{
		Name:  "embeddings",
		Usage: "learn entity vectors for the w2v feature (skip-gram over words, links and anchors)",
		Description: `Reads <wiki>.pageids.parquet and <wiki>.redirects.parquet (from dictionaries) and the dump, and
trains skip-gram with negative sampling over words and entities: word-word contexts from
the article text, entity-entity pairs from the link graph (redirects resolved, weighted
--link-weight times), and anchor contexts (a linked entity predicts the words around its
link). Writes <wiki>.w2vfiltered.parquet (title, vector of float32), one row per article,
sorted by title. Each epoch runs in rounds: --shards shards train side by side on their
share of a round's articles, each from the weights as they were at the start of the
round and with copies of the rows it touches, and their changes are summed at the end of
the round, so the output is byte-identical across runs and for any --threads. One shard
(the default) with --threads 2 or more trains on up to three threads (one draws the next
round's random numbers; two train side by side, the word pairs and anchor contexts on one
and each article's link graph on the less busy one, waiting where they touch the same
rows), with the vectors of training on one.`,
		Flags: []cli.Flag{wikiFlag(true), dumpFlag(),
			&cli.IntFlag{Name: "dim", Value: d.Dim, Usage: "vector dimension"},
			&cli.IntFlag{Name: "epochs", Value: d.Epochs, Usage: "passes over the corpus"},
			&cli.IntFlag{Name: "link-weight", Value: d.LinkWeight, Usage: "times each link-graph pair is trained per epoch"},
			&cli.Uint64Flag{Name: "seed", Value: d.Seed, Usage: "random seed"},
			&cli.StringFlag{Name: "write-corpus", Usage: "also write the token sequences and test pairs to this `FILE` (for bench/embeddings.sh)"},
			&cli.IntFlag{Name: "word-epochs", Value: d.WordEpochs, Usage: "epochs (the first ones) that also train word-word pairs; 0: all"},
			&cli.IntFlag{Name: "shards", Value: d.Shards, Usage: "shards trained side by side, --threads at a time (the vectors depend on it, not on --threads)"},
			&cli.BoolFlag{Name: "shared-negatives", Usage: "with one shard, the word pairs of a window share their negative samples: a little faster (0.84-0.95x the training time), but ukwiki's backtest finds slightly fewer links; more shards always share them"},
			allowWikiMismatchFlag(),
		},
		Action: func(c *cli.Context) error {
			co := commonOptions(c)
			p := embed.DefaultParams()
			p.Dim, p.Epochs, p.LinkWeight, p.Seed, p.Shards, p.Threads = c.Int("dim"), c.Int("epochs"), c.Int("link-weight"), c.Uint64("seed"), c.Int("shards"), co.Threads
			p.WordEpochs, p.SharedNegatives = c.Int("word-epochs"), c.Bool("shared-negatives")
			o := embeddings.Options{Wiki: c.String(flagWiki), DataDir: co.DataDir, Dumps: c.StringSlice("dump"), Params: p,
				WriteCorpus: c.String("write-corpus"), AllowWikiMismatch: c.Bool(flagAllowWikiMismatch)}
			if len(o.Dumps) == 0 {
				files, err := dump.Discover(co.DumpsDir, o.Wiki)
				if err != nil {
					return usageError{err}
				}
				o.Dumps = files
			}
			rep, done := newReporter(co)
			defer done()
			s, err := embeddings.Run(c.Context, o, rep)
			if err != nil {
				return err
			}
			rep.Note(fmt.Sprintf("embeddings: %d articles, %d words, %d tokens, %d links; %.0f tokens/s; %.1fs",
				s.Articles, s.Words, s.Tokens, s.Links, s.TokensPerS, s.Seconds))
			return nil
		},
	}
}
