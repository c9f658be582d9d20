package service

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/addlink/addlink/checksum"
	"github.com/addlink/addlink/datasets"
	"github.com/addlink/addlink/internal/gbdt"
	"github.com/addlink/addlink/internal/linker"
)

// stumpModel is a v1 model (six inputs) of one stump per feature, so that its
// probability depends on every feature.
func stumpModel() *gbdt.Model {
	m := &gbdt.Model{NumFeature: 6, BaseScore: 0.5}
	for f, c := range []float32{2.5, 3, 2, 0.5, 0.1, 0.7} {
		m.Trees = append(m.Trees, gbdt.Tree{
			Left: []int32{1, -1, -1}, Right: []int32{2, -1, -1}, Parent: []int32{-1, 0, 0},
			SplitIndex: []int32{int32(f), 0, 0}, SplitCondition: []float32{c, -0.3 + 0.1*float32(f), 0.4 - 0.05*float32(f)},
			DefaultLeft: []bool{true, false, false}, BaseWeight: []float32{0, 0, 0},
			LossChange: []float32{1, 0, 0}, SumHessian: []float32{1, 1, 1}})
	}
	return m
}

// synthIndexWiki writes a synthetic wiki (Parquet datasets and a stump model) of about n
// anchors under dir and returns texts that mention them.
func synthIndexWiki(t testing.TB, dir, wiki string, n int) []string {
	t.Helper()
	l := datasets.Layout{DataDir: dir, Wiki: wiki}
	r := rand.New(rand.NewPCG(uint64(n), 3))
	word := func(i int) string { return fmt.Sprintf("w%d", i%(n+7)) }
	var anchors []datasets.Anchor
	var ids []datasets.PageID
	var reds []datasets.Redirect
	var vecs []datasets.Embedding
	for i := range n {
		title := fmt.Sprintf("Page %d", i)
		ids = append(ids, datasets.PageID{Title: title, PageID: int64(i + 1)})
		if i%3 == 0 {
			reds = append(reds, datasets.Redirect{From: fmt.Sprintf("Alias %d", i), To: title})
		}
		if i%2 == 0 {
			v := make([]float32, 10)
			for j := range v {
				v[j] = r.Float32() - 0.5
			}
			vecs = append(vecs, datasets.Embedding{Title: title, Vector: v})
		}
		a := word(i)
		if i%4 == 0 {
			a = word(i) + " " + word(i+1)
		}
		for c := range 1 + r.IntN(4) {
			anchors = append(anchors, datasets.Anchor{Anchor: a, Target: fmt.Sprintf("Page %d", (i+c*17)%n), N: int64(1 + r.IntN(30))})
		}
	}
	if err := os.MkdirAll(l.Dir(), 0o755); err != nil {
		t.Fatal(err)
	}
	for _, err := range []error{
		writeRows(l.Anchors(), anchors), writeRows(l.PageIDs(), ids), writeRows(l.Redirects(), reds), writeRows(l.Embeddings(), vecs),
	} {
		if err != nil {
			t.Fatal(err)
		}
	}
	b, err := stumpModel().MarshalJSON()
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(l.Model(), b, 0o644); err != nil {
		t.Fatal(err)
	}
	var texts []string
	for p := range 10 {
		var sb strings.Builder
		for j := range 120 {
			if j%40 == 39 {
				sb.WriteString(".\n\n== Part ==\n")
			}
			if j%25 == 0 {
				fmt.Fprintf(&sb, "[[Page %d]] ", r.IntN(n))
			}
			sb.WriteString(word(r.IntN(n)) + " ")
		}
		_ = p
		texts = append(texts, sb.String())
	}
	return texts
}

func writeRows[T any](path string, rows []T) error {
	_, err := datasets.WriteParquet(path, rows)
	return err
}

// post answers a POST of text for page of wiki (a Wikipedia), its status and body.
func post(t testing.TB, base, wiki, page, text string) answer {
	t.Helper()
	return do(t, "POST", base+recPath+"wikipedia/"+strings.TrimSuffix(wiki, "wiki")+"/"+url.PathEscape(page)+"?threshold=0.3",
		map[string]any{"wikitext": text, "revid": 1, "pageid": 2})
}

func indexBackend(t testing.TB, dir, indexDir string, format linker.Format) *FileBackend {
	t.Helper()
	b, err := NewFileBackend(dir, format)
	if err != nil {
		t.Fatal(err)
	}
	b.IndexDir = indexDir
	t.Cleanup(func() { b.Close() })
	return b
}

// TestIndexSyntheticWiki: a synthetic wiki served from its serving index (built into
// the cache, then mapped again by a new backend without being built again) answers
// byte for byte as served from memory. It needs no fixture.
func TestIndexSyntheticWiki(t *testing.T) {
	dir, cache := t.TempDir(), t.TempDir()
	texts := synthIndexWiki(t, dir, "xxwiki", 3000)
	_, mem := newTestServer(t, Options{Backend: indexBackend(t, dir, "", linker.Parquet)})
	_, idx := newTestServer(t, Options{Backend: indexBackend(t, dir, cache, linker.Parquet)})
	links := 0
	for i, text := range texts {
		want := post(t, mem.URL, "xxwiki", fmt.Sprintf("Page %d", i), text)
		got := post(t, idx.URL, "xxwiki", fmt.Sprintf("Page %d", i), text)
		if want.status != 200 || !bytes.Equal(got.body, want.body) {
			t.Fatalf("text %d: index %d %s\nmemory %d %s", i, got.status, got.body, want.status, want.body)
		}
		links += strings.Count(string(want.body), `"link_target"`)
	}
	if links == 0 {
		t.Fatal("no link recommended: the comparison compares nothing")
	}
	path := filepath.Join(cache, datasets.ServeIndexName("xxwiki"))
	st, err := os.Stat(path)
	if err != nil {
		t.Fatalf("no serving index in the cache: %v", err)
	}
	// A new backend maps the cached index: not built again.
	_, again := newTestServer(t, Options{Backend: indexBackend(t, dir, cache, linker.Parquet)})
	got := post(t, again.URL, "xxwiki", "Page 0", texts[0])
	if want := post(t, mem.URL, "xxwiki", "Page 0", texts[0]); !bytes.Equal(got.body, want.body) {
		t.Fatalf("from the cached index: %s\nwant %s", got.body, want.body)
	}
	if st2, _ := os.Stat(path); !st2.ModTime().Equal(st.ModTime()) {
		t.Error("the cached index was built again although its datasets did not change")
	}
	// Datasets changed: the index is built again.
	time.Sleep(10 * time.Millisecond)
	synthIndexWiki(t, dir, "xxwiki", 3001)
	_, changed := newTestServer(t, Options{Backend: indexBackend(t, dir, cache, linker.Parquet)})
	_, memChanged := newTestServer(t, Options{Backend: indexBackend(t, dir, "", linker.Parquet)})
	got = post(t, changed.URL, "xxwiki", "Page 0", texts[0])
	if want := post(t, memChanged.URL, "xxwiki", "Page 0", texts[0]); !bytes.Equal(got.body, want.body) {
		t.Fatalf("after the datasets changed: %s\nwant %s", got.body, want.body)
	}
	t.Logf("%d texts, %d links, the same", len(texts), links)
}

// TestIndexFixtureAnswers: the reference's elwikivoyage export served from a serving
// index answers its articles byte for byte as served from memory.
func TestIndexFixtureAnswers(t *testing.T) {
	dir := dataDir(t)
	_, mem := newTestServer(t, Options{Backend: indexBackend(t, dir, "", linker.SQLite)})
	b := indexBackend(t, dir, t.TempDir(), linker.SQLite)
	_, idx := newTestServer(t, Options{Backend: b})
	links := 0
	for _, p := range elPages(t, 120) {
		path := recPath + "wikivoyage/el/" + url.PathEscape(strings.ReplaceAll(p.Title, " ", "_"))
		body := map[string]any{"wikitext": p.Text, "revid": p.RevID, "pageid": p.ID}
		want := do(t, "POST", mem.URL+path, body)
		got := do(t, "POST", idx.URL+path, body)
		if want.status != 200 || !bytes.Equal(got.body, want.body) {
			t.Fatalf("%s: index %d %s\nmemory %d %s", p.Title, got.status, got.body, want.status, want.body)
		}
		links += strings.Count(string(want.body), `"link_target"`)
	}
	if links == 0 {
		t.Fatal("no link recommended: the comparison compares nothing")
	}
	w, err := b.Wiki(context.Background(), "elwikivoyage")
	if err != nil || w.Index == nil {
		t.Fatalf("elwikivoyage not served from an index: %v", err)
	}
	t.Logf("%d links, the same", links)
}

// TestIndexDamagedRebuilt: a truncated or altered cached index is found by its
// checksum and built again, and a wiki whose index cannot be built is refused with an
// error naming it, while another wiki is served all along.
func TestIndexDamagedRebuilt(t *testing.T) {
	dir, cache := t.TempDir(), t.TempDir()
	texts := synthIndexWiki(t, dir, "aawiki", 500)
	synthIndexWiki(t, dir, "bbwiki", 500)
	_, mem := newTestServer(t, Options{Backend: indexBackend(t, dir, "", linker.Parquet)})
	want := post(t, mem.URL, "aawiki", "Page 1", texts[0])
	_, ts := newTestServer(t, Options{Backend: indexBackend(t, dir, cache, linker.Parquet)})
	post(t, ts.URL, "aawiki", "Page 1", texts[0])
	path := filepath.Join(cache, datasets.ServeIndexName("aawiki"))
	good, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	flipped := bytes.Clone(good)
	flipped[len(flipped)/2] ^= 0x40
	for _, c := range []struct {
		name string
		data []byte
	}{{"truncated", good[:len(good)/3]}, {"flipped", flipped}} {
		if err := os.WriteFile(path, c.data, 0o644); err != nil {
			t.Fatal(err)
		}
		var logs logBuffer
		b := indexBackend(t, dir, cache, linker.Parquet)
		b.Log = jsonLogger(&logs)
		_, ts := newTestServer(t, Options{Backend: b})
		if a := post(t, ts.URL, "bbwiki", "Page 1", texts[0]); a.status != 200 {
			t.Fatalf("%s: the other wiki: %d %s", c.name, a.status, a.body)
		}
		got := post(t, ts.URL, "aawiki", "Page 1", texts[0])
		if got.status != 200 || !bytes.Equal(got.body, want.body) {
			t.Fatalf("%s: %d %s\nwant %s", c.name, got.status, got.body, want.body)
		}
		if err := datasets.VerifyServeIndex(path); err != nil {
			t.Fatalf("%s: not rebuilt: %v", c.name, err)
		}
		found := false
		for _, l := range logs.lines() {
			if l["msg"] == "serving index damaged, building it again" && l["wiki"] == "aawiki" {
				found = true
			}
		}
		if !found {
			t.Errorf("%s: the damage was not logged: %v", c.name, logs.lines())
		}
	}
	// Damaged, and its datasets gone: refused, with the index named; bbwiki served.
	if err := os.WriteFile(path, good[:100], 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Remove(datasets.Layout{DataDir: dir, Wiki: "aawiki"}.Anchors()); err != nil {
		t.Fatal(err)
	}
	b := indexBackend(t, dir, cache, linker.Parquet)
	_, err = b.Wiki(context.Background(), "aawiki")
	if err == nil || !strings.Contains(err.Error(), path) {
		t.Fatalf("a damaged index that cannot be built again: %v, want an error naming %s", err, path)
	}
	if _, err := b.Wiki(context.Background(), "bbwiki"); err != nil {
		t.Fatal(err)
	}
	// A damaged published index is not used: the cache serves.
	l := datasets.Layout{DataDir: dir, Wiki: "bbwiki"}
	if err := os.WriteFile(l.PublishedServeIndex(), []byte("not an index"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := checksum.WriteSidecar(l.PublishedServeIndex(), strings.Repeat("0", 64)); err != nil {
		t.Fatal(err)
	}
	w, err := indexBackend(t, dir, cache, linker.Parquet).Wiki(context.Background(), "bbwiki")
	if err != nil || w.Index == nil || w.Index.Path == l.PublishedServeIndex() {
		t.Fatalf("damaged published index: %v", err)
	}
}

// TestOpeningHoldsUpNoOtherWiki: while a large wiki's index is built, requests for
// another (open) wiki keep their latency (median within 20 times the median measured
// before, on the same machine in the same test), and the large wiki's own requests
// get 503 with Retry-After after the open wait.
func TestOpeningHoldsUpNoOtherWiki(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a large wiki")
	}
	dir := t.TempDir()
	texts := synthIndexWiki(t, dir, "smallwiki", 300)
	synthIndexWiki(t, dir, "largewiki", 150000)
	b := indexBackend(t, dir, t.TempDir(), linker.Parquet)
	_, ts := newTestServer(t, Options{Backend: b, MaxConcurrent: 1, MaxQueue: 1, QueueTimeout: time.Second})
	if a := post(t, ts.URL, "smallwiki", "Page 1", texts[0]); a.status != 200 {
		t.Fatalf("%d %s", a.status, a.body)
	}
	b.set.openWait = 50 * time.Millisecond
	measure := func(n int, while func() bool) []time.Duration {
		var ds []time.Duration
		for i := 0; i < n && while(); i++ {
			start := time.Now()
			if a := post(t, ts.URL, "smallwiki", "Page 1", texts[i%len(texts)]); a.status != 200 {
				t.Fatalf("smallwiki: %d %s", a.status, a.body)
			}
			ds = append(ds, time.Since(start))
		}
		return ds
	}
	base := measure(30, func() bool { return true })
	a := post(t, ts.URL, "largewiki", "Page 1", texts[0])
	if a.status != 503 || a.header.Get("Retry-After") == "" {
		t.Fatalf("largewiki while it opens: %d %q %s, want 503 with Retry-After", a.status, a.header.Get("Retry-After"), a.body)
	}
	opening := func() bool {
		b.set.mu.Lock()
		defer b.set.mu.Unlock()
		e := b.set.wikis["largewiki"]
		if e == nil {
			return false
		}
		select {
		case <-e.ready:
			return false
		default:
			return true
		}
	}
	during := measure(1000, opening)
	if len(during) < 10 {
		t.Fatalf("only %d requests measured while largewiki opened: make it larger", len(during))
	}
	med := func(ds []time.Duration) time.Duration {
		sort.Slice(ds, func(i, j int) bool { return ds[i] < ds[j] })
		return ds[len(ds)/2]
	}
	mb, md := med(base), med(during)
	t.Logf("smallwiki median latency: %v alone, %v while largewiki opened (%d requests)", mb, md, len(during))
	if md > 20*mb {
		t.Errorf("smallwiki's median latency went from %v to %v while largewiki opened", mb, md)
	}
}

// TestStartupOpensNoWiki: a service over 300 published wikis answers /healthz and
// /metrics without opening any of them (no index built, no dataset read); a wiki's
// first request opens it alone.
func TestStartupOpensNoWiki(t *testing.T) {
	dir, cache := t.TempDir(), t.TempDir()
	var texts []string
	for i := range 300 {
		texts = synthIndexWiki(t, dir, fmt.Sprintf("w%03dwiki", i), 20)
	}
	b := indexBackend(t, dir, cache, linker.Parquet)
	b.MemoryBudget = 1 << 40
	_, ts := newTestServer(t, Options{Backend: b})
	for _, p := range []string{"/healthz", "/metrics"} {
		if a := do(t, "GET", ts.URL+p, nil); a.status != 200 {
			t.Fatalf("%s: %d", p, a.status)
		}
	}
	if ents, _ := os.ReadDir(cache); len(ents) != 0 {
		t.Fatalf("start-up built %d files in the index cache", len(ents))
	}
	if n := len(b.set.snapshot()); n != 0 {
		t.Fatalf("%d wikis opened at start-up", n)
	}
	if a := post(t, ts.URL, "w007wiki", "Page 1", texts[0]); a.status != 200 {
		t.Fatalf("%d %s", a.status, a.body)
	}
	ents, _ := os.ReadDir(cache)
	var names []string
	for _, e := range ents {
		names = append(names, e.Name())
	}
	if want := []string{"verified", "w007wiki.serve.idx", "w007wiki.serve.idx.checksum", "w007wiki.serve.idx.source"}; fmt.Sprint(names) != fmt.Sprint(want) {
		t.Fatalf("after one request, the cache holds %v, want %v", names, want)
	}
}

// TestMemoryBudgetEvicts: with a budget below the process's size, opening a wiki
// evicts the least recently used one, the evicted wiki's next request maps its index
// again (not built again) and answers as before, and /metrics counts it.
func TestMemoryBudgetEvicts(t *testing.T) {
	dir, cache := t.TempDir(), t.TempDir()
	texts := synthIndexWiki(t, dir, "aawiki", 300)
	synthIndexWiki(t, dir, "bbwiki", 300)
	b := indexBackend(t, dir, cache, linker.Parquet)
	b.MemoryBudget = 1 // every open evicts the others
	_, ts := newTestServer(t, Options{Backend: b})
	first := post(t, ts.URL, "aawiki", "Page 1", texts[0])
	path := filepath.Join(cache, datasets.ServeIndexName("aawiki"))
	st, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	post(t, ts.URL, "bbwiki", "Page 1", texts[0])
	if _, ok := b.set.snapshot()["aawiki"]; ok {
		t.Fatal("aawiki not evicted")
	}
	again := post(t, ts.URL, "aawiki", "Page 1", texts[0])
	if first.status != 200 || !bytes.Equal(again.body, first.body) {
		t.Fatalf("after eviction: %d %s\nwant %s", again.status, again.body, first.body)
	}
	if st2, _ := os.Stat(path); !st2.ModTime().Equal(st.ModTime()) {
		t.Error("the index was built again after eviction")
	}
	m := string(do(t, "GET", ts.URL+"/metrics", nil).body)
	for _, want := range []string{`linkrecommendation_wiki_evictions_total{wiki="aawiki"} 1`,
		`linkrecommendation_wiki_mapped_bytes{wiki="aawiki"}`, `linkrecommendation_wiki_resident_bytes{wiki="aawiki"}`,
		`linkrecommendation_wiki_page_cache_bytes{wiki="aawiki"}`, `linkrecommendation_wiki_first_request_seconds{wiki="bbwiki"}`,
		`linkrecommendation_memory_budget_bytes 1`} {
		if !strings.Contains(m, want) {
			t.Errorf("/metrics has no %s", want)
		}
	}
}

// TestOpeningErrorAnswer: the 503 of a wiki still opening names it and says when to
// retry.
func TestOpeningErrorAnswer(t *testing.T) {
	e := openingError(&OpeningError{Wiki: "xxwiki", RetryAfter: 1500 * time.Millisecond})
	if e.Status != 503 || e.RetryAfter != 2 || !strings.Contains(e.Message, "xxwiki") {
		t.Fatalf("%+v", e)
	}
	var oe *OpeningError
	if !errors.As(e, &oe) {
		t.Fatal("the cause is lost")
	}
}

// TestIndexDirUnwritable: a cache directory that cannot be made is refused at start,
// with the flag named, not found out on a wiki's first request.
func TestIndexDirUnwritable(t *testing.T) {
	f := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(f, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	o := BackendOptions{Kind: BackendSQLite, DataDir: t.TempDir(), IndexDir: filepath.Join(f, "idx")}
	if err := o.Validate(); err == nil || !strings.Contains(err.Error(), "--index-dir") {
		t.Fatalf("Validate: %v", err)
	}
}

// TestMappedRSS: the resident bytes of a mapped index are found in /proc/self/smaps
// after look-ups, and are gone once DropResident ran.
func TestMappedRSS(t *testing.T) {
	if _, err := os.Stat("/proc/self/smaps"); err != nil {
		t.Skip("no /proc/self/smaps")
	}
	dir := t.TempDir()
	path := filepath.Join(dir, "x.serve.idx")
	rows := datasets.Rows{Anchors: []datasets.Anchor{{Anchor: "a", Target: "A", N: 1}}, PageIDs: []datasets.PageID{{Title: "A", PageID: 1}}}
	if _, err := linker.WriteServeIndexRows(path, &rows); err != nil {
		t.Fatal(err)
	}
	ix, err := datasets.OpenServeIndex(path)
	if err != nil {
		t.Fatal(err)
	}
	defer ix.Close()
	if _, ok := ix.LookupString(datasets.IndexPageIDs, "A"); !ok {
		t.Fatal("A not found")
	}
	real, _ := filepath.EvalSymlinks(path)
	if n := mappedRSS()[real]; n <= 0 {
		t.Fatalf("resident bytes of %s: %d after a look-up", real, n)
	}
	ix.DropResident()
	if n := mappedRSS()[real]; n != 0 {
		t.Fatalf("resident bytes of %s: %d after DropResident", real, n)
	}
}

// TestAdmissionEvictsBeforeMapping: the memory budget holds at admission, by
// accounting rather than timing: before a wiki's index is mapped (or built), the least
// recently used wikis are evicted until the open wikis' indexes, the openings in
// progress (a build's estimated heap) and the new index fit in the budget. The
// process's other memory is taken as 0 and the periodic check is stopped, so what is
// evicted depends only on the index sizes and the order of use.
func TestAdmissionEvictsBeforeMapping(t *testing.T) {
	dir, cache := t.TempDir(), t.TempDir()
	texts := synthIndexWiki(t, dir, "aawiki", 300)
	for _, w := range []string{"bbwiki", "ccwiki", "ddwiki"} {
		synthIndexWiki(t, dir, w, 300)
	}
	// A first backend builds the indexes, recording what each build was admitted for.
	b0 := indexBackend(t, dir, cache, linker.Parquet)
	b0.MemoryBudget = 1 << 40
	_, ts0 := newTestServer(t, Options{Backend: b0})
	b0.wikis().close()
	type call struct {
		wiki string
		n    int64
	}
	var calls []call
	orig := b0.cache.admit
	b0.cache.admit = func(w string, n int64) func() {
		calls = append(calls, call{w, n})
		return orig(w, n)
	}
	if a := post(t, ts0.URL, "aawiki", "Page 1", texts[0]); a.status != 200 {
		t.Fatalf("%d %s", a.status, a.body)
	}
	size := map[string]int64{}
	for _, w := range []string{"aawiki", "bbwiki", "ccwiki", "ddwiki"} {
		path := filepath.Join(cache, datasets.ServeIndexName(w))
		if w != "aawiki" {
			if a := post(t, ts0.URL, w, "Page 1", texts[0]); a.status != 200 {
				t.Fatalf("%s: %d %s", w, a.status, a.body)
			}
		}
		st, err := os.Stat(path)
		if err != nil {
			t.Fatal(err)
		}
		size[w] = st.Size()
	}
	build := filesBuildHeap(linker.DatasetFiles(datasets.Layout{DataDir: dir, Wiki: "aawiki"}, linker.Parquet))
	if want := []call{{"aawiki", build}, {"aawiki", size["aawiki"]}}; build <= 0 || fmt.Sprint(calls[:2]) != fmt.Sprint(want) {
		t.Fatalf("building and mapping aawiki admitted %v, want %v", calls, want)
	}

	// A second backend maps them, with a budget for two and a half indexes.
	s := size["aawiki"]
	for _, n := range size {
		s = max(s, n)
	}
	b := indexBackend(t, dir, cache, linker.Parquet)
	b.MemoryBudget = s*5/2 + 1
	_, ts := newTestServer(t, Options{Backend: b})
	set := b.wikis()
	set.close() // no periodic check: accounting only
	set.heap = func(map[string]openWiki) int64 { return 0 }
	set.resident = func() int64 { return 0 } // nor after each opening
	open := func() string {                  // the open wikis, sorted
		var ids []string
		for id := range set.snapshot() {
			ids = append(ids, id)
		}
		sort.Strings(ids)
		return strings.Join(ids, " ")
	}
	// What was open when each index was admitted, just before it was mapped.
	atAdmission := map[string]string{}
	origAdmit := b.cache.admit
	b.cache.admit = func(w string, n int64) func() {
		r := origAdmit(w, n)
		atAdmission[w] = open()
		return r
	}
	get := func(w string) {
		t.Helper()
		if a := post(t, ts.URL, w, "Page 1", texts[0]); a.status != 200 {
			t.Fatalf("%s: %d %s", w, a.status, a.body)
		}
	}
	get("aawiki")
	get("bbwiki") // two indexes fit
	if atAdmission["bbwiki"] != "aawiki" {
		t.Fatalf("admitting bbwiki found %q open, want aawiki", atAdmission["bbwiki"])
	}
	get("aawiki") // bbwiki is now the least recently used
	get("ccwiki") // a third does not fit: bbwiki goes before ccwiki is mapped
	if atAdmission["ccwiki"] != "aawiki" {
		t.Fatalf("admitting ccwiki found %q open, want aawiki (bbwiki, the least recently used, evicted)", atAdmission["ccwiki"])
	}
	if ev := set.evictions["bbwiki"]; ev != 1 || set.evictions["aawiki"] != 0 {
		t.Fatalf("evictions %v", set.evictions)
	}
	// A build in progress (its estimated heap, one index here) counts: admitting
	// ddwiki leaves room for it and ddwiki only, so both aawiki and ccwiki go.
	release := set.admit("zzwiki", s)
	get("ddwiki")
	if atAdmission["ddwiki"] != "" {
		t.Fatalf("admitting ddwiki beside a build found %q open, want none", atAdmission["ddwiki"])
	}
	release()
	if len(set.reserved) != 0 {
		t.Fatalf("reservations left: %v", set.reserved)
	}
	// Indexes larger than the budget count at their resident pages, not their size:
	// mapping one evicts no other wiki (it was evicted by ddwiki's admission above,
	// so it is mapped again), and another's opening does not evict it.
	set.budget = min(size["aawiki"], size["ddwiki"], size["bbwiki"]) / 2
	if c := set.mappingCost(size["aawiki"]); c != 0 {
		t.Fatalf("mapping an index larger than the budget costs %d, want 0", c)
	}
	get("aawiki")
	if atAdmission["aawiki"] != "ddwiki" || open() != "aawiki ddwiki" {
		t.Fatalf("admitting aawiki over the budget found %q open, now %q; want ddwiki, then aawiki ddwiki", atAdmission["aawiki"], open())
	}
	get("bbwiki")
	if atAdmission["bbwiki"] != "aawiki ddwiki" || open() != "aawiki bbwiki ddwiki" {
		t.Fatalf("admitting bbwiki beside indexes larger than the budget found %q open, now %q", atAdmission["bbwiki"], open())
	}
	// Above nine tenths of the budget, a request drops the resident pages of the
	// indexes larger than the budget, and evicts nothing while under the budget.
	// (The first backend maps aawiki's index too: its pages stay.)
	aa := smapsPath(filepath.Join(cache, datasets.ServeIndexName("aawiki")))
	get("aawiki")
	before := mappedRSS()[aa]
	set.resident = func() int64 { return set.budget }
	get("ddwiki")
	if after := mappedRSS()[aa]; after >= before || open() != "aawiki bbwiki ddwiki" {
		t.Fatalf("at the high-water mark: aawiki's index mappings keep %d resident bytes (%d before), open %q", after, before, open())
	}
}
