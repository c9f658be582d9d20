package dictionaries

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/addlink/addlink/datasets"
	"github.com/addlink/addlink/internal/testfixtures"
	"github.com/addlink/addlink/internal/wikitext"
)

// referenceWikis are the fixture dumps with reference outputs of the Python pipeline.
var referenceWikis = []struct {
	wiki, dump string
}{
	{"elwikivoyage", "dumps/elwikivoyage/elwikivoyage-pages-articles.xml.bz2"},
	{"ukwiki", "dumps/ukwiki/ukwiki-20230501-pages-articles-head.xml.bz2"},
	{"viwiki", "dumps/viwiki/viwiki-20230501-pages-articles-head.xml.bz2"},
	{"jawiki", "dumps/jawiki/jawiki-20230501-pages-articles-head.xml.bz2"},
	{"enwiki", "dumps/enwiki/enwiki-latest-pages-articles1.xml-p000000010p000030302-shortened.bz2"},
}

func runStage(t *testing.T, wiki string, dumps []string, threads int) datasets.Layout {
	t.Helper()
	dir := t.TempDir()
	o := Options{Wiki: wiki, DataDir: dir, Dumps: dumps, Threads: threads}
	if err := o.Validate(); err != nil {
		t.Fatal(err)
	}
	if _, err := Run(context.Background(), o, nil); err != nil {
		t.Fatal(err)
	}
	return datasets.Layout{DataDir: dir, Wiki: wiki}
}

// catLines prints a dataset as TSV and returns its rows, sorted, without the header.
func catLines(t *testing.T, path string, cols int) []string {
	t.Helper()
	var buf bytes.Buffer
	if err := datasets.Cat(&buf, path, datasets.FormatTSV); err != nil {
		t.Fatal(err)
	}
	return sortedRows(t, &buf, cols)
}

func sortedRows(t *testing.T, r interface{ Read([]byte) (int, error) }, cols int) []string {
	t.Helper()
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 1<<20), 1<<24)
	var rows []string
	for first := true; sc.Scan(); first = false {
		if first {
			continue
		}
		f := strings.Split(sc.Text(), "\t")
		if cols > 0 && len(f) > cols {
			f = f[:cols]
		}
		rows = append(rows, strings.Join(f, "\t"))
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	sort.Strings(rows)
	return rows
}

func referenceRows(t *testing.T, wiki, name string, cols int) []string {
	t.Helper()
	f, err := os.Open(testfixtures.Path(t, filepath.Join("reference", wiki, name+".tsv")))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	return sortedRows(t, f, cols)
}

func TestMatchesReference(t *testing.T) {
	for _, rw := range referenceWikis {
		t.Run(rw.wiki, func(t *testing.T) {
			l := runStage(t, rw.wiki, []string{testfixtures.Path(t, rw.dump)}, 2)
			for _, tt := range []struct {
				name, path string
			}{
				{"anchors", l.Anchors()}, {"pageids", l.PageIDs()}, {"redirects", l.Redirects()},
			} {
				got, want := catLines(t, tt.path, 0), referenceRows(t, rw.wiki, tt.name, 0)
				if d := diffRows(got, want); d != "" {
					t.Errorf("%s differs from the reference:\n%s", tt.name, d)
				}
			}
			// anchors_stats: the same anchors with the same aslink counts.
			got, want := catLines(t, l.AnchorStats(), 3), referenceRows(t, rw.wiki, "anchors_stats", 3)
			if len(got) != len(want) {
				t.Fatalf("anchors_stats: %d rows, reference %d", len(got), len(want))
			}
			same := 0
			for i := range got {
				g, w := strings.Split(got[i], "\t"), strings.Split(want[i], "\t")
				if g[0] != w[0] || g[1] != w[1] {
					t.Fatalf("anchors_stats row %d: %q, reference %q", i, got[i], want[i])
				}
				if g[2] == w[2] {
					same++
				} else {
					t.Errorf("anchors_stats %q: astext %s, reference %s", g[0], g[2], w[2])
				}
			}
			// astext depends on reading the text exactly as mwparserfromhell's strip_code.
			t.Logf("%s: astext equal for %d of %d anchors", rw.wiki, same, len(got))
		})
	}
}

func diffRows(got, want []string) string {
	var b strings.Builder
	g, w := map[string]bool{}, map[string]bool{}
	for _, r := range got {
		g[r] = true
	}
	for _, r := range want {
		w[r] = true
	}
	n := 0
	for _, r := range got {
		if !w[r] && n < 10 {
			b.WriteString("+ " + r + "\n")
			n++
		}
	}
	for _, r := range want {
		if !g[r] && n < 20 {
			b.WriteString("- " + r + "\n")
			n++
		}
	}
	if len(got) != len(want) && n == 0 {
		b.WriteString("same rows, different counts of duplicates\n")
	}
	return b.String()
}

// The combined dump, its six part files and any thread count give identical bytes.
func TestPartsAndThreadsIdentical(t *testing.T) {
	combined := testfixtures.Path(t, "dumps/elwikivoyage/elwikivoyage-pages-articles.xml.bz2")
	shards, _ := filepath.Glob(filepath.Join(testfixtures.Path(t, "dumps/elwikivoyage/shards"), "*.bz2"))
	if len(shards) != 6 {
		t.Fatalf("want 6 shards, got %d", len(shards))
	}
	a := runStage(t, "elwikivoyage", []string{combined}, 1)
	b := runStage(t, "elwikivoyage", shards, 3)
	for _, f := range []func(datasets.Layout) string{datasets.Layout.Anchors, datasets.Layout.AnchorStats, datasets.Layout.PageIDs, datasets.Layout.Redirects} {
		x, err1 := os.ReadFile(f(a))
		y, err2 := os.ReadFile(f(b))
		if err1 != nil || err2 != nil || !bytes.Equal(x, y) {
			t.Errorf("%s differs between the combined file (1 thread) and the part files (3 threads)", filepath.Base(f(a)))
		}
	}
}

func TestReplaceRefs(t *testing.T) {
	for _, tt := range []struct{ in, want string }{
		{"a<ref>x</ref>b", "a.b"},
		{`a<ref name="n">x y</ref>b<ref name=m/>c`, "a.b<ref name=m/>c"},
		{"<ref>x<b>y</b></ref>", "<ref>x<b>y</b></ref>"},
		{"<ref>x</ref><ref>y</ref>", ".."},
		{"<ref name=a/>text</ref>", "."},
		{"<references/>", "<references/>"},
	} {
		if got := replaceRefs(tt.in); got != tt.want {
			t.Errorf("replaceRefs(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestExcludedAnchor(t *testing.T) {
	for a, want := range map[string]bool{"": true, "12": true, "12/3": true, "1999-2000": true, "12-": false, "a12": false, "12/3/4": false, "x": false, "١٢": false} {
		if got := excludedAnchor(a); got != want {
			t.Errorf("excludedAnchor(%q) = %v, want %v", a, got, want)
		}
	}
}

// wikitextFixtures returns the texts of the wikitext fixtures and their total size.
func wikitextFixtures(tb testing.TB) ([]string, int64) {
	tb.Helper()
	files, _ := filepath.Glob(filepath.Join(testfixtures.Path(tb, "wikitext"), "*.txt"))
	if len(files) == 0 {
		tb.Fatal("no wikitext fixtures")
	}
	var texts []string
	var size int64
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			tb.Fatal(err)
		}
		texts = append(texts, string(data))
		size += int64(len(data))
	}
	return texts, size
}

func BenchmarkTextForAnchors(b *testing.B) {
	texts, size := wikitextFixtures(b)
	b.SetBytes(size)
	b.ReportAllocs()
	for b.Loop() {
		for _, s := range texts {
			Chunks(TextForAnchors(s), func([]string) {})
		}
	}
}

// chunksByRunes is AppendChunks written plainly, rune by rune: the specification its
// fast path is checked against.
func chunksByRunes(text string) []byte {
	var dst []byte
	inWord, wordsInChunk := false, 0
	for _, r := range text {
		switch {
		case isChunkSep(r):
			if wordsInChunk > 0 {
				dst = append(dst, '\n')
			}
			inWord, wordsInChunk = false, 0
		case wikitext.IsPySpace(r):
			inWord = false
		default:
			if !inWord {
				if wordsInChunk > 0 {
					dst = append(dst, ' ')
				}
				inWord = true
				wordsInChunk++
			}
			dst = utf8.AppendRune(dst, r)
		}
	}
	if wordsInChunk > 0 {
		dst = append(dst, '\n')
	}
	return dst
}

var chunkCases = []string{"", "a b. c,d", "  x\t y \u00a0z\n\n(w) \"q\"", "ελλάδα: ένα!δύο", "a\u2003b", "\ufffd x", "ab\xffcd e\xc3", "x\x1cy\x85z", "tail "}

func TestAppendChunksMatchesChunks(t *testing.T) {
	for _, s := range chunkCases {
		var want []byte
		if utf8.ValidString(s) {
			Chunks(s, func(w []string) {
				want = append(want, strings.Join(w, " ")...)
				want = append(want, '\n')
			})
			if got := chunksByRunes(s); !bytes.Equal(got, want) {
				t.Errorf("chunksByRunes(%q) = %q, want %q", s, got, want)
			}
		} else {
			want = chunksByRunes(s)
		}
		if got := AppendChunks(nil, s); !bytes.Equal(got, want) {
			t.Errorf("AppendChunks(%q) = %q, want %q", s, got, want)
		}
	}
}

func FuzzAppendChunks(f *testing.F) {
	for _, s := range chunkCases {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if got, want := AppendChunks(nil, s), chunksByRunes(s); !bytes.Equal(got, want) {
			t.Errorf("AppendChunks(%q) = %q, want %q", s, got, want)
		}
	})
}

// BenchmarkAppendChunks splits the lower-cased plain text of the wikitext fixtures, with
// AppendChunks and with the rune-by-rune specification.
func BenchmarkAppendChunks(b *testing.B) {
	wts, _ := wikitextFixtures(b)
	var texts []string
	var size int64
	for _, wt := range wts {
		texts = append(texts, TextForAnchors(wt))
		size += int64(len(texts[len(texts)-1]))
	}
	b.Run("AppendChunks", func(b *testing.B) {
		b.SetBytes(size)
		b.ReportAllocs()
		var dst []byte
		for b.Loop() {
			for _, s := range texts {
				dst = AppendChunks(dst[:0], s)
			}
		}
	})
	b.Run("byRunes", func(b *testing.B) { // the baseline
		b.SetBytes(size)
		b.ReportAllocs()
		for b.Loop() {
			for _, s := range texts {
				chunksByRunes(s)
			}
		}
	})
}

// pageXML is a page of namespace 0 in a dump.
func pageXML(id int, title, text string) string {
	return fmt.Sprintf("<page><title>%s</title><ns>0</ns><id>%d</id><revision><id>%d</id><text>%s</text></revision></page>\n", title, id, id, text)
}

// writeDump writes a dump of the pages to a temporary file and returns its path.
func writeDump(t *testing.T, name string, pages ...string) string {
	t.Helper()
	dump := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(dump, []byte("<mediawiki>\n"+strings.Join(pages, "")+"</mediawiki>\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	return dump
}

// TestTurkicLowerCase: on azwiki, anchors are lower-cased with the Turkic rules
// (İ to i, I to ı), not Python's (İ to "i̇"), so that the recommender finds them in text.
func TestTurkicLowerCase(t *testing.T) {
	dump := writeDump(t, "azwiki.xml",
		pageXML(1, "İstanbul", "Böyük şəhər."),
		pageXML(2, "Bakı", "[[İstanbul]] və [[İstanbul|İSTANBUL]] şəhərləri. [[Işıq]] [[Işıq]]"),
		pageXML(3, "Işıq", "Işıq."),
		pageXML(4, "Gəncə", "[[İstanbul]] [[Işıq|IŞIQ]]"))
	l := runStage(t, "azwiki", []string{dump}, 2)
	rows, err := datasets.ReadParquet[datasets.AnchorStat](l.AnchorStats())
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]int64{}
	for _, r := range rows {
		got[r.Anchor] = r.AsLink
	}
	if got["istanbul"] != 3 || got["ışıq"] != 3 {
		t.Errorf("anchors %v, want istanbul and ışıq linked 3 times each", got)
	}
}

// TestOneAnchorSeveralTargets: the reference counts an (anchor, target) pair once per
// article after resolving redirects, so two written targets of one anchor that resolve
// to the same article count once, and two that do not count once each; every link
// counts as a link. (Pass one counts links by written target and leaves such anchors
// for after the resolution.)
func TestOneAnchorSeveralTargets(t *testing.T) {
	redirect := `<page><title>Paname</title><ns>0</ns><id>3</id><redirect title="Paris" /><revision><id>3</id><text>#REDIRECT [[Paris]]</text></revision></page>` + "\n"
	dump := writeDump(t, "xxwiki.xml",
		pageXML(1, "Paris", "City."),
		pageXML(2, "Paris Texas", "Town."),
		redirect,
		// One article: "paris" to Paris twice (once by the redirect), to Paris Texas once.
		pageXML(4, "A", "[[Paris]] [[Paname|Paris]] [[Paris Texas|Paris]] [[Paris]]"),
		// Another: "paris" to Paris only, by the redirect.
		pageXML(5, "B", "[[Paname|Paris]] [[Paname|Paris]]"))
	for _, threads := range []int{1, 2} {
		l := runStage(t, "xxwiki", []string{dump}, threads)
		got := strings.Join(catLines(t, l.AnchorsUnfiltered(), 3), "\n")
		if want := "paris\tParis\t2\nparis\tParis Texas\t1"; got != want {
			t.Errorf("threads %d: anchors\n%s\nwant\n%s", threads, got, want)
		}
		stats := strings.Join(catLines(t, l.AnchorStats(), 5), "\n")
		if !strings.HasPrefix(stats, "paris\t6\t") {
			t.Errorf("threads %d: stats\n%s\nwant paris linked 6 times", threads, stats)
		}
	}
}

// TestAppendTextChunks: lower-casing ASCII text while copying its chunks gives the
// chunks of the lower-cased text, with Python's rules and with the Turkic ones.
func TestAppendTextChunks(t *testing.T) {
	texts := []string{"Plain ASCII [[Link|Anchor]] text. With, Some: CAPITALS!", "İstanbul [[Işık]] IŞIK Is", "Ελλάδα ΣΟΦΟΣ. [[Αθήνα]]", "{{tmpl|X}} ''Bold'' <ref>Ref</ref> Tail"}
	fixtures, _ := wikitextFixtures(t)
	texts = append(texts, fixtures...)
	var bufs textBuffers // shared, as a pass-one worker shares its buffers between articles
	for _, lang := range []string{"en", "tr"} {
		lower := wikitext.LowerFor(lang)
		for _, wt := range texts {
			want := AppendChunks(nil, TextForAnchorsWith(wt, lower))
			if got := appendTextChunks(nil, wt, linkSpans(wt), lower, wikitext.PythonLower(lang), &bufs); !bytes.Equal(got, want) {
				t.Errorf("%s: appendTextChunks(%.40q...) differs from the chunks of the lower-cased text", lang, wt)
			}
		}
	}
}

func FuzzAppendTextChunks(f *testing.F) {
	f.Add("Plain [[Link|Anchor]] TEXT. Is")
	f.Add("ΣΟΦΟΣ ''İ''")
	f.Fuzz(func(t *testing.T, wt string) {
		want := AppendChunks(nil, TextForAnchorsWith(wt, wikitext.Lower))
		if got := appendTextChunks(nil, wt, linkSpans(wt), wikitext.Lower, true, &textBuffers{}); !bytes.Equal(got, want) {
			t.Errorf("appendTextChunks(%q) = %q, want %q", wt, got, want)
		}
	})
}

// TestLinkCounts: anchors and targets come back from the keys as they went in, long
// anchors (two-byte lengths) and empty strings included, with their counts.
func TestLinkCounts(t *testing.T) {
	c := newLinkCounts()
	long := strings.Repeat("αβγ ", 50)
	type row struct{ anchor, target string }
	in := []row{{"a", "B"}, {long, "T"}, {"", "x"}, {"a", "B"}, {"ab", ""}, {long, "T"}}
	var key []byte
	for _, r := range in {
		key = c.add(r.anchor, r.target, 2, key)
	}
	got := map[row][2]int64{}
	for k := 0; k < linkShards; k++ {
		c.each(k, func(anchor, target string, links, articles int64) {
			if _, ok := got[row{anchor, target}]; ok {
				t.Errorf("%.10q -> %q in two shards", anchor, target)
			}
			got[row{anchor, target}] = [2]int64{links, articles}
		})
	}
	want := map[row][2]int64{{"a", "B"}: {4, 2}, {long, "T"}: {4, 2}, {"", "x"}: {2, 1}, {"ab", ""}: {2, 1}}
	if len(got) != len(want) {
		t.Fatalf("got %d keys, want %d", len(got), len(want))
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%.10q -> %q: got %v, want %v", k.anchor, k.target, got[k], v)
		}
	}
}

// BenchmarkAppendTextChunks: the lower-cased chunks of the wikitext fixtures' plain text
// as pass one makes them (links and refs replaced, markup stripped).
func BenchmarkAppendTextChunks(b *testing.B) {
	texts, size := wikitextFixtures(b)
	var spans [][][2]int
	for _, wt := range texts {
		spans = append(spans, linkSpans(wt))
	}
	b.SetBytes(size)
	b.ReportAllocs()
	var dst []byte
	var bufs textBuffers
	for b.Loop() {
		for i, s := range texts {
			dst = appendTextChunks(dst[:0], s, spans[i], wikitext.Lower, true, &bufs)
		}
	}
}
