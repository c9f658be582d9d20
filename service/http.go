package service

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"net/http"
	"runtime/debug"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/addlink/addlink/internal/linker"
)

// Handler returns the service's routes. With a URL prefix, every route is served both
// with and without it, as the reference's ProxyPassMiddleware does.
func (s *Server) Handler() http.Handler {
	mux := http.NewServeMux()
	const rec = "/v1/linkrecommendations/{project}/{domain}/{title...}"
	mux.Handle("GET "+rec, s.route("recommend", s.handleRecommend))
	mux.Handle("POST "+rec, s.route("recommend", s.handleRecommend))
	mux.Handle(rec, s.route("recommend", s.methodNotAllowed("GET, HEAD, POST")))
	mux.Handle("GET /v1/linkrecommendations/tasks/{project}/{domain}", s.route("tasks", s.handleTasks))
	mux.Handle("GET /healthz", s.route("healthz", s.handleHealthz))
	mux.Handle("GET /{$}", s.route("root", s.handleRoot))
	mux.Handle("GET /apispec_1.json", s.route("apispec", s.handleSpec))
	mux.Handle("GET /apidocs/", s.route("apidocs", s.handleDocs))
	mux.Handle("GET /metrics", s.route("metrics", s.handleMetrics))
	for pattern, h := range s.opts.Routes {
		mux.Handle(pattern, s.route("extra", func(w http.ResponseWriter, r *http.Request, _ *reqLog) error {
			h.ServeHTTP(w, r)
			return nil
		}))
	}
	mux.Handle("/", s.route("other", s.handleNotFound))
	if s.opts.URLPrefix == "" {
		return mux
	}
	prefix := s.opts.URLPrefix
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if p, ok := strings.CutPrefix(r.URL.Path, prefix); ok && (p == "" || p[0] == '/') {
			r2 := r.Clone(r.Context())
			r2.URL.Path = "/" + strings.TrimPrefix(p, "/")
			r2.URL.RawPath = ""
			if rp, ok := strings.CutPrefix(r.URL.RawPath, prefix); ok {
				r2.URL.RawPath = "/" + strings.TrimPrefix(rp, "/")
			}
			r = r2
		}
		mux.ServeHTTP(w, r)
	})
}

// reqLog collects what the request's log line reports besides method, path, status
// and duration.
type reqLog struct {
	attrs []slog.Attr
	quiet bool // log at debug level (probes, scrapes)
}

func (l *reqLog) add(attrs ...slog.Attr) { l.attrs = append(l.attrs, attrs...) }

type handlerFunc func(w http.ResponseWriter, r *http.Request, l *reqLog) error

// statusWriter remembers the status a handler wrote.
type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

// route wraps a handler: it turns the handler's error into a JSON answer (the one
// place where that happens), counts and times the request, and logs one line.
func (s *Server) route(name string, h handlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		sw := &statusWriter{ResponseWriter: w}
		var l reqLog
		err := s.call(h, sw, r, &l)
		if err != nil {
			s.writeError(sw, err)
		}
		if sw.status == 0 {
			sw.WriteHeader(http.StatusOK)
		}
		d := time.Since(start)
		s.metrics.observe(name, r.Method, sw.status, d)
		level := slog.LevelInfo
		if l.quiet && err == nil {
			level = slog.LevelDebug
		}
		attrs := append([]slog.Attr{
			slog.String("method", r.Method),
			slog.String("path", r.URL.Path),
			slog.Int("status", sw.status),
			slog.Float64("ms", float64(d.Microseconds())/1000),
		}, l.attrs...)
		if err != nil {
			attrs = append(attrs, slog.String("error", err.Error()))
			if sw.status >= 500 && sw.status != http.StatusServiceUnavailable {
				level = slog.LevelError
			}
		}
		s.log.LogAttrs(r.Context(), level, "request", attrs...)
	})
}

// call runs a handler and turns a panic in it (a defect, like an uncaught exception
// in the reference, whose app answers it with its JSON 500 body) into an error: the
// client gets that JSON 500 body instead of a dropped connection, and the log line
// has the panic's value and stack. http.ErrAbortHandler is passed on.
func (s *Server) call(h handlerFunc, w *statusWriter, r *http.Request, l *reqLog) (err error) {
	defer func() {
		p := recover()
		if p == nil {
			return
		}
		if p == http.ErrAbortHandler {
			panic(p)
		}
		err = fmt.Errorf("service: panic: %v\n%s", p, debug.Stack())
	}()
	return h(w, r, l)
}

// errOverloaded is answered 503 when too many requests are running and waiting.
var errOverloaded = &Error{Status: http.StatusServiceUnavailable,
	Message: "too many requests in progress; retry later"}

// writeError writes err as the service's JSON error body.
func (s *Server) writeError(w *statusWriter, err error) {
	if w.status != 0 {
		return // the handler already answered; the error is only logged
	}
	var e *Error
	var tooBig *http.MaxBytesError
	switch {
	case errors.As(err, &e):
	case errors.As(err, &tooBig):
		e = &Error{Status: http.StatusRequestEntityTooLarge,
			Message: fmt.Sprintf("the request body is larger than %d bytes", tooBig.Limit)}
	default:
		// The reference's answer to an unexpected exception, byte for byte.
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusInternalServerError)
		io.WriteString(w, `{"code": 500, "name": "Internal Server Error", "description": "The server encountered an internal error and was unable to complete your request. Either the server is overloaded or there is an error in the application."}`)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	if e.Status == http.StatusServiceUnavailable {
		w.Header().Set("Retry-After", strconv.Itoa(max(e.RetryAfter, 1)))
	}
	w.WriteHeader(e.Status)
	w.Write(e.body())
}

// enter admits a recommendation request: at most MaxConcurrent+MaxQueue are admitted at
// once (so at most that many bodies are held in memory); the others get errOverloaded
// at once. The returned function waits for one of the MaxConcurrent slots to compute
// in (at most QueueTimeout, then errOverloaded) and returns the function that releases
// everything; leave must be called when the slot is never asked for.
func (s *Server) enter() (slot func(ctx context.Context) (release func(), err error), leave func(), err error) {
	select {
	case s.queue <- struct{}{}:
	default:
		return nil, nil, errOverloaded
	}
	leave = func() { <-s.queue }
	slot = func(ctx context.Context) (func(), error) {
		t := time.NewTimer(s.opts.QueueTimeout)
		defer t.Stop()
		select {
		case s.slots <- struct{}{}:
			s.metrics.inflight.Inc()
			return func() { s.metrics.inflight.Dec(); <-s.slots; <-s.queue }, nil
		case <-t.C:
			<-s.queue
			return nil, errOverloaded
		case <-ctx.Done():
			<-s.queue
			return nil, ctx.Err()
		}
	}
	return slot, leave, nil
}

// legalTitle reports whether every character of a title is one of MediaWiki's
// $wgLegalTitleChars, as the reference's route requires (others answer 404).
func legalTitle(t string) bool {
	if t == "" {
		return false
	}
	for _, r := range t {
		switch {
		case r >= 0x80:
		case r < 0x20 || r == 0x7f:
			return false
		case strings.ContainsRune("#<>[]{}|", r):
			return false
		}
	}
	return true
}

func (s *Server) handleRecommend(w http.ResponseWriter, r *http.Request, l *reqLog) error {
	title := strings.ToValidUTF8(r.PathValue("title"), "\uFFFD")
	project, domain := r.PathValue("project"), r.PathValue("domain")
	if !legalTitle(title) {
		return &Error{Status: http.StatusNotFound, Message: "Page not found: " + title}
	}
	req := Request{Project: project, Domain: domain, Title: title}
	l.add(slog.String("wiki", WikiID(project, domain)), slog.String("title", title))
	q := r.URL.Query()
	req.Threshold = 0.5
	if v, ok := q["threshold"]; ok {
		f, err := strconv.ParseFloat(strings.TrimSpace(v[0]), 64)
		if err != nil || math.IsNaN(f) {
			return badRequest("threshold must be a number, got %q", v[0])
		}
		if !(f >= 0 && f <= 1) { // a probability: inf, -0.1 or 1.5 is a caller's mistake
			return badRequest("threshold must be a number from 0 to 1, got %q", v[0])
		}
		req.Threshold = f
	} else if s.opts.Thresholds != nil {
		t, src := s.opts.Thresholds.ChooseThreshold(r.Context(), WikiID(project, domain))
		req.Threshold = t
		w.Header().Set("X-Addlink-Threshold", strconv.FormatFloat(t, 'g', -1, 64))
		w.Header().Set("X-Addlink-Threshold-Source", src)
		l.add(slog.String("threshold_source", src))
	}
	req.MaxRecommendations = 15
	if v, ok := q["max_recommendations"]; ok {
		n, err := strconv.Atoi(strings.TrimSpace(v[0]))
		if err != nil {
			return badRequest("max_recommendations must be an integer, got %q", v[0])
		}
		req.MaxRecommendations = n
	}
	req.LanguageCode = domain
	if v, ok := q["language_code"]; ok {
		req.LanguageCode = v[0]
	}
	req.SectionsToExclude = q["sections_to_exclude"]
	// The wiki first, without a slot: a wiki being opened holds up only its own
	// requests (each at most the open wait, then 503 with Retry-After).
	wiki, err := s.openWiki(r.Context(), project, domain, WikiID(project, domain))
	if err != nil {
		return err
	}
	req.wiki = wiki
	slot, leave, err := s.enter()
	if err != nil {
		return err
	}
	if r.Method == http.MethodPost {
		if err := s.readBody(w, r, &req); err != nil {
			leave()
			return err
		}
	} else if v := q.Get("revision"); v != "" {
		req.Revision, _ = strconv.ParseInt(strings.TrimSpace(v), 10, 64) // not an integer: 0, as the reference
		// A pooled answer is written as stored: with pruning on, it is computed afresh.
		if body := s.fromPoolUnlessPruning(r.Context(), req); body != nil {
			leave()
			l.add(slog.Bool("from_pool", true))
			w.Header().Set("Content-Type", "application/json")
			_, err := w.Write(body)
			return err
		}
	}
	release, err := slot(r.Context())
	if err != nil {
		return err
	}
	defer release()
	resp, err := s.Recommend(r.Context(), req)
	if err != nil {
		return err
	}
	s.metrics.observeWiki(resp.Wiki, resp.ModelVersion, resp.Meta.DatasetChecksums)
	if s.opts.Prune != nil {
		kept := make([]linker.Recommendation, 0, len(resp.Links)) // resp.Links is not ours to change
		for _, link := range resp.Links {
			if !s.opts.Prune(resp.Wiki, resp.PageTitle, link.LinkTarget) {
				kept = append(kept, link)
			}
		}
		if n := len(resp.Links) - len(kept); n > 0 {
			l.add(slog.Int("pruned", n))
		}
		resp.Links = kept
	}
	l.add(slog.String("model_version", resp.ModelVersion), slog.Int("links", len(resp.Links)), slog.Float64("threshold", req.Threshold),
		slog.Int("max_recommendations", req.MaxRecommendations), slog.String("language_code", req.LanguageCode))
	if resp.Info != "" {
		l.add(slog.String("info", resp.Info))
	}
	w.Header().Set("Content-Type", "application/json")
	_, err = w.Write(resp.AppendJSON(nil))
	return err
}

// postBody is the JSON body GrowthExperiments posts.
type postBody struct {
	Wikitext          *string         `json:"wikitext"`
	RevID             json.RawMessage `json:"revid"`
	PageID            json.RawMessage `json:"pageid"`
	SectionsToExclude *[]string       `json:"sections_to_exclude"`
}

// readBody reads a POST body into req: wikitext, revid, pageid (echoed as sent) and,
// when present, sections_to_exclude (which then replaces the query's).
func (s *Server) readBody(w http.ResponseWriter, r *http.Request, req *Request) error {
	var buf bytes.Buffer
	if n := r.ContentLength; n > 0 && n <= s.opts.MaxBodyBytes {
		buf.Grow(int(n) + bytes.MinRead) // read in one go, without growing
	}
	if _, err := buf.ReadFrom(http.MaxBytesReader(w, r.Body, s.opts.MaxBodyBytes)); err != nil {
		return err
	}
	data := buf.Bytes()
	var raw map[string]json.RawMessage
	if len(bytes.TrimSpace(data)) == 0 {
		return badRequest("No data to validate")
	}
	if err := json.Unmarshal(data, &raw); err != nil {
		return badRequest("the body must be a JSON object {\"wikitext\", \"revid\", \"pageid\"}, %s", jsonProblem(err))
	}
	if len(raw) == 0 {
		return badRequest("No data to validate")
	}
	// Each field is decoded from its own bytes: the body is read once, and keys are
	// matched exactly, as the reference's request.json[...] does.
	var b postBody
	for _, f := range []struct {
		key, want string
		v         any
	}{{"wikitext", "a string", &b.Wikitext}, {"sections_to_exclude", "a list of strings", &b.SectionsToExclude}} {
		if v, ok := raw[f.key]; ok {
			if err := json.Unmarshal(v, f.v); err != nil {
				return badRequest("%s must be %s, %s", f.key, f.want, jsonProblem(err))
			}
		}
	}
	b.RevID, b.PageID = raw["revid"], raw["pageid"]
	for _, k := range []string{"wikitext", "revid", "pageid"} {
		if _, ok := raw[k]; !ok {
			return badRequest("the body has no %q", k)
		}
	}
	if b.Wikitext == nil {
		return badRequest("wikitext must be a string")
	}
	if !utf8.ValidString(*b.Wikitext) {
		t := strings.ToValidUTF8(*b.Wikitext, "\uFFFD")
		b.Wikitext = &t
	}
	req.Wikitext = b.Wikitext
	var err error
	if req.RevID, err = pyInt(b.RevID); err != nil {
		return badRequest("revid must be an integer, got %s", compactJSON(b.RevID))
	}
	var pageid any
	if err := json.Unmarshal(b.PageID, &pageid); err != nil {
		return badRequest("pageid is not valid JSON")
	}
	req.PageID = compactJSON(b.PageID)
	if b.SectionsToExclude != nil {
		req.SectionsToExclude = *b.SectionsToExclude
	}
	return nil
}

// jsonProblem says what was wrong with a JSON value in the API's terms ("got an
// array"), not in Go's ("cannot unmarshal array into Go value of type ...").
func jsonProblem(err error) string {
	var te *json.UnmarshalTypeError
	var se *json.SyntaxError
	switch {
	case errors.As(err, &te):
		switch te.Value {
		case "array", "object":
			return "got an " + te.Value
		case "bool":
			return "got true or false"
		case "string", "number":
			return "got a " + te.Value
		}
		return "got " + te.Value
	case errors.As(err, &se):
		return fmt.Sprintf("but it is not valid JSON (%s at byte %d)", se, se.Offset)
	}
	return "but it is not valid JSON"
}

// pyInt converts a JSON value as Python's int() does for the values a caller sends:
// an integral number, a number truncated towards zero, or a string holding an integer.
func pyInt(raw json.RawMessage) (int64, error) {
	var v any
	d := json.NewDecoder(strings.NewReader(string(raw)))
	d.UseNumber()
	if err := d.Decode(&v); err != nil {
		return 0, err
	}
	switch x := v.(type) {
	case json.Number:
		if n, err := x.Int64(); err == nil {
			return n, nil
		}
		f, err := x.Float64()
		if err != nil || math.IsInf(f, 0) || math.Abs(f) >= 1<<63 {
			return 0, fmt.Errorf("%s is out of range", x)
		}
		return int64(f), nil
	case string:
		return strconv.ParseInt(strings.TrimSpace(x), 10, 64)
	}
	return 0, fmt.Errorf("got %s", raw)
}

// compactJSON returns a JSON value without insignificant white space.
func compactJSON(raw json.RawMessage) json.RawMessage {
	var j jsonBuf
	var v any
	d := json.NewDecoder(strings.NewReader(string(raw)))
	d.UseNumber()
	if err := d.Decode(&v); err != nil {
		return raw
	}
	appendValue(&j, v)
	return j.b
}

// appendValue writes a decoded JSON value with keys sorted (as jsonify does).
func appendValue(j *jsonBuf, v any) {
	switch x := v.(type) {
	case nil:
		j.raw([]byte("null"))
	case bool:
		j.raw([]byte(strconv.FormatBool(x)))
	case json.Number:
		j.raw([]byte(x.String()))
	case string:
		j.str(x)
	case []any:
		j.open('[')
		for _, e := range x {
			j.comma()
			appendValue(j, e)
		}
		j.close(']')
	case map[string]any:
		keys := sortedKeys(x)
		j.open('{')
		for _, k := range keys {
			j.key(k)
			appendValue(j, x[k])
		}
		j.close('}')
	}
}

func sortedKeys(m map[string]any) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

func (s *Server) methodNotAllowed(allow string) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request, l *reqLog) error {
		w.Header().Set("Allow", allow)
		return &Error{Status: http.StatusMethodNotAllowed, Message: "method " + r.Method + " is not allowed here (allowed: " + allow + ")"}
	}
}

func (s *Server) handleNotFound(w http.ResponseWriter, r *http.Request, l *reqLog) error {
	return &Error{Status: http.StatusNotFound, Message: "no such path: " + r.URL.Path}
}

// handleHealthz answers 200 with an empty body without touching any dataset, or 503
// when the backend has a database (mysql) that does not answer.
func (s *Server) handleHealthz(w http.ResponseWriter, r *http.Request, l *reqLog) error {
	l.quiet = true
	if s.draining.Load() {
		return &Error{Status: http.StatusServiceUnavailable, Message: "shutting down"}
	}
	// A backend with a database (mysql) is healthy when the database answers.
	if h, ok := s.backend.(interface{ Healthy(context.Context) error }); ok {
		if err := h.Healthy(r.Context()); err != nil {
			return &Error{Status: http.StatusServiceUnavailable, Message: "the database is unreachable", Err: err}
		}
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(http.StatusOK)
	return nil
}

func (s *Server) handleRoot(w http.ResponseWriter, r *http.Request, l *reqLog) error {
	http.Redirect(w, r, s.opts.URLPrefix+"/apidocs/", http.StatusFound)
	return nil
}

func (s *Server) handleMetrics(w http.ResponseWriter, r *http.Request, l *reqLog) error {
	l.quiet = true
	s.metrics.handler.ServeHTTP(w, r)
	return nil
}

// fromPoolUnlessPruning is fromPool when no suggestion is to be pruned (Options.Prune
// unset); a pooled body would keep the targets pruning drops.
func (s *Server) fromPoolUnlessPruning(ctx context.Context, req Request) []byte {
	if s.opts.Prune != nil {
		return nil
	}
	return s.fromPool(ctx, req)
}
