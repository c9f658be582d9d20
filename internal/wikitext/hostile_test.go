package wikitext

import (
	"context"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

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
		m := faithful
		m.w = newMeter(len(p), sectionsPerByte, nil)
		if m.sections(p); m.w.spent() {
			t.Errorf("Sections: a page of %d bytes spent its budget", len(p))
		}
		m.w = newMeter(len(p), sentencesPerByte, nil)
		if linkedSentencesMeter(p, SentenceOptions{}, 0, m); m.w.spent() {
			t.Errorf("LinkedSentences: a page of %d bytes spent its budget", len(p))
		}
	}
	t.Logf("%d pages; at most %.2f steps per byte (a page of %d bytes), %.2f for bold and italic runs; the budget is %d per byte and %d",
		len(pages), worst, worstLen, worstStyle, budgetPerByte, budgetFixed)
}

// maxSlowdown is how much slower than ordinary article text of the same size any
// adversarial page may be read. bench/adversarial.sh prints the figures: the worst
// construct is about 10x ordinary text, and up to 37x was seen while this 2-core
// machine ran seven other engineers' tests; before the budget of steps, a 128 KB page
// took over 120 s, thousands of times ordinary text.
const maxSlowdown = 50.0

// minTime returns the shortest of n timings of f: the machine may be busy.
func minTime(f func(), n int) time.Duration {
	best := time.Duration(1<<63 - 1)
	for range n {
		start := time.Now()
		f()
		best = min(best, time.Since(start))
	}
	return best
}

// TestAdversarialPagesLinear reads 1 MB of ordinary article text and 1 MB pages of
// every adversarial construct with every reader, and fails when a page takes more than
// maxSlowdown times as long as the ordinary text, both timed here (the best of three
// runs; a page is timed again only when its first run is too slow, and then side by
// side with the ordinary text). A reader much faster than
// StripCode (ScanLinks reads ordinary text at a byte a nanosecond) is compared with a
// quarter of StripCode's time on ordinary text when that is longer: such a reader is
// not what bounds a stage.
func TestAdversarialPagesLinear(t *testing.T) {
	if testing.Short() {
		t.Skip("reads about 80 MB per reader")
	}
	const size = 1 << 20
	ordinary := wikitexttest.Ordinary(size)
	pages := wikitexttest.Adversarial(size)
	floor := minTime(func() { StripCode(ordinary) }, 3) / 4
	for _, r := range readers {
		t.Run(r.name, func(t *testing.T) {
			base := max(minTime(func() { r.read(ordinary) }, 3), floor)
			for _, p := range pages {
				d := minTime(func() { r.read(p.Text) }, 1)
				if float64(d) > maxSlowdown*float64(base) {
					d = min(d, minTime(func() { r.read(p.Text) }, 2))
				}
				ratio := float64(d) / float64(base)
				if ratio > maxSlowdown {
					// Timed once more side by side with the ordinary text: a busy
					// machine slows long runs more than short ones.
					for range 3 {
						b := max(minTime(func() { r.read(ordinary) }, 1), floor)
						d = minTime(func() { r.read(p.Text) }, 1)
						ratio = min(ratio, float64(d)/float64(b))
					}
				}
				if ratio > maxSlowdown {
					t.Errorf("%s: %v, %.1fx the %v of ordinary text", p.Name, d, ratio, base)
				} else if testing.Verbose() {
					t.Logf("%s: %.1fx", p.Name, ratio)
				}
			}
		})
	}
}

// FuzzReadingOutOfSteps reads any text with a budget that runs out anywhere, as it does
// on an adversarial page: every reader must still end, without a panic, and give valid
// UTF-8 for valid UTF-8.
func FuzzReadingOutOfSteps(f *testing.F) {
	for _, s := range []string{"{{a|[[b|''c <ref>d {|\n<!-- e <span>f &amp g '''h\n== i\n", "{|\n| ''x'''y''' || z\n|}\n", "<span>''a</span> '''b", "[[a|[[b]] c]] {{{x|y}}}"} {
		f.Add(s, uint16(100))
	}
	f.Fuzz(func(t *testing.T, s string, steps uint16) {
		for _, m := range []stripMode{faithful, contained} {
			m = m.metered(len(s), nil)
			m.w.left = int(steps)
			var b strings.Builder
			m.stripInto(&b, s, 0)
			if utf8.ValidString(s) && !utf8.ValidString(b.String()) {
				t.Fatalf("%q with %d steps: %q is not UTF-8", s, steps, b.String())
			}
		}
		m := faithful.metered(len(s), nil)
		m.w.left = int(steps)
		m.plainKeepLinks(s)
		m.onlyTextAndLinks(s)
	})
}

// FuzzRemoveRefs holds removeRefs, which remembers the </ref> it found ahead, to the
// same removal looking for every </ref> afresh.
func FuzzRemoveRefs(f *testing.F) {
	for _, s := range []string{"a<ref>b</ref>c", "<ref>a<ref>b</ref>c</ref>", "<ref name=x/>y<ref>z", "< ref >a</ ref >"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if got, want := removeRefs(s), removeRefsAfresh(s); got != want {
			t.Fatalf("removeRefs(%q) = %q, want %q", s, got, want)
		}
	})
}

// removeRefsAfresh is removeRefs as it was before it remembered what it found.
func removeRefsAfresh(text string) string {
	var b strings.Builder
	i := 0
	for {
		st := refOpen(text, i)
		if st < 0 {
			break
		}
		j := st + 1
		for j < len(text) && isASCIISpace(text[j]) {
			j++
		}
		j += 3
		if j < len(text) && isASCIILetter(text[j]) {
			b.WriteString(text[i : st+1])
			i = st + 1
			continue
		}
		gt := strings.IndexByte(text[j:], '>')
		if gt < 0 {
			break
		}
		gt += j
		end := gt + 1
		if !strings.HasSuffix(strings.TrimRight(text[j:gt], " \t"), "/") {
			if c := closeRef(text, end); c > 0 {
				end = c
			}
		}
		b.WriteString(text[i:st])
		i = end
	}
	b.WriteString(text[i:])
	return b.String()
}

// BenchmarkAdversarial reads 1 MB of ordinary article text and 1 MB pages of every
// adversarial construct with every reader (bench/adversarial.sh prints the same as
// seconds per MB with the ratios).
func BenchmarkAdversarial(b *testing.B) {
	const size = 1 << 20
	pages := append([]wikitexttest.Page{{Name: "ordinary", Text: wikitexttest.Ordinary(size)}}, wikitexttest.Adversarial(size)...)
	for _, r := range readers {
		for _, p := range pages {
			b.Run(r.name+"/"+p.Name, func(b *testing.B) {
				b.ReportAllocs()
				b.SetBytes(int64(len(p.Text)))
				for b.Loop() {
					r.read(p.Text)
				}
			})
		}
	}
}

// FuzzRememberedSearches holds every reader, which remembers where delimiters occur
// and fails at once where none follows (meter.index, meter.none), to the same reading
// with every search made afresh.
func FuzzRememberedSearches(f *testing.F) {
	for _, s := range []string{
		"[[a [[b]] c", "[[[x [[[x ]]", "{|\n| a\n{|\n| b\n|}\n", "<!-- a <!-- b --> c", "<span>a <span>b</span> c",
		"[http://a.b c [http://d.e f]", "<ref>a<ref>b</ref>", "{{a|[[b|''c <ref>d {|\n<!-- e <span>f &amp g '''h\n== i\n",
		"<a <b> </a </a>", "x [[a|b]] y [[c", "{|\n|}\n{|\n| x",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		for _, m := range []stripMode{faithful, contained} {
			fresh := m.metered(len(s), nil)
			fresh.w.fresh = true
			var b strings.Builder
			fresh.stripInto(&b, s, 0)
			if got, want := m.strip(s, nil), collapse(b.String()); got != want {
				t.Fatalf("contained=%v: %q: %q, afresh %q", m.contained, s, got, want)
			}
		}
		m := faithful
		m.w = newMeter(len(s), sectionsPerByte, nil)
		m.w.fresh = true
		if got, want := Sections(s), m.sections(s); !reflect.DeepEqual(got, want) {
			t.Fatalf("Sections(%q) = %v, afresh %v", s, got, want)
		}
		m.w = newMeter(len(s), sentencesPerByte, nil)
		m.w.fresh = true
		if got, want := LinkedSentences(s, SentenceOptions{}, 0), linkedSentencesMeter(s, SentenceOptions{}, 0, m); !reflect.DeepEqual(got, want) {
			t.Fatalf("LinkedSentences(%q) = %q, afresh %q", s, got, want)
		}
	})
}
