package follow

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/addlink/addlink/internal/fakewiki"
)

func numbered(n int) [][]byte {
	var evs [][]byte
	for i := range n {
		evs = append(evs, fakewiki.RecentChange(fakewiki.Change{Wiki: "enwiki", Type: "edit", Title: fmt.Sprintf("P%d", i),
			Rev: int64(i + 1), Offset: i, Time: time.Unix(1700000000+int64(i), 0)}))
	}
	return evs
}

// offsetOf returns the meta.offset of an event.
func offsetOf(t *testing.T, ev Event) int {
	var m struct{ Meta struct{ Offset int } }
	if err := json.Unmarshal(ev.Data, &m); err != nil {
		t.Fatalf("event %q: %v", ev.Data, err)
	}
	return m.Meta.Offset
}

func testStream(url string) *Stream {
	return NewStream(StreamOptions{URL: url, UserAgent: "addlink-follow/test (test@example.org)",
		MinBackoff: 5 * time.Millisecond, MaxBackoff: 50 * time.Millisecond, IdleTimeout: 2 * time.Second})
}

// A server that ends every connection in the middle of an event: the client
// reconnects with the last whole event's id and gets every event once, in order.
func TestStreamDropMidEventLosesNothing(t *testing.T) {
	const n = 60
	fs := fakewiki.NewStream(numbered(n))
	fs.DropEvery = 7
	srv := httptest.NewServer(fs)
	defer srv.Close()
	s := testStream(srv.URL)
	defer s.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	for i := 0; i < n; i++ {
		ev, err := s.Next(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if got := offsetOf(t, ev); got != i {
			t.Fatalf("event %d has offset %d", i, got)
		}
		if ev.ID != fakewiki.ID(i) {
			t.Fatalf("event %d has id %s", i, ev.ID)
		}
	}
	if fs.Connections < n/7 {
		t.Errorf("%d connections for %d events dropped every 7", fs.Connections, n)
	}
	for i, id := range fs.LastEventIDs {
		if want := fakewiki.ID(i*7 - 1); i > 0 && id != want {
			t.Errorf("connection %d sent Last-Event-ID %q, want %q", i, id, want)
		}
		if fs.UserAgents[i] != "addlink-follow/test (test@example.org)" {
			t.Errorf("connection %d: User-Agent %q", i, fs.UserAgents[i])
		}
	}
}

// 429 with Retry-After is waited for and retried; an event over 64 KB comes through.
func TestStream429AndLargeEvent(t *testing.T) {
	evs := numbered(3)
	big := fakewiki.RecentChange(fakewiki.Change{Wiki: "enwiki", Type: "edit", Title: strings.Repeat("Ω", 100<<10), Rev: 9, Offset: 3})
	evs = append(evs, big)
	fs := fakewiki.NewStream(evs)
	fs.Refuse429 = 1
	srv := httptest.NewServer(fs)
	defer srv.Close()
	s := testStream(srv.URL)
	defer s.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	start := time.Now()
	for i := range 4 {
		ev, err := s.Next(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if i == 3 && (len(ev.Data) != len(big) || ev.Oversize) {
			t.Errorf("the %d-byte event arrived with %d bytes (oversize %v)", len(big), len(ev.Data), ev.Oversize)
		}
	}
	if d := time.Since(start); d < 900*time.Millisecond {
		t.Errorf("reconnected after %v, before the server's Retry-After of 1s", d)
	}
	if fs.Connections != 2 {
		t.Errorf("%d connections, want 2", fs.Connections)
	}
}

// A refusal a retry cannot mend (400, e.g. an invalid ?since=) ends Next.
func TestStreamFatalStatus(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Query().Get("since") != "yesterday-ish" {
			t.Errorf("since %q", r.URL.Query().Get("since"))
		}
		http.Error(w, `{"type":"invalid_timestamp"}`, http.StatusBadRequest)
	}))
	defer srv.Close()
	s := NewStream(StreamOptions{URL: srv.URL, Since: "yesterday-ish", MinBackoff: time.Millisecond})
	_, err := s.Next(context.Background())
	if !errors.Is(err, ErrFatalStatus) || !strings.Contains(err.Error(), "invalid_timestamp") {
		t.Errorf("error %v, want ErrFatalStatus naming the server's answer", err)
	}
}

// A connection that goes silent is dropped after the idle timeout and resumed.
func TestStreamIdleTimeout(t *testing.T) {
	evs := numbered(4)
	var conns atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		k := conns.Add(1)
		w.Header().Set("Content-Type", "text/event-stream")
		start := 0
		if r.Header.Get("Last-Event-ID") == fakewiki.ID(1) {
			start = 2
		}
		for off := start; off < start+2; off++ {
			fmt.Fprintf(w, "event: message\nid: %s\ndata: %s\n\n", fakewiki.ID(off), evs[off])
		}
		w.(http.Flusher).Flush()
		if k == 1 {
			<-r.Context().Done() // silent, connection open
		}
	}))
	defer srv.Close()
	s := NewStream(StreamOptions{URL: srv.URL, MinBackoff: time.Millisecond, IdleTimeout: 200 * time.Millisecond})
	defer s.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	for i := range 4 {
		ev, err := s.Next(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if offsetOf(t, ev) != i {
			t.Fatalf("event %d: offset %d", i, offsetOf(t, ev))
		}
	}
	if conns.Load() != 2 {
		t.Errorf("%d connections, want 2", conns.Load())
	}
}
