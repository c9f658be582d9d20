// Package fakewiki serves, on loopback, what `addlink follow` reads from Wikimedia: an
// EventStreams-like server-sent event stream and a MediaWiki action API (api.php)
// answering revision queries. Tests and bench/follow.sh use them; no network.
//
// The stream behaves as EventStreams does in the ways a consumer relies on: each event
// is "event: message", an "id:" line holding a JSON array of topic-partition positions,
// and the JSON on "data:" lines; a Last-Event-ID naming an offset resumes after it;
// the server may close the connection at any moment (Wikimedia's closes it every ~15
// minutes), may refuse a connection with 429, and sends no heartbeat.
package fakewiki

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Topic is the topic named in the stream's ids.
const Topic = "eqiad.mediawiki.recentchange"

// Stream serves a fixed list of events.
type Stream struct {
	mu     sync.Mutex
	events [][]byte // JSON objects; "meta.dt" may be rewritten when Stamp is set

	// Rate, when > 0, sends that many events per second; 0 sends as fast as the client
	// reads. Stamp rewrites each event's meta.dt to the moment it is sent.
	Rate  float64
	Stamp bool
	// DropEvery, when > 0, ends each connection after that many events, in the middle
	// of the next one (half its data line written). Refuse429 answers the first that
	// many connections with 429 and Retry-After: 1.
	DropEvery int
	Refuse429 int
	// Hold keeps the connection open after the last event until the client leaves;
	// otherwise the server closes it (and the client reconnects, getting nothing new).
	Hold bool

	// What the clients sent, per connection.
	UserAgents   []string
	LastEventIDs []string
	Connections  int
	sent         int // events written whole, over all connections
}

// NewStream returns a stream of the given events (JSON objects, one per event).
func NewStream(events [][]byte) *Stream { return &Stream{events: events} }

// Sent returns the number of events written whole so far.
func (s *Stream) Sent() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.sent
}

// ID is the event id of the event at offset (0-based) as EventStreams writes one
// when offsets are used: the position to resume after.
func ID(offset int) string {
	return fmt.Sprintf(`[{"topic":%q,"partition":0,"offset":%d}]`, Topic, offset)
}

// resumeOffset returns the offset of the first event to send after a Last-Event-ID.
func resumeOffset(h string) (int, error) {
	if h == "" {
		return 0, nil
	}
	var ids []struct {
		Topic     string `json:"topic"`
		Partition int    `json:"partition"`
		Offset    *int   `json:"offset"`
	}
	if err := json.Unmarshal([]byte(h), &ids); err != nil {
		return 0, err
	}
	for _, id := range ids {
		if id.Topic == Topic && id.Offset != nil {
			return *id.Offset + 1, nil
		}
	}
	return 0, fmt.Errorf("no offset for %s in %s", Topic, h)
}

// ServeHTTP writes the events after the request's Last-Event-ID.
func (s *Stream) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	s.Connections++
	conn := s.Connections
	s.UserAgents = append(s.UserAgents, r.UserAgent())
	s.LastEventIDs = append(s.LastEventIDs, r.Header.Get("Last-Event-ID"))
	s.mu.Unlock()
	if conn <= s.Refuse429 {
		w.Header().Set("Retry-After", "1")
		http.Error(w, "Too Many Concurrent Connections From Your Client IP", http.StatusTooManyRequests)
		return
	}
	start, err := resumeOffset(r.Header.Get("Last-Event-ID"))
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	fl, _ := w.(http.Flusher)
	w.Header().Set("Content-Type", "text/event-stream")
	w.Header().Set("Cache-Control", "no-cache")
	w.WriteHeader(http.StatusOK)
	fmt.Fprint(w, ":ok\n\n")
	var tick *time.Ticker
	if s.Rate > 0 {
		tick = time.NewTicker(time.Duration(float64(time.Second) / s.Rate))
		defer tick.Stop()
	}
	n := 0
	for off := start; off < len(s.events); off++ {
		if tick != nil {
			select {
			case <-tick.C:
			case <-r.Context().Done():
				return
			}
		}
		data := s.events[off]
		if s.Stamp {
			data = stamp(data, time.Now())
		}
		frame := "event: message\nid: " + ID(off) + "\ndata: " + string(data) + "\n\n"
		if s.DropEvery > 0 && n == s.DropEvery {
			// Half an event, then the connection ends.
			w.Write([]byte(frame[:len(frame)/2]))
			if fl != nil {
				fl.Flush()
			}
			return
		}
		if _, err := w.Write([]byte(frame)); err != nil {
			return
		}
		if fl != nil && (tick != nil || off == len(s.events)-1 || n%16 == 15) {
			fl.Flush()
		}
		n++
		s.mu.Lock()
		s.sent++
		s.mu.Unlock()
	}
	if fl != nil {
		fl.Flush()
	}
	if s.Hold {
		<-r.Context().Done()
	}
}

// stamp sets the event's meta.dt to t (ISO 8601, milliseconds).
func stamp(data []byte, t time.Time) []byte {
	var ev map[string]any
	if json.Unmarshal(data, &ev) != nil {
		return data
	}
	meta, _ := ev["meta"].(map[string]any)
	if meta == nil {
		return data
	}
	meta["dt"] = t.UTC().Format("2006-01-02T15:04:05.000Z")
	b, err := json.Marshal(ev)
	if err != nil {
		return data
	}
	return b
}

// Revision is a page revision the API serves.
type Revision struct {
	PageID int64
	Title  string
	Text   string
}

// API answers action=query&prop=revisions&revids=N as MediaWiki does (format version
// 2); a revision it does not hold is reported under badrevids.
type API struct {
	mu        sync.Mutex
	revs      map[int64]Revision
	Requests  int
	UserAgent string // of the last request
	// Fail503 answers the first that many requests with 503.
	Fail503 int
	// Delay is added before each answer.
	Delay time.Duration
}

// RequestCount returns the number of requests answered so far.
func (a *API) RequestCount() int {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.Requests
}

// NewAPI returns an API serving revs.
func NewAPI(revs map[int64]Revision) *API { return &API{revs: revs} }

func (a *API) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	a.mu.Lock()
	a.Requests++
	n := a.Requests
	a.UserAgent = r.UserAgent()
	a.mu.Unlock()
	if a.Delay > 0 {
		time.Sleep(a.Delay)
	}
	if n <= a.Fail503 {
		http.Error(w, "try again", http.StatusServiceUnavailable)
		return
	}
	if !strings.HasSuffix(r.URL.Path, "/api.php") {
		http.NotFound(w, r)
		return
	}
	q := r.URL.Query()
	if q.Get("action") != "query" || q.Get("prop") != "revisions" || q.Get("formatversion") != "2" {
		json.NewEncoder(w).Encode(map[string]any{"error": map[string]string{"code": "badparams", "info": r.URL.RawQuery}})
		return
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	rev, err := strconv.ParseInt(q.Get("revids"), 10, 64)
	a.mu.Lock()
	p, ok := a.revs[rev]
	a.mu.Unlock()
	if err != nil || !ok {
		json.NewEncoder(w).Encode(map[string]any{"batchcomplete": true,
			"query": map[string]any{"badrevids": map[string]any{q.Get("revids"): map[string]any{"revid": rev, "missing": true}}}})
		return
	}
	json.NewEncoder(w).Encode(map[string]any{"batchcomplete": true, "query": map[string]any{"pages": []any{
		map[string]any{"pageid": p.PageID, "ns": 0, "title": p.Title, "revisions": []any{
			map[string]any{"revid": rev, "parentid": 0, "slots": map[string]any{
				"main": map[string]any{"contentmodel": "wikitext", "contentformat": "text/x-wiki", "content": p.Text}}}}}}}})
}

// Server names a wiki's host as the recentchange event does (en.wikipedia.org).
func Server(wiki string) string {
	for _, p := range []string{"wikivoyage", "wiktionary", "wikibooks", "wikinews", "wikiquote", "wikisource", "wikiversity"} {
		if lang, ok := strings.CutSuffix(wiki, p); ok && lang != "" {
			return strings.ReplaceAll(lang, "_", "-") + "." + p + ".org"
		}
	}
	return strings.ReplaceAll(strings.TrimSuffix(wiki, "wiki"), "_", "-") + ".wikipedia.org"
}

// Change describes one recentchange event.
type Change struct {
	Wiki      string
	Type      string // edit, new, log
	Namespace int
	Title     string
	Rev       int64 // revision.new
	Bot       bool
	Time      time.Time
	Canary    bool
	LogType   string // for Type log
	LogAction string
	Offset    int // meta.offset
}

// RecentChange returns the event as EventStreams' recentchange stream carries it.
func RecentChange(c Change) []byte {
	domain := Server(c.Wiki)
	if c.Canary {
		domain = "canary"
	}
	ev := map[string]any{
		"$schema": "/mediawiki/recentchange/1.0.0",
		"meta": map[string]any{"uri": "https://" + Server(c.Wiki) + "/wiki/" + url.PathEscape(strings.ReplaceAll(c.Title, " ", "_")),
			"request_id": fmt.Sprintf("req-%d", c.Offset), "id": fmt.Sprintf("id-%d", c.Offset),
			"dt": c.Time.UTC().Format("2006-01-02T15:04:05.000Z"), "domain": domain, "stream": "mediawiki.recentchange",
			"topic": Topic, "partition": 0, "offset": c.Offset},
		"id": 1000000 + c.Offset, "type": c.Type, "namespace": c.Namespace, "title": c.Title,
		"title_url": "https://" + Server(c.Wiki) + "/wiki/" + url.PathEscape(strings.ReplaceAll(c.Title, " ", "_")),
		"comment":   "", "timestamp": c.Time.Unix(), "user": "Example", "bot": c.Bot,
		"server_url": "https://" + Server(c.Wiki), "server_name": Server(c.Wiki), "server_script_path": "/w",
		"wiki": c.Wiki, "parsedcomment": "",
	}
	if c.Type == "edit" || c.Type == "new" {
		ev["minor"] = false
		var old any
		if c.Type == "edit" {
			old = c.Rev - 1
		}
		ev["revision"] = map[string]any{"old": old, "new": c.Rev}
		ev["length"] = map[string]any{"old": nil, "new": 100}
	}
	if c.Type == "log" {
		ev["namespace"] = -1
		ev["log_id"] = c.Offset
		ev["log_type"] = c.LogType
		ev["log_action"] = c.LogAction
		ev["log_params"] = []any{}
		ev["log_action_comment"] = ""
	}
	b, err := json.Marshal(ev)
	if err != nil {
		panic(err)
	}
	return b
}

// Page is an article the scenario edits.
type Page struct {
	ID    int64
	Title string
	Text  string
}

// Scenario returns n recentchange events of wiki over pages (deterministic), and the
// revisions the API must serve for them. Most events are main-namespace edits (a
// page's first is a creation); the others exercise every rule of the follower:
// canary events, bots' edits, talk-page edits, another wiki's edits, deletions of
// pages edited before, an edit whose revision MediaWiki no longer has, and an edit
// older than the one already seen for its page.
func Scenario(wiki string, pages []Page, n int, start time.Time) ([][]byte, map[int64]Revision) {
	revs := map[int64]Revision{}
	seen := map[int]bool{}
	var events [][]byte
	for i := 0; i < n; i++ {
		k := (i * 7) % len(pages)
		p := pages[k]
		c := Change{Wiki: wiki, Type: "edit", Title: p.Title, Rev: int64(100000 + i), Time: start.Add(time.Duration(i) * 100 * time.Millisecond), Offset: i}
		switch {
		case i%10 == 3:
			c.Canary = true
		case i%10 == 5:
			c.Bot = true
		case i%10 == 7:
			c.Namespace, c.Title = 1, "Συζήτηση:"+p.Title
		case i%17 == 9:
			c.Wiki = "enwiki"
		case i%23 == 11:
			// delete a page edited before (the one of the previous edit event)
			c.Type, c.LogType, c.LogAction, c.Rev = "log", "delete", "delete", 0
			c.Title = pages[((i-1)*7)%len(pages)].Title
			delete(seen, ((i-1)*7)%len(pages))
		case i%29 == 13:
			// a revision MediaWiki no longer has (deleted since)
		case i%31 == 17 && seen[k]:
			c.Rev = int64(50000 + i) // older than any revision of the 100000 range
			revs[c.Rev] = Revision{PageID: p.ID, Title: p.Title, Text: p.Text}
		default:
			if !seen[k] {
				c.Type = "new"
			}
			seen[k] = true
			revs[c.Rev] = Revision{PageID: p.ID, Title: p.Title, Text: p.Text}
		}
		events = append(events, RecentChange(c))
	}
	return events, revs
}
