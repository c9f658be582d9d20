package articles

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/addlink/addlink/internal/dump"
	"github.com/addlink/addlink/internal/testfixtures"
)

func readAll(t *testing.T, src Source) []dump.Page {
	t.Helper()
	var out []dump.Page
	for {
		pg, err := src.Next()
		if err == io.EOF {
			return out
		}
		if err != nil {
			t.Fatal(err)
		}
		if pg.NS == 0 && !pg.IsRedirect() && pg.Text != "" {
			out = append(out, dump.Page{ID: pg.ID, Title: pg.Title, Text: pg.Text})
		}
	}
}

// TestCacheGivesTheDumpsArticles: the cache holds exactly the dump's articles, in
// order, and is not used once the dump changes.
func TestCacheGivesTheDumpsArticles(t *testing.T) {
	src := testfixtures.Path(t, "dumps/elwikivoyage/elwikivoyage-pages-articles.xml.bz2")
	dir := t.TempDir()
	dumpFile := filepath.Join(dir, "d.xml.bz2")
	b, err := os.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(dumpFile, b, 0o644)
	ctx := context.Background()
	r, err := dump.Open(ctx, []string{dumpFile}, dump.Options{Threads: 2})
	if err != nil {
		t.Fatal(err)
	}
	cachePath := filepath.Join(dir, "cache", "articles.s2")
	w, err := Create(cachePath, []string{dumpFile})
	if err != nil {
		t.Fatal(err)
	}
	var want []dump.Page
	for {
		pg, err := r.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if err := w.Add(pg); err != nil {
			t.Fatal(err)
		}
		if pg.NS == 0 && !pg.IsRedirect() && pg.Text != "" {
			want = append(want, dump.Page{ID: pg.ID, Title: pg.Title, Text: pg.Text})
		}
	}
	r.Close()
	if _, err := os.Stat(cachePath); err == nil {
		t.Fatal("the cache appeared before Close")
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	s, cached, err := OpenSource(ctx, cachePath, []string{dumpFile}, dump.Options{})
	if err != nil || !cached {
		t.Fatalf("cache not used: %v", err)
	}
	got := readAll(t, s)
	s.Close()
	if len(got) != len(want) || len(want) < 1000 {
		t.Fatalf("%d articles from the cache, %d from the dump", len(got), len(want))
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("article %d differs: %q vs %q", i, got[i].Title, want[i].Title)
		}
	}
	later := time.Now().Add(time.Hour)
	os.Chtimes(dumpFile, later, later)
	if _, err := Open(cachePath, []string{dumpFile}); err != ErrStale {
		t.Errorf("touched dump: %v, want ErrStale", err)
	}
	s, cached, err = OpenSource(ctx, cachePath, []string{dumpFile}, dump.Options{Threads: 2})
	if err != nil || cached {
		t.Fatalf("a stale cache was used (%v)", err)
	}
	s.Close()
}

func TestTruncatedCache(t *testing.T) {
	dir := t.TempDir()
	dumpFile := filepath.Join(dir, "d.xml")
	os.WriteFile(dumpFile, []byte("x"), 0o644)
	p := filepath.Join(dir, "a.s2")
	w, err := Create(p, []string{dumpFile})
	if err != nil {
		t.Fatal(err)
	}
	w.Add(&dump.Page{ID: 1, Title: "A", Text: "some text"})
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(p)
	os.WriteFile(p, b[:len(b)-3], 0o644)
	r, err := Open(p, []string{dumpFile})
	if err != nil {
		return // the header is already unreadable: refused
	}
	defer r.Close()
	for {
		_, err := r.Next()
		if err == io.EOF {
			t.Fatal("a truncated cache read to the end without an error")
		}
		if err != nil {
			return
		}
	}
}

// writeCache writes pages to a cache at dir/a.s2 made from the dump file dir/d.xml
// and returns the cache's path and the dump file.
func writeCache(t testing.TB, dir string, pages []dump.Page) (string, []string) {
	t.Helper()
	dumpFile := filepath.Join(dir, "d.xml")
	if err := os.WriteFile(dumpFile, []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(dir, "a.s2")
	w, err := Create(p, []string{dumpFile})
	if err != nil {
		t.Fatal(err)
	}
	for i := range pages {
		if err := w.Add(&pages[i]); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return p, []string{dumpFile}
}

// testPages are articles over several frames: short ones, one longer than a frame, a
// redirect and an empty page (not kept), titles and texts in several scripts.
func testPages() (all, articles []dump.Page) {
	words := []string{"[[Αθήνα]] ", "[[東京|とうきょう]] ", "plain text ", "[[Київ]] ", "\x00\xff "}
	for i := range 3000 {
		var b strings.Builder
		for j := range i % 97 * 6 {
			b.WriteString(words[(i+j)%len(words)])
		}
		pg := dump.Page{ID: int64(i + 1), Title: fmt.Sprintf("Page %d %s", i, words[i%len(words)]), Text: b.String()}
		switch {
		case i == 1500:
			pg.Text = strings.Repeat("[[Long]] ", 3*frameSize/9) // a frame of its own
		case i == 7:
			pg.Text = "#REDIRECT [[Page 1]]"
			pg.Redirect = "Page 1"
		case i%50 == 0:
			pg.Text = ""
		}
		all = append(all, pg)
		if !pg.IsRedirect() && pg.Text != "" {
			articles = append(articles, pg)
		}
	}
	return all, articles
}

// collect reads src with Each on threads goroutines and returns its articles by id.
func collect(t *testing.T, src Source, threads int) []dump.Page {
	t.Helper()
	var mu sync.Mutex
	var got []dump.Page
	err := Each(context.Background(), src, threads, func(w int, pg *dump.Page) error {
		if w < 0 || w >= threads {
			return fmt.Errorf("worker %d of %d", w, threads)
		}
		mu.Lock()
		// Copies: Each's strings are only valid during the call.
		got = append(got, dump.Page{ID: pg.ID, Title: strings.Clone(pg.Title), Text: strings.Clone(pg.Text)})
		mu.Unlock()
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	slices.SortFunc(got, func(a, b dump.Page) int { return int(a.ID - b.ID) })
	return got
}

// TestEachGivesEveryArticleOnce: Each gives exactly the articles Next gives, each once,
// on any number of goroutines, from a cache of many frames and from a source read in
// order.
func TestEachGivesEveryArticleOnce(t *testing.T) {
	all, want := testPages()
	p, dumps := writeCache(t, t.TempDir(), all)
	r, err := Open(p, dumps)
	if err != nil {
		t.Fatal(err)
	}
	next := readAll(t, r)
	r.Close()
	if !slices.Equal(next, want) {
		t.Fatalf("Next gave %d articles, want %d (or other ones)", len(next), len(want))
	}
	for _, threads := range []int{1, 3, 8} {
		r, err := Open(p, dumps)
		if err != nil {
			t.Fatal(err)
		}
		if got := collect(t, r, threads); !slices.Equal(got, want) {
			t.Errorf("Each on %d goroutines from the cache: %d articles, want %d (or other ones)", threads, len(got), len(want))
		}
		r.Close()
		if got := collect(t, &pageList{pages: all}, threads); !slices.Equal(got, want) {
			t.Errorf("Each on %d goroutines from pages in order: %d articles, want %d (or other ones)", threads, len(got), len(want))
		}
	}
	if len(want) < 2000 {
		t.Fatalf("only %d test articles", len(want))
	}
	if ends := frameEnds(t, p, dumps); len(ends) < 4 {
		t.Fatalf("%d frames: want several", len(ends))
	}
}

// frameEnds returns the offsets in the file at p where its frames end.
func frameEnds(t testing.TB, p string, dumps []string) []int64 {
	t.Helper()
	r, err := Open(p, dumps)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	st, _ := r.f.Stat()
	var ends []int64
	for {
		if _, _, err := r.readFrame(nil); err != nil {
			return ends
		}
		ends = append(ends, st.Size()-r.left)
	}
}

// pageList is a Source of pages in memory.
type pageList struct{ pages []dump.Page }

func (l *pageList) Next() (*dump.Page, error) {
	if len(l.pages) == 0 {
		return nil, io.EOF
	}
	pg := &l.pages[0]
	l.pages = l.pages[1:]
	return pg, nil
}

func (l *pageList) Close() error { return nil }

// TestEachStops: Each returns fn's first error, and ctx's when it is cancelled.
func TestEachStops(t *testing.T) {
	all, _ := testPages()
	p, dumps := writeCache(t, t.TempDir(), all)
	stop := errors.New("stop")
	for _, threads := range []int{1, 2} {
		r, err := Open(p, dumps)
		if err != nil {
			t.Fatal(err)
		}
		var calls atomic.Int64
		err = Each(context.Background(), r, threads, func(int, *dump.Page) error {
			if calls.Add(1) == 10 {
				return stop
			}
			return nil
		})
		r.Close()
		if err != stop {
			t.Errorf("%d goroutines: %v, want fn's error", threads, err)
		}
		ctx, cancel := context.WithCancel(context.Background())
		r, _ = Open(p, dumps)
		err = Each(ctx, r, threads, func(int, *dump.Page) error {
			cancel()
			return nil
		})
		r.Close()
		if err != context.Canceled {
			t.Errorf("%d goroutines, cancelled: %v", threads, err)
		}
	}
}

// TestDamagedCache: a cache cut anywhere, at a frame's end included, or with a byte
// changed, is an error for Next and for Each, never a shorter list of articles.
func TestDamagedCache(t *testing.T) {
	all, want := testPages()
	dir := t.TempDir()
	p, dumps := writeCache(t, dir, all)
	good, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	ends := frameEnds(t, p, dumps) // where a cut leaves only whole frames
	if len(ends) < 2 {
		t.Fatalf("%d frames", len(ends))
	}
	cuts := append(ends, int64(len(good)-1), int64(len(good)-2), int64(len(good)/2))
	damaged := filepath.Join(dir, "damaged.s2")
	try := func(name string, b []byte) {
		t.Helper()
		if err := os.WriteFile(damaged, b, 0o644); err != nil {
			t.Fatal(err)
		}
		if r, err := Open(damaged, dumps); err == nil {
			n, err := 0, error(nil)
			for err == nil {
				if _, err = r.Next(); err == nil {
					n++
				}
			}
			r.Close()
			if err == io.EOF {
				t.Errorf("%s: Next read %d articles to the end (want an error; %d written)", name, n, len(want))
			} else if !strings.Contains(err.Error(), damaged) {
				t.Errorf("%s: the error does not name the file: %v", name, err)
			}
		}
		if r, err := Open(damaged, dumps); err == nil {
			err := Each(context.Background(), r, 2, func(int, *dump.Page) error { return nil })
			r.Close()
			if err == nil {
				t.Errorf("%s: Each read to the end", name)
			} else if !strings.Contains(err.Error(), damaged) {
				t.Errorf("%s: Each's error does not name the file: %v", name, err)
			}
		}
	}
	for _, c := range cuts {
		try(fmt.Sprintf("cut at %d of %d", c, len(good)), good[:c])
	}
	for _, at := range []int{int(ends[0]) + 10, len(good) / 3, len(good) - 1} {
		b := slices.Clone(good)
		b[at] ^= 0x40
		try(fmt.Sprintf("byte %d changed", at), b)
	}
	try("a byte added", append(slices.Clone(good), 0))
}

// FuzzCache: whatever follows a cache's header, reading it neither panics nor
// allocates without bound, and Next and Each agree on the articles or both fail.
func FuzzCache(f *testing.F) {
	dir := f.TempDir()
	_, articles := testPages()
	p, dumps := writeCache(f, dir, articles[:40])
	good, err := os.ReadFile(p)
	if err != nil {
		f.Fatal(err)
	}
	r, err := Open(p, dumps)
	if err != nil {
		f.Fatal(err)
	}
	header := int64(len(good)) - r.left
	r.Close()
	f.Add(good[header:])
	f.Add([]byte{0, 0})
	f.Add([]byte{0, 1})
	f.Add([]byte{5, 0, 0, 0, 0, 1, 2, 3, 4, 5, 0, 0})
	f.Fuzz(func(t *testing.T, body []byte) {
		path := filepath.Join(t.TempDir(), "a.s2")
		if err := os.WriteFile(path, append(slices.Clone(good[:header]), body...), 0o644); err != nil {
			t.Fatal(err)
		}
		r, err := Open(path, dumps)
		if err != nil {
			t.Fatal(err)
		}
		var next []dump.Page
		for {
			pg, err := r.Next()
			if err != nil {
				if err != io.EOF {
					next = nil
				}
				break
			}
			next = append(next, *pg)
		}
		r.Close()
		r, _ = Open(path, dumps)
		var each []dump.Page
		var mu sync.Mutex
		err = Each(context.Background(), r, 2, func(_ int, pg *dump.Page) error {
			mu.Lock()
			each = append(each, dump.Page{ID: pg.ID, Title: strings.Clone(pg.Title), Text: strings.Clone(pg.Text)})
			mu.Unlock()
			return nil
		})
		r.Close()
		if err != nil {
			each = nil
		}
		// Each's order is the frames' as they were taken: compare as sets.
		sortPages := func(ps []dump.Page) {
			slices.SortStableFunc(ps, func(a, b dump.Page) int {
				return strings.Compare(fmt.Sprint(a.ID, a.Title, a.Text), fmt.Sprint(b.ID, b.Title, b.Text))
			})
		}
		sortPages(next)
		sortPages(each)
		if !slices.Equal(next, each) {
			t.Fatalf("Next gave %d articles, Each %d", len(next), len(each))
		}
	})
}
