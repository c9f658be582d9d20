package wikitext

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/addlink/addlink/internal/dump"
	"github.com/addlink/addlink/internal/testfixtures"
	"github.com/addlink/addlink/internal/wikitext/wikitexttest"
)

// readers are the functions of this package that read a page's wikitext, as the
// stages call them.
var readers = []struct {
	name string
	read func(string)
}{
	{"StripCode", func(s string) { StripCode(s) }},
	{"PlainText", func(s string) { PlainText(s) }},
	{"Sections", func(s string) { Sections(s) }},
	{"LinkedSentences", func(s string) { LinkedSentences(s, SentenceOptions{}, 0) }},
	{"LinkedSentencesGreedy", func(s string) { LinkedSentences(s, SentenceOptions{GreedyRefs: true, OnlyDotStops: true}, 0) }},
	{"ScanLinks", func(s string) { ScanLinks(s, func(Link) bool { return true }) }},
}

// realPages returns the fixtures' real article texts: the wikitext files and the
// articles of the five wikis' dumps.
func realPages(t *testing.T) []string {
	dir := testfixtures.Path(t, "wikitext")
	files, err := filepath.Glob(filepath.Join(dir, "*.txt"))
	if err != nil {
		t.Fatal(err)
	}
	var pages []string
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		pages = append(pages, string(b))
	}
	for _, d := range []string{
		"dumps/elwikivoyage/elwikivoyage-pages-articles.xml.bz2",
		"dumps/ukwiki/ukwiki-20230501-pages-articles-head.xml.bz2",
		"dumps/viwiki/viwiki-20230501-pages-articles-head.xml.bz2",
		"dumps/jawiki/jawiki-20230501-pages-articles-head.xml.bz2",
		"dumps/enwiki/enwiki-table-markup.xml.bz2",
	} {
		r, err := dump.Open(context.Background(), []string{testfixtures.Path(t, d)}, dump.Options{Threads: 1})
		if err != nil {
			t.Fatal(err)
		}
		for {
			pg, err := r.Next()
			if err != nil {
				break
			}
			if pg.NS == 0 && !pg.IsRedirect() {
				pages = append(pages, pg.Text)
			}
		}
		r.Close()
	}
	return pages
}

// TestBudgetOfRealPages checks that real articles are read exactly: they use a small
// part of their budget of steps (see meter), so the budget never changes how they read.
func TestBudgetOfRealPages(t *testing.T) {
	pages := realPages(t)
	worst, worstLen, worstStyle := 0.0, 0, 0.0
	for _, p := range pages {
		for _, m := range []stripMode{faithful, contained} {
			m = m.metered(len(p), nil)
			var b strings.Builder
			m.stripInto(&b, p, 0)
			used := m.w.budget - m.w.left
			if r := float64(used) / float64(len(p)+1); r > worst {
				worst, worstLen = r, len(p)
			}
			worstStyle = max(worstStyle, float64(m.w.style)/float64(len(p)+1))
			if m.w.styleOut {
				t.Errorf("a page of %d bytes ran out of steps for bold and italic runs", len(p))
			}
			if m.w.spent() {
				t.Errorf("a page of %d bytes spent its budget", len(p))
			}
		}
	}
	t.Logf("%d pages; at most %.2f steps per byte (a page of %d bytes), %.2f for bold and italic runs; the budget is %d per byte and %d",
		len(pages), worst, worstLen, worstStyle, budgetPerByte, budgetFixed)
}

// maxSlowdown is how much slower than ordinary article text of the same size any
// adversarial page may be read (bench/adversarial.sh reports the figures).
const maxSlowdown = 10.0

// minTime returns the shortest of a few timings of f: the machine may be busy.
func minTime(f func()) time.Duration {
	best := time.Duration(1<<63 - 1)
	for range 3 {
		start := time.Now()
		f()
		best = min(best, time.Since(start))
	}
	return best
}

// TestAdversarialPagesLinear reads 1 MB of ordinary article text and 1 MB pages of
// every adversarial construct with every reader, and fails when a page takes more than
// maxSlowdown times as long as the ordinary text (both timed here, the best of three).
func TestAdversarialPagesLinear(t *testing.T) {
	if testing.Short() {
		t.Skip("reads about 80 MB per reader")
	}
	const size = 1 << 20
	ordinary := wikitexttest.Ordinary(size)
	pages := wikitexttest.Adversarial(size)
	for _, r := range readers {
		t.Run(r.name, func(t *testing.T) {
			base := minTime(func() { r.read(ordinary) })
			for _, p := range pages {
				d := minTime(func() { r.read(p.Text) })
				ratio := float64(d) / float64(base)
				if ratio > maxSlowdown {
					t.Errorf("%s: %v, %.1fx the %v of ordinary text", p.Name, d, ratio, base)
				} else if testing.Verbose() {
					t.Logf("%s: %.1fx", p.Name, ratio)
				}
			}
		})
	}
}
