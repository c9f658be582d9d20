package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/addlink/addlink/datasets"
	"github.com/addlink/addlink/internal/linker"
	"github.com/addlink/addlink/service"
)

func newQueryCommand() *cli.Command {
	return &cli.Command{
		Name:  "query",
		Usage: "recommend links for one page and print the service's JSON response",
		Description: `Prints exactly the body the HTTP API (addlink serve) returns for the page: links
[{context_after, context_before, link_index, link_target, link_text, match_index, score,
wikitext_offset}], links_count, meta {application_version, dataset_checksums,
format_version}, page_title, pageid, revid; compact JSON on one line.

Name the wiki as the reference's CLI does (--project wikipedia --wiki-domain cs
--page-title Lipsko, optionally --revision and --language-code): the page is fetched
from MediaWiki (MEDIAWIKI_API_BASE_URL, MEDIAWIKI_PROXY_API_BASE_URL) unless
--wikitext-file is given. Or name it by database name (--wiki cswiki --title Lipsko): the
wikitext is read from --wikitext-file or standard input ("-").

Datasets come from DB_BACKEND as for addlink serve (sqlite, parquet, mysql with DB_*); unset:
the Parquet datasets under <data-dir>/<wiki>/ when they exist, else the exported
<wiki>.<name>.sqlite or .sqlite.gz files (also from a published directory given with
--datasets) and <wiki>.linkmodel.json.
Without --pageid, pageid is the title's id in the datasets (0 if absent) when the wikitext
is given, the wiki's when it is fetched. A title that is not in the wiki still gets
recommendations; empty wikitext gives none.`,
		Flags: []cli.Flag{wikiFlag(false),
			&cli.StringFlag{Name: "title", Usage: "the page's title (with --wiki)"},
			&cli.StringFlag{Name: "project", Value: "wikipedia", Usage: "project of the wiki (with --wiki-domain)"},
			&cli.StringFlag{Name: "wiki-domain", Usage: "subdomain of the wiki, e.g. cs (wiki id: <domain>wiki for wikipedia, <domain><project> otherwise)"},
			&cli.StringFlag{Name: "page-title", Usage: "the page's title (with --wiki-domain)"},
			&cli.StringFlag{Name: "language-code", Usage: "content language (accepted for compatibility; offsets are exact in every language)"},
			&cli.Int64Flag{Name: "revision", Usage: "fetch this revision (0: the latest)"},
			&cli.StringFlag{Name: "wikitext-file", Usage: "read the wikitext from this file (\"-\": standard input) instead of fetching it"},
			&cli.Float64Flag{Name: "threshold", Value: 0.5, Usage: "minimum probability of a recommended link"},
			&cli.IntFlag{Name: "max-recommendations", Value: 15, Usage: "at most this many links (0 or less: no limit)"},
			&cli.GenericFlag{Name: "sections-to-exclude", Value: &wholeValues{}, Usage: "a section `TITLE` whose text gets no links (%LEAD% for the lead); repeat the flag for more, each value is taken whole (titles may contain commas)"},
			&cli.DurationFlag{Name: "time-budget", Value: service.DefaultTimeBudget, Usage: "stop looking for links after this long"},
			&cli.Int64Flag{Name: "revid", Usage: "revision id to report (with given wikitext)"},
			&cli.Int64Flag{Name: "pageid", Usage: "page id to report (with given wikitext; default: the datasets')"},
			&cli.StringFlag{Name: "backend", EnvVars: []string{"DB_BACKEND"}, Usage: "datasets from `KIND`: sqlite, parquet or mysql (env DB_BACKEND)"},
			&cli.BoolFlag{Name: "reference-tokens", EnvVars: []string{"ADDLINK_REFERENCE_TOKENS"}, Usage: "cut mentions as the reference's v1 code does (words split at spaces only, no n-gram ending a sentence, NLTK quotes, no abbreviations); default: those defects fixed"},
			&cli.StringFlag{Name: "model", Usage: "answer with this model file instead of the wiki's own (e.g. a multilingual one; file backends)"},
			&cli.StringFlag{Name: "datasets", Usage: "read the datasets and the model from this directory (e.g. <publish root>/<wiki>) instead of <data-dir>/<wiki>"},
		},
		Action: func(c *cli.Context) error {
			co := commonOptions(c)
			th := c.Float64("threshold")
			if th < 0 || th > 1 {
				return usagef("--threshold must be between 0 and 1, got %g", th)
			}
			req := service.Request{Threshold: th, MaxRecommendations: c.Int("max-recommendations"),
				SectionsToExclude: c.Generic("sections-to-exclude").(*wholeValues).values, LanguageCode: c.String("language-code"),
				Revision: c.Int64("revision"), RevID: c.Int64("revid")}
			var wiki string
			fetch := false
			switch {
			case c.String(flagWiki) != "" && c.String("wiki-domain") == "":
				wiki, req.Title, req.WikiID = c.String(flagWiki), strings.TrimSpace(c.String("title")), c.String(flagWiki)
				if req.Title == "" {
					return usagef("--title is required with --wiki")
				}
			case c.String("wiki-domain") != "" && c.String(flagWiki) == "":
				req.Project, req.Domain, req.Title = c.String("project"), c.String("wiki-domain"), c.String("page-title")
				if req.Title == "" {
					return usagef("--page-title is required with --wiki-domain")
				}
				wiki = service.WikiID(req.Project, req.Domain)
				fetch = c.String("wikitext-file") == ""
			default:
				return usagef("name the wiki with either --wiki (and --title) or --wiki-domain (and --page-title)")
			}
			if err := datasets.CheckWikiID(wiki); err != nil {
				return usageError{err}
			}
			if !fetch {
				var text []byte
				var err error
				if f := c.String("wikitext-file"); f != "" && f != "-" {
					text, err = os.ReadFile(f)
				} else {
					text, err = io.ReadAll(os.Stdin)
				}
				if err != nil {
					return err
				}
				s := string(text)
				req.Wikitext = &s
				req.PageIDFromDatasets = !c.IsSet("pageid")
				if c.IsSet("pageid") {
					req.PageID = []byte(c.String("pageid"))
				}
			}
			bo := service.BackendOptions{Kind: strings.ToLower(c.String("backend")), DataDir: co.DataDir}
			if dir := c.String("datasets"); dir != "" {
				l, err := datasets.LayoutOf(dir, wiki)
				if err != nil {
					return usagef("--datasets %v", err)
				}
				bo.DataDir = l.DataDir
			}
			if m := c.String("model"); m != "" {
				bo.Models = map[string]string{wiki: m}
			}
			if err := bo.Validate(); err != nil {
				return usageError{err}
			}
			b, err := service.OpenBackend(c.Context, bo)
			if err != nil {
				return err
			}
			defer b.Close()
			var tokens linker.TokenOptions
			if c.Bool("reference-tokens") {
				tokens = linker.ReferenceTokens
			}
			s, err := service.New(service.Options{Backend: b, Version: version, TimeBudget: c.Duration("time-budget"), Tokens: tokens,
				MediaWiki: service.NewMediaWiki(service.MediaWikiOptions{
					APIBaseURL:      os.Getenv("MEDIAWIKI_API_BASE_URL"),
					ProxyAPIBaseURL: os.Getenv("MEDIAWIKI_PROXY_API_BASE_URL"),
					Timeout:         30 * time.Second})})
			if err != nil {
				return err
			}
			resp, err := s.Recommend(c.Context, req)
			if errors.Is(err, service.ErrNoModel) {
				// Say where the model was looked for, not the service's HTTP answer.
				if bo.Kind == service.BackendMySQL {
					return fmt.Errorf("query: the database has no model for %s (lr_model)", wiki)
				}
				dir := datasets.Layout{DataDir: bo.DataDir, Wiki: wiki}.Dir()
				if _, statErr := os.Stat(dir); statErr != nil {
					return fmt.Errorf("query: no data directory for %s: %s does not exist (train it with `addlink run --wiki %s`, or give --data-dir or --datasets)", wiki, dir, wiki)
				}
				return fmt.Errorf("query: no model for %s in %s (run the pipeline up to train, or export)", wiki, dir)
			}
			var se *service.Error
			if errors.As(err, &se) {
				return errors.New(se.Message) // e.g. "Unable to process request for wikipedia/foo"
			}
			if err != nil {
				return err
			}
			if resp.Info != "" && !co.Quiet {
				os.Stderr.WriteString("addlink query: " + resp.Info + "\n")
			}
			_, err = os.Stdout.Write(resp.AppendJSON(nil))
			return err
		},
	}
}

// wholeValues is a repeatable flag whose every occurrence is one value, never split at
// commas as cli.StringSliceFlag does (section titles may contain commas).
type wholeValues struct{ values []string }

func (w *wholeValues) Set(v string) error {
	w.values = append(w.values, v)
	return nil
}

func (w *wholeValues) String() string {
	if w == nil {
		return ""
	}
	return strings.Join(w.values, ", ")
}
