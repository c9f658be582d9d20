package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/go-sql-driver/mysql"
	"github.com/urfave/cli/v2"

	"github.com/addlink/addlink/datasets"
	"github.com/addlink/addlink/follow"
	"github.com/addlink/addlink/service"
)

const defaultStream = "https://stream.wikimedia.org/v2/stream/recentchange"

func newFollowCommand() *cli.Command {
	return &cli.Command{
		Name:      "follow",
		Usage:     "keep a pool of link recommendations fresh from the recent-changes stream",
		UsageText: "addlink follow --wikis W1,W2 --contact EMAIL|URL [--stream URL | --replay FILE] [--pool sqlite:PATH | --pool mysql]",
		Description: `Reads Wikimedia's EventStreams feed (recentchange, or mediawiki.page_change.v1), keeps the
main-namespace edits and page creations of the --wikis (not canary events, not bots' edits
unless --include-bots), fetches each page's wikitext at the event's revision from the
MediaWiki API (MEDIAWIKI_API_BASE_URL, MEDIAWIKI_PROXY_API_BASE_URL, as serve), recommends
links with the wiki's model exactly as serve answers a POST (--threshold 0.6 and --max-links
10, GrowthExperiments' defaults), and stores the answer in the pool:
  <prefix><wiki>        gelr_revision (primary key), gelr_page (one row per page), gelr_data
                        (the service's JSON answer; NULL when it has no link): the columns
                        of GrowthExperiments' growthexperiments_link_recommendations
  <prefix><wiki>_pages  page_id, title, revision, event_ms, links (to find deleted pages)
  <prefix><wiki>_text   with --keep-text: revision, page_id, wikitext of the revisions held
  <prefix>position      the stream's last event id, in the transaction of the rows it made
  <prefix>settings      each wiki's --threshold and --max-links (a pool holds one setting)
An older revision never replaces a newer one; a deleted page (a delete log event) or a
moved one leaves the pool. The models come from --data-dir as serve's (DB_BACKEND).
The pool is an SQLite file (default <data-dir>/follow.sqlite) or, with --pool mysql, the
MySQL database of the DB_* variables (as serve and load).
A restart, or a kill at any moment, resumes after the last stored event (Last-Event-ID);
the stream is reconnected with backoff when it ends (every ~15 minutes on Wikimedia's).
--record FILE appends the events read to FILE; --replay FILE runs the same code over such
a recording (or one JSON event per line) and stops at its end.
Wikimedia's User-Agent policy asks for the operator's contact: --contact is required for
Wikimedia's stream and wikis. /metrics and a status page (/) are served on --listen; one
JSON log line per page on stderr; SIGTERM or Ctrl-C stops after the pages in progress
(--shutdown-grace).`,
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "wikis", Required: true, Usage: "comma-separated `IDS` of the wikis to follow (each needs a model)"},
			&cli.StringFlag{Name: "stream", Value: defaultStream, Usage: "EventStreams `URL`"},
			&cli.StringFlag{Name: "since", Usage: "on the first run (no stored position), start at `TIME` (ISO 8601 or Unix ms; the stream's ?since=)"},
			&cli.StringFlag{Name: "replay", Usage: "read the events from `FILE` (JSON lines, or text/event-stream as --record writes) instead of the stream"},
			&cli.Float64Flag{Name: "replay-speed", Usage: "replay pace: 0 as fast as possible, 1 at the recorded pace, 2 twice as fast"},
			&cli.StringFlag{Name: "record", Usage: "append every event read to `FILE` (text/event-stream)"},
			&cli.StringFlag{Name: "pool", Usage: "`sqlite:PATH` or mysql (DB_* variables; default sqlite:<data-dir>/follow.sqlite)"},
			&cli.StringFlag{Name: "table-prefix", Value: follow.DefaultPrefix, Usage: "prefix of the pool's table names"},
			&cli.StringFlag{Name: "backend", EnvVars: []string{"DB_BACKEND"}, Usage: "models and datasets from `KIND`: sqlite, parquet or mysql, as serve (env DB_BACKEND)"},
			&cli.BoolFlag{Name: "keep-text", Usage: "also store each pooled revision's wikitext (<prefix><wiki>_text), for addlink review import --from-pool"},
			&cli.BoolFlag{Name: "include-bots", Usage: "also refresh pages after bots' edits"},
			&cli.Float64Flag{Name: "threshold", Value: 0.6, Usage: "lowest link score kept"},
			&cli.IntFlag{Name: "max-links", Value: 10, Usage: "most links per page"},
			&cli.StringFlag{Name: "contact", EnvVars: []string{"ADDLINK_CONTACT"}, Usage: "your e-mail address or a URL about your tool, sent in the User-Agent (`CONTACT`)"},
			&cli.IntFlag{Name: "concurrency", Value: 4, Usage: "pages fetched and recommended at once"},
			&cli.IntFlag{Name: "queue", Value: 256, Usage: "events read ahead of the last one stored (backpressure beyond)"},
			&cli.Float64Flag{Name: "rate-per-wiki", Value: 10, Usage: "MediaWiki requests per second per wiki (negative: no limit)"},
			&cli.DurationFlag{Name: "mediawiki-timeout", Value: 10 * time.Second, Usage: "longest MediaWiki API fetch before it is retried"},
			&cli.DurationFlag{Name: "retry-min", Value: time.Second, Usage: "first wait before retrying a failed fetch, recommendation or write (doubling)"},
			&cli.DurationFlag{Name: "retry-max", Value: time.Minute, Usage: "longest wait between retries and between reconnections"},
			&cli.DurationFlag{Name: "idle-timeout", Value: time.Minute, Usage: "reconnect when the stream sends nothing for this long"},
			&cli.IntFlag{Name: "max-event-bytes", Value: 16 << 20, Usage: "larger events are counted and skipped"},
			&cli.Int64Flag{Name: "max-events", Usage: "stop after `N` events (0: never)"},
			&cli.StringFlag{Name: "listen", Value: "127.0.0.1:8002", Usage: "serve /metrics and the status page on `ADDR` (\"\": not at all)"},
			&cli.DurationFlag{Name: "shutdown-grace", Value: 10 * time.Second, Usage: "how long pages in progress may finish after SIGTERM"},
			&cli.StringFlag{Name: "log-level", Value: "info", Usage: "debug, info, warn or error"},
		},
		Action: func(c *cli.Context) error {
			co := commonOptions(c)
			var level slog.Level
			if err := level.UnmarshalText([]byte(c.String("log-level"))); err != nil {
				return usagef("--log-level: %v", err)
			}
			logger := slog.New(slog.NewJSONHandler(os.Stderr, &slog.HandlerOptions{Level: level}))
			var wikis []string
			for _, w := range strings.Split(c.String("wikis"), ",") {
				if w = strings.TrimSpace(w); w != "" {
					if err := datasets.CheckWikiID(w); err != nil {
						return usagef("--wikis: %v", err)
					}
					wikis = append(wikis, w)
				}
			}
			sort.Strings(wikis)
			if c.Float64("threshold") < 0 || c.Float64("threshold") > 1 {
				return usagef("--threshold must be between 0 and 1, got %g", c.Float64("threshold"))
			}
			apiBase := os.Getenv("MEDIAWIKI_API_BASE_URL")
			contact := strings.TrimSpace(c.String("contact"))
			// Wikimedia's policy: the tool, its version and how to reach its operator.
			ua := "addlink-follow/" + version
			if contact != "" {
				ua += " (" + contact + ")"
			}
			if contact == "" && ((c.String("replay") == "" && wikimediaHost(c.String("stream"))) || apiBase == "" || wikimediaHost(apiBase)) {
				return usagef("follow: --contact EMAIL|URL is required to read Wikimedia's stream or wikis (their User-Agent policy: https://meta.wikimedia.org/wiki/User-Agent_policy)")
			}
			o := follow.Options{
				Wikis: wikis, IncludeBots: c.Bool("include-bots"),
				Stream: follow.StreamOptions{URL: c.String("stream"), UserAgent: ua, Since: c.String("since"),
					MaxBackoff: c.Duration("retry-max"), IdleTimeout: c.Duration("idle-timeout"),
					MaxEventBytes: c.Int("max-event-bytes")},
				Replay: c.String("replay"), ReplaySpeed: c.Float64("replay-speed"), Record: c.String("record"),
				Pool: follow.PoolOptions{Prefix: c.String("table-prefix")}, KeepText: c.Bool("keep-text"),
				Concurrency: c.Int("concurrency"), QueueSize: c.Int("queue"), RatePerWiki: c.Float64("rate-per-wiki"),
				RetryMin: c.Duration("retry-min"), RetryMax: c.Duration("retry-max"),
				MaxEvents: c.Int64("max-events"), ShutdownGrace: c.Duration("shutdown-grace"),
				Listen: c.String("listen"), Logger: logger,
				Settings: datasets.PoolSettings{Threshold: c.Float64("threshold"), MaxLinks: c.Int("max-links"), Tokens: "default"},
			}
			path, cfg, err := parsePoolFlag("--pool", c.String("pool"), filepath.Join(co.DataDir, "follow.sqlite"))
			if err != nil {
				return usageError{err}
			}
			o.Pool.SQLitePath, o.Pool.MySQL = path, cfg
			bo := service.BackendOptions{Kind: strings.ToLower(c.String("backend")), DataDir: co.DataDir, Logger: logger}
			if err := bo.Validate(); err != nil {
				return usageError{err}
			}
			if err := o.Validate(); err != nil {
				return usageError{err}
			}
			backend, err := service.OpenBackend(c.Context, bo)
			if err != nil {
				return err
			}
			defer backend.Close()
			for _, w := range wikis {
				if _, err := backend.Wiki(c.Context, w); err != nil {
					var nm *service.NoModelError
					if errors.As(err, &nm) {
						return usagef("follow: no model for %s in %s (backend %q)", w, co.DataDir, bo.Kind)
					}
					return err
				}
			}
			srv, err := service.New(service.Options{Backend: backend, Version: version, Logger: logger})
			if err != nil {
				return err
			}
			o.Recommender = &followRecommender{srv: srv, threshold: c.Float64("threshold"), max: c.Int("max-links")}
			o.Fetcher = followFetcher{mw: service.NewMediaWiki(service.MediaWikiOptions{
				APIBaseURL: apiBase, ProxyAPIBaseURL: os.Getenv("MEDIAWIKI_PROXY_API_BASE_URL"),
				Timeout: c.Duration("mediawiki-timeout"), UserAgent: ua})}
			sum, err := follow.Run(c.Context, o)
			if sum != nil {
				fmt.Fprintf(c.App.Writer, "events: %d read, %d stored in the pool; pages: %d stored, %d unchanged (older), %d removed, %d gone; position %s\n",
					sum.Events, sum.Committed, sum.Outcomes[follow.Stored], sum.Outcomes[follow.Older],
					sum.Outcomes[follow.Removed], sum.Outcomes[follow.Gone], sum.Position)
			}
			return err
		},
	}
}

// parsePoolFlag reads a pool flag's value: sqlite:PATH, or mysql (the DB_* variables);
// "" is sqlite:def (an error when def is "").
func parsePoolFlag(flag, p, def string) (string, *mysql.Config, error) {
	switch {
	case p == "" && def != "":
		return def, nil, nil
	case strings.HasPrefix(p, "sqlite:") && len(p) > len("sqlite:"):
		return strings.TrimPrefix(p, "sqlite:"), nil, nil
	case p == "mysql":
		cfg, err := service.MySQLConfig(os.Getenv)
		if err != nil {
			return "", nil, fmt.Errorf("%s mysql: %w", flag, err)
		}
		return "", cfg, nil
	}
	return "", nil, fmt.Errorf("%s must be sqlite:PATH or mysql, not %q", flag, p)
}

// wikimediaHost reports whether a URL points at Wikimedia's servers.
func wikimediaHost(raw string) bool {
	u, err := url.Parse(raw)
	if err != nil {
		return false
	}
	h := u.Hostname()
	for _, d := range []string{"wikimedia.org", "wikipedia.org", "wikivoyage.org", "wiktionary.org", "wikibooks.org",
		"wikinews.org", "wikiquote.org", "wikisource.org", "wikiversity.org", "wikidata.org", "mediawiki.org"} {
		if h == d || strings.HasSuffix(h, "."+d) {
			return true
		}
	}
	return false
}

// followRecommender answers as serve answers a POST of the page's wikitext (the route
// GrowthExperiments calls): the same code, model and JSON.
type followRecommender struct {
	srv       *service.Server
	threshold float64
	max       int
}

func (r *followRecommender) Recommend(ctx context.Context, wiki, title string, pageID, revID int64, wikitext string) ([]byte, int, error) {
	resp, err := r.srv.Recommend(ctx, service.Request{WikiID: wiki, Title: title, Wikitext: &wikitext,
		RevID: revID, PageID: json.RawMessage(strconv.FormatInt(pageID, 10)),
		Threshold: r.threshold, MaxRecommendations: r.max, LanguageCode: datasets.Language(wiki)})
	if err != nil {
		return nil, 0, err
	}
	b, err := resp.MarshalJSON()
	return b, len(resp.Links), err
}

// followFetcher fetches revisions with serve's MediaWiki client.
type followFetcher struct{ mw *service.MediaWiki }

func (f followFetcher) Fetch(ctx context.Context, a follow.Action) (follow.Page, error) {
	project, domain := "wikipedia", strings.ReplaceAll(datasets.Language(a.Wiki), "-", "_")
	if a.Server != "" {
		// en.wikipedia.org -> domain en, project wikipedia
		if parts := strings.Split(a.Server, "."); len(parts) == 3 {
			domain, project = parts[0], parts[1]
		}
	}
	p, err := f.mw.Article(ctx, project, domain, a.Title, a.Rev)
	if errors.Is(err, service.ErrPageNotFound) || errors.Is(err, service.ErrNoContent) {
		return follow.Page{}, fmt.Errorf("%w: %v", follow.ErrGone, err)
	}
	if err != nil {
		return follow.Page{}, err
	}
	return follow.Page{PageID: p.PageID, RevID: p.RevID, Wikitext: p.Wikitext}, nil
}
