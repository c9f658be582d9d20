package articles

import (
	"context"
	"io"
	"os"
	"path/filepath"
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
