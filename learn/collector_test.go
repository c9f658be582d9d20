package learn

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/prometheus/client_golang/prometheus/testutil"
)

var collector *Collector // the last newCollector's

func newCollector(t testing.TB, dir string) (*Log, *httptest.Server) {
	t.Helper()
	lg, err := OpenLog(context.Background(), dir)
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	collector = &Collector{Log: lg}
	for p, h := range collector.Routes() {
		mux.Handle(p, h)
	}
	ts := httptest.NewServer(mux)
	t.Cleanup(func() {
		ts.Close()
		lg.Close()
	})
	return lg, ts
}

func post(t testing.TB, url, body string) (int, map[string]any) {
	t.Helper()
	resp, err := http.Post(url, "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatalf("answer %q: %v", b, err)
	}
	return resp.StatusCode, m
}

func logIDs(t testing.TB, dir string) []string {
	t.Helper()
	var ids []string
	if _, err := ReadLog(filepath.Join(dir, LogName), 0, func(e *Event, _ int64) error {
		ids = append(ids, e.ID)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	return ids
}

func batch(ids ...string) string {
	var parts []string
	for _, id := range ids {
		parts = append(parts, impressionJSON(id))
	}
	return `{"events":[` + strings.Join(parts, ",") + `]}`
}

func TestCollector(t *testing.T) {
	dir := t.TempDir()
	lg, ts := newCollector(t, dir)

	resp, err := http.Get(ts.URL + SchemaURL)
	if err != nil {
		t.Fatal(err)
	}
	schema, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !json.Valid(schema) || !bytes.Equal(schema, []byte(SchemaJSON)) {
		t.Fatalf("schema: %d %q", resp.StatusCode, schema)
	}

	status, m := post(t, ts.URL+"/v1/events", batch("a", "b", "a"))
	if status != 200 || m["stored"] != 2.0 || m["duplicates"] != 1.0 {
		t.Fatalf("first batch: %d %v", status, m)
	}
	size := lg.Size()
	// A bad event anywhere refuses the whole batch, new events included.
	bad := strings.Replace(batch("c", "d"), `"score":0.73,"threshold":0.6,"timestamp":"2026-01-02T03:04:05+02:00"}]`,
		`"score":0.73,"threshold":7,"timestamp":"2026-01-02T03:04:05+02:00"}]`, 1)
	status, m = post(t, ts.URL+"/v1/events", bad)
	if status != 400 || m["field"] != "events[1].threshold" || !strings.Contains(m["error"].(string), "events[1].threshold") {
		t.Fatalf("bad batch: %d %v", status, m)
	}
	if lg.Size() != size {
		t.Errorf("the log grew by %d bytes on a refused batch", lg.Size()-size)
	}
	status, m = post(t, ts.URL+"/v1/events", batch("b", "c"))
	if status != 200 || m["stored"] != 1.0 || m["duplicates"] != 1.0 {
		t.Fatalf("third batch: %d %v", status, m)
	}
	status, m = post(t, ts.URL+"/v1/events/submission", `{"wiki":"elwikivoyage","page":"Αθήνα","revision":99,`+
		`"timestamp":"2026-01-02T05:00:00Z","acceptedTargets":["Πειραιάς"],"rejectedTargets":["Σπάρτη"]}`)
	if status != 200 || m["stored"] != 2.0 {
		t.Fatalf("submission: %d %v", status, m)
	}
	// GrowthExperiments refuses a second submission for a revision: here its events are duplicates.
	status, m = post(t, ts.URL+"/v1/events/submission", `{"wiki":"elwikivoyage","page":"Αθήνα","revision":99,`+
		`"timestamp":"2026-01-02T05:01:00Z","rejectedTargets":["Σπάρτη"]}`)
	if status != 200 || m["stored"] != 0.0 || m["duplicates"] != 1.0 {
		t.Fatalf("second submission: %d %v", status, m)
	}
	if got := lg.Rejections("elwikivoyage", "Αθήνα", "Σπάρτη"); got != 1 {
		t.Errorf("rejections %d, want 1", got)
	}
	if got := strings.Join(logIDs(t, dir), " "); got != "a b c ge:elwikivoyage:99:Πειραιάς ge:elwikivoyage:99:Σπάρτη" {
		t.Errorf("log holds %s", got)
	}
	if got := testutil.ToFloat64(collector.stored); got != 5 {
		t.Errorf("addlink_events_stored_total %g, want 5", got)
	}
	if got := testutil.ToFloat64(collector.refused); got != 1 {
		t.Errorf("addlink_event_batches_refused_total %g, want 1", got)
	}
}

// Concurrent clients posting overlapping batches: every event stored exactly once,
// and a reopened log still drops the ids it holds.
func TestCollectorConcurrentExactlyOnce(t *testing.T) {
	dir := t.TempDir()
	_, ts := newCollector(t, dir)
	const clients, batches, per = 6, 20, 25
	var wg sync.WaitGroup
	for c := 0; c < clients; c++ {
		wg.Add(1)
		go func(c int) {
			defer wg.Done()
			for b := 0; b < batches; b++ {
				var ids []string
				for i := 0; i < per; i++ {
					// Clients c and c^1 post the same ids.
					ids = append(ids, fmt.Sprintf("e-%d-%d-%d", c/2, b, i))
				}
				if status, m := post(t, ts.URL+"/v1/events", batch(ids...)); status != 200 {
					t.Errorf("%d %v", status, m)
				}
			}
		}(c)
	}
	wg.Wait()
	ids := logIDs(t, dir)
	seen := map[string]int{}
	for _, id := range ids {
		seen[id]++
	}
	if want := clients / 2 * batches * per; len(seen) != want || len(ids) != want {
		t.Fatalf("%d events, %d distinct, want %d once each", len(ids), len(seen), want)
	}
}

func TestLogCutsUnfinishedLine(t *testing.T) {
	dir := t.TempDir()
	lg, err := OpenLog(context.Background(), dir)
	if err != nil {
		t.Fatal(err)
	}
	events, _ := ValidateBatch([]byte(batch("a", "b")))
	if _, _, err := lg.Append(context.Background(), events); err != nil {
		t.Fatal(err)
	}
	size := lg.Size()
	if err := lg.Close(); err != nil {
		t.Fatal(err)
	}
	// A crash in the middle of a batch's write leaves part of a line.
	f, _ := os.OpenFile(filepath.Join(dir, LogName), os.O_WRONLY|os.O_APPEND, 0)
	f.WriteString(`{"id":"c","type":"imp`)
	f.Close()
	lg, err = OpenLog(context.Background(), dir)
	if err != nil {
		t.Fatal(err)
	}
	defer lg.Close()
	if lg.Size() != size {
		t.Errorf("size %d after reopening, want %d", lg.Size(), size)
	}
	events, _ = ValidateBatch([]byte(batch("b", "c")))
	if s, d, err := lg.Append(context.Background(), events); err != nil || s != 1 || d != 1 {
		t.Errorf("append after reopening: %d stored, %d duplicates, %v", s, d, err)
	}
	if got := strings.Join(logIDs(t, dir), " "); got != "a b c" {
		t.Errorf("log holds %s", got)
	}
	// A second writer is refused while the first holds the directory.
	if _, err := OpenLog(context.Background(), dir); err == nil {
		t.Error("a second writer opened the log")
	}
}

// Any body posted to the collector is either stored whole (200) or refused (4xx) with
// the log unchanged.
func FuzzCollector(f *testing.F) {
	f.Add([]byte(batch("a", "b")))
	f.Add([]byte(`{"events":[` + impressionJSON("x") + `,{"id":"y"}]}`))
	f.Add([]byte(`{"wiki":"enwiki","page":"Cat","revision":42,"timestamp":"2026-03-01T10:00:00Z","acceptedTargets":["Dog"]}`))
	dir := f.TempDir()
	lg, ts := newCollector(f, dir)
	f.Fuzz(func(t *testing.T, body []byte) {
		for _, path := range []string{"/v1/events", "/v1/events/submission"} {
			before := lg.Size()
			resp, err := http.Post(ts.URL+path, "application/json", bytes.NewReader(body))
			if err != nil {
				t.Fatal(err)
			}
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			switch {
			case resp.StatusCode == 200:
			case resp.StatusCode >= 400 && resp.StatusCode < 500:
				if lg.Size() != before {
					t.Fatalf("%s answered %d and the log grew", path, resp.StatusCode)
				}
			default:
				t.Fatalf("%s answered %d", path, resp.StatusCode)
			}
		}
	})
}

func BenchmarkValidateBatch(b *testing.B) {
	body := []byte(batch("a", "b", "c", "d", "e", "f", "g", "h", "i", "j"))
	b.ReportAllocs()
	b.SetBytes(int64(len(body)))
	for i := 0; i < b.N; i++ {
		if _, err := ValidateBatch(body); err != nil {
			b.Fatal(err)
		}
	}
}
