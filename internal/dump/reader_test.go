package dump

import (
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/addlink/addlink/internal/testfixtures"
)

// pageSum is what identifies a page's content in comparisons.
type pageSum struct {
	ID       int64
	NS       int
	Title    string
	Redirect string
	Text     [32]byte
}

func readAll(t *testing.T, files ...string) ([]pageSum, *Reader, error) {
	t.Helper()
	// Files without articles (stubs of other namespaces) are read like any other here;
	// TestNoArticles checks that they are refused by default.
	r, err := Open(context.Background(), files, Options{Threads: 2, AllowNoArticles: true})
	if err != nil {
		return nil, nil, err
	}
	defer r.Close()
	var out []pageSum
	for {
		p, err := r.Next()
		if err == io.EOF {
			return out, r, nil
		}
		if err != nil {
			return out, r, err
		}
		out = append(out, pageSum{p.ID, p.NS, p.Title, p.Redirect, sha256.Sum256([]byte(p.Text))})
	}
}

func TestFixtureCounts(t *testing.T) {
	// Counts from the fixtures' README (internal/testfixtures locates them).
	tests := []struct {
		file             string
		pages, redirects int
		dbname           string
	}{
		{"dumps/elwikivoyage/elwikivoyage-pages-articles.xml.bz2", 2040, 240, "elwikivoyage"},
		{"dumps/ukwiki/ukwiki-20230501-pages-articles-head.xml.bz2", 532, 16, "ukwiki"},
		{"dumps/viwiki/viwiki-20230501-pages-articles-head.xml.bz2", 970, 154, "viwiki"},
		{"dumps/jawiki/jawiki-20230501-pages-articles-head.xml.bz2", 238, 27, "jawiki"},
		{"dumps/enwiki/enwiki-latest-pages-articles1.xml-p000000010p000030302-shortened.bz2", 206, 100, "enwiki"},
		{"dumps/enwiki/enwiki-table-markup.xml.bz2", 5, 0, ""}, // no siteinfo
		{"dumps/enwiki/enwiki-pages-articles-sample.xml.bz2", 3, 1, "enwiki"},
		{"dumps/elwikivoyage/elwikivoyage-stub-articles.xml.gz", 20, 13, "elwikivoyage"},
	}
	for _, tt := range tests {
		t.Run(filepath.Base(tt.file), func(t *testing.T) {
			pages, r, err := readAll(t, testfixtures.Path(t, tt.file))
			if err != nil {
				t.Fatal(err)
			}
			red := 0
			for _, p := range pages {
				if p.Redirect != "" {
					red++
				}
			}
			if len(pages) != tt.pages || red != tt.redirects {
				t.Errorf("pages %d (redirects %d), want %d (%d)", len(pages), red, tt.pages, tt.redirects)
			}
			if got := r.SiteInfo().DBName; got != tt.dbname {
				t.Errorf("dbname %q, want %q", got, tt.dbname)
			}
			if r.Stats().Pages != int64(len(pages)) {
				t.Errorf("Stats().Pages = %d", r.Stats().Pages)
			}
		})
	}
}

func TestPartsEqualCombined(t *testing.T) {
	combined, _, err := readAll(t, testfixtures.Path(t, "dumps/elwikivoyage/elwikivoyage-pages-articles.xml.bz2"))
	if err != nil {
		t.Fatal(err)
	}
	shards, err := filepath.Glob(filepath.Join(testfixtures.Path(t, "dumps/elwikivoyage/shards"), "pages-articles.xml-p*p*.bz2"))
	if err != nil || len(shards) != 6 {
		t.Fatalf("want 6 shards, got %d (%v)", len(shards), err)
	}
	// Reverse the order: Open must sort part files by page range.
	for i, j := 0, len(shards)-1; i < j; i, j = i+1, j-1 {
		shards[i], shards[j] = shards[j], shards[i]
	}
	parts, r, err := readAll(t, shards...)
	if err != nil {
		t.Fatal(err)
	}
	if r.Stats().Files != 6 {
		t.Errorf("read %d files", r.Stats().Files)
	}
	samePages(t, parts, combined)
}

func samePages(t *testing.T, got, want []pageSum) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%d pages, want %d", len(got), len(want))
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("page %d differs: %d %q vs %d %q", i, got[i].ID, got[i].Title, want[i].ID, want[i].Title)
		}
	}
}

func TestMultistreamVariants(t *testing.T) {
	dir := testfixtures.Path(t, "dumps/elwikivoyage/multistream")
	src, _, err := readAll(t, filepath.Join(dir, "pages-articles-p2566p2583.xml.bz2"))
	if err != nil {
		t.Fatal(err)
	}
	if len(src) != 17 {
		t.Fatalf("source has %d pages, want 17", len(src))
	}
	for _, name := range []string{"multistream", "multistream-noheader"} {
		t.Run(name, func(t *testing.T) {
			f := filepath.Join(dir, "pages-articles-p2566p2583."+name+".xml.bz2")
			// The index given alongside is recognised and skipped.
			idx := filepath.Join(dir, "pages-articles-p2566p2583.multistream-index.xml.bz2")
			got, _, err := readAll(t, f, idx)
			if err != nil {
				t.Fatal(err)
			}
			samePages(t, got, src)
		})
	}
	// Without its footer stream the file stops between two pages: every stream passes
	// its CRC, but pages may be missing, so it is refused (issue 18, item 3).
	t.Run("multistream-nofooter", func(t *testing.T) {
		f := filepath.Join(dir, "pages-articles-p2566p2583.multistream-nofooter.xml.bz2")
		_, _, err := readAll(t, f)
		var de *Error
		if !errors.As(err, &de) || !errors.Is(err, ErrTruncated) || de.File != f || de.LastPageID != src[len(src)-1].ID {
			t.Fatalf("err = %v, want a truncation error naming %s and page %d", err, f, src[len(src)-1].ID)
		}
	})
}

func TestEdgeFixtures(t *testing.T) {
	edge := testfixtures.Path(t, "dumps/edge")
	t.Run("truncated mid page", func(t *testing.T) {
		f := filepath.Join(edge, "ukwiki-20230501-truncated-mid-page.xml.bz2")
		pages, _, err := readAll(t, f)
		var de *Error
		if !errors.As(err, &de) || !errors.Is(err, ErrTruncated) {
			t.Fatalf("err = %v, want a truncation *Error", err)
		}
		if de.File != f || de.LastPageID != pages[len(pages)-1].ID || de.LastPageID == 0 || de.Offset <= 0 {
			t.Errorf("error %+v does not name file, offset and last page id %d", de, pages[len(pages)-1].ID)
		}
		for _, want := range []string{f, "offset", "last complete page id 591"} {
			if !strings.Contains(err.Error(), want) {
				t.Errorf("error %q lacks %q", err, want)
			}
		}
	})
	t.Run("utf16", func(t *testing.T) {
		_, _, err := readAll(t, filepath.Join(edge, "bgwiki-utf16-oddity.xml.bz2"))
		if !errors.Is(err, ErrNotXML) || !strings.Contains(err.Error(), "UTF-16") {
			t.Fatalf("err = %v, want ErrNotXML naming UTF-16", err)
		}
	})
	// The dump tool's page-range test files: samples 1 to 3 hold the same pages as
	// their part files; sample 4's part files are empty (header and footer only).
	for n := 1; n <= 3; n++ {
		t.Run(fmt.Sprintf("sample%d parts", n), func(t *testing.T) {
			combined := filepath.Join(edge, fmt.Sprintf("pages-articles-sample%d.xml.bz2", n))
			parts, _ := filepath.Glob(filepath.Join(edge, fmt.Sprintf("pages-articles-sample%d.xml-p*.bz2", n)))
			if len(parts) == 0 {
				t.Fatal("no part files")
			}
			want, _, err := readAll(t, combined)
			if err != nil {
				t.Fatal(err)
			}
			got, _, err := readAll(t, parts...)
			if err != nil {
				t.Fatal(err)
			}
			samePages(t, got, want)
		})
	}
	t.Run("stubs", func(t *testing.T) {
		stubs, _ := filepath.Glob(filepath.Join(edge, "stub-*.gz"))
		for _, f := range stubs {
			pages, _, err := readAll(t, f)
			if err != nil {
				t.Errorf("%s: %v", f, err)
			}
			if len(pages) == 0 {
				t.Errorf("%s: no pages", f)
			}
		}
	})
}

func TestEdgeEmptyPartsAndStubs(t *testing.T) {
	edge := testfixtures.Path(t, "dumps/edge")
	empty, _ := filepath.Glob(filepath.Join(edge, "pages-articles-sample4.xml-p*.bz2"))
	if len(empty) != 2 {
		t.Fatalf("want 2 empty part files, got %v", empty)
	}
	// They stop after their <siteinfo>, without </mediawiki>: cut files, refused.
	if pages, r, err := readAll(t, empty...); !errors.Is(err, ErrTruncated) || len(pages) != 0 || r.SiteInfo().DBName != "wikidatawiki" {
		t.Errorf("header-only parts: %v, %d pages, want a truncation error", err, len(pages))
	}
	// The four combined samples hold the 23 pages of the stub dump, in the same order;
	// sample 4's texts are Wikidata entity JSON.
	var all []pageSum
	for n := 1; n <= 4; n++ {
		pages, _, err := readAll(t, filepath.Join(edge, fmt.Sprintf("pages-articles-sample%d.xml.bz2", n)))
		if err != nil {
			t.Fatal(err)
		}
		all = append(all, pages...)
	}
	stubs, _, err := readAll(t, filepath.Join(edge, "stub-articles-sample.xml.gz"))
	if err != nil {
		t.Fatal(err)
	}
	if len(all) != 23 || len(stubs) != 23 {
		t.Fatalf("%d sample pages and %d stub pages, want 23 each", len(all), len(stubs))
	}
	for i := range all {
		if all[i].ID != stubs[i].ID || all[i].Title != stubs[i].Title {
			t.Errorf("page %d: %d %q vs stub %d %q", i, all[i].ID, all[i].Title, stubs[i].ID, stubs[i].Title)
		}
	}
	r, _ := Open(context.Background(), []string{filepath.Join(edge, "pages-articles-sample4.xml.bz2")}, Options{})
	defer r.Close()
	p, err := r.Next()
	if err != nil || !strings.HasPrefix(p.Text, "{") {
		t.Errorf("sample4 page 1: %v, text %.40q", err, p.Text)
	}
}

func writeFile(t *testing.T, name string, data []byte) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

const header = `<mediawiki xmlns="http://www.mediawiki.org/xml/export-0.8/" version="0.8" xml:lang="xx">
  <siteinfo>
    <sitename>Test</sitename>
    <dbname>xxwiki</dbname>
    <case>first-letter</case>
    <namespaces>
      <namespace key="0" case="first-letter" />
      <namespace key="10" case="first-letter">Template</namespace>
    </namespaces>
  </siteinfo>
`

func page(id int, title, extra, text string) string {
	return fmt.Sprintf("  <page>\n    <title>%s</title>\n    <ns>0</ns>\n    <id>%d</id>\n%s    <revision>\n      <id>%d</id>\n      <model>wikitext</model>\n      <text xml:space=\"preserve\">%s</text>\n    </revision>\n  </page>\n", title, id, extra, id*10, text)
}

func TestPlainAndGzip(t *testing.T) {
	doc := header + page(1, "A &amp; B", "", "x &lt;ref&gt; &#233;&#x20AC; &quot;q&quot; &unknown; & done") +
		page(2, "R", `    <redirect title="A &amp; B" />`+"\n", "#REDIRECT [[A &amp; B]]") +
		"  <page>\n    <title>Empty</title>\n    <ns>0</ns>\n    <id>3</id>\n    <revision>\n      <id>4</id>\n      <text bytes=\"0\" />\n    </revision>\n  </page>\n" +
		"</mediawiki>\n"
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	zw.Write([]byte(doc))
	zw.Close()
	for _, f := range []string{writeFile(t, "d.xml", []byte(doc)), writeFile(t, "d.xml.gz", gz.Bytes())} {
		r, err := Open(context.Background(), []string{f}, Options{})
		if err != nil {
			t.Fatal(err)
		}
		p1, err := r.Next()
		if err != nil {
			t.Fatal(err)
		}
		if p1.Title != "A & B" || p1.Text != `x <ref> é€ "q" &unknown; & done` || p1.RevID != 10 || p1.Model != "wikitext" {
			t.Errorf("page 1 = %+v", p1)
		}
		p2, _ := r.Next()
		if p2.Redirect != "A & B" || !p2.IsRedirect() {
			t.Errorf("page 2 redirect = %q", p2.Redirect)
		}
		p3, _ := r.Next()
		if p3 == nil || p3.Text != "" || p3.ID != 3 {
			t.Errorf("page 3 = %+v", p3)
		}
		if _, err := r.Next(); err != io.EOF {
			t.Errorf("after last page: %v", err)
		}
		si := r.SiteInfo()
		if si.DBName != "xxwiki" || si.Namespaces[10] != "Template" || si.Case != "first-letter" {
			t.Errorf("siteinfo = %+v", si)
		}
		r.Close()
	}
}

func TestInvalidUTF8Replaced(t *testing.T) {
	doc := header + page(1, "T\xff", "", "ok \xc3\x28 and \xe2\x82 end") + "</mediawiki>\n"
	r, err := Open(context.Background(), []string{writeFile(t, "d.xml", []byte(doc))}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	p, err := r.Next()
	if err != nil {
		t.Fatal(err)
	}
	if p.Title != "T\uFFFD" || p.Text != "ok \uFFFD( and \uFFFD end" {
		t.Errorf("got %q / %q", p.Title, p.Text)
	}
	if n := r.Stats().ReplacedInvalidUTF8; n != 3 {
		t.Errorf("replaced %d, want 3", n)
	}
}

func TestPlainTruncation(t *testing.T) {
	full := header + page(1, "A", "", "text") + page(2, "B", "", "more") + "</mediawiki>\n"
	tests := []struct {
		name string
		doc  string
		last int64
	}{
		{"mid page", full[:strings.Index(full, "more")], 1},
		{"between pages, no footer", header + page(1, "A", "", "text"), 1},
		{"inside header", header[:40], 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, _, err := readAll(t, writeFile(t, "d.xml", []byte(tt.doc)))
			var de *Error
			if !errors.As(err, &de) || !errors.Is(err, ErrTruncated) || de.LastPageID != tt.last {
				t.Fatalf("err = %v, want truncation after page %d", err, tt.last)
			}
		})
	}
	// A file of bare pages (no root element) ends cleanly after a page.
	if _, _, err := readAll(t, writeFile(t, "d.xml", []byte(page(1, "A", "", "t")))); err != nil {
		t.Errorf("bare pages: %v", err)
	}
	// A 0-byte file is no dump (a part without pages still has its header and footer).
	if _, _, err := readAll(t, writeFile(t, "d.xml", nil)); !errors.Is(err, ErrEmpty) {
		t.Errorf("empty file: %v, want ErrEmpty", err)
	}
}

func TestCorruptBzip2(t *testing.T) {
	src := testfixtures.Path(t, "dumps/ukwiki/ukwiki-20230501-pages-articles-head.xml.bz2")
	data, err := os.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	t.Run("cut", func(t *testing.T) {
		cut := writeFile(t, "cut.xml.bz2", data[:len(data)/2])
		var first *Error
		// The same pages come out before the error every time, whatever the timing
		// of the parallel decoder.
		for i := 0; i < 5; i++ {
			pages, _, err := readAll(t, cut)
			var de *Error
			if !errors.As(err, &de) || !errors.Is(err, ErrTruncated) || de.LastPageID == 0 || de.LastPageID != pages[len(pages)-1].ID {
				t.Fatalf("err = %v, want a truncation error naming the last page", err)
			}
			if first == nil {
				first = de
			} else if de.LastPageID != first.LastPageID || de.Offset != first.Offset {
				t.Fatalf("run %d: %v, first run: %v", i, de, first)
			}
		}
	})
	t.Run("crc", func(t *testing.T) {
		bad := append([]byte(nil), data...)
		bad[len(bad)/3] ^= 0x55
		_, _, err := readAll(t, writeFile(t, "bad.xml.bz2", bad))
		var de *Error
		if !errors.As(err, &de) {
			t.Fatalf("err = %v, want a *Error", err)
		}
	})
}

func TestNotXML(t *testing.T) {
	for name, data := range map[string][]byte{
		"text":      []byte("hello world"),
		"utf16 BOM": append([]byte{0xff, 0xfe}, []byte("<\x00m\x00")...),
		"utf16 NUL": []byte("<\x00m\x00e\x00d\x00"),
	} {
		t.Run(name, func(t *testing.T) {
			_, _, err := readAll(t, writeFile(t, "x.xml", data))
			if !errors.Is(err, ErrNotXML) {
				t.Fatalf("err = %v, want ErrNotXML", err)
			}
		})
	}
}

func TestCancel(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	r, err := Open(ctx, []string{testfixtures.Path(t, "dumps/ukwiki/ukwiki-20230501-pages-articles-head.xml.bz2")}, Options{Threads: 2})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if _, err := r.Next(); err != nil {
		t.Fatal(err)
	}
	cancel()
	for {
		_, err := r.Next()
		if err == nil {
			continue
		}
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("err = %v, want context.Canceled", err)
		}
		return
	}
}

func TestLastRevisionWins(t *testing.T) {
	doc := header + "  <page>\n    <title>A</title>\n    <ns>0</ns>\n    <id>1</id>\n" +
		"    <revision>\n      <id>5</id>\n      <text>old</text>\n    </revision>\n" +
		"    <revision>\n      <id>6</id>\n      <text>new</text>\n    </revision>\n  </page>\n</mediawiki>\n"
	r, err := Open(context.Background(), []string{writeFile(t, "d.xml", []byte(doc))}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	p, err := r.Next()
	if err != nil || p.Text != "new" || p.RevID != 6 {
		t.Fatalf("page %+v, %v: want the last revision", p, err)
	}
}

// TestOpenCompressedCancel: a reader from OpenCompressed (used by the wdproperties stage)
// stops at the next read once its context is cancelled, for bzip2, gzip and plain files.
func TestOpenCompressedCancel(t *testing.T) {
	for _, rel := range []string{
		"dumps/ukwiki/ukwiki-20230501-pages-articles-head.xml.bz2",
		"dumps/edge/stub-articles-sample.xml.gz",
	} {
		ctx, cancel := context.WithCancel(context.Background())
		rc, err := OpenCompressed(ctx, testfixtures.Path(t, rel), 2)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := rc.Read(make([]byte, 100)); err != nil {
			t.Fatalf("%s: %v", rel, err)
		}
		cancel()
		if _, err := rc.Read(make([]byte, 100)); !errors.Is(err, context.Canceled) {
			t.Errorf("%s: read after cancel: %v, want context.Canceled", rel, err)
		}
		rc.Close()
	}
}

// compress returns data in the named format: "xml", "gz", "gz-members" (one gzip
// member per part, as concatenated .gz files), "bz2" (bzip2 -c) and "bz2-streams" (one
// bzip2 stream per part, as a multistream dump).
func compress(t *testing.T, format string, parts ...string) []byte {
	t.Helper()
	gz := func(s string) []byte {
		var b bytes.Buffer
		zw := gzip.NewWriter(&b)
		io.WriteString(zw, s)
		zw.Close()
		return b.Bytes()
	}
	bz := func(s string) []byte {
		cmd := exec.Command("bzip2", "-c")
		cmd.Stdin = strings.NewReader(s)
		out, err := cmd.Output()
		if err != nil {
			t.Skipf("bzip2: %v", err)
		}
		return out
	}
	var out []byte
	switch format {
	case "xml":
		return []byte(strings.Join(parts, ""))
	case "gz":
		return gz(strings.Join(parts, ""))
	case "bz2":
		return bz(strings.Join(parts, ""))
	case "gz-members":
		for _, p := range parts {
			out = append(out, gz(p)...)
		}
	case "bz2-streams":
		for _, p := range parts {
			out = append(out, bz(p)...)
		}
	}
	return out
}

// A dump that stops between two pages (no </mediawiki>) is refused in every format,
// naming the file and the last complete page (issue 18, item 3); with its footer it is
// read.
func TestCutBetweenPagesEveryFormat(t *testing.T) {
	p1, p2 := header+page(1, "A", "", "text"), page(2, "B", "", "more")
	for _, format := range []string{"xml", "gz", "gz-members", "bz2", "bz2-streams"} {
		for _, name := range []string{"xxwiki-20260101-pages-articles.xml", "xxwiki-20260101-pages-articles1.xml-p1p2"} {
			ext := map[string]string{"xml": "", "gz": ".gz", "gz-members": ".gz", "bz2": ".bz2", "bz2-streams": ".bz2"}[format]
			t.Run(format+"/"+name, func(t *testing.T) {
				cut := writeFile(t, name+ext, compress(t, format, p1, p2))
				_, _, err := readAll(t, cut)
				var de *Error
				if !errors.As(err, &de) || !errors.Is(err, ErrTruncated) || de.File != cut || de.LastPageID != 2 {
					t.Fatalf("err = %v, want a truncation error naming %s and last page 2", err, cut)
				}
				for _, want := range []string{cut, "last complete page id 2", "</mediawiki>"} {
					if !strings.Contains(err.Error(), want) {
						t.Errorf("error %q lacks %q", err, want)
					}
				}
				whole := writeFile(t, name+ext, compress(t, format, p1, p2, "</mediawiki>\n"))
				if pages, _, err := readAll(t, whole); err != nil || len(pages) != 2 {
					t.Errorf("whole file: %v, %d pages", err, len(pages))
				}
			})
		}
	}
}

// Files without a single article, or empty, are refused before anything is built from
// them (issue 18, item 2); AllowNoArticles reads them.
func TestNoArticles(t *testing.T) {
	only := func(pages ...string) []byte { return []byte(header + strings.Join(pages, "") + "</mediawiki>\n") }
	tests := []struct {
		name string
		data []byte
		want error
	}{
		{"0 bytes", nil, ErrEmpty},
		{"0 bytes gzip", compress(t, "gz", ""), ErrEmpty},
		{"no pages", only(), ErrNoArticles},
		{"only redirects", only(page(1, "A", `<redirect title="B" />`, "#REDIRECT [[B]]")), ErrNoArticles},
		{"only templates", only(strings.Replace(page(1, "Template:A", "", "x"), "<ns>0</ns>", "<ns>10</ns>", 1)), ErrNoArticles},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := writeFile(t, "d.xml", tt.data)
			r, err := Open(context.Background(), []string{f}, Options{})
			if err != nil {
				t.Fatal(err)
			}
			defer r.Close()
			for err == nil {
				_, err = r.Next()
			}
			var de *Error
			if !errors.Is(err, tt.want) || !errors.As(err, &de) || de.File != f {
				t.Fatalf("err = %v, want %v naming %s", err, tt.want, f)
			}
		})
	}
	// One article among other files is enough.
	a := writeFile(t, "a.xml", only(page(1, "A", `<redirect title="B" />`, "#REDIRECT [[B]]")))
	b := writeFile(t, "b.xml", only(page(2, "B", "", "text")))
	r, _ := Open(context.Background(), []string{a, b}, Options{})
	defer r.Close()
	for {
		_, err := r.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
	}
}

// A dump of another wiki is refused (its <dbname> or its file name), unless
// AllowWikiMismatch (issue 18, item 4).
func TestWikiMismatch(t *testing.T) {
	doc := []byte(header + page(1, "A", "", "text") + "</mediawiki>\n") // <dbname>xxwiki</dbname>
	noSite := []byte(page(1, "A", "", "text"))
	tests := []struct {
		name, file string
		data       []byte
		wiki       string
		allow      bool
		source     string // "" means accepted
	}{
		{"same dbname", "d.xml", doc, "xxwiki", false, ""},
		{"other dbname", "d.xml", doc, "cswiki", false, "<dbname>"},
		{"other dbname allowed", "d.xml", doc, "cswiki", true, ""},
		{"file name", "dewiki-20260101-pages-articles.xml", noSite, "cswiki", false, "file name"},
		{"file name latest", "dewiki-latest-pages-articles1.xml-p1p9.bz2", noSite, "cswiki", false, "file name"},
		{"file name allowed", "dewiki-20260101-pages-articles.xml", noSite, "cswiki", true, ""},
		{"file name same", "cswiki-20260101-pages-articles.xml", noSite, "cswiki", false, ""},
		{"no wiki in name", "renamed.xml", noSite, "cswiki", false, ""},
		{"no wiki asked", "dewiki-20260101-pages-articles.xml", doc, "", false, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := writeFile(t, tt.file, tt.data)
			r, err := Open(context.Background(), []string{f}, Options{Wiki: tt.wiki, AllowWikiMismatch: tt.allow})
			if err == nil {
				defer r.Close()
				for err == nil {
					_, err = r.Next()
				}
				if err == io.EOF {
					err = nil
				}
			}
			var we *WikiMismatchError
			switch {
			case tt.source == "" && err != nil:
				t.Fatalf("err = %v, want the file accepted", err)
			case tt.source != "" && (!errors.As(err, &we) || we.Source != tt.source || we.File != f || we.Wiki != tt.wiki):
				t.Fatalf("err = %v, want a mismatch found in the %s", err, tt.source)
			case tt.source != "" && !strings.Contains(err.Error(), "--allow-wiki-mismatch"):
				t.Errorf("error %q does not name the override", err)
			}
		})
	}
}
