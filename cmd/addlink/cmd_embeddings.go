package main

import (
	"fmt"

	"github.com/urfave/cli/v2"

	"github.com/addlink/addlink/internal/dump"
	"github.com/addlink/addlink/internal/embed"
	"github.com/addlink/addlink/internal/graphvec"
	"github.com/addlink/addlink/pipeline/embeddings"
)

func newEmbeddingsCommand() *cli.Command {
	d := embed.DefaultParams()
	g := graphvec.DefaultParams()
	return &cli.Command{
		Name:  "embeddings",
		Usage: "learn entity vectors for the w2v feature (skip-gram over words, links and anchors, or the link graph's SVD)",
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
rows), with the vectors of training on one.

--method graph reads only the articles' links (from the articles cache the dictionaries
stage leaves, or the dump) and writes, to the same file, one vector per article from a
truncated randomized SVD of the link graph: a matrix of articles by features (the
articles each one links, with --graph-inlinks also those that link it, with --graph-self
the article itself) weighted by positive pointwise mutual information. Every thread is
used, and the vectors are the same bytes for any --threads; --dim and --seed apply.`,
		Flags: []cli.Flag{wikiFlag(true), dumpFlag(),
			&cli.StringFlag{Name: "method", Value: embeddings.MethodSkipGram, Usage: "skipgram (words, links and anchors) or graph (the link graph's SVD)"},
			&cli.IntFlag{Name: "dim", Value: d.Dim, Usage: "vector dimension"},
			&cli.IntFlag{Name: "epochs", Value: d.Epochs, Usage: "passes over the corpus"},
			&cli.IntFlag{Name: "link-weight", Value: d.LinkWeight, Usage: "times each link-graph pair is trained per epoch"},
			&cli.Uint64Flag{Name: "seed", Value: d.Seed, Usage: "random seed"},
			&cli.StringFlag{Name: "write-corpus", Usage: "also write the token sequences and test pairs to this `FILE` (for bench/embeddings.sh)"},
			&cli.IntFlag{Name: "word-epochs", Value: d.WordEpochs, Usage: "epochs (the first ones) that also train word-word pairs; 0: all"},
			&cli.IntFlag{Name: "shards", Value: d.Shards, Usage: "shards trained side by side, --threads at a time (the vectors depend on it, not on --threads)"},
			&cli.BoolFlag{Name: "shared-negatives", Usage: "with one shard, the word pairs of a window share their negative samples: a little faster (0.84-0.95x the training time), but ukwiki's backtest finds slightly fewer links; more shards always share them"},
			&cli.IntFlag{Name: "graph-iterations", Value: g.Iterations, Usage: "--method graph: power iterations of the randomized SVD"},
			&cli.BoolFlag{Name: "graph-inlinks", Value: g.Inlinks, Usage: "--method graph: an article's inlinks are features of it too (--graph-inlinks=false: outlinks only)"},
			&cli.BoolFlag{Name: "graph-self", Value: g.Self, Usage: "--method graph: an article is a feature of itself"},
			allowWikiMismatchFlag(),
		},
		Action: func(c *cli.Context) error {
			co := commonOptions(c)
			p := embed.DefaultParams()
			p.Dim, p.Epochs, p.LinkWeight, p.Seed, p.Shards, p.Threads = c.Int("dim"), c.Int("epochs"), c.Int("link-weight"), c.Uint64("seed"), c.Int("shards"), co.Threads
			p.WordEpochs, p.SharedNegatives = c.Int("word-epochs"), c.Bool("shared-negatives")
			method, err := embeddings.ParseMethod(c.String("method"))
			if err != nil {
				return usageError{err}
			}
			gp := graphvec.DefaultParams()
			gp.Dim, gp.Seed, gp.Iterations, gp.Inlinks, gp.Self = p.Dim, p.Seed, c.Int("graph-iterations"), c.Bool("graph-inlinks"), c.Bool("graph-self")
			if method == embeddings.MethodGraph {
				if err := gp.Validate(); err != nil {
					return usageError{err}
				}
				if c.String("write-corpus") != "" {
					return usagef("embeddings: --write-corpus is for --method skipgram")
				}
			}
			o := embeddings.Options{Wiki: c.String(flagWiki), DataDir: co.DataDir, Dumps: c.StringSlice("dump"), Params: p,
				Method: method, Graph: gp, WriteCorpus: c.String("write-corpus"), AllowWikiMismatch: c.Bool(flagAllowWikiMismatch)}
			files, err := dump.Files(o.Dumps, co.DumpsDir, o.Wiki)
			if err != nil {
				return usageError{err}
			}
			o.Dumps = files
			rep, done := newReporter(co)
			defer done()
			s, err := embeddings.Run(c.Context, o, rep)
			if err != nil {
				return err
			}
			if method == embeddings.MethodGraph {
				rep.Note(fmt.Sprintf("embeddings: %d articles, %d links, %d matrix entries; %.1fs", s.Articles, s.Links, s.MatrixEntries, s.Seconds))
				return nil
			}
			rep.Note(fmt.Sprintf("embeddings: %d articles, %d words, %d tokens, %d links; %.0f tokens/s; %.1fs",
				s.Articles, s.Words, s.Tokens, s.Links, s.TokensPerS, s.Seconds))
			return nil
		},
	}
}
