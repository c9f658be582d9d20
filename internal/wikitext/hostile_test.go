package wikitext

import (
	"context"
	"os"
	"path/filepath"
	"reflect"
	"slices"
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
			var b textBuf
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
		if m.sections(p, ReadTopNodes(p)); m.w.spent() {
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
// adversarial page may be read, in CPU time, by any reader. bench/adversarial.sh prints
// the figures: every construct is within 5x of ordinary text (4.7x at most, PlainText's
// combined-open); the bound leaves room for a machine busy with other tests, which
// slows pages that copy much (runs nested 40 deep) more than ordinary text. Before
// the top level's node ends were kept in order (TopNodes.Ends, a map until then),
// Sections took 8x on tag-lt; before URL schemes were looked up by their first byte,
// StripCode took 5-10x on external-bracket; before tags' parses were remembered by
// position (stripper.tag) and tables' ends by the address of their bytes
// (meter.tableEnd), runs escaping tags took 12-16x and tables nested to maxDepth 6-9x;
// before searches were remembered (meter.index) the unclosed constructs spent their
// budget of steps and took 8-30x, and before the budget, a 128 KB page took over
// 120 s, thousands of times ordinary text.
const maxSlowdown = 10.0

// minTime returns the shortest of n timings of f in CPU time (wikitexttest.Time): the
// machine may be busy.
func minTime(f func(), n int) time.Duration {
	best := time.Duration(1<<63 - 1)
	for range n {
		best = min(best, wikitexttest.Time(f))
	}
	return best
}

// TestAdversarialPagesLinear reads 1 MB of ordinary article text and 1 MB pages of
// every adversarial construct with every reader, and fails when a page takes more than
// maxSlowdown times as long as the ordinary text, both timed here in CPU time. A page
// whose first timing is too slow is timed again, alternately with the ordinary text,
// up to five more times with a pause before each (other tests may be loading the
// machine), and the ratio of the two best timings counts.
func TestAdversarialPagesLinear(t *testing.T) {
	if testing.Short() {
		t.Skip("reads about 80 MB per reader")
	}
	const size = 1 << 20
	ordinary := wikitexttest.Ordinary(size)
	pages := wikitexttest.Adversarial(size)
	for _, r := range readers {
		t.Run(r.name, func(t *testing.T) {
			read := func(s string) func() { return func() { r.read(s) } }
			base := minTime(read(ordinary), 3)
			for _, p := range pages {
				const bound = maxSlowdown
				ratio := float64(minTime(read(p.Text), 1)) / float64(base)
				ord, adv := base, time.Duration(1<<63-1)
				for try := 0; ratio > bound && try < 5; try++ {
					time.Sleep(100 * time.Millisecond)
					ord = min(ord, minTime(read(ordinary), 1))
					adv = min(adv, minTime(read(p.Text), 1))
					ratio = float64(adv) / float64(ord)
				}
				if ratio > bound {
					t.Errorf("%s: %.1fx the CPU time of ordinary text (%v), more than %gx", p.Name, ratio, base, bound)
				} else if testing.Verbose() {
					t.Logf("%s: %.1fx", p.Name, ratio)
				}
			}
		})
	}
}

// budgetSpenders are the adversarial pages that still spend a reader's whole budget of
// steps: nodes nested to maxDepth whose contents every level reads again, braces that
// mix "{{" and "}" so that every "{{" finds a "}}" but not its own, and bold and italic
// runs that escape the tags and headings they open in (StripCode).
var budgetSpenders = map[string][]string{
	"strip":     {"braces-mixed", "nested-links", "nested-tags", "nested-refs", "nested-tables"},
	"faithful":  {"quotes-in-tag", "quotes-in-heading"},
	"Sections":  {"braces-mixed", "quotes-in-table", "nested-tables"},
	"sentences": {"braces-mixed", "nested-templates", "nested-links", "nested-mixed"},
}

// TestAdversarialPagesWithinBudget reads every adversarial page and checks that no
// reader spends its budget of steps on it but those of budgetSpenders: a reader that
// repeated its searches for where unclosed nodes end (quadratic time, cut short by the
// budget) would spend it. Unlike TestAdversarialPagesLinear, it times nothing.
func TestAdversarialPagesWithinBudget(t *testing.T) {
	if testing.Short() {
		t.Skip("reads about 80 MB per reader")
	}
	spends := func(reader, page string) bool {
		return slices.Contains(budgetSpenders[reader], page) ||
			(reader == "faithful" || reader == "contained") && slices.Contains(budgetSpenders["strip"], page)
	}
	for _, p := range wikitexttest.Adversarial(1 << 20) {
		for _, m := range []stripMode{faithful, contained} {
			m = m.metered(len(p.Text), nil)
			var b textBuf
			name := map[bool]string{false: "faithful", true: "contained"}[m.contained]
			if m.stripInto(&b, p.Text, 0); m.w.spent() && !spends(name, p.Name) {
				t.Errorf("%s (StripCode or PlainText): %s spent the budget", name, p.Name)
			}
		}
		m := faithful
		m.w = newMeter(len(p.Text), sectionsPerByte, nil)
		if m.sections(p.Text, ReadTopNodes(p.Text)); m.w.spent() && !spends("Sections", p.Name) {
			t.Errorf("Sections: %s spent the budget", p.Name)
		}
		m.w = newMeter(len(p.Text), sentencesPerByte, nil)
		if linkedSentencesMeter(p.Text, SentenceOptions{}, 0, m); m.w.spent() && !spends("sentences", p.Name) {
			t.Errorf("LinkedSentences: %s spent the budget", p.Name)
		}
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
			var b textBuf
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
		if got, want := removeRefs(s, newMeter(len(s), sentencesPerByte, nil)), removeRefsAfresh(s); got != want {
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
// with every search made afresh. The afresh reading is the oracle only where it stays
// within the step budget: a page on which it runs out (a run of 3,000 "{" before
// quotes) is read differently by design, since the remembering reader does not.
func FuzzRememberedSearches(f *testing.F) {
	for _, s := range []string{
		"[[a [[b]] c", "[[[x [[[x ]]", "{|\n| a\n{|\n| b\n|}\n", "<!-- a <!-- b --> c", "<span>a <span>b</span> c",
		"[http://a.b c [http://d.e f]", "<ref>a<ref>b</ref>", "{{a|[[b|''c <ref>d {|\n<!-- e <span>f &amp g '''h\n== i\n",
		"<a <b> </a </a>", "x [[a|b]] y [[c", "{|\n|}\n{|\n| x",
		"{|\n| s=t | a\n  {|\n ! b !! c\n {|\n|d\n|}\n |}\n e\n  | f ''g\n|-\n|}\n",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		for _, m := range []stripMode{faithful, contained} {
			fresh := m.metered(len(s), nil)
			fresh.w.fresh = true
			var b textBuf
			fresh.stripInto(&b, s, 0)
			if fresh.w.spent() {
				continue
			}
			if got, want := m.strip(s, nil), collapse(b.String()); got != want {
				t.Fatalf("contained=%v: %q: %q, afresh %q", m.contained, s, got, want)
			}
		}
		m := faithful
		m.w = newMeter(len(s), sectionsPerByte, nil)
		m.w.fresh = true
		styles := faithful.metered(len(s), nil)
		styles.w.fresh = true
		if got, want := Sections(s), m.sections(s, styles.readTopNodes(s)); !m.w.spent() && !styles.w.spent() && !reflect.DeepEqual(got, want) {
			t.Fatalf("Sections(%q) = %v, afresh %v", s, got, want)
		}
		m.w = newMeter(len(s), sentencesPerByte, nil)
		m.w.fresh = true
		if got, want := LinkedSentences(s, SentenceOptions{}, 0), linkedSentencesMeter(s, SentenceOptions{}, 0, m); !m.w.spent() && !reflect.DeepEqual(got, want) {
			t.Fatalf("LinkedSentences(%q) = %q, afresh %q", s, got, want)
		}
	})
}

// TestContextReaders checks every reader's context variant: it reads as the plain
// reader under a live context, and gives the context's error once it is cancelled.
func TestContextReaders(t *testing.T) {
	page := wikitexttest.Ordinary(1 << 16)
	live, cancelled := context.Background(), func() context.Context {
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		return ctx
	}()
	readers := []struct {
		name  string
		plain func() any
		ctx   func(context.Context) (any, error)
	}{
		{"StripCode", func() any { return StripCode(page) }, func(c context.Context) (any, error) { return StripCodeContext(c, page) }},
		{"PlainText", func() any { return PlainText(page) }, func(c context.Context) (any, error) { return PlainTextContext(c, page) }},
		{"Sections", func() any { return Sections(page) }, func(c context.Context) (any, error) { return SectionsContext(c, page) }},
		{"LinkedSentences", func() any { return LinkedSentences(page, SentenceOptions{}, 0) }, func(c context.Context) (any, error) {
			return LinkedSentencesContext(c, page, SentenceOptions{}, 0)
		}},
	}
	for _, r := range readers {
		got, err := r.ctx(live)
		if err != nil || !reflect.DeepEqual(got, r.plain()) {
			t.Errorf("%s: under a live context: %v, or not what the plain reader gives", r.name, err)
		}
		if _, err := r.ctx(cancelled); err != context.Canceled {
			t.Errorf("%s: cancelled: %v, want %v", r.name, err, context.Canceled)
		}
	}
}
