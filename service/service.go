// Package service implements the Link Recommendation HTTP API (`addlink serve`), a
// drop-in for Wikimedia's research-mwaddlink service: the same routes, parameters,
// JSON bodies and environment variables (docs/serve.md, docs/reference.md), answered by
// internal/linker with datasets from a Backend (sqlitedict files, our Parquet
// datasets, or the lr_ tables in MySQL).
//
// A Server holds its dependencies (backend, MediaWiki client, logger, metrics);
// Handler returns its routes; ListenAndServe runs it until its context ends and then
// shuts down gracefully. Recommend answers one request without HTTP, for the CLI.
package service

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"runtime"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/addlink/addlink/datasets"
	"github.com/addlink/addlink/internal/linker"
	"github.com/addlink/addlink/internal/wikitext"
)

// Options configures a Server. Zero values take the defaults named below.
type Options struct {
	Backend   Backend    // required
	MediaWiki *MediaWiki // for GET requests; nil: NewMediaWiki(MediaWikiOptions{})
	Logger    *slog.Logger
	// Registry receives the service's metrics; nil: a new registry with the Go and
	// process collectors. /metrics serves it.
	Registry *prometheus.Registry
	Version  string // meta.application_version
	// URLPrefix is served in front of every route as well as without it (URL_PREFIX).
	URLPrefix string
	// TimeBudget stops looking for links after this long and returns those found
	// (default 29s, as the reference).
	TimeBudget time.Duration
	// MaxBodyBytes limits a POST body (default 32 MiB).
	MaxBodyBytes int64
	// MaxConcurrent recommendation requests run at once (default 2 per CPU); up to
	// MaxQueue more wait at most QueueTimeout (default 4 per CPU and 5s), the others
	// get 503 at once.
	MaxConcurrent int
	MaxQueue      int
	QueueTimeout  time.Duration
	// Tokens selects how mentions are cut from the text; the zero value fixes the
	// reference's tokenisation defects, linker.ReferenceTokens reproduces them.
	Tokens linker.TokenOptions
	// Pool, when set, is the recommendations pool `addlink follow` fills (tables named
	// with PoolPrefix, default datasets.DefaultPoolPrefix): GET
	// /v1/linkrecommendations/tasks/{project}/{domain} lists its pages.
	Pool       *sql.DB
	PoolPrefix string
	// Routes are served besides the API's (the event collector), Go mux pattern ->
	// handler; they are logged and counted as "extra".
	Routes map[string]http.Handler
	// Thresholds, when set, picks the threshold of a request that does not name one
	// (a threshold in the request always wins); the answer names it in the
	// X-Addlink-Threshold header, and X-Addlink-Threshold-Source says where it came from.
	Thresholds ThresholdChooser
	// Prune, when set, drops every suggestion of target on page for which it returns
	// true; the request's log line counts them ("pruned").
	Prune func(wiki, page, target string) bool
}

// ThresholdChooser picks a wiki's threshold for one request and says where it came
// from (e.g. "bandit", or "default" when it has no better answer).
type ThresholdChooser interface {
	ChooseThreshold(ctx context.Context, wiki string) (threshold float64, source string)
}

// Validate checks the options and fills in the defaults.
func (o *Options) Validate() error {
	if o.Backend == nil {
		return errors.New("service: no backend")
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.TimeBudget <= 0 {
		o.TimeBudget = DefaultTimeBudget
	}
	if o.MaxBodyBytes <= 0 {
		o.MaxBodyBytes = 32 << 20
	}
	if o.MaxConcurrent <= 0 {
		o.MaxConcurrent = 2 * runtime.GOMAXPROCS(0)
	}
	if o.MaxQueue < 0 {
		return fmt.Errorf("service: negative queue length %d", o.MaxQueue)
	}
	if o.MaxQueue == 0 {
		o.MaxQueue = 4 * runtime.GOMAXPROCS(0)
	}
	if o.QueueTimeout <= 0 {
		o.QueueTimeout = 5 * time.Second
	}
	if o.PoolPrefix == "" {
		o.PoolPrefix = datasets.DefaultPoolPrefix
	}
	if err := datasets.CheckPoolPrefix(o.PoolPrefix); err != nil {
		return fmt.Errorf("service: %w", err)
	}
	o.URLPrefix = strings.TrimRight(o.URLPrefix, "/")
	if o.URLPrefix != "" && !strings.HasPrefix(o.URLPrefix, "/") {
		o.URLPrefix = "/" + o.URLPrefix
	}
	return nil
}

// Server answers the Link Recommendation API.
type Server struct {
	opts    Options
	backend Backend
	mw      *MediaWiki
	log     *slog.Logger
	metrics *metrics
	slots   chan struct{} // running requests
	queue   chan struct{} // running and waiting requests
	// draining is set when the shutdown's drain period begins: /healthz answers 503.
	draining atomic.Bool
}

// New returns a Server; opts are validated.
func New(opts Options) (*Server, error) {
	if err := opts.Validate(); err != nil {
		return nil, err
	}
	mw := opts.MediaWiki
	if mw == nil {
		mw = NewMediaWiki(MediaWikiOptions{})
	}
	reg := opts.Registry
	if reg == nil {
		reg = newRegistry()
	}
	// A backend that reports on its wikis (memory, evictions, opening times).
	if c, ok := opts.Backend.(interface{ Collector() prometheus.Collector }); ok {
		if err := reg.Register(c.Collector()); err != nil {
			return nil, fmt.Errorf("service: %w", err)
		}
	}
	return &Server{
		opts: opts, backend: opts.Backend, mw: mw, log: opts.Logger,
		metrics: newMetrics(reg),
		slots:   make(chan struct{}, opts.MaxConcurrent),
		queue:   make(chan struct{}, opts.MaxConcurrent+opts.MaxQueue),
	}, nil
}

// Request is one recommendation request, as the HTTP API and the query CLI take it.
type Request struct {
	Project, Domain string // wiki id: <domain>wiki for "wikipedia", <domain><project> otherwise
	WikiID          string // used instead of Project and Domain when set
	Title           string // as in the URL (percent-decoded once)
	// Wikitext is the page's text (POST); nil fetches it from MediaWiki (GET).
	Wikitext *string
	Revision int64           // GET: the revision to fetch, 0 for the latest
	RevID    int64           // POST: echoed
	PageID   json.RawMessage // POST: echoed as sent
	// PageIDFromDatasets reports, with given wikitext, the title's id in the wiki's
	// pageids dataset (0 when absent) instead of PageID (the query CLI's default).
	PageIDFromDatasets bool
	// Threshold, MaxRecommendations (0 or less: no limit), LanguageCode (accepted and
	// logged; offsets are exact whatever the language) and SectionsToExclude as the
	// reference takes them.
	Threshold          float64
	MaxRecommendations int
	LanguageCode       string
	SectionsToExclude  []string
	// wiki, when set, is the wiki already opened for the request (handleRecommend
	// opens it before taking a slot).
	wiki *Wiki
}

// Response is the answer to a recommendation request. Its JSON form (MarshalJSON,
// AppendJSON) is the reference service's, byte for byte.
type Response struct {
	Links     []linker.Recommendation
	Meta      Meta
	PageTitle string
	PageID    json.RawMessage
	RevID     int64
	// Info says why the search stopped early, if it did. It is logged, not returned.
	Info string
	Wiki string
	// ModelVersion is the version of the model that answered (Wiki.ModelVersion):
	// logged and exported as a metric, not returned.
	ModelVersion string
}

// Meta is the response's meta object.
type Meta struct {
	ApplicationVersion string
	DatasetChecksums   map[string]string
	FormatVersion      int
}

// Domain returns the subdomain of a wiki id, the inverse of WikiID for Wikipedia and
// Wikivoyage-like projects: its language code with '_' for '-' ("zh_min_nanwiki"
// zh_min_nan, "elwikivoyage" el).
func Domain(wiki string) string { return strings.ReplaceAll(datasets.Language(wiki), "-", "_") }

// WikiID returns the wiki id the reference derives from a project and a domain.
func WikiID(project, domain string) string {
	if project == "wikipedia" {
		return domain + "wiki"
	}
	return domain + project
}

// Recommend answers one request: it loads the wiki (an *Error with status 400 when
// there is no model), fetches the page from MediaWiki when req.Wikitext is nil (404,
// 502, 504 on failure), and runs internal/linker within the time budget.
func (s *Server) Recommend(ctx context.Context, req Request) (*Response, error) {
	project := req.Project
	wiki := req.WikiID
	if wiki == "" {
		wiki = WikiID(req.Project, req.Domain)
	} else {
		if project == "" {
			project = "wikipedia"
		}
		if req.Domain == "" {
			req.Domain = Domain(wiki)
		}
	}
	w := req.wiki
	if w == nil {
		var err error
		if w, err = s.openWiki(ctx, project, req.Domain, wiki); err != nil {
			return nil, err
		}
	}
	resp := &Response{Wiki: wiki, RevID: req.RevID, PageID: req.PageID, ModelVersion: w.ModelVersion}
	var text string
	if req.Wikitext != nil {
		text = *req.Wikitext
	} else {
		page, err := s.mw.Article(ctx, project, req.Domain, req.Title, req.Revision)
		if err != nil {
			return nil, err
		}
		text = page.Wikitext
		resp.RevID = page.RevID
		if req.Revision != 0 {
			resp.RevID = req.Revision
		}
		resp.PageID = json.RawMessage(strconv.FormatInt(page.PageID, 10))
	}
	resp.PageTitle = wikitext.NormalizeTitle(req.Title)
	if req.Wikitext != nil && req.PageIDFromDatasets {
		id, _ := w.Dict.PageID(resp.PageTitle)
		resp.PageID = json.RawMessage(strconv.FormatInt(id, 10))
	}
	if len(resp.PageID) == 0 {
		resp.PageID = json.RawMessage("0")
	}
	res := linker.Recommend(w.Dict, w.Model, resp.PageTitle, text, linker.RecommendOptions{
		Threshold:          req.Threshold,
		MaxRecommendations: req.MaxRecommendations,
		SectionsToExclude:  req.SectionsToExclude,
		Deadline:           time.Now().Add(s.opts.TimeBudget),
		Ctx:                ctx,
		Tokens:             s.opts.Tokens,
	})
	resp.Links = res.Links
	if resp.Links == nil {
		resp.Links = []linker.Recommendation{}
	}
	resp.Info = res.Info
	resp.Meta = Meta{ApplicationVersion: s.opts.Version, DatasetChecksums: w.Checksums, FormatVersion: 1}
	return resp, nil
}

// openWiki returns the wiki of a request from the backend, its errors as the
// service answers them.
func (s *Server) openWiki(ctx context.Context, project, domain, wiki string) (*Wiki, error) {
	w, err := s.backend.Wiki(ctx, wiki)
	if err != nil {
		var nm *NoModelError
		if errors.As(err, &nm) {
			valid := []string{}
			for _, v := range nm.Valid {
				valid = append(valid, "wikipedia/"+strings.ReplaceAll(v, "wiki", ""))
			}
			return nil, &Error{Status: http.StatusBadRequest, Wiki: wiki,
				Message: fmt.Sprintf("Unable to process request for %s/%s", project, domain),
				Valid:   valid, Err: err}
		}
		if oe := (*OpeningError)(nil); errors.As(err, &oe) {
			return nil, openingError(oe)
		}
		if ie := (*linker.IncompleteError)(nil); errors.As(err, &ie) {
			// Said in the answer (without the server's paths, which the log has): the
			// operator's fix is to publish and load the dataset with the model.
			return nil, &Error{Status: http.StatusServiceUnavailable, Wiki: wiki,
				Message: "the model of " + wiki + " reads the " + ie.Dataset + " dataset, which is not loaded: publish and load it with the model (addlink run --features extended, export, publish, addlink load)", Err: err}
		}
		return nil, &Error{Status: http.StatusInternalServerError, Wiki: wiki,
			Message: "the datasets of " + wiki + " could not be loaded", Err: err}
	}
	return w, nil
}

// Error is an error answered with a JSON body {"message": ..., ...} and a status.
type Error struct {
	Status  int
	Message string
	// Valid, when not nil, is written as valid_project_domain_pairs.
	Valid []string
	Wiki  string
	Err   error // the cause, logged and not returned
	// RetryAfter is the Retry-After header of a 503, in seconds (default 1).
	RetryAfter int
}

func (e *Error) Error() string {
	if e.Err != nil {
		return fmt.Sprintf("%d %s: %v", e.Status, e.Message, e.Err)
	}
	return fmt.Sprintf("%d %s", e.Status, e.Message)
}

func (e *Error) Unwrap() error { return e.Err }

// body is the error's JSON body, keys sorted as jsonify writes them.
func (e *Error) body() []byte {
	j := jsonBuf{}
	j.open('{')
	j.key("message")
	j.str(e.Message)
	if e.Valid != nil {
		j.key("valid_project_domain_pairs")
		j.strings(e.Valid)
	}
	j.close('}')
	j.b = append(j.b, '\n')
	return j.b
}

func badRequest(format string, args ...any) *Error {
	return &Error{Status: http.StatusBadRequest, Message: fmt.Sprintf(format, args...)}
}

// DefaultTimeBudget is the reference's processing budget (gunicorn's 30 s minus one).
const DefaultTimeBudget = 29 * time.Second
