package review

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// flakyStore is a Store whose database can be switched off: every call then fails as
// a lost connection does.
type flakyStore struct {
	*Store
	down atomic.Bool
}

var errDown = errors.New("dial tcp 127.0.0.1:3306: connect: connection refused")

func (f *flakyStore) Next(ctx context.Context, o NextOptions) (*Item, error) {
	if f.down.Load() {
		return nil, errDown
	}
	return f.Store.Next(ctx, o)
}

func (f *flakyStore) Judge(ctx context.Context, j Judgment, now time.Time) (Judgment, bool, error) {
	if f.down.Load() {
		return Judgment{}, false, errDown
	}
	return f.Store.Judge(ctx, j, now)
}

func (f *flakyStore) Undo(ctx context.Context, r, req string, lease time.Duration, now time.Time) (*Item, Judgment, error) {
	if f.down.Load() {
		return nil, Judgment{}, errDown
	}
	return f.Store.Undo(ctx, r, req, lease, now)
}

func (f *flakyStore) Progress(ctx context.Context, r string, fl Filter) (Progress, error) {
	if f.down.Load() {
		return Progress{}, errDown
	}
	return f.Store.Progress(ctx, r, fl)
}

func (f *flakyStore) Wikis(ctx context.Context) ([]string, error) {
	if f.down.Load() {
		return nil, errDown
	}
	return f.Store.Wikis(ctx)
}

// newTestServer serves a store with n made-up items on a loopback socket.
func newTestServer(t testing.TB, n, judges int) (*flakyStore, *httptest.Server) {
	t.Helper()
	st := &flakyStore{Store: newStore(t)}
	addItems(t, st.Store, "xxwiki", n)
	srv, err := NewServer(ServerOptions{Store: st, Judges: judges})
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(srv.Handler())
	t.Cleanup(ts.Close)
	return st, ts
}

func call(t testing.TB, method, url, body string) (int, http.Header, map[string]any) {
	t.Helper()
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil && resp.Header.Get("Content-Type") == "application/json" {
		t.Fatalf("%s %s: not JSON: %s", method, url, b)
	}
	return resp.StatusCode, resp.Header, m
}

func rows(t testing.TB, st *Store) int {
	t.Helper()
	js, err := st.Judgments(context.Background(), "")
	if err != nil {
		t.Fatal(err)
	}
	return len(js)
}

// A malformed judgment is a 400 JSON error and writes nothing.
func TestMalformedJudgment(t *testing.T) {
	st, ts := newTestServer(t, 5, 1)
	tests := []struct{ name, body string }{
		{"empty", ""},
		{"not JSON", "accept"},
		{"array", `[1]`},
		{"truncated", `{"request_id": "abcdefgh", "item_id": 1`},
		{"two objects", `{"request_id": "abcdefgh", "item_id": 1, "reviewer": "ann", "label": "accept"} {}`},
		{"unknown field", `{"request_id": "abcdefgh", "item_id": 1, "reviewer": "ann", "label": "accept", "score": 1}`},
		{"no request id", `{"item_id": 1, "reviewer": "ann", "label": "accept"}`},
		{"short request id", `{"request_id": "abc", "item_id": 1, "reviewer": "ann", "label": "accept"}`},
		{"request id with a quote", `{"request_id": "abcdefgh'", "item_id": 1, "reviewer": "ann", "label": "accept"}`},
		{"no item", `{"request_id": "abcdefgh", "reviewer": "ann", "label": "accept"}`},
		{"item as a string", `{"request_id": "abcdefgh", "item_id": "1", "reviewer": "ann", "label": "accept"}`},
		{"item zero", `{"request_id": "abcdefgh", "item_id": 0, "reviewer": "ann", "label": "accept"}`},
		{"missing item", `{"request_id": "abcdefgh", "item_id": 999, "reviewer": "ann", "label": "accept"}`},
		{"no reviewer", `{"request_id": "abcdefgh", "item_id": 1, "label": "accept"}`},
		{"blank reviewer", `{"request_id": "abcdefgh", "item_id": 1, "reviewer": "  ", "label": "accept"}`},
		{"control character", `{"request_id": "abcdefgh", "item_id": 1, "reviewer": "a\u0007", "label": "accept"}`},
		{"long reviewer", `{"request_id": "abcdefgh", "item_id": 1, "reviewer": "` + strings.Repeat("x", 65) + `", "label": "accept"}`},
		{"no label", `{"request_id": "abcdefgh", "item_id": 1, "reviewer": "ann"}`},
		{"bad label", `{"request_id": "abcdefgh", "item_id": 1, "reviewer": "ann", "label": "yes"}`},
		{"undo as a label", `{"request_id": "abcdefgh", "item_id": 1, "reviewer": "ann", "label": "undo"}`},
		{"huge", `{"request_id": "abcdefgh", "item_id": 1, "reviewer": "ann", "label": "accept", "wiki": "` + strings.Repeat("x", 20000) + `"}`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			status, h, m := call(t, "POST", ts.URL+"/api/judgments", tc.body)
			if status != 400 || h.Get("Content-Type") != "application/json" || m["error"] == nil {
				t.Errorf("status %d, %v, want a 400 JSON error", status, m)
			}
			if n := rows(t, st.Store); n != 0 {
				t.Errorf("%d rows written", n)
			}
		})
	}
	for _, body := range []string{`{}`, `{"request_id": "abcdefgh"}`, `{"request_id": "abcdefgh", "reviewer": ""}`} {
		if status, _, _ := call(t, "POST", ts.URL+"/api/undo", body); status != 400 {
			t.Errorf("undo %s: status %d, want 400", body, status)
		}
	}
	for _, q := range []string{"", "?reviewer=", "?reviewer=ann&min=2", "?reviewer=ann&min=0.5&max=0.2", "?reviewer=ann&wiki=X%20Y"} {
		if status, _, _ := call(t, "GET", ts.URL+"/api/next"+q, ""); status != 400 {
			t.Errorf("next%s: status %d, want 400", q, status)
		}
	}
}

// The API end to end: next, judge, progress, undo (409 when nothing is left to
// undo), and 503 with Retry-After while the database is down, writing nothing.
func TestAPI(t *testing.T) {
	st, ts := newTestServer(t, 3, 1)
	status, _, m := call(t, "GET", ts.URL+"/api/next?reviewer=ann", "")
	item, _ := m["item"].(map[string]any)
	if status != 200 || item == nil || item["id"].(float64) != 1 {
		t.Fatalf("next: %d %v", status, m)
	}
	if _, ok := item["dump_target"]; ok {
		t.Error("the page is told the dump's own target")
	}
	if status, _, m := call(t, "GET", ts.URL+"/api/wikis", ""); status != 200 || len(m["wikis"].([]any)) != 1 {
		t.Errorf("wikis: %d %v", status, m)
	}
	body := `{"request_id": "req-00000001", "item_id": 1, "reviewer": "ann", "label": "reject"}`
	status, _, m = call(t, "POST", ts.URL+"/api/judgments", body)
	if status != 200 || m["duplicate"] != false || m["progress"].(map[string]any)["mine"].(float64) != 1 {
		t.Fatalf("judge: %d %v", status, m)
	}
	if status, _, m = call(t, "POST", ts.URL+"/api/judgments", body); status != 200 || m["duplicate"] != true {
		t.Errorf("retried judgment: %d %v", status, m)
	}
	if n := rows(t, st.Store); n != 1 {
		t.Errorf("%d rows after a retried judgment, want 1", n)
	}
	st.down.Store(true)
	for _, c := range []struct{ method, path, body string }{
		{"POST", "/api/judgments", `{"request_id": "req-00000002", "item_id": 2, "reviewer": "ann", "label": "accept"}`},
		{"POST", "/api/undo", `{"request_id": "req-00000003", "reviewer": "ann"}`},
		{"GET", "/api/next?reviewer=ann", ""},
	} {
		status, h, m := call(t, c.method, ts.URL+c.path, c.body)
		if status != 503 || h.Get("Retry-After") == "" || !strings.Contains(m["error"].(string), "database unavailable") {
			t.Errorf("%s %s with the database down: %d %v %v", c.method, c.path, status, h, m)
		}
	}
	st.down.Store(false)
	if n := rows(t, st.Store); n != 1 {
		t.Errorf("%d rows after the outage, want 1", n)
	}
	status, _, m = call(t, "POST", ts.URL+"/api/undo", `{"request_id": "req-00000004", "reviewer": "ann"}`)
	if status != 200 || m["item"].(map[string]any)["id"].(float64) != 1 {
		t.Errorf("undo: %d %v", status, m)
	}
	if status, _, _ = call(t, "POST", ts.URL+"/api/undo", `{"request_id": "req-00000005", "reviewer": "ann"}`); status != 409 {
		t.Errorf("undo with nothing to undo: %d, want 409", status)
	}
	for _, path := range []string{"/", "/review.js", "/review.css"} {
		resp, err := http.Get(ts.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != 200 || !strings.Contains(resp.Header.Get("Content-Security-Policy"), "default-src 'self'") {
			t.Errorf("%s: %d %v", path, resp.StatusCode, resp.Header)
		}
	}
}

// FuzzJudgmentRequest: any body gets a 200 or a 400 JSON answer, and a 400 writes
// nothing.
func FuzzJudgmentRequest(f *testing.F) {
	for _, s := range []string{`{"request_id": "req-00000001", "item_id": 1, "reviewer": "ann", "label": "accept"}`,
		`{"request_id": "req-00000001", "reviewer": "ann"}`, `{}`, `[]`, `{"item_id": 1e400}`, "\x00"} {
		f.Add(s, false)
		f.Add(s, true)
	}
	st, ts := newTestServer(f, 3, 1)
	f.Fuzz(func(t *testing.T, body string, undo bool) {
		path := "/api/judgments"
		if undo {
			path = "/api/undo"
		}
		before := rows(t, st.Store)
		resp, err := http.Post(ts.URL+path, "application/json", bytes.NewReader([]byte(body)))
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if !json.Valid(b) {
			t.Fatalf("not JSON: %q", b)
		}
		switch resp.StatusCode {
		case 200:
		case 400, 409:
			if after := rows(t, st.Store); after != before {
				t.Fatalf("status %d wrote %d rows", resp.StatusCode, after-before)
			}
		default:
			t.Fatalf("status %d: %s", resp.StatusCode, b)
		}
	})
}

func newHTTPServer(t testing.TB, srv *Server) *httptest.Server {
	ts := httptest.NewServer(srv.Handler())
	t.Cleanup(ts.Close)
	return ts
}
