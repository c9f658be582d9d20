package main

import (
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"

	"github.com/urfave/cli/v2"

	"github.com/addlink/addlink/datasets"
	"github.com/addlink/addlink/internal/mysqlenv"
	"github.com/addlink/addlink/review"
)

// storeFlags say where review items and judgments are kept.
func storeFlags() []cli.Flag {
	return []cli.Flag{
		&cli.StringFlag{Name: "store", Value: "sqlite", EnvVars: []string{"REVIEW_STORE"},
			Usage: "keep items and judgments in `KIND`: sqlite (one file, --db) or mysql (MariaDB/MySQL from DB_USER, DB_PASSWORD, DB_HOST, DB_PORT, DB_DATABASE, DB_READ_DEFAULT_FILE)"},
		&cli.StringFlag{Name: "db", Usage: "the SQLite `FILE` (default <data-dir>/review.sqlite)"},
		&cli.StringFlag{Name: "table-prefix", Value: review.DefaultPrefix, Usage: "start of every table's name (`PREFIX`)"},
		&cli.IntFlag{Name: "round", Value: 1, Usage: "labelling round `N`: tables end in _v<N>, so rounds live side by side"},
	}
}

// storeOptions reads the store flags.
func storeOptions(c *cli.Context) (review.StoreOptions, error) {
	co := commonOptions(c)
	o := review.StoreOptions{Kind: c.String("store"), Path: c.String("db"), Prefix: c.String("table-prefix"), Version: c.Int("round")}
	switch o.Kind {
	case "sqlite":
		if o.Path == "" {
			o.Path = filepath.Join(co.DataDir, "review.sqlite")
		}
	case "mysql":
		cfg, err := mysqlenv.Config(os.LookupEnv)
		if err != nil {
			return o, err
		}
		o.MySQL = cfg
	}
	return o, o.Validate()
}

func openStore(c *cli.Context) (*review.Store, error) {
	o, err := storeOptions(c)
	if err != nil {
		return nil, usageError{err}
	}
	if o.Kind == "sqlite" {
		if err := os.MkdirAll(filepath.Dir(o.Path), 0o755); err != nil {
			return nil, err
		}
	}
	return review.OpenStore(c.Context, o)
}

func newReviewCommand() *cli.Command {
	return &cli.Command{
		Name:  "review",
		Usage: "judge link suggestions in a web page; labelling functions; measure models on the judgments",
		Description: `The labelling workflow, one subcommand per step:
  addlink review import --wiki W     suggestions on articles the model was not trained on
  addlink review serve               the review page: accept, reject or skip each suggestion
  addlink review lfs --wiki W        labelling functions, majority vote and a label model
  addlink review eval --wiki W       a model's precision, recall and F1 on the judged items
  addlink review export --wiki W     the golden set as Parquet and CSV, with a data card
  addlink review weak --wiki W       the label model's labels as training rows (train --add-rows)
Items and judgments are kept in SQLite (<data-dir>/review.sqlite, or --db) or MariaDB
(--store mysql, DB_* variables), in tables named <prefix><table>_v<round>.`,
		Subcommands: []*cli.Command{newReviewImportCommand(), newReviewServeCommand(), newReviewLFsCommand(),
			newReviewEvalCommand(), newReviewExportCommand(), newReviewWeakCommand()},
	}
}

// reviewAction is the wiring every review subcommand shares: flags -> the package's
// options (options) -> their Validate (a usage error when they are wrong) -> the store
// opened from the store flags -> one call into review (run), the store closed after.
func reviewAction[O any, P interface {
	*O
	Validate() error
}](options func(c *cli.Context, co common) (O, error), run func(c *cli.Context, co common, st *review.Store, o O) error) cli.ActionFunc {
	return func(c *cli.Context) error {
		co := commonOptions(c)
		o, err := options(c, co)
		if err != nil {
			return err
		}
		if err := P(&o).Validate(); err != nil {
			return usageError{err}
		}
		st, err := openStore(c)
		if err != nil {
			return err
		}
		defer st.Close()
		return run(c, co, st, o)
	}
}

// poolSource reads --from-pool (sqlite:PATH or mysql, as follow's --pool) and
// --pool-table-prefix; nil when --from-pool is not given.
func poolSource(c *cli.Context) (*review.PoolSource, error) {
	if !c.IsSet("from-pool") {
		return nil, nil
	}
	path, cfg, err := parsePoolFlag("--from-pool", c.String("from-pool"), "")
	if err != nil {
		return nil, err
	}
	return &review.PoolSource{SQLitePath: path, MySQL: cfg, Prefix: c.String("pool-table-prefix")}, nil
}

func newReviewImportCommand() *cli.Command {
	return &cli.Command{
		Name:  "import",
		Usage: "store the model's suggestions on articles it was not trained on, to be judged",
		Description: fmt.Sprintf(`Samples --pages articles of the wiki's dump (--dump, or the latest under --dumps-dir)
that are not training articles (not in training/sentences_train.csv), asks the wiki's
model (<wiki>.linkmodel.json, or --model) for its suggestions on each at --threshold
(default %g, low so that the judgments cover the scores a model may be run at), with the
code that serve and query answer with, and stores each page's wikitext and suggestions
as review items. The sample depends only on the dump, the training sentences and --seed;
importing again adds only the items not stored yet.
--from-pool sqlite:PATH (or mysql, the DB_* variables) reads the articles from the pool
addlink follow keeps instead of a dump: its pages at the revisions it holds, with the
wikitext follow stored beside them (run follow with --keep-text; a pool without it is
an error). The model suggests again at --threshold on that text, so the items include
the links the pool holds (follow's threshold is higher) and the ones below.
--from-links removes the page's links to articles first and records the target each
mention was linked to; with --judge-from-links those links are stored as judgments of
the reviewer %q (accepted when the page linked that mention to that target): a golden
set made from the dump itself, to try the tools on.`, review.DefaultThreshold, review.FromLinksReviewer),
		Flags: append([]cli.Flag{wikiFlag(true), dumpFlag(),
			&cli.StringFlag{Name: "from-pool", Usage: "read the articles from follow's pool: `sqlite:PATH` or mysql (DB_* variables), instead of a dump"},
			&cli.StringFlag{Name: "pool-table-prefix", Value: datasets.DefaultPoolPrefix, Usage: "with --from-pool: the pool's table `PREFIX` (follow's --table-prefix)"},
			&cli.IntFlag{Name: "pages", Value: review.DefaultPages, Usage: "articles sampled (`N`)"},
			&cli.Float64Flag{Name: "threshold", Value: review.DefaultThreshold, Usage: "lowest score imported (`T`)"},
			&cli.StringFlag{Name: "model", Usage: "the model `FILE` (default: the wiki's)"},
			&cli.Uint64Flag{Name: "seed", Value: 1, Usage: "seed of the sample (`N`)"},
			&cli.BoolFlag{Name: "from-links", Usage: "remove the page's links before suggesting and record what they linked"},
			&cli.BoolFlag{Name: "judge-from-links", Usage: "with --from-links: store the page's own links as judgments of " + review.FromLinksReviewer},
		}, storeFlags()...),
		Action: reviewAction(func(c *cli.Context, co common) (review.ImportOptions, error) {
			if c.Bool("judge-from-links") && !c.Bool("from-links") {
				return review.ImportOptions{}, usagef("review import: --judge-from-links needs --from-links")
			}
			pool, err := poolSource(c)
			if err != nil {
				return review.ImportOptions{}, usageError{err}
			}
			return review.ImportOptions{Wiki: c.String(flagWiki), DataDir: co.DataDir, Dumps: c.StringSlice("dump"), DumpsDir: co.DumpsDir,
				Pool: pool, Model: c.String("model"), Pages: c.Int("pages"), Threshold: c.Float64("threshold"), Seed: c.Uint64("seed"),
				FromLinks: c.Bool("from-links")}, nil
		}, func(c *cli.Context, co common, st *review.Store, o review.ImportOptions) error {
			rep, done := newReporter(co)
			s, err := review.Import(c.Context, st, o, rep)
			done()
			if err != nil {
				return err
			}
			noText := ""
			if s.NoText > 0 {
				noText = fmt.Sprintf(", %d pooled pages without their text", s.NoText)
			}
			fmt.Fprintf(c.App.Writer, "%s: %d articles (%d training articles left out%s); %d pages sampled, %d suggestions at %g or more, %d new items (model sha256 %.12s)\n",
				o.Wiki, s.Articles, s.TrainingArticles, noText, s.Pages, s.Items, o.Threshold, s.Added, s.ModelChecksum)
			if c.Bool("judge-from-links") {
				n, err := review.JudgeFromLinks(c.Context, st, o.Wiki)
				if err != nil {
					return err
				}
				fmt.Fprintf(c.App.Writer, "%d judgments of %s from the page's own links\n", n, review.FromLinksReviewer)
			}
			return nil
		}),
	}
}

func newReviewServeCommand() *cli.Command {
	return &cli.Command{
		Name:  "serve",
		Usage: "serve the review page",
		Description: `Serves the review page on --listen: one suggestion at a time in its sentence (the
mention highlighted, the model's score hidden unless asked for), Accept / Reject / Skip /
Undo with the keys a, r, s and u, the reviewer's name, progress, and filters by wiki and
score. Each item goes to one reviewer at a time (--judges 2 or more: to that many, to
measure agreement); an item shown and not judged is kept for its reviewer for --lease.
Judgments are written one transaction each; an undo is a new row. When the database
is unavailable the API answers 503 and the page keeps the judgment and sends it again.
The page needs no network beyond this server. JSON API: GET /api/next, POST
/api/judgments, POST /api/undo, GET /api/wikis (see the review package's Handler).`,
		Flags: append([]cli.Flag{
			&cli.StringFlag{Name: "listen", Value: "127.0.0.1:8080", Usage: "listen on `ADDR`"},
			&cli.IntFlag{Name: "judges", Value: 1, Usage: "reviewers per item (`N`; 2 or more measures agreement)"},
			&cli.DurationFlag{Name: "lease", Value: review.DefaultLease, Usage: "how long an item shown to a reviewer is kept from the others"},
		}, storeFlags()...),
		Action: reviewAction(func(c *cli.Context, co common) (review.ServerOptions, error) {
			if c.Int("judges") < 1 {
				return review.ServerOptions{}, usagef("review serve: --judges must be 1 or more")
			}
			return review.ServerOptions{Judges: c.Int("judges"), Lease: c.Duration("lease"),
				Logger: slog.New(slog.NewJSONHandler(os.Stderr, nil))}, nil
		}, func(c *cli.Context, co common, st *review.Store, o review.ServerOptions) error {
			o.Store = st
			srv, err := review.NewServer(o)
			if err != nil {
				return err
			}
			return review.Serve(c.Context, c.String("listen"), srv.Handler(), func(addr string) {
				fmt.Fprintf(os.Stderr, "addlink review: serving the review page on http://%s/\n", addr)
			})
		}),
	}
}

func jsonFlag() *cli.BoolFlag {
	return &cli.BoolFlag{Name: "json", Usage: "print the report as JSON"}
}

// report is what lfs and eval print: text, or JSON with --json.
type textReport interface{ Write(io.Writer) error }

func printReport(c *cli.Context, r textReport) error {
	if c.Bool("json") {
		return writeJSON(c, r)
	}
	return r.Write(c.App.Writer)
}

func newReviewLFsCommand() *cli.Command {
	return &cli.Command{
		Name:  "lfs",
		Usage: "labelling functions: Snorkel's summary, majority vote and a label model on the golden set",
		Description: `Applies the labelling functions to the wiki's items and prints, for each, Snorkel's
summary statistics: polarity (labels it gave: 0 reject, 1 accept), coverage (share of
items it labels), overlaps (labels along with another function), conflicts (another
function labels differently); on the golden set (items the reviewers accepted or
rejected, agreeing): correct, incorrect, empirical accuracy. The functions are combined
by majority vote and by a label model that weights each by its accuracy estimated
without labels (expectation-maximisation over the items); the report says which is
better on the golden set.`,
		Flags: append([]cli.Flag{wikiFlag(false), jsonFlag()}, storeFlags()...),
		Action: reviewAction(func(c *cli.Context, co common) (review.LFOptions, error) {
			return review.LFOptions{Wiki: c.String(flagWiki)}, nil
		}, func(c *cli.Context, co common, st *review.Store, o review.LFOptions) error {
			r, err := review.LabellingReport(c.Context, st, o.Wiki)
			if err != nil {
				return err
			}
			return printReport(c, r)
		}),
	}
}

func newReviewEvalCommand() *cli.Command {
	return &cli.Command{
		Name:  "eval",
		Usage: "precision, recall and F1 of a model on the judged items, beside the backtest's",
		Description: `Measures a model (the wiki's, or --model FILE: any model for the wiki's datasets, own
or extended) on the golden set: the model suggests links on every page with judged
items, and at each threshold 0.0 to 0.9 a judged item counts as predicted when the model
suggests that mention with that target at that score or more. Precision is the
accepted share of the predicted items, recall the predicted share of the accepted ones;
95% intervals come from --bootstrap resamples of the pages (seeded). Suggestions that
were never judged are counted (unjudged), not scored. For the wiki's own model the
backtest's figures (backtest.summary.json) are printed beside them: the backtest takes
the page's existing links as the truth.`,
		Flags: append([]cli.Flag{wikiFlag(true),
			&cli.StringFlag{Name: "model", Usage: "the model `FILE` (default: the wiki's)"},
			&cli.IntFlag{Name: "bootstrap", Value: 1000, Usage: "resamples behind the intervals (`N`; negative: none)"},
			&cli.Uint64Flag{Name: "seed", Value: 1, Usage: "seed of the resampling"},
			jsonFlag(),
		}, storeFlags()...),
		Action: reviewAction(func(c *cli.Context, co common) (review.EvalOptions, error) {
			return review.EvalOptions{Wiki: c.String(flagWiki), DataDir: co.DataDir, Model: c.String("model"),
				Bootstrap: c.Int("bootstrap"), Seed: c.Uint64("seed")}, nil
		}, func(c *cli.Context, co common, st *review.Store, o review.EvalOptions) error {
			rep, done := newReporter(co)
			r, err := review.Evaluate(c.Context, st, o, rep)
			done()
			if err != nil {
				return err
			}
			return printReport(c, r)
		}),
	}
}

func newReviewExportCommand() *cli.Command {
	return &cli.Command{
		Name:  "export",
		Usage: "write the golden set (Parquet, CSV) and its data card",
		Description: `Writes the judged items whose reviewers agree (accept or reject) to --out:
golden.parquet, golden.csv (the same rows) and golden.md, a data card with the counts
per label and per reviewer and Cohen's kappa on the items judged by two reviewers.`,
		Flags: append([]cli.Flag{wikiFlag(false),
			&cli.StringFlag{Name: "out", Usage: "output `DIR` (default <data-dir>/<wiki>/review, or <data-dir>/review for every wiki)"},
		}, storeFlags()...),
		Action: reviewAction(func(c *cli.Context, co common) (review.ExportOptions, error) {
			return review.ExportOptions{Wiki: c.String(flagWiki), Dir: c.String("out"), DataDir: co.DataDir}, nil
		}, func(c *cli.Context, co common, st *review.Store, o review.ExportOptions) error {
			s, err := review.Export(c.Context, st, o)
			if err != nil {
				return err
			}
			d := s.DataCard
			fmt.Fprintf(c.App.Writer, "%d golden items (%d accepted, %d rejected); %d judged by two reviewers, Cohen's kappa %s\n%s\n%s\n%s\n",
				d.Golden, d.Accepted, d.Rejected, d.Double, fmtNaN(d.Kappa), s.Parquet, s.CSV, s.Card)
			return nil
		}),
	}
}

func newReviewWeakCommand() *cli.Command {
	return &cli.Command{
		Name:  "weak",
		Usage: "write the label model's labels of the items as training rows, for train --add-rows",
		Description: `Labels the wiki's items with the label model (as review lfs fits it) and writes those
labelled with at least --min-confidence as training rows in link_train.csv's format
(page, mention, target, the six features computed from the wiki's dictionary as the
features stage does, True/False) to --out (default
<data-dir>/<wiki>/training/link_train_weak.csv). Items of pages with any judged item
are left out, so that review eval measures a model trained with them on pages it was
not trained on. addlink train --add-rows FILE trains on them too.
Measured on the fixture wikis (ukwiki, viwiki) against the golden set made from the
dumps' own links, the rows did not help: F1 at 0.5 fell (docs/review.md).`,
		Flags: append([]cli.Flag{wikiFlag(true),
			&cli.StringFlag{Name: "out", Usage: "the rows' `FILE`"},
			&cli.Float64Flag{Name: "min-confidence", Value: 0.5, Usage: "least probability of its label a row needs (`P`, 0.5 to 1)"},
		}, storeFlags()...),
		Action: reviewAction(func(c *cli.Context, co common) (review.WeakOptions, error) {
			return review.WeakOptions{Wiki: c.String(flagWiki), DataDir: co.DataDir, Out: c.String("out"), MinConfidence: c.Float64("min-confidence")}, nil
		}, func(c *cli.Context, co common, st *review.Store, o review.WeakOptions) error {
			s, err := review.WriteWeakRows(c.Context, st, o)
			if err != nil {
				return err
			}
			fmt.Fprintf(c.App.Writer, "%d weak rows (%d accepted) from %d items (%d pages with judged items left out, %d without a confident label, %d no longer candidates)\n%s\n",
				s.Rows, s.Positives, s.Items, s.JudgedPages, s.Abstained, s.NotCandidate, s.Out)
			return nil
		}),
	}
}

func fmtNaN(v float64) string {
	if v != v {
		return "undefined"
	}
	return fmt.Sprintf("%.3f", v)
}

func writeJSON(c *cli.Context, v any) error {
	b, err := review.MarshalJSON(v)
	if err != nil {
		return err
	}
	_, err = c.App.Writer.Write(append(b, '\n'))
	return err
}
