package follow

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/addlink/addlink/internal/fakewiki"
)

// mapFetcher serves revisions from a map, failing the first Fail calls (MediaWiki
// errors and time-outs are retried).
type mapFetcher struct {
	mu    sync.Mutex
	revs  map[int64]fakewiki.Revision
	Fail  int
	calls int
}

func (f *mapFetcher) Fetch(ctx context.Context, a Action) (Page, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls++
	if f.calls <= f.Fail {
		return Page{}, errors.New("MediaWiki API did not answer in time")
	}
	r, ok := f.revs[a.Rev]
	if !ok {
		return Page{}, fmt.Errorf("%w: revision %d", ErrGone, a.Rev)
	}
	return Page{PageID: r.PageID, RevID: a.Rev, Wikitext: r.Text}, nil
}

// lengthRecommender answers with the text's length; pages whose length is a multiple
// of 3 have no link. The real recommender is tested through the command
// (cmd/addlink's TestFollow*); this one keeps the pipeline's tests fast.
type lengthRecommender struct{}

func (lengthRecommender) Recommend(ctx context.Context, wiki, title string, pageID, revID int64, text string) ([]byte, int, error) {
	return []byte(fmt.Sprintf(`{"page_title":%q,"pageid":%d,"revid":%d,"length":%d}`, title, pageID, revID, len(text))), len(text) % 3, nil
}

// testEvents is a scenario with, appended, what a consumer must survive: a line that
// is not JSON, an event of an unknown schema, a valid 300 KB edit (over bufio.Scanner's
// 64 KB), an event over the size limit, an error event and a canary event.
func testEvents(t *testing.T) ([][]byte, map[int64]fakewiki.Revision) {
	var pages []fakewiki.Page
	for i := range 30 {
		pages = append(pages, fakewiki.Page{ID: int64(1000 + i), Title: fmt.Sprintf("Σελίδα %d", i), Text: strings.Repeat("λόγια ", 10+i)})
	}
	evs, revs := fakewiki.Scenario("elwikivoyage", pages, 200, time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC))
	n := len(evs)
	hugeTitle := "Huge " + strings.Repeat("x", 250)
	huge := fakewiki.RecentChange(fakewiki.Change{Wiki: "elwikivoyage", Type: "edit", Title: hugeTitle, Rev: 900001, Offset: n + 2,
		Time: time.Date(2026, 3, 2, 0, 0, 0, 0, time.UTC)})
	huge = bytes.Replace(huge, []byte(`"comment":""`), []byte(`"comment":"`+strings.Repeat("c", 300<<10)+`"`), 1)
	revs[900001] = fakewiki.Revision{PageID: 5000000000, Title: hugeTitle, Text: "a huge event's page"}
	over := fakewiki.RecentChange(fakewiki.Change{Wiki: "elwikivoyage", Type: "edit", Title: "Over", Rev: 900002, Offset: n + 3})
	over = bytes.Replace(over, []byte(`"comment":""`), []byte(`"comment":"`+strings.Repeat("o", 2<<20)+`"`), 1)
	revs[900002] = fakewiki.Revision{PageID: 5000000001, Title: "Over", Text: "never fetched"}
	canary := fakewiki.RecentChange(fakewiki.Change{Wiki: "elwikivoyage", Type: "edit", Title: "Canary", Rev: 900003, Canary: true, Offset: n + 4})
	revs[900003] = fakewiki.Revision{PageID: 5000000002, Title: "Canary", Text: "never fetched"}
	evs = append(evs, []byte(`this is not JSON`), []byte(`{"meta":{"domain":"x"},"something":"else"}`), huge, over, canary)
	return evs, revs
}

type runResult struct {
	sum   *Summary
	dump  string
	reg   *prometheus.Registry
	log   string
	fetch *mapFetcher
}

func runFollow(t *testing.T, o Options, revs map[int64]fakewiki.Revision, fail int) runResult {
	t.Helper()
	dir := t.TempDir()
	if o.Pool.SQLitePath == "" {
		o.Pool.SQLitePath = filepath.Join(dir, "pool.sqlite")
	}
	o.Wikis = []string{"elwikivoyage"}
	fetch := &mapFetcher{revs: revs, Fail: fail}
	o.Fetcher, o.Recommender = fetch, lengthRecommender{}
	o.Stream.MaxEventBytes = 1 << 20
	o.Stream.MinBackoff, o.Stream.MaxBackoff = 5*time.Millisecond, 50*time.Millisecond
	o.RetryMin, o.RetryMax = time.Millisecond, 10*time.Millisecond
	o.RatePerWiki = -1
	reg := prometheus.NewRegistry()
	o.Registry = reg
	var log bytes.Buffer
	o.Logger = slog.New(slog.NewJSONHandler(&syncWriter{w: &log}, nil))
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	sum, err := Run(ctx, o)
	if err != nil {
		t.Fatalf("Run: %v\n%s", err, log.String())
	}
	p, err := OpenPool(context.Background(), o.Pool, o.Wikis)
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	var b strings.Builder
	if err := p.Dump(context.Background(), &b, o.Wikis); err != nil {
		t.Fatal(err)
	}
	if b.Len() == 0 {
		t.Fatal("empty pool")
	}
	return runResult{sum: sum, dump: b.String(), reg: reg, log: log.String(), fetch: fetch}
}

type syncWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (s *syncWriter) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.w.Write(p)
}

// Live (from a server dropping connections mid-event) and replayed (JSON lines, and
// the live run's recording) runs over the same events, with malformed, huge, oversize
// and canary events among them and MediaWiki failing at first, give the same pool;
// each odd event is counted under its reason and skipped.
func TestRunLiveEqualsReplay(t *testing.T) {
	evs, revs := testEvents(t)
	fs := fakewiki.NewStream(evs)
	fs.DropEvery = 17
	srv := httptest.NewServer(fs)
	defer srv.Close()
	dir := t.TempDir()
	rec := filepath.Join(dir, "rec.sse")
	live := runFollow(t, Options{Stream: StreamOptions{URL: srv.URL}, MaxEvents: int64(len(evs)), Record: rec, Concurrency: 3, QueueSize: 8}, revs, 5)

	jsonl := filepath.Join(dir, "events.jsonl")
	if err := os.WriteFile(jsonl, bytes.Join(evs, []byte("\n")), 0o644); err != nil {
		t.Fatal(err)
	}
	replay := runFollow(t, Options{Replay: jsonl}, revs, 0)
	recorded := runFollow(t, Options{Replay: rec, Concurrency: 1}, revs, 0)
	if replay.dump != live.dump {
		t.Errorf("replay differs from live:\nlive:\n%.1500s\nreplay:\n%.1500s", live.dump, replay.dump)
	}
	if recorded.dump != live.dump {
		t.Errorf("replay of the recording differs from live")
	}
	for i, r := range []runResult{live, replay, recorded} {
		if r.sum.Events != int64(len(evs)) || r.sum.Committed != int64(len(evs)) {
			t.Errorf("%d events read, %d committed, want %d", r.sum.Events, r.sum.Committed, len(evs))
		}
		for reason, want := range map[string]float64{ReasonMalformed: 2, ReasonOversize: 1, ReasonCanary: 21} {
			if got := counterValue(t, r.reg, "addlink_follow_events_skipped_total", reason); got != want {
				t.Errorf("run %d: skipped %s: %v, want %v", i, reason, got, want)
			}
		}
	}
	if !strings.Contains(live.dump, "\t5000000000\t900001\t") {
		t.Errorf("the 300 KB event's page is not in the pool")
	}
	if strings.Contains(live.dump, "Over") || strings.Contains(live.dump, "Canary") {
		t.Errorf("an oversize or canary event's page is in the pool")
	}
	if live.fetch.calls <= replay.fetch.calls {
		t.Errorf("%d fetches live with 5 failures, %d replayed: failures were not retried", live.fetch.calls, replay.fetch.calls)
	}
	if !strings.Contains(live.log, `"reason":"malformed"`) || !strings.Contains(live.log, `"reason":"oversize"`) {
		t.Errorf("malformed and oversize events are not logged")
	}
	pages := strings.Count(live.log, `"msg":"page"`)
	kept := 0
	for _, o := range []string{Stored, Older, Removed, Absent, Gone} {
		kept += int(live.sum.Outcomes[o])
	}
	if pages != kept || kept == 0 {
		t.Errorf("%d page log lines for %d kept events", pages, kept)
	}
}

// counterValue returns the value of the counter name with a label of the given value.
func counterValue(t *testing.T, reg *prometheus.Registry, name, label string) float64 {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
		for _, m := range mf.Metric {
			for _, l := range m.Label {
				if l.GetValue() == label {
					return m.GetCounter().GetValue()
				}
			}
		}
	}
	return 0
}

// A replay stopped part way (MaxEvents) and run again resumes after its position and
// ends with the pool of one whole run.
func TestReplayResumes(t *testing.T) {
	evs, revs := testEvents(t)
	dir := t.TempDir()
	jsonl := filepath.Join(dir, "events.jsonl")
	if err := os.WriteFile(jsonl, bytes.Join(evs, []byte("\n")), 0o644); err != nil {
		t.Fatal(err)
	}
	whole := runFollow(t, Options{Replay: jsonl}, revs, 0)
	pool := PoolOptions{SQLitePath: filepath.Join(dir, "parts.sqlite")}
	var last runResult
	for range 4 {
		last = runFollow(t, Options{Replay: jsonl, MaxEvents: 61, Pool: pool}, revs, 0)
	}
	if last.dump != whole.dump {
		t.Errorf("a replay in parts differs from a whole one")
	}
	if last.sum.Position != fmt.Sprint(len(evs)) {
		t.Errorf("position %s, want %d", last.sum.Position, len(evs))
	}
}

// Cancelling the context (SIGTERM) stops reading, lets pages in progress finish and
// stores their position: Run returns nil, and what was read is committed.
func TestRunStopsGracefully(t *testing.T) {
	evs, revs := testEvents(t)
	fs := fakewiki.NewStream(evs)
	fs.Rate, fs.Hold = 200, true
	srv := httptest.NewServer(fs)
	defer srv.Close()
	dir := t.TempDir()
	fetch := &mapFetcher{revs: revs}
	ctx, cancel := context.WithCancel(context.Background())
	// Stop once some events have been sent, not after a fixed time: on a loaded machine
	// opening the pool alone can take longer than any fixed delay.
	go func() {
		for fs.Sent() < 20 && ctx.Err() == nil {
			time.Sleep(5 * time.Millisecond)
		}
		cancel()
	}()
	o := Options{Wikis: []string{"elwikivoyage"}, Stream: StreamOptions{URL: srv.URL, MaxEventBytes: 1 << 20},
		Pool: PoolOptions{SQLitePath: filepath.Join(dir, "p.sqlite")}, Fetcher: slowFetcher{fetch, 50 * time.Millisecond},
		Recommender: lengthRecommender{}, RatePerWiki: -1, Listen: "127.0.0.1:0"}
	sum, err := Run(ctx, o)
	if err != nil {
		t.Fatal(err)
	}
	if sum.Events == 0 || sum.Events >= int64(len(evs)) {
		t.Fatalf("%d events read before the stop: the test did not stop in the middle", sum.Events)
	}
	if sum.Committed != sum.Events {
		t.Errorf("%d events read, %d committed: pages in progress were not finished", sum.Events, sum.Committed)
	}
}

type slowFetcher struct {
	f Fetcher
	d time.Duration
}

func (s slowFetcher) Fetch(ctx context.Context, a Action) (Page, error) {
	select {
	case <-time.After(s.d):
	case <-ctx.Done():
		return Page{}, ctx.Err()
	}
	return s.f.Fetch(ctx, a)
}

func httpGet(url string) (string, error) {
	resp, err := http.Get(url)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return string(b), err
}

// blockingFetcher holds every fetch until release is closed.
type blockingFetcher struct {
	f       Fetcher
	release chan struct{}
}

func (b blockingFetcher) Fetch(ctx context.Context, a Action) (Page, error) {
	select {
	case <-b.release:
	case <-ctx.Done():
		return Page{}, ctx.Err()
	}
	return b.f.Fetch(ctx, a)
}

// While MediaWiki does not answer, the follower reads at most its queue (plus the
// events in the workers' hands) ahead of the last stored event: backpressure, not
// memory; once it answers, everything is stored.
func TestRunBackpressure(t *testing.T) {
	evs, revs := testEvents(t)
	fs := fakewiki.NewStream(evs)
	fs.Hold = true
	srv := httptest.NewServer(fs)
	defer srv.Close()
	release := make(chan struct{})
	reg := prometheus.NewRegistry()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	const queue, conc = 8, 2
	done := make(chan *Summary, 1)
	go func() {
		sum, err := Run(ctx, Options{Wikis: []string{"elwikivoyage"}, Stream: StreamOptions{URL: srv.URL, MaxEventBytes: 1 << 20},
			Pool: PoolOptions{SQLitePath: filepath.Join(t.TempDir(), "p.sqlite")}, Fetcher: blockingFetcher{&mapFetcher{revs: revs}, release},
			Recommender: lengthRecommender{}, RatePerWiki: -1, QueueSize: queue, Concurrency: conc, Registry: reg, MaxEvents: int64(len(evs))})
		if err != nil {
			t.Error(err)
		}
		done <- sum
	}()
	read := func() float64 {
		mfs, _ := reg.Gather()
		for _, mf := range mfs {
			if mf.GetName() == "addlink_follow_events_read_total" {
				return mf.Metric[0].GetCounter().GetValue()
			}
		}
		return 0
	}
	time.Sleep(500 * time.Millisecond)
	// queue events in the committer's channel, conc in the workers, one in the
	// committer's hand, one in the reader's; the stream has many more.
	t.Logf("%v events read while MediaWiki is stuck", read())
	if n := read(); n == 0 || n > queue+conc+2 {
		t.Errorf("%v events read while MediaWiki is stuck, want between 1 and %d", n, queue+conc+2)
	}
	close(release)
	select {
	case sum := <-done:
		if sum == nil || sum.Committed != int64(len(evs)) {
			t.Errorf("summary %+v, want %d events committed", sum, len(evs))
		}
	case <-time.After(30 * time.Second):
		t.Fatal("the follower did not finish once MediaWiki answered")
	}
}

// The per-wiki limiter spaces calls; a negative rate does not.
func TestLimiter(t *testing.T) {
	ctx := context.Background()
	l := newLimiter(100)
	start := time.Now()
	for range 6 {
		if err := l.wait(ctx); err != nil {
			t.Fatal(err)
		}
	}
	if d := time.Since(start); d < 45*time.Millisecond {
		t.Errorf("6 calls at 100/s in %v, want at least 50 ms", d)
	}
	if free := newLimiter(-1); free.every != 0 {
		t.Errorf("a negative rate spaces calls %v apart", free.every)
	}
}
