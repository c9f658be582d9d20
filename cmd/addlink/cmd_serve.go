package main

import (
	"database/sql"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/urfave/cli/v2"

	"github.com/addlink/addlink/datasets"
	"github.com/addlink/addlink/internal/linker"
	"github.com/addlink/addlink/internal/mysqlenv"
	"github.com/addlink/addlink/learn"
	"github.com/addlink/addlink/service"
)

func newServeCommand() *cli.Command {
	return &cli.Command{
		Name:  "serve",
		Usage: "run the Link Recommendation HTTP service (a drop-in for research-mwaddlink's API)",
		Description: `Serves the Link Recommendation API that GrowthExperiments calls:
  GET|POST /v1/linkrecommendations/{project}/{domain}/{title}   recommended links (JSON)
  GET /healthz, GET /apispec_1.json (OpenAPI), GET /apidocs/ (API page), GET /metrics (Prometheus)
Several wikis are served by one process; a wiki's datasets are loaded on its first request.

The datasets come from DB_BACKEND:
  sqlite   the exported <wiki>.<name>.sqlite (or .sqlite.gz) files and <wiki>.linkmodel.json
           in <data-dir>/<wiki>/export/ (our data directory) or <data-dir>/<wiki>/ (a published tree):
             DB_BACKEND=sqlite addlink serve --listen 127.0.0.1:8000 --data-dir data
  parquet  our pipeline's Parquet datasets under <data-dir>/<wiki>/
  mysql    the lr_<wiki>_* , lr_model and lr_checksum tables that addlink load (or the
           reference's load-datasets.py) fills; DB_USER, DB_PASSWORD, DB_HOST (a path: a unix
           socket), DB_PORT (3306), DB_DATABASE, DB_READ_DEFAULT_FILE ([client] section).
           lr_checksum is polled every --reload-interval; a wiki whose checksums changed is
           reloaded in the background and swapped in without failing a request:
             DB_BACKEND=mysql DB_HOST=127.0.0.1 DB_USER=u DB_PASSWORD=p DB_DATABASE=mwaddlink addlink serve
  (unset)  Parquet when a wiki has it, the sqlite files otherwise.
Memory: a wiki is opened on its first request, in the background. Its datasets are served
from a memory-mapped serving index (read, not loaded: a few pages per look-up): the export
set's <wiki>.serve.idx when present and sound, otherwise one built once into --index-dir
(from the files, or from the mysql tables) and built again when the datasets' checksums
change or the index is damaged. --index-dir none loads the datasets into memory instead
(as before the index existed); models with extended features or candidate rules are
always loaded into memory. Requests for other wikis never wait for a wiki being opened;
its own requests wait at most --open-wait, then get 503 with Retry-After. --memory-budget
SIZE (e.g. 1GB) evicts the least recently used wikis while the process's resident memory
exceeds SIZE; the next request of an evicted wiki only maps its index again.
Models: v1 (6 inputs) and v2 (7 inputs, multilingual) models are both served, told apart by
their number of inputs. --model WIKI=FILE serves WIKI with that model file instead of its own
(e.g. one multilingual model for several wikis, each with its own datasets; with the mysql
backend the wiki's lr_ tables and the file instead of its lr_model row):
  addlink serve --model ukwiki=data/multi/multi.linkmodel.json --model jawiki=data/multi/multi.linkmodel.json
GET requests fetch the page from MediaWiki: MEDIAWIKI_API_BASE_URL (default
https://<domain>.<project>.org/w/), MEDIAWIKI_PROXY_API_BASE_URL (every request goes there with
the wiki's host in the Host header). URL_PREFIX serves every route under a prefix as well.
With --pool, GET /v1/linkrecommendations/tasks/{project}/{domain}?limit=20&offset=0 lists the
pages of the pool addlink follow fills that have recommendations, most links first, and a
GET of a pooled revision with the pool's threshold and max_recommendations is answered from it.
--events-dir collects readers' events: POST /v1/events (a batch {"events": [...]}, its JSON
Schema at GET /v1/events/schema) and POST /v1/events/submission (GrowthExperiments' accepted,
rejected and skipped targets of a revision), each batch synced to DIR/events.log before the
answer; addlink learn reads that log. --feedback prunes the targets rejected twice on a page.
--bandit picks the threshold of a request that names none by Thompson sampling (header
X-Addlink-Threshold): the threshold of the largest expected utility (accepts minus
--rejection-cost rejects over at most --max-reviewed suggestions) under a draw from addlink
learn's posteriors; an explicit threshold always wins.
Logs: one JSON line per request on stderr. SIGTERM or Ctrl-C: /healthz answers 503 while
requests are still accepted and answered, with Connection: close, for --drain (so a load
balancer stops sending first); then stop accepting, let requests in progress finish
(--shutdown-grace), exit. Each phase is logged.`,
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "listen", Value: ":8000", Usage: "listen on `ADDR`"},
			&cli.StringFlag{Name: "backend", EnvVars: []string{"DB_BACKEND"}, Usage: "datasets from `KIND`: sqlite, parquet or mysql (env DB_BACKEND)"},
			&cli.DurationFlag{Name: "time-budget", Value: service.DefaultTimeBudget, Usage: "stop looking for links after this long and answer with those found"},
			&cli.Int64Flag{Name: "max-body-bytes", Value: 32 << 20, Usage: "largest POST body"},
			&cli.IntFlag{Name: "max-concurrent", Usage: "recommendations computed at once (default: 2 per CPU)"},
			&cli.IntFlag{Name: "max-queue", Usage: "requests waiting for a slot before the next get 503 (default: 4 per CPU)"},
			&cli.DurationFlag{Name: "queue-timeout", Value: 5e9, Usage: "longest wait for a slot before 503"},
			&cli.DurationFlag{Name: "mediawiki-timeout", Value: 10e9, Usage: "longest MediaWiki API fetch (GET requests) before 504"},
			&cli.DurationFlag{Name: "reload-interval", Value: 30e9, Usage: "mysql backend: how often lr_checksum is polled"},
			&cli.DurationFlag{Name: "drain", Value: 5e9, Usage: "after SIGTERM, how long /healthz answers 503 while requests are still accepted and answered (0: stop accepting at once)"},
			&cli.DurationFlag{Name: "shutdown-grace", Value: 30e9, Usage: "how long requests in progress may finish once the listener closes"},
			&cli.BoolFlag{Name: "reference-tokens", EnvVars: []string{"ADDLINK_REFERENCE_TOKENS"}, Usage: "cut mentions as the reference's v1 code does (words split at spaces only, no n-gram ending a sentence, NLTK quotes, no abbreviations); default: those defects fixed"},
			&cli.StringFlag{Name: "pool", Usage: "the recommendations pool addlink follow fills, `sqlite:PATH` or mysql (DB_* variables): GET /v1/linkrecommendations/tasks/{project}/{domain} lists its pages"},
			&cli.StringFlag{Name: "pool-prefix", Value: datasets.DefaultPoolPrefix, Usage: "prefix of the pool's table names (addlink follow --table-prefix)"},
			&cli.StringFlag{Name: "index-dir", Usage: "build the wikis' serving indexes in `DIR` (default: addlink/serve-index under the user's cache directory; none: load the datasets into memory)"},
			&cli.StringFlag{Name: "memory-budget", Usage: "evict the least recently used wikis while resident memory exceeds `SIZE` (e.g. 1GB, 512MiB; default: no budget)"},
			&cli.DurationFlag{Name: "open-wait", Value: service.DefaultOpenWait, Usage: "longest wait of a request for its wiki to be opened before 503 with Retry-After"},
			&cli.StringFlag{Name: "log-level", Value: "info", Usage: "debug, info, warn or error"},
			&cli.GenericFlag{Name: "model", Value: &wholeValues{}, Usage: "`WIKI=FILE`: serve WIKI with this model file instead of its own (repeat for more wikis)"},
			&cli.StringFlag{Name: "events-dir", Usage: "collect readers' events (POST /v1/events) into `DIR`/events.log"},
			&cli.BoolFlag{Name: "feedback", Usage: "with --events-dir: stop suggesting a target on a page where it was rejected twice"},
			&cli.BoolFlag{Name: "bandit", Usage: "a request without threshold gets one by Thompson sampling over addlink learn's posteriors"},
			&cli.StringFlag{Name: "state", Usage: "with --bandit: the posteriors' store, sqlite (--state-dir's learn.sqlite) or redis://`HOST:PORT`[/DB]"},
			&cli.StringFlag{Name: "state-dir", Usage: "with --bandit: addlink learn's `DIR` (default <data-dir>/learn)"},
			&cli.Float64Flag{Name: "default-threshold", Value: 0.5, Usage: "with --bandit: the threshold of a wiki without posteriors, or when the store is down"},
			&cli.Uint64Flag{Name: "bandit-seed", Value: 1, Usage: "with --bandit: seed of the threshold draws"},
			&cli.Float64Flag{Name: "rejection-cost", Value: 1, Usage: "with --bandit: a rejected link's cost, in accepted links (as given to addlink learn)"},
			&cli.IntFlag{Name: "max-reviewed", Value: 3, Usage: "with --bandit: suggestions a reader reviews per request at most (as given to addlink learn)"},
		},
		Action: func(c *cli.Context) error {
			co := commonOptions(c)
			var level slog.Level
			if err := level.UnmarshalText([]byte(c.String("log-level"))); err != nil {
				return usagef("--log-level: %v", err)
			}
			logger := slog.New(slog.NewJSONHandler(os.Stderr, &slog.HandlerOptions{Level: level}))
			cfg := service.Config{
				Listen: c.String("listen"),
				Backend: service.BackendOptions{Kind: strings.ToLower(c.String("backend")), DataDir: co.DataDir,
					ReloadInterval: c.Duration("reload-interval"), Logger: logger,
					IndexDir: c.String("index-dir"), OpenWait: c.Duration("open-wait")},
				Server: service.Options{
					MediaWiki: service.NewMediaWiki(service.MediaWikiOptions{
						APIBaseURL:      os.Getenv("MEDIAWIKI_API_BASE_URL"),
						ProxyAPIBaseURL: os.Getenv("MEDIAWIKI_PROXY_API_BASE_URL"),
						Timeout:         c.Duration("mediawiki-timeout")}),
					Logger: logger, Version: version, URLPrefix: os.Getenv("URL_PREFIX"),
					TimeBudget: c.Duration("time-budget"), MaxBodyBytes: c.Int64("max-body-bytes"),
					MaxConcurrent: c.Int("max-concurrent"), MaxQueue: c.Int("max-queue"),
					QueueTimeout: c.Duration("queue-timeout"),
				},
				ShutdownGrace: c.Duration("shutdown-grace"), Drain: c.Duration("drain"),
			}
			switch cfg.Backend.IndexDir {
			case "":
				cfg.Backend.IndexDir = service.DefaultIndexDir()
			case "none":
				cfg.Backend.IndexDir = ""
			}
			if v := c.String("memory-budget"); v != "" {
				n, err := parseSize(v)
				if err != nil {
					return usagef("--memory-budget: %v", err)
				}
				cfg.Backend.MemoryBudget = n
			}
			if c.Bool("reference-tokens") {
				cfg.Server.Tokens = linker.ReferenceTokens
			}
			models, err := modelOverrides(c.Generic("model").(*wholeValues).values)
			if err != nil {
				return err
			}
			cfg.Backend.Models = models
			if p := c.String("pool"); p != "" {
				db, err := openPoolDB(p)
				if err != nil {
					return err
				}
				defer db.Close()
				cfg.Server.Pool, cfg.Server.PoolPrefix = db, c.String("pool-prefix")
			}
			if err := cfg.Validate(); err != nil {
				return usageError{err}
			}
			if c.Bool("feedback") && c.String("events-dir") == "" {
				return usagef("--feedback needs --events-dir (the rejections are read from the event log)")
			}
			if dir := c.String("events-dir"); dir != "" {
				lg, err := learn.OpenLog(c.Context, dir)
				if err != nil {
					return err
				}
				defer lg.Close()
				col := &learn.Collector{Log: lg, Logger: logger}
				cfg.Server.Routes = col.Routes()
				reg := prometheus.NewRegistry()
				reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
				reg.MustRegister(col.Metrics()...)
				cfg.Server.Registry = reg
				if c.Bool("feedback") {
					cfg.Server.Prune = func(wiki, page, target string) bool {
						return lg.Rejections(wiki, page, target) >= learn.RejectionLimit
					}
				}
			}
			if c.Bool("bandit") {
				if d := c.Float64("default-threshold"); d < 0 || d > 1 {
					return usagef("--default-threshold %g is not in [0, 1]", d)
				}
				if c.Float64("rejection-cost") <= 0 || c.Int("max-reviewed") <= 0 {
					return usagef("--rejection-cost and --max-reviewed must be positive")
				}
				dir := c.String("state-dir")
				if dir == "" {
					dir = filepath.Join(co.DataDir, "learn")
				}
				store, err := learn.OpenStore(c.String("state"), dir)
				if err != nil {
					return usageError{err}
				}
				defer store.Close()
				chooser := learn.NewChooser(store, c.Float64("default-threshold"), c.Uint64("bandit-seed"))
				chooser.Reward = learn.RewardParams{RejectionCost: c.Float64("rejection-cost"), MaxReviewed: c.Int("max-reviewed")}
				cfg.Server.Thresholds = chooser
			}
			return service.Run(c.Context, cfg)
		},
	}
}

// modelOverrides reads --model WIKI=FILE values.
func modelOverrides(values []string) (map[string]string, error) {
	if len(values) == 0 {
		return nil, nil
	}
	m := map[string]string{}
	for _, v := range values {
		wiki, file, ok := strings.Cut(v, "=")
		if !ok || wiki == "" || file == "" {
			return nil, usagef("--model %q: want WIKI=FILE", v)
		}
		if _, dup := m[wiki]; dup {
			return nil, usagef("--model: %s given twice", wiki)
		}
		m[wiki] = file
	}
	return m, nil
}

// openPoolDB opens the recommendations pool serve reads: sqlite:PATH (an existing file)
// or mysql (the DB_* variables).
func openPoolDB(spec string) (*sql.DB, error) {
	switch {
	case spec == "mysql":
		cfg, err := service.MySQLConfig(os.Getenv)
		if err != nil {
			return nil, usagef("--pool mysql: %v", err)
		}
		return mysqlenv.Open(cfg)
	case strings.HasPrefix(spec, "sqlite:") && len(spec) > len("sqlite:"):
		path := strings.TrimPrefix(spec, "sqlite:")
		if _, err := os.Stat(path); err != nil {
			return nil, usagef("--pool: %v", err)
		}
		return sql.Open("sqlite", "file:"+path+"?_pragma=busy_timeout(10000)")
	}
	return nil, usagef("--pool must be sqlite:PATH or mysql, not %q", spec)
}

// parseSize reads a size in bytes: a number with an optional unit, B, KB, MB, GB, TB
// (powers of 1000) or KiB, MiB, GiB, TiB (powers of 1024).
func parseSize(v string) (int64, error) {
	s := strings.TrimSpace(v)
	i := 0
	for i < len(s) && (s[i] >= '0' && s[i] <= '9' || s[i] == '.') {
		i++
	}
	num, unit := s[:i], strings.ToUpper(strings.TrimSpace(s[i:]))
	f, err := strconv.ParseFloat(num, 64)
	if err != nil || f <= 0 {
		return 0, fmt.Errorf("%q is not a size (e.g. 1GB, 512MiB)", v)
	}
	mult := map[string]float64{"": 1, "B": 1, "KB": 1e3, "MB": 1e6, "GB": 1e9, "TB": 1e12,
		"K": 1e3, "M": 1e6, "G": 1e9, "T": 1e12,
		"KIB": 1 << 10, "MIB": 1 << 20, "GIB": 1 << 30, "TIB": 1 << 40}[unit]
	if mult == 0 {
		return 0, fmt.Errorf("%q: unknown unit %q (B, KB, MB, GB, TB, KiB, MiB, GiB, TiB)", v, s[i:])
	}
	return int64(f * mult), nil
}
