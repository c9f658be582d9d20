package service

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"net/http"
	"os"
	"path/filepath"
	"runtime/debug"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/addlink/addlink/atomicfile"
	"github.com/addlink/addlink/checksum"
	"github.com/addlink/addlink/datasets"
)

// DefaultOpenWait is how long a request waits for its wiki to be opened before it is
// answered 503 with Retry-After (serve --open-wait).
const DefaultOpenWait = 10 * time.Second

// OpeningError is the error of a request whose wiki is still being opened after the
// open wait: the service answers 503 with Retry-After. The opening goes on in the
// background; the wiki's next requests find it ready.
type OpeningError struct {
	Wiki       string
	RetryAfter time.Duration
}

func (e *OpeningError) Error() string {
	return "service: the datasets of " + e.Wiki + " are being opened"
}

// wikiSet holds the wikis a backend serves. Each is opened once, in the background,
// by the first request for it: requests for other wikis never wait for it, and its
// own requests wait at most openWait (then get an *OpeningError). With a memory budget,
// the least recently used wikis are evicted when the process's resident memory
// exceeds it, and opened again (a remap of their serving index) on their next
// request.
type wikiSet struct {
	open     func(id string) (*Wiki, error)
	openWait time.Duration
	budget   int64
	log      *slog.Logger

	mu    sync.Mutex
	wikis map[string]*wikiEntry
	// evictions and first-request latencies, by wiki
	evictions map[string]int64
	first     map[string]float64

	// reserved is the memory admitted for each opening in progress (the index to map,
	// the heap of a build), until the wiki is open; under mu.
	reserved map[string]int64
	// admitMu serialises admissions, so two openings cannot both count the same room.
	admitMu sync.Mutex
	// heap is the resident memory outside the open wikis' serving indexes
	// (heapBytes; tests replace it).
	heap func(open map[string]openWiki) int64
	// resident is the process's resident memory, which the periodic check compares
	// with the budget (residentBytes; tests replace it).
	resident func() int64

	evicted atomic.Int64
	// enforcing is set while a request enforces the budget (get).
	enforcing atomic.Bool
	stop      chan struct{}
	done      chan struct{}
}

type wikiEntry struct {
	ready   chan struct{} // closed when the opening ended
	wiki    *Wiki         // set before ready closes; replaced under wikiSet.mu by reloads
	err     error
	lastUse atomic.Int64 // unix nanoseconds
	// reloading is set while a reload runs (the mysql backend).
	reloading bool
}

func newWikiSet(open func(string) (*Wiki, error), openWait time.Duration, budget int64, log *slog.Logger) *wikiSet {
	if openWait <= 0 {
		openWait = DefaultOpenWait
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	s := &wikiSet{open: open, openWait: openWait, budget: budget, log: log, wikis: map[string]*wikiEntry{},
		evictions: map[string]int64{}, first: map[string]float64{}, reserved: map[string]int64{}, heap: heapBytes, resident: residentBytes,
		stop: make(chan struct{}), done: make(chan struct{})}
	if budget > 0 {
		go s.watch()
	} else {
		close(s.done)
	}
	return s
}

// get returns the wiki id, opening it in the background when it is not open; check,
// when not nil, runs before an opening starts (a wiki without a model).
func (s *wikiSet) get(ctx context.Context, id string, check func() error) (*Wiki, error) {
	s.mu.Lock()
	e := s.wikis[id]
	if e == nil {
		if check != nil {
			if err := check(); err != nil {
				s.mu.Unlock()
				return nil, err
			}
		}
		e = &wikiEntry{ready: make(chan struct{})}
		e.lastUse.Store(time.Now().UnixNano())
		s.wikis[id] = e
		go s.opening(id, e)
	}
	s.mu.Unlock()
	select {
	case <-e.ready:
	default:
		t := time.NewTimer(s.openWait)
		defer t.Stop()
		select {
		case <-e.ready:
		case <-t.C:
			return nil, &OpeningError{Wiki: id, RetryAfter: s.openWait}
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	e.lastUse.Store(time.Now().UnixNano())
	// Requests touch pages of the indexes faster than the periodic check sees with an
	// index larger than the budget (megabytes each): each request checks too (one read
	// of /proc/self/statm), one at a time.
	if s.budget > 0 && s.resident() > s.highWater() && s.enforcing.CompareAndSwap(false, true) {
		s.enforce("")
		s.enforcing.Store(false)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return e.wiki, e.err
}

func (s *wikiSet) opening(id string, e *wikiEntry) {
	start := time.Now()
	w, err := s.open(id)
	if err == nil {
		s.enforce(id) // before its requests go on: the others make room
	}
	s.mu.Lock()
	e.wiki, e.err = w, err
	if err != nil && s.wikis[id] == e {
		delete(s.wikis, id) // tried again on the next request
	}
	if err == nil {
		s.first[id] = time.Since(start).Seconds()
	}
	close(e.ready)
	delete(s.reserved, id) // the open wiki's index now counts in its place
	s.mu.Unlock()
}

// replace swaps in a wiki reloaded in the background (the mysql backend).
func (s *wikiSet) replace(id string, e *wikiEntry, w *Wiki) {
	s.mu.Lock()
	defer s.mu.Unlock()
	e.wiki = w
}

// reloaded ends a background reload of id: what it was admitted for no longer counts
// (the wiki's index, open, counts instead).
func (s *wikiSet) reloaded(id string, e *wikiEntry) {
	s.mu.Lock()
	defer s.mu.Unlock()
	e.reloading = false
	delete(s.reserved, id)
}

// drop forgets a wiki (its model was removed).
func (s *wikiSet) drop(id string, e *wikiEntry) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.wikis[id] == e {
		delete(s.wikis, id)
	}
}

// openWiki is an open wiki as snapshot saw it.
type openWiki struct {
	*wikiEntry
	wiki *Wiki // the entry's wiki then
}

// snapshot returns the open wikis (ready, without error).
func (s *wikiSet) snapshot() map[string]openWiki {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := map[string]openWiki{}
	for id, e := range s.wikis {
		select {
		case <-e.ready:
			if e.wiki != nil {
				out[id] = openWiki{e, e.wiki}
			}
		default:
		}
	}
	return out
}

func (s *wikiSet) close() {
	select {
	case <-s.stop:
	default:
		close(s.stop)
	}
	<-s.done
}

// budgetCheck is how often the budget is enforced: resident memory grows as requests
// touch pages of the indexes, between two checks by what they touch meanwhile.
const budgetCheck = 100 * time.Millisecond

// watch enforces the budget every budgetCheck.
func (s *wikiSet) watch() {
	defer close(s.done)
	t := time.NewTicker(budgetCheck)
	defer t.Stop()
	for {
		select {
		case <-s.stop:
			return
		case <-t.C:
			s.enforce("")
		}
	}
}

// enforce evicts the least recently used wikis (keeping keep, just opened) while the
// process's resident memory exceeds the budget, then drops the resident pages of the
// serving indexes still open if that was not enough. An evicted wiki's requests in
// progress finish with it; its index is unmapped once nothing refers to it.
//
// From the high-water mark (highWater), the resident pages of the indexes larger than
// the budget are dropped first: they count at their resident pages (mappingCost), and
// the page cache keeps them, so dropping them costs their next look-ups a minor fault
// each, where evicting a wiki costs a remap.
func (s *wikiSet) enforce(keep string) {
	if s.budget <= 0 {
		return
	}
	used := s.resident()
	if used > s.highWater() && s.dropOversized() {
		used = s.resident()
	}
	if used <= s.budget {
		return
	}
	if !s.evictLRU(keep, keep == "", func(map[string]openWiki) bool { return s.resident() <= s.budget }) {
		for _, e := range s.snapshot() {
			if ix := e.wiki.Index; ix != nil {
				ix.DropResident()
			}
		}
	}
}

// highWater is the resident memory (nine tenths of the budget) from which the
// resident pages of the indexes larger than the budget are dropped (enforce).
func (s *wikiSet) highWater() int64 { return s.budget / 10 * 9 }

// dropOversized drops the resident pages of the open indexes larger than the budget,
// and reports whether there were any.
func (s *wikiSet) dropOversized() bool {
	dropped := false
	for _, e := range s.snapshot() {
		if ix := e.wiki.Index; ix != nil && s.mappingCost(ix.Size()) == 0 {
			ix.DropResident()
			dropped = true
		}
	}
	return dropped
}

// admit makes room within the budget for an opening of id expected to add n bytes to
// the process's resident memory (the size of the index it is about to map, or the heap
// of the index it is about to build), before it starts: while the accounted memory
// plus n exceeds the budget, the least recently used wikis are evicted. The accounted
// memory is the resident memory outside the serving indexes, each open wiki's index at
// its full size (what its pages can grow to; an index larger than the budget at its
// resident pages, mappingCost), and what the openings in progress were admitted for.
// The opening then proceeds even when nothing more can be evicted. The admitted bytes
// count until release is called or the wiki is open.
func (s *wikiSet) admit(id string, n int64) (release func()) {
	if s.budget <= 0 || n <= 0 {
		return func() {}
	}
	s.admitMu.Lock()
	defer s.admitMu.Unlock()
	s.evictLRU(id, false, func(open map[string]openWiki) bool { return s.accounted(open, id)+n <= s.budget })
	s.mu.Lock()
	s.reserved[id] += n
	s.mu.Unlock()
	return func() {
		s.mu.Lock()
		defer s.mu.Unlock()
		if s.reserved[id] -= n; s.reserved[id] <= 0 {
			delete(s.reserved, id)
		}
	}
}

// mappingCost is what admission counts for mapping an index of size bytes: its size,
// unless that exceeds the budget. Such an index could never be admitted beside
// anything: counted at its size, it would evict every other wiki when it is opened, and
// be evicted by any other wiki's opening, each time remapped and its pages faulted in
// again. It counts at its resident pages instead (nothing when it is mapped), which the
// periodic check bounds: above the budget it evicts the least recently used wikis, then
// drops the indexes' resident pages (the page cache keeps them).
func (s *wikiSet) mappingCost(size int64) int64 {
	if s.budget > 0 && size > s.budget {
		return 0
	}
	return size
}

// accounted is the memory admission counts (admit), leaving out id's own reservations.
func (s *wikiSet) accounted(open map[string]openWiki, id string) int64 {
	used := s.heap(open)
	var rss map[string]int64
	for _, e := range open {
		if ix := e.wiki.Index; ix != nil {
			if n := s.mappingCost(ix.Size()); n > 0 {
				used += n
				continue
			}
			if rss == nil {
				rss = mappedRSS()
			}
			used += rss[smapsPath(ix.Path)]
		}
	}
	s.mu.Lock()
	for other, n := range s.reserved {
		if other != id {
			used += n
		}
	}
	s.mu.Unlock()
	return used
}

// heapBytes is the process's resident memory outside the mappings of the open wikis'
// serving indexes.
func heapBytes(open map[string]openWiki) int64 {
	used := residentBytes()
	rss := mappedRSS()
	for _, e := range open {
		if ix := e.wiki.Index; ix != nil {
			used -= rss[smapsPath(ix.Path)]
		}
	}
	return max(used, 0)
}

// evictLRU evicts the open wikis, least recently used first, until fits (given the
// wikis still open) is true; keep, and with keepNewest the most recently used wiki,
// stay. It reports whether fits became true.
func (s *wikiSet) evictLRU(keep string, keepNewest bool, fits func(open map[string]openWiki) bool) bool {
	open := s.snapshot()
	if fits(open) {
		return true
	}
	ids := make([]string, 0, len(open))
	for id := range open {
		ids = append(ids, id)
	}
	sort.Slice(ids, func(i, j int) bool {
		a, b := open[ids[i]].lastUse.Load(), open[ids[j]].lastUse.Load()
		if a != b {
			return a < b
		}
		return ids[i] < ids[j]
	})
	for i, id := range ids {
		if id == keep || (keepNewest && i == len(ids)-1) {
			continue
		}
		e := open[id]
		s.mu.Lock()
		if s.wikis[id] != e.wikiEntry || e.reloading {
			s.mu.Unlock()
			continue
		}
		delete(s.wikis, id)
		s.evictions[id]++
		s.mu.Unlock()
		delete(open, id)
		s.evicted.Add(1)
		if ix := e.wiki.Index; ix != nil {
			ix.DropResident()
		} else {
			debug.FreeOSMemory()
		}
		s.log.Info("evicted wiki", slog.String("wiki", id), slog.Int64("resident_bytes", residentBytes()), slog.Int64("budget_bytes", s.budget))
		if fits(open) {
			return true
		}
	}
	return false
}

// residentBytes is the process's resident memory (Linux: /proc/self/statm).
func residentBytes() int64 {
	b, err := os.ReadFile("/proc/self/statm")
	if err != nil {
		return 0
	}
	f := strings.Fields(string(b))
	if len(f) < 2 {
		return 0
	}
	pages, err := strconv.ParseInt(f[1], 10, 64)
	if err != nil {
		return 0
	}
	return pages * int64(os.Getpagesize())
}

// mappedRSS returns the resident bytes of the process's file mappings by file
// (/proc/self/smaps; empty elsewhere).
func mappedRSS() map[string]int64 {
	out := map[string]int64{}
	b, err := os.ReadFile("/proc/self/smaps")
	if err != nil {
		return out
	}
	file := ""
	for _, line := range strings.Split(string(b), "\n") {
		f := strings.Fields(line)
		switch {
		case len(f) >= 5 && strings.Contains(f[0], "-") && !strings.HasSuffix(f[0], ":"):
			file = ""
			if len(f) >= 6 {
				file = strings.Join(f[5:], " ")
			}
		case len(f) == 3 && f[0] == "Rss:" && file != "":
			if kb, err := strconv.ParseInt(f[1], 10, 64); err == nil {
				out[file] += kb << 10
			}
		}
	}
	return out
}

// smapsPath is path as /proc/self/smaps names it: absolute, without symbolic links.
func smapsPath(path string) string {
	if p, err := filepath.Abs(path); err == nil {
		path = p
	}
	if p, err := filepath.EvalSymlinks(path); err == nil {
		path = p
	}
	return path
}

// The metrics of the wikis (registered by New when the backend has them).

var (
	wikiMappedDesc = prometheus.NewDesc("linkrecommendation_wiki_mapped_bytes",
		"Bytes of the serving index mapped for each open wiki.", []string{"wiki"}, nil)
	wikiResidentDesc = prometheus.NewDesc("linkrecommendation_wiki_resident_bytes",
		"Bytes of each open wiki's serving index in the process's resident memory now (its mappings' Rss in /proc/self/smaps).", []string{"wiki"}, nil)
	wikiCachedDesc = prometheus.NewDesc("linkrecommendation_wiki_page_cache_bytes",
		"Bytes of each open wiki's serving index in the kernel's page cache (mincore): read again without a disk access.", []string{"wiki"}, nil)
	wikiEvictionsDesc = prometheus.NewDesc("linkrecommendation_wiki_evictions_total",
		"Times each wiki was evicted to stay within the memory budget.", []string{"wiki"}, nil)
	wikiFirstDesc = prometheus.NewDesc("linkrecommendation_wiki_first_request_seconds",
		"Time the last opening of each wiki took: the latency its first request (after start or eviction) waited for.", []string{"wiki"}, nil)
	processResidentDesc = prometheus.NewDesc("linkrecommendation_resident_bytes",
		"Resident memory of the process, compared with the memory budget.", nil, nil)
	budgetDesc = prometheus.NewDesc("linkrecommendation_memory_budget_bytes",
		"The memory budget (serve --memory-budget), 0 when there is none.", nil, nil)
)

// Describe implements prometheus.Collector.
func (s *wikiSet) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{wikiMappedDesc, wikiResidentDesc, wikiCachedDesc, wikiEvictionsDesc, wikiFirstDesc, processResidentDesc, budgetDesc} {
		ch <- d
	}
}

// Collect implements prometheus.Collector.
func (s *wikiSet) Collect(ch chan<- prometheus.Metric) {
	rss := mappedRSS()
	for id, e := range s.snapshot() {
		if ix := e.wiki.Index; ix != nil {
			ch <- prometheus.MustNewConstMetric(wikiMappedDesc, prometheus.GaugeValue, float64(ix.Size()), id)
			ch <- prometheus.MustNewConstMetric(wikiResidentDesc, prometheus.GaugeValue, float64(rss[smapsPath(ix.Path)]), id)
			ch <- prometheus.MustNewConstMetric(wikiCachedDesc, prometheus.GaugeValue, float64(ix.Resident()), id)
		}
	}
	s.mu.Lock()
	for id, n := range s.evictions {
		ch <- prometheus.MustNewConstMetric(wikiEvictionsDesc, prometheus.CounterValue, float64(n), id)
	}
	for id, v := range s.first {
		ch <- prometheus.MustNewConstMetric(wikiFirstDesc, prometheus.GaugeValue, v, id)
	}
	s.mu.Unlock()
	ch <- prometheus.MustNewConstMetric(processResidentDesc, prometheus.GaugeValue, float64(residentBytes()))
	ch <- prometheus.MustNewConstMetric(budgetDesc, prometheus.GaugeValue, float64(s.budget))
}

// indexCache is the directory where the backends keep the serving indexes they build
// (serve --index-dir): <dir>/<wiki>.serve.idx with its sidecar, and
// <wiki>.serve.idx.source, which identifies what it was built from.
type indexCache struct {
	dir string
	log *slog.Logger
	// admit, when set, makes room within the memory budget before an index is mapped
	// or built (wikiSet.admit); mappingCost is what mapping an index of a size costs
	// (wikiSet.mappingCost).
	admit       func(wiki string, n int64) (release func())
	mappingCost func(size int64) int64

	mu       sync.Mutex
	verified map[string]string // path -> size and modification time checked
}

func newIndexCache(dir string, log *slog.Logger) *indexCache {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &indexCache{dir: dir, log: log, verified: map[string]string{}}
}

// DefaultIndexDir is the cache directory of the serving indexes when serve
// --index-dir is not given: addlink-serve-index under the user's cache directory.
func DefaultIndexDir() string {
	dir, err := os.UserCacheDir()
	if err != nil {
		dir = os.TempDir()
	}
	return filepath.Join(dir, "addlink", "serve-index")
}

// openVerified maps the index at path after checking it against its sidecar once per
// version of the file: the check is recorded in the cache directory (verified/), so
// neither a remap after an eviction nor a restart reads the file again while its size,
// modification time, inode and sidecar are unchanged.
//
// Before mapping it, the memory budget is made room for its size (admit): the wiki's
// reservation lasts until it is open.
func (c *indexCache) openVerified(wiki, path string) (*datasets.ServeIndex, error) {
	stamp, err := fileStamp(path)
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	done := c.verified[path] == stamp
	c.mu.Unlock()
	stampFile := c.stampPath(path)
	if !done {
		if b, err := os.ReadFile(stampFile); err == nil && string(b) == stamp {
			done = true
		}
	}
	if !done {
		if err := datasets.VerifyServeIndex(path); err != nil {
			return nil, err
		}
		c.stamp(path, stamp)
	}
	c.mu.Lock()
	c.verified[path] = stamp
	c.mu.Unlock()
	release := func() {}
	if c.admit != nil {
		if st, err := os.Stat(path); err == nil {
			n := st.Size()
			if c.mappingCost != nil {
				n = c.mappingCost(n)
			}
			release = c.admit(wiki, n)
		}
	}
	ix, err := datasets.OpenServeIndex(path)
	if err != nil {
		release()
		return nil, err
	}
	ix.CloseWhenUnreachable()
	return ix, nil
}

// fileStamp identifies a version of a serving index: its path, size, modification
// time, inode and sidecar.
func fileStamp(path string) (string, error) {
	st, err := os.Stat(path)
	if err != nil {
		return "", err
	}
	var ino uint64
	if sys, ok := st.Sys().(*syscall.Stat_t); ok {
		ino = sys.Ino
	}
	sum, err := checksum.ReadDigest(path + checksum.Ext)
	if err != nil {
		return "", err
	}
	return fmt.Sprintf("%s %d %d %d %s\n", path, st.Size(), st.ModTime().UnixNano(), ino, sum), nil
}

func (c *indexCache) stampPath(path string) string {
	h := sha256.Sum256([]byte(path))
	return filepath.Join(c.dir, "verified", hex.EncodeToString(h[:8]))
}

// stamp records that the index at path, as stamp describes it, matched its sidecar.
func (c *indexCache) stamp(path, stamp string) {
	p := c.stampPath(path)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err == nil {
		_, err = atomicfile.WriteFile(p, []byte(stamp))
		if err != nil {
			c.log.Warn("recording a verified serving index", slog.String("error", err.Error()))
		}
	}
}

// open returns the cached index of wiki made from source (a text that changes when
// the datasets do), building it with build when it is missing, made from another
// source, or damaged (a wrong checksum: logged, and built again). An index that
// cannot be built is an error naming the cache file. buildHeap is the memory a build
// is expected to take (the datasets read into maps): the budget is made room for it
// before the build starts, and it counts until the build ends.
func (c *indexCache) open(wiki, source string, buildHeap int64, build func(path string) error) (*datasets.ServeIndex, error) {
	path := filepath.Join(c.dir, datasets.ServeIndexName(wiki))
	srcPath := datasets.ServeIndexSourcePath(path)
	if b, err := os.ReadFile(srcPath); err == nil && string(b) == source {
		ix, err := c.openVerified(wiki, path)
		if err == nil {
			return ix, nil
		}
		if !errors.Is(err, os.ErrNotExist) {
			c.log.Warn("serving index damaged, building it again", slog.String("wiki", wiki), slog.String("path", path),
				slog.String("error", err.Error()))
		}
	}
	os.Remove(srcPath)
	os.Remove(c.stampPath(path))
	start := time.Now()
	release := func() {}
	if c.admit != nil {
		release = c.admit(wiki, buildHeap)
	}
	err := build(path)
	release()
	if err != nil {
		return nil, fmt.Errorf("service: building the serving index %s: %w", path, err)
	}
	if _, err := writeSource(srcPath, source); err != nil {
		return nil, fmt.Errorf("service: %w", err)
	}
	c.log.Info("built serving index", slog.String("wiki", wiki), slog.String("path", path),
		slog.Float64("seconds", time.Since(start).Seconds()))
	ix, err := c.openVerified(wiki, path)
	if err != nil {
		return nil, fmt.Errorf("service: the serving index %s, just built: %w", path, err)
	}
	return ix, nil
}

func writeSource(path, source string) (string, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return "", err
	}
	return "", os.WriteFile(path, []byte(source), 0o644)
}

// fileSource identifies the content of files by their size, modification time and,
// when they have one, their sidecar's digest.
func fileSource(paths []string) string {
	var b strings.Builder
	for _, p := range paths {
		st, err := os.Stat(p)
		if err != nil {
			continue
		}
		fmt.Fprintf(&b, "%s %d %d", p, st.Size(), st.ModTime().UnixNano())
		if d, err := checksum.ReadDigest(p + checksum.Ext); err == nil {
			b.WriteString(" " + d)
		}
		b.WriteByte('\n')
	}
	return b.String()
}

// openingError is the answer to an *OpeningError: 503 with Retry-After.
func openingError(e *OpeningError) *Error {
	return &Error{Status: http.StatusServiceUnavailable, Wiki: e.Wiki,
		Message:    "the datasets of " + e.Wiki + " are being opened; retry later",
		RetryAfter: int(math.Ceil(e.RetryAfter.Seconds())), Err: e}
}
