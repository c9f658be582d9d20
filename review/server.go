package review

import (
	"context"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"time"

	"github.com/addlink/addlink/datasets"
)

//go:embed web
var web embed.FS

// Backend is what the review server needs of a Store (tests wrap a Store to make it
// fail).
type Backend interface {
	Next(ctx context.Context, o NextOptions) (*Item, error)
	Judge(ctx context.Context, j Judgment, now time.Time) (Judgment, bool, error)
	Undo(ctx context.Context, reviewer, requestID string, lease time.Duration, now time.Time) (*Item, Judgment, error)
	Progress(ctx context.Context, reviewer string, f Filter) (Progress, error)
	Wikis(ctx context.Context) ([]string, error)
}

// ServerOptions configures the review server.
type ServerOptions struct {
	Store Backend
	// Judges is the number of reviewers given each item (default 1; 2 or more to
	// measure agreement).
	Judges int
	// Lease is how long an item shown to a reviewer is kept from the others
	// (default DefaultLease).
	Lease time.Duration
	// RequestTimeout bounds each request's work (default 15 s).
	RequestTimeout time.Duration
	Logger         *slog.Logger
	// Now is the clock of leases and judgment times (default time.Now).
	Now func() time.Time
}

// Validate checks the options and fills the defaults (the store is checked by
// NewServer).
func (o *ServerOptions) Validate() error {
	if o.Judges < 0 {
		return fmt.Errorf("review: %d judges per item: want 1 or more", o.Judges)
	}
	if o.Judges == 0 {
		o.Judges = 1
	}
	if o.Lease < 0 {
		return fmt.Errorf("review: negative lease %v", o.Lease)
	}
	return nil
}

// DefaultLease is the default ServerOptions.Lease.
const DefaultLease = 10 * time.Minute

// Server serves the review page and its JSON API.
type Server struct {
	o ServerOptions
}

// NewServer returns a server; its Handler serves the page and the API.
func NewServer(o ServerOptions) (*Server, error) {
	if o.Store == nil {
		return nil, errors.New("review: a server needs a store")
	}
	if err := o.Validate(); err != nil {
		return nil, err
	}
	if o.Lease <= 0 {
		o.Lease = DefaultLease
	}
	if o.RequestTimeout <= 0 {
		o.RequestTimeout = 15 * time.Second
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	return &Server{o: o}, nil
}

// Handler returns the routes:
//
//	GET  /                 the review page (and /review.js, /review.css)
//	GET  /api/wikis        {"wikis": [...]}
//	GET  /api/next         ?reviewer=R&wiki=W&min=0&max=1: {"item": {...} or null, "progress": {...}}
//	POST /api/judgments    {"request_id", "item_id", "reviewer", "label"}: {"judgment", "duplicate", "progress"}
//	POST /api/undo         {"request_id", "reviewer"}: {"item", "undo"}
//	GET  /healthz
//
// Errors are JSON {"error": "..."}: 400 for a malformed request (nothing written),
// 409 when there is nothing to undo, 503 with Retry-After when the database fails
// (the page keeps the judgment and sends it again).
func (s *Server) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", s.static("web/index.html", "text/html; charset=utf-8"))
	mux.HandleFunc("GET /review.js", s.static("web/review.js", "text/javascript; charset=utf-8"))
	mux.HandleFunc("GET /review.css", s.static("web/review.css", "text/css; charset=utf-8"))
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("ok\n")) })
	mux.Handle("GET /api/wikis", s.api(s.wikis))
	mux.Handle("GET /api/next", s.api(s.next))
	mux.Handle("POST /api/judgments", s.api(s.judge))
	mux.Handle("POST /api/undo", s.api(s.undo))
	return mux
}

func (s *Server) static(name, ctype string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		b, err := web.ReadFile(name)
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		w.Header().Set("Content-Type", ctype)
		// Nothing but this server: the page works with no network.
		w.Header().Set("Content-Security-Policy", "default-src 'self'; frame-ancestors 'none'")
		w.Header().Set("X-Content-Type-Options", "nosniff")
		w.Header().Set("Cache-Control", "no-cache")
		w.Write(b)
	}
}

// httpError is an error with its status.
type httpError struct {
	status int
	msg    string
}

func (e *httpError) Error() string { return e.msg }

func badRequest(format string, a ...any) error {
	return &httpError{http.StatusBadRequest, fmt.Sprintf(format, a...)}
}

// api turns a handler's value or error into one JSON answer; an error that is not an
// *httpError is the database's: 503, to be retried.
func (s *Server) api(h func(*http.Request) (any, error)) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithTimeout(r.Context(), s.o.RequestTimeout)
		defer cancel()
		start := s.o.Now()
		v, err := h(r.WithContext(ctx))
		status := http.StatusOK
		if err != nil {
			var he *httpError
			if errors.As(err, &he) {
				status = he.status
			} else {
				status = http.StatusServiceUnavailable
				w.Header().Set("Retry-After", "2")
				err = fmt.Errorf("database unavailable: %w", err)
			}
			v = map[string]string{"error": err.Error()}
		}
		b, jerr := json.Marshal(v)
		if jerr != nil {
			status, b = http.StatusInternalServerError, []byte(`{"error":"encoding the answer failed"}`)
		}
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Cache-Control", "no-store")
		w.WriteHeader(status)
		w.Write(append(b, '\n'))
		s.o.Logger.Info("request", "method", r.Method, "path", r.URL.Path, "status", status,
			"ms", s.o.Now().Sub(start).Milliseconds())
	})
}

// ItemView is an item as the page shows it: without what the labelling functions
// read, and without the dump's own target.
type ItemView struct {
	ID        int64   `json:"id"`
	Wiki      string  `json:"wiki"`
	Lang      string  `json:"lang"`
	PageTitle string  `json:"page_title"`
	Revision  int64   `json:"revision"`
	Mention   string  `json:"mention"`
	Target    string  `json:"target"`
	Score     float64 `json:"score"`
	Section   string  `json:"section"`
	Before    string  `json:"context_before"`
	After     string  `json:"context_after"`
}

func view(it *Item) *ItemView {
	if it == nil {
		return nil
	}
	return &ItemView{ID: it.ID, Wiki: it.Wiki, Lang: datasets.Language(it.Wiki), PageTitle: it.PageTitle,
		Revision: it.Revision, Mention: it.Mention, Target: it.Target, Score: it.Score, Section: it.Section,
		Before: it.ContextBefore, After: it.ContextAfter}
}

func (s *Server) wikis(r *http.Request) (any, error) {
	ws, err := s.o.Store.Wikis(r.Context())
	if err != nil {
		return nil, err
	}
	if ws == nil {
		ws = []string{}
	}
	return map[string]any{"wikis": ws, "judges": s.o.Judges}, nil
}

// filter reads the filter parameters wiki, min and max.
func filter(r *http.Request) (Filter, error) {
	q := r.URL.Query()
	f := Filter{Wiki: q.Get("wiki"), MinScore: 0, MaxScore: 1}
	if f.Wiki != "" {
		if err := datasets.CheckWikiID(f.Wiki); err != nil {
			return f, badRequest("wiki: %v", err)
		}
	}
	for _, p := range []struct {
		name string
		v    *float64
	}{{"min", &f.MinScore}, {"max", &f.MaxScore}} {
		if s := q.Get(p.name); s != "" {
			v, err := strconv.ParseFloat(s, 64)
			if err != nil || v < 0 || v > 1 {
				return f, badRequest("%s: %q is not a score between 0 and 1", p.name, s)
			}
			*p.v = v
		}
	}
	if f.MinScore > f.MaxScore {
		return f, badRequest("min %g is above max %g", f.MinScore, f.MaxScore)
	}
	return f, nil
}

func (s *Server) next(r *http.Request) (any, error) {
	reviewer := r.URL.Query().Get("reviewer")
	if err := CheckReviewer(reviewer); err != nil {
		return nil, badRequest("%v", err)
	}
	f, err := filter(r)
	if err != nil {
		return nil, err
	}
	it, err := s.o.Store.Next(r.Context(), NextOptions{Reviewer: reviewer, Filter: f, Judges: s.o.Judges, Lease: s.o.Lease, Now: s.o.Now()})
	if err != nil {
		return nil, err
	}
	p, err := s.o.Store.Progress(r.Context(), reviewer, f)
	if err != nil {
		return nil, err
	}
	return map[string]any{"item": view(it), "progress": p}, nil
}

// maxBody is the largest request body read.
const maxBody = 16 << 10

// decode reads one JSON object into v, refusing unknown fields, trailing data and
// bodies over maxBody.
func decode(r *http.Request, v any) error {
	body := http.MaxBytesReader(nil, r.Body, maxBody)
	d := json.NewDecoder(body)
	d.DisallowUnknownFields()
	if err := d.Decode(v); err != nil {
		return badRequest("malformed JSON body: %v", err)
	}
	if _, err := d.Token(); err != io.EOF {
		return badRequest("malformed JSON body: data after the object")
	}
	return nil
}

type judgeRequest struct {
	RequestID *string `json:"request_id"`
	ItemID    *int64  `json:"item_id"`
	Reviewer  *string `json:"reviewer"`
	Label     *string `json:"label"`
	// The filter the page shows progress for (optional).
	Wiki     string   `json:"wiki"`
	MinScore *float64 `json:"min"`
	MaxScore *float64 `json:"max"`
}

// checkRequestID accepts 8 to 64 characters of [A-Za-z0-9_-].
func checkRequestID(id *string) error {
	if id == nil {
		return badRequest("request_id is missing")
	}
	if len(*id) < 8 || len(*id) > 64 {
		return badRequest("request_id must have 8 to 64 characters")
	}
	for _, c := range *id {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
			return badRequest("request_id may hold only letters, digits, - and _")
		}
	}
	return nil
}

func (s *Server) judge(r *http.Request) (any, error) {
	var req judgeRequest
	if err := decode(r, &req); err != nil {
		return nil, err
	}
	if err := checkRequestID(req.RequestID); err != nil {
		return nil, err
	}
	if req.ItemID == nil || *req.ItemID <= 0 {
		return nil, badRequest("item_id must be a positive number")
	}
	if req.Reviewer == nil {
		return nil, badRequest("reviewer is missing")
	}
	if err := CheckReviewer(*req.Reviewer); err != nil {
		return nil, badRequest("%v", err)
	}
	if req.Label == nil {
		return nil, badRequest("label is missing")
	}
	label, err := ParseLabel(*req.Label)
	if err != nil {
		return nil, badRequest("%v", err)
	}
	f := Filter{Wiki: req.Wiki, MinScore: 0, MaxScore: 1}
	if req.MinScore != nil {
		f.MinScore = *req.MinScore
	}
	if req.MaxScore != nil {
		f.MaxScore = *req.MaxScore
	}
	j, dup, err := s.o.Store.Judge(r.Context(), Judgment{ItemID: *req.ItemID, Reviewer: *req.Reviewer, Label: label, RequestID: *req.RequestID}, s.o.Now())
	if errors.Is(err, ErrNoItem) {
		return nil, badRequest("item %d does not exist", *req.ItemID)
	}
	if err != nil {
		return nil, err
	}
	out := map[string]any{"judgment": j, "duplicate": dup}
	if p, err := s.o.Store.Progress(r.Context(), *req.Reviewer, f); err == nil {
		out["progress"] = p
	}
	return out, nil
}

type undoRequest struct {
	RequestID *string `json:"request_id"`
	Reviewer  *string `json:"reviewer"`
}

func (s *Server) undo(r *http.Request) (any, error) {
	var req undoRequest
	if err := decode(r, &req); err != nil {
		return nil, err
	}
	if err := checkRequestID(req.RequestID); err != nil {
		return nil, err
	}
	if req.Reviewer == nil {
		return nil, badRequest("reviewer is missing")
	}
	if err := CheckReviewer(*req.Reviewer); err != nil {
		return nil, badRequest("%v", err)
	}
	it, u, err := s.o.Store.Undo(r.Context(), *req.Reviewer, *req.RequestID, s.o.Lease, s.o.Now())
	if errors.Is(err, ErrNothingToUndo) {
		return nil, &httpError{http.StatusConflict, "nothing to undo"}
	}
	if err != nil {
		return nil, err
	}
	return map[string]any{"item": view(it), "undo": u}, nil
}

// Serve serves the handler on addr until ctx is done, then shuts down gracefully.
func Serve(ctx context.Context, addr string, h http.Handler, ready func(addr string)) error {
	srv := &http.Server{Addr: addr, Handler: h, ReadHeaderTimeout: 10 * time.Second, ReadTimeout: 30 * time.Second,
		WriteTimeout: 30 * time.Second, IdleTimeout: 2 * time.Minute, MaxHeaderBytes: 1 << 16}
	ln, err := listen(addr)
	if err != nil {
		return err
	}
	if ready != nil {
		ready(ln.Addr().String())
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
		sctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		return srv.Shutdown(sctx)
	}
}

func listen(addr string) (net.Listener, error) { return net.Listen("tcp", addr) }
