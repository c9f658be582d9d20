package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/addlink/addlink/follow"
	"github.com/addlink/addlink/internal/dump"
	"github.com/addlink/addlink/internal/fakewiki"
	"github.com/addlink/addlink/internal/testfixtures"
)

// followWorld is a fake Wikimedia (an event stream and an api.php) serving edits of
// elwikivoyage's articles from the fixture dump, and a data directory with the
// reference's elwikivoyage model.
type followWorld struct {
	events [][]byte
	revs   map[int64]fakewiki.Revision
	api    *fakewiki.API
	apiURL string
	data   string
}

var (
	elArticlesOnce sync.Once
	elArticles     []fakewiki.Page
	elArticlesErr  error
)

func elFixturePages(t *testing.T, n int) []fakewiki.Page {
	t.Helper()
	path := testfixtures.Path(t, "dumps/elwikivoyage/elwikivoyage-pages-articles.xml.bz2")
	elArticlesOnce.Do(func() {
		r, err := dump.Open(context.Background(), []string{path}, dump.Options{})
		if err != nil {
			elArticlesErr = err
			return
		}
		defer r.Close()
		for len(elArticles) < 200 {
			p, err := r.Next()
			if err == io.EOF {
				break
			}
			if err != nil {
				elArticlesErr = err
				return
			}
			if p.NS == 0 && !p.IsRedirect() {
				elArticles = append(elArticles, fakewiki.Page{ID: p.ID, Title: p.Title, Text: p.Text})
			}
		}
	})
	if elArticlesErr != nil {
		t.Fatal(elArticlesErr)
	}
	if len(elArticles) < n {
		t.Fatalf("the fixture dump has %d articles, want %d", len(elArticles), n)
	}
	return elArticles[:n]
}

func newFollowWorld(t *testing.T, events int) *followWorld {
	w := &followWorld{data: elData(t)}
	w.events, w.revs = fakewiki.Scenario("elwikivoyage", elFixturePages(t, 40), events,
		time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC))
	w.api = fakewiki.NewAPI(w.revs)
	srv := httptest.NewServer(w.api)
	t.Cleanup(srv.Close)
	w.apiURL = srv.URL + "/w/"
	return w
}

// stream starts a stream server of the world's events.
func (w *followWorld) stream(t *testing.T, configure func(*fakewiki.Stream)) (*fakewiki.Stream, string) {
	s := fakewiki.NewStream(w.events)
	if configure != nil {
		configure(s)
	}
	srv := httptest.NewServer(s)
	t.Cleanup(srv.Close)
	return s, srv.URL + "/v2/stream/recentchange"
}

// start starts `addlink follow` into the SQLite pool and returns the running command,
// a channel closed once it logged that it is following and one that receives its exit
// status.
func (w *followWorld) start(t *testing.T, pool string, stderr io.Writer, args ...string) (*exec.Cmd, <-chan struct{}, <-chan error) {
	t.Helper()
	base := []string{"follow", "--wikis", "elwikivoyage", "--backend", "sqlite", "--data-dir", w.data,
		"--pool", "sqlite:" + pool, "--listen", "", "--retry-min", "10ms", "--retry-max", "200ms",
		"--idle-timeout", "5s", "--rate-per-wiki", "-1", "--shutdown-grace", "5s"}
	cmd := exec.Command(addlinkBinary(t), append(base, args...)...)
	cmd.Env = append(os.Environ(), "MEDIAWIKI_API_BASE_URL="+w.apiURL)
	pr, pw := io.Pipe()
	cmd.Stderr = pw
	following := make(chan struct{})
	go func() {
		sc := bufio.NewScanner(pr)
		sc.Buffer(nil, 1<<20)
		once := sync.Once{}
		for sc.Scan() {
			if stderr != nil {
				stderr.Write(append(sc.Bytes(), '\n'))
			}
			if bytes.Contains(sc.Bytes(), []byte(`"msg":"following"`)) {
				once.Do(func() { close(following) })
			}
		}
		io.Copy(io.Discard, pr)
	}()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); pw.Close() })
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait(); pw.Close() }()
	return cmd, following, exited
}

// run runs `addlink follow` to its end and fails the test unless it exits 0.
func (w *followWorld) run(t *testing.T, pool string, args ...string) string {
	t.Helper()
	base := []string{"follow", "--wikis", "elwikivoyage", "--backend", "sqlite", "--data-dir", w.data,
		"--pool", "sqlite:" + pool, "--listen", "", "--retry-min", "10ms", "--retry-max", "200ms",
		"--idle-timeout", "5s", "--rate-per-wiki", "-1"}
	cmd := exec.Command(addlinkBinary(t), append(base, args...)...)
	cmd.Env = append(os.Environ(), "MEDIAWIKI_API_BASE_URL="+w.apiURL)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("addlink follow %s: %v\n%s", strings.Join(args, " "), err, tail(stderr.String(), 3000))
	}
	return stdout.String() + stderr.String()
}

// lastLine returns the last line of s that starts with prefix.
func lastLine(s, prefix string) string {
	found := ""
	for _, l := range strings.Split(s, "\n") {
		if strings.HasPrefix(l, prefix) {
			found = l
		}
	}
	return found
}

func tail(s string, n int) string {
	if len(s) > n {
		return "..." + s[len(s)-n:]
	}
	return s
}

// dumpPool returns the pool's rows, failing when it has none.
func dumpPool(t *testing.T, path string) string {
	t.Helper()
	ctx := context.Background()
	p, err := follow.OpenPool(ctx, follow.PoolOptions{SQLitePath: path}, []string{"elwikivoyage"})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	var b strings.Builder
	if err := p.Dump(ctx, &b, []string{"elwikivoyage"}); err != nil {
		t.Fatal(err)
	}
	if b.Len() == 0 {
		t.Fatalf("%s: the pool is empty", path)
	}
	return b.String()
}

func poolPosition(t *testing.T, path, stream string) (string, int64) {
	t.Helper()
	ctx := context.Background()
	p, err := follow.OpenPool(ctx, follow.PoolOptions{SQLitePath: path}, []string{"elwikivoyage"})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	id, n, err := p.Position(ctx, stream)
	if err != nil {
		t.Fatal(err)
	}
	return id, n
}

// checkPoolContent checks what the scenario's rules imply of an uninterrupted pool:
// rows hold the service's JSON for their revision, some pages have no link (NULL), and
// no page is stored at a revision the scenario deleted or made older.
func checkPoolContent(t *testing.T, dumped string) {
	t.Helper()
	rows, nulls := 0, 0
	for _, line := range strings.Split(strings.TrimSpace(dumped), "\n") {
		f := strings.SplitN(line, "\t", 7)
		if len(f) != 7 {
			t.Fatalf("bad dump line %q", line)
		}
		rows++
		if f[6] == "NULL" {
			nulls++
			continue
		}
		var ans struct {
			Links      []json.RawMessage `json:"links"`
			LinksCount int               `json:"links_count"`
			Meta       struct {
				FormatVersion int `json:"format_version"`
			} `json:"meta"`
			PageID int64 `json:"pageid"`
			RevID  int64 `json:"revid"`
		}
		if err := json.Unmarshal([]byte(f[6]), &ans); err != nil {
			t.Fatalf("gelr_data is not the service's JSON: %v\n%s", err, f[6])
		}
		if fmt.Sprint(ans.PageID) != f[1] || fmt.Sprint(ans.RevID) != f[2] || ans.LinksCount == 0 ||
			ans.LinksCount > 10 || fmt.Sprint(ans.LinksCount) != f[5] || ans.Meta.FormatVersion != 1 {
			t.Errorf("row %s: answer for page %d rev %d with %d links", line[:min(len(line), 120)], ans.PageID, ans.RevID, ans.LinksCount)
		}
		if strings.HasPrefix(f[2], "5") && len(f[2]) == 5 {
			t.Errorf("row at an older revision than one seen: %s", line[:80])
		}
	}
	if rows < 10 || nulls == rows {
		t.Errorf("%d rows, %d without links: the scenario should store more", rows, nulls)
	}
}

// The same events give the same pool whether they come live from the stream (dropping
// the connection in the middle of events, refusing with 429 first), from the
// recording the live run made, or from a JSON-lines file.
func TestFollowReplayEqualsLive(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	const n = 300
	w := newFollowWorld(t, n)
	dir := t.TempDir()

	_, url := w.stream(t, nil)
	live, rec := filepath.Join(dir, "live.sqlite"), filepath.Join(dir, "recorded.sse")
	out := w.run(t, live, "--stream", url, "--max-events", fmt.Sprint(n), "--record", rec)
	if !strings.Contains(out, fmt.Sprintf("events: %d read, %d stored", n, n)) {
		t.Errorf("live run summary:\n%s", tail(out, 2000))
	}
	want := dumpPool(t, live)
	checkPoolContent(t, want)
	t.Logf("live run: %s; %d rows", lastLine(out, "events:"), strings.Count(want, "\n"))

	replayed := filepath.Join(dir, "replayed.sqlite")
	w.run(t, replayed, "--replay", rec)
	if got := dumpPool(t, replayed); got != want {
		t.Errorf("replay of the recording differs from the live run:\n%s", diffLines(want, got))
	}

	jsonl := filepath.Join(dir, "events.jsonl")
	if err := os.WriteFile(jsonl, append(bytes.Join(w.events, []byte("\n")), '\n'), 0o644); err != nil {
		t.Fatal(err)
	}
	fromJSONL := filepath.Join(dir, "jsonl.sqlite")
	w.run(t, fromJSONL, "--replay", jsonl)
	if got := dumpPool(t, fromJSONL); got != want {
		t.Errorf("replay of the JSON lines differs from the live run:\n%s", diffLines(want, got))
	}
	if id, k := poolPosition(t, fromJSONL, "replay"); id != fmt.Sprint(n) || k != n {
		t.Errorf("replay position %q after %d events, want %d", id, k, n)
	}

	// A server that refuses the first connection and drops every one in the middle
	// of its 23rd event.
	s, url := w.stream(t, func(s *fakewiki.Stream) { s.Refuse429, s.DropEvery = 1, 23 })
	flaky := filepath.Join(dir, "flaky.sqlite")
	w.run(t, flaky, "--stream", url, "--max-events", fmt.Sprint(n), "--contact", "follow-test@example.org")
	if got := dumpPool(t, flaky); got != want {
		t.Errorf("live run over a dropping server differs:\n%s", diffLines(want, got))
	}
	if id, _ := poolPosition(t, flaky, url); id != fakewiki.ID(n-1) {
		t.Errorf("position %s, want %s", id, fakewiki.ID(n-1))
	}
	if s.Connections < n/23+2 {
		t.Errorf("%d connections, want at least %d (one refused, one per drop)", s.Connections, n/23+2)
	}
	for i, ua := range s.UserAgents {
		if !strings.HasPrefix(ua, "addlink-follow/") || !strings.Contains(ua, "follow-test@example.org") {
			t.Errorf("connection %d: User-Agent %q", i, ua)
		}
	}
	for i, id := range s.LastEventIDs[2:] {
		if id == "" {
			t.Errorf("reconnection %d sent no Last-Event-ID", i+2)
		}
	}
	if !strings.Contains(w.api.UserAgent, "follow-test@example.org") {
		t.Errorf("MediaWiki User-Agent %q", w.api.UserAgent)
	}
}

// 20 runs killed with SIGKILL at random moments, then one run to the end, give the
// pool of an uninterrupted run: nothing lost, nothing written twice.
func TestFollowKilledAndResumed(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	const n = 400
	w := newFollowWorld(t, n)
	dir := t.TempDir()
	_, url := w.stream(t, nil)
	whole := filepath.Join(dir, "whole.sqlite")
	w.run(t, whole, "--stream", url, "--max-events", fmt.Sprint(n))
	want := dumpPool(t, whole)

	// The stream paced at 100 events a second, so that kills land in its middle.
	_, url = w.stream(t, func(s *fakewiki.Stream) { s.Rate = 100; s.Hold = true })
	pool := filepath.Join(dir, "killed.sqlite")
	rng := rand.New(rand.NewPCG(31, 31))
	var positions []int64
	for i := 0; i < 20; i++ {
		cmd, following, exited := w.start(t, pool, nil, "--stream", url)
		select {
		case <-following:
		case <-time.After(60 * time.Second):
			t.Fatal("follow did not start")
		}
		time.Sleep(time.Duration(rng.IntN(300)) * time.Millisecond)
		if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
			t.Fatal(err)
		}
		<-exited
		_, k := poolPosition(t, pool, url)
		positions = append(positions, k)
	}
	if last := positions[len(positions)-1]; last == 0 || last >= n {
		t.Fatalf("after 20 kills %d of %d events are stored: the kills did not land in the stream (%v)", last, n, positions)
	}
	var log bytes.Buffer
	cmd, _, exited := w.start(t, pool, &log, "--stream", url)
	deadline := time.Now().Add(2 * time.Minute)
	for {
		if id, _ := poolPosition(t, pool, url); id == fakewiki.ID(n-1) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the resumed run did not reach the end:\n%s", tail(log.String(), 3000))
		}
		time.Sleep(50 * time.Millisecond)
	}
	cmd.Process.Signal(syscall.SIGTERM)
	if err := <-exited; err != nil {
		t.Errorf("after SIGTERM: %v, want exit status 0\n%s", err, tail(log.String(), 2000))
	}
	if got := dumpPool(t, pool); got != want {
		t.Errorf("killed and resumed pool differs from the uninterrupted one (events stored after each kill: %v):\n%s", positions, diffLines(want, got))
	}
	if _, k := poolPosition(t, pool, url); k != n {
		t.Errorf("the position counts %d events, want %d (each stored once)", k, n)
	}
	t.Logf("events stored after each kill: %v", positions)
}

func diffLines(want, got string) string {
	w, g := strings.Split(want, "\n"), strings.Split(got, "\n")
	var b strings.Builder
	fmt.Fprintf(&b, "want %d lines, got %d\n", len(w), len(g))
	for i := 0; i < max(len(w), len(g)) && b.Len() < 3000; i++ {
		var a, c string
		if i < len(w) {
			a = w[i]
		}
		if i < len(g) {
			c = g[i]
		}
		if a != c {
			fmt.Fprintf(&b, "line %d:\n  want %.200s\n  got  %.200s\n", i, a, c)
		}
	}
	return b.String()
}

// The pool follow writes is what serve answers: serve --pool lists its pages with links
// (GET .../tasks/...), and each row's gelr_data is, byte for byte, serve's answer to
// GrowthExperiments' POST of that revision's wikitext with threshold 0.6 and at most 10
// links.
func TestServeReadsFollowPool(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	w := newFollowWorld(t, 120)
	dir := t.TempDir()
	jsonl := filepath.Join(dir, "events.jsonl")
	if err := os.WriteFile(jsonl, append(bytes.Join(w.events, []byte("\n")), '\n'), 0o644); err != nil {
		t.Fatal(err)
	}
	pool := filepath.Join(dir, "pool.sqlite")
	w.run(t, pool, "--replay", jsonl)
	p, err := follow.OpenPool(context.Background(), follow.PoolOptions{SQLitePath: pool}, []string{"elwikivoyage"})
	if err != nil {
		t.Fatal(err)
	}
	rows, err := p.Rows(context.Background(), "elwikivoyage")
	p.Close()
	if err != nil {
		t.Fatal(err)
	}

	cmd := exec.Command(addlinkBinary(t), "serve", "--listen", "127.0.0.1:0", "--backend", "sqlite", "--data-dir", w.data,
		"--pool", "sqlite:"+pool)
	cmd.Env = append(os.Environ(), "MEDIAWIKI_API_BASE_URL="+w.apiURL)
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Process.Kill()
	addr := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			var m struct{ Msg, Addr string }
			if json.Unmarshal(sc.Bytes(), &m) == nil && m.Msg == "listening" {
				addr <- m.Addr
			}
		}
	}()
	var base string
	select {
	case a := <-addr:
		base = "http://" + a
	case <-time.After(30 * time.Second):
		t.Fatal("serve did not start")
	}
	get := func(url string) []byte {
		resp, err := http.Get(url)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != 200 {
			t.Fatalf("GET %s: %d %s", url, resp.StatusCode, b)
		}
		return b
	}
	var tasks struct {
		Tasks []struct {
			LinksCount int   `json:"links_count"`
			PageID     int64 `json:"pageid"`
			RevID      int64 `json:"revid"`
		} `json:"tasks"`
	}
	if err := json.Unmarshal(get(base+"/v1/linkrecommendations/tasks/wikivoyage/el?limit=500"), &tasks); err != nil {
		t.Fatal(err)
	}
	withLinks := 0
	for _, r := range rows {
		if r.Links > 0 {
			withLinks++
		}
	}
	if len(tasks.Tasks) != withLinks || withLinks == 0 {
		t.Fatalf("%d tasks, %d rows with links", len(tasks.Tasks), withLinks)
	}
	for i := 1; i < len(tasks.Tasks); i++ {
		if tasks.Tasks[i].LinksCount > tasks.Tasks[i-1].LinksCount {
			t.Errorf("tasks not best first: %+v", tasks.Tasks)
		}
	}
	checked := 0
	for _, r := range rows {
		rev := w.revs[r.Revision]
		body, _ := json.Marshal(map[string]any{"wikitext": rev.Text, "revid": r.Revision, "pageid": r.PageID})
		resp, err := http.Post(base+"/v1/linkrecommendations/wikivoyage/el/"+strings.ReplaceAll(r.Title, " ", "_")+
			"?threshold=0.6&max_recommendations=10", "application/json", bytes.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		answer, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		want := strings.TrimSuffix(string(answer), "\n")
		if r.Data == nil {
			if !strings.Contains(want, `"links":[]`) {
				t.Errorf("%s: NULL in the pool, serve answers %s", r.Title, want)
			}
		} else if string(r.Data) != want {
			t.Errorf("%s: pool\n%s\nserve\n%s", r.Title, r.Data, want)
		}
		checked++
	}
	if checked == 0 {
		t.Fatal("no row checked")
	}

	// A GET of a pooled revision with the pool's settings is answered from the pool,
	// without asking MediaWiki; with other settings it is computed.
	fromPool := 0
	for _, r := range rows {
		if r.Data == nil {
			continue
		}
		path := base + "/v1/linkrecommendations/wikivoyage/el/" + strings.ReplaceAll(r.Title, " ", "_") + fmt.Sprintf("?revision=%d", r.Revision)
		before := w.api.RequestCount()
		if got := string(get(path + "&threshold=0.6&max_recommendations=10")); got != string(r.Data)+"\n" {
			t.Errorf("%s: GET with the pool's settings\n%s\nwant the pool's\n%s", r.Title, got, r.Data)
		}
		if w.api.RequestCount() != before {
			t.Errorf("%s: the GET of a pooled revision asked MediaWiki", r.Title)
		}
		get(path + "&threshold=0.5&max_recommendations=10")
		if w.api.RequestCount() != before+1 {
			t.Errorf("%s: a GET with another threshold did not compute", r.Title)
		}
		fromPool++
	}
	if fromPool == 0 {
		t.Fatal("no pooled row with links")
	}
}

// Bad command lines are usage errors (status 2) that name the problem, before any
// connection is made.
func TestFollowUsage(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	data := elData(t)
	dir := t.TempDir()
	local := []string{"MEDIAWIKI_API_BASE_URL=http://127.0.0.1:1/w/", "ADDLINK_CONTACT="}
	for _, tc := range []struct {
		name string
		env  []string
		args []string
		want string
	}{
		{"no wikis", local, []string{"follow", "--replay", "x"}, "--wikis is required"},
		{"Wikimedia without a contact", []string{"ADDLINK_CONTACT="}, []string{"follow", "--wikis", "elwikivoyage"}, "--contact"},
		{"Wikimedia's wikis without a contact", []string{"ADDLINK_CONTACT=", "MEDIAWIKI_API_BASE_URL="}, []string{"follow", "--wikis", "elwikivoyage", "--stream", "http://127.0.0.1:1/"}, "--contact"},
		{"bad wiki id", local, []string{"follow", "--wikis", "El-wiki", "--replay", "x"}, "--wikis"},
		{"bad pool", local, []string{"follow", "--wikis", "elwikivoyage", "--replay", "x", "--pool", "postgres:x"}, "--pool must be sqlite:PATH or mysql"},
		{"bad prefix", local, []string{"follow", "--wikis", "elwikivoyage", "--replay", "x", "--table-prefix", "Gelr-"}, "table prefix"},
		{"bad threshold", local, []string{"follow", "--wikis", "elwikivoyage", "--replay", "x", "--threshold", "1.5"}, "--threshold"},
		{"no model", local, []string{"follow", "--wikis", "cswiki", "--replay", "x", "--data-dir", data, "--listen", "", "--backend", "sqlite"}, "no model for cswiki"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, stderr, code := runAddlink(t, dir, tc.env, tc.args...)
			if code != 2 || !strings.Contains(stderr, tc.want) {
				t.Errorf("exit %d, stderr %q; want 2 and %q", code, stderr, tc.want)
			}
		})
	}
}
