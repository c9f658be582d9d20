package linker

import (
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"

	"github.com/addlink/addlink/datasets"
	"github.com/addlink/addlink/internal/testfixtures"
)

// featureScorer gives a probability that depends on every feature, so that a
// dictionary that computes one differently answers differently.
type featureScorer struct{}

func (featureScorer) Predict(f []float32) float32 {
	x := 0.05*float64(f[1]) - 0.2*float64(f[2]) + 0.3*float64(f[4]) + float64(f[5]) - 0.1*float64(f[0])
	if !math.IsNaN(float64(f[3])) {
		x += 0.01 * float64(f[3])
	}
	return float32(1 / (1 + math.Exp(-x)))
}

// syntheticWiki returns the rows of a random wiki over a vocabulary of n words, and
// texts that use them, from a seed.
func syntheticWiki(seed uint64, n int) ([]datasets.Anchor, []datasets.PageID, []datasets.Redirect, []datasets.Embedding, []string) {
	r := rand.New(rand.NewPCG(seed, 1))
	words := make([]string, n)
	for i := range words {
		words[i] = fmt.Sprintf("w%dé%c", i, 'a'+rune(i%26))
	}
	title := func() string {
		k := 1 + r.IntN(3)
		parts := make([]string, k)
		for i := range parts {
			parts[i] = words[r.IntN(n)]
		}
		t := strings.Join(parts, " ")
		return strings.ToUpper(t[:1]) + t[1:]
	}
	var pageids []datasets.PageID
	var vectors []datasets.Embedding
	seen := map[string]bool{}
	for i := 0; i < n; i++ {
		t := title()
		if seen[t] {
			continue
		}
		seen[t] = true
		pageids = append(pageids, datasets.PageID{Title: t, PageID: int64(i + 1)})
		if r.IntN(3) > 0 {
			v := make([]float32, 8)
			for j := range v {
				v[j] = r.Float32()*2 - 1
			}
			vectors = append(vectors, datasets.Embedding{Title: t, Vector: v})
		}
	}
	var redirects []datasets.Redirect
	for i := 0; i < n/4; i++ {
		redirects = append(redirects, datasets.Redirect{From: title(), To: pageids[r.IntN(len(pageids))].Title})
	}
	var anchors []datasets.Anchor
	pairs := map[[2]string]bool{}
	for i := 0; i < 2*n; i++ {
		a := strings.ToLower(title())
		for k := 1 + r.IntN(12); k > 0; k-- {
			t := pageids[r.IntN(len(pageids))].Title
			if pairs[[2]string{a, t}] {
				continue
			}
			pairs[[2]string{a, t}] = true
			anchors = append(anchors, datasets.Anchor{Anchor: a, Target: t, N: int64(1 + r.IntN(20))})
		}
	}
	var texts []string
	for i := 0; i < 20; i++ {
		var b strings.Builder
		for j := 0; j < 300; j++ {
			switch r.IntN(30) {
			case 0:
				fmt.Fprintf(&b, "[[%s]] ", pageids[r.IntN(len(pageids))].Title)
			case 1:
				b.WriteString(".\n\n== Section ==\n")
			default:
				b.WriteString(words[r.IntN(n)] + " ")
			}
		}
		texts = append(texts, b.String())
	}
	return anchors, pageids, redirects, vectors, texts
}

// TestIndexDictAnswersAsMaps: a dictionary read from its serving index recommends the
// same links as the dictionary it was written from, on a synthetic wiki.
func TestIndexDictAnswersAsMaps(t *testing.T) {
	anchors, pageids, redirects, vectors, texts := syntheticWiki(7, 400)
	d := NewDict(anchors, pageids, redirects, vectors)
	path := filepath.Join(t.TempDir(), "x.serve.idx")
	ix := writeIndex(t, datasets.Rows{Anchors: anchors, PageIDs: pageids, Redirects: redirects, Vectors: vectors}, path)
	xd := NewIndexDict(ix, d.Lower)
	links := 0
	for i, text := range texts {
		page := pageids[i].Title
		for _, th := range []float64{0.2, 0.5} {
			want := Recommend(d, featureScorer{}, page, text, RecommendOptions{Threshold: th})
			got := Recommend(xd, featureScorer{}, page, text, RecommendOptions{Threshold: th})
			if !reflect.DeepEqual(got, want) {
				t.Fatalf("text %d threshold %v: index answers\n%+v\nmaps answer\n%+v", i, th, got, want)
			}
			links += len(want.Links)
		}
	}
	if links == 0 {
		t.Fatal("no link recommended: the comparison compares nothing")
	}
	for _, p := range pageids {
		id, ok := xd.PageID(p.Title)
		if !ok || id != p.PageID {
			t.Fatalf("PageID(%q) = %d, %v; want %d", p.Title, id, ok, p.PageID)
		}
	}
	for _, r := range redirects {
		if got := xd.Resolve(r.From); got != d.Resolve(r.From) {
			t.Fatalf("Resolve(%q) = %q, want %q", r.From, got, d.Resolve(r.From))
		}
	}
	t.Logf("%d links compared", links)
}

// readTSV returns the rows of a fixture's TSV file (after its header), split at tabs.
func readTSV(t *testing.T, path string) [][]string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var rows [][]string
	for i, line := range strings.Split(strings.TrimRight(string(b), "\n"), "\n") {
		if i > 0 {
			rows = append(rows, strings.Split(line, "\t"))
		}
	}
	return rows
}

// fixtureRows reads the reference's anchors, page ids and redirects of a fixture wiki.
func fixtureRows(t *testing.T, wiki string) datasets.Rows {
	t.Helper()
	dir := testfixtures.Path(t, "reference/"+wiki)
	var anchors []datasets.Anchor
	for _, r := range readTSV(t, filepath.Join(dir, "anchors.tsv")) {
		n, err := strconv.ParseInt(r[2], 10, 64)
		if err != nil {
			t.Fatal(err)
		}
		anchors = append(anchors, datasets.Anchor{Anchor: r[0], Target: r[1], N: n})
	}
	var pageids []datasets.PageID
	for _, r := range readTSV(t, filepath.Join(dir, "pageids.tsv")) {
		n, err := strconv.ParseInt(r[1], 10, 64)
		if err != nil {
			t.Fatal(err)
		}
		pageids = append(pageids, datasets.PageID{Title: r[0], PageID: n})
	}
	var redirects []datasets.Redirect
	for _, r := range readTSV(t, filepath.Join(dir, "redirects.tsv")) {
		redirects = append(redirects, datasets.Redirect{From: r[0], To: r[1]})
	}
	return datasets.Rows{Anchors: anchors, PageIDs: pageids, Redirects: redirects}
}

// TestIndexDictFixtureWikis: over the reference's datasets of the fixture wikis, a
// dictionary read from its serving index recommends the same links as the in-memory
// one, with a real model, in the wikis' test sentences.
func TestIndexDictFixtureWikis(t *testing.T) {
	model, err := ReadModel(testfixtures.Path(t, "reference/elwikivoyage/export/elwikivoyage.linkmodel.json"))
	if err != nil {
		t.Fatal(err)
	}
	for _, wiki := range []string{"elwikivoyage", "enwiki", "jawiki", "ukwiki", "viwiki"} {
		t.Run(wiki, func(t *testing.T) {
			rows := fixtureRows(t, wiki)
			dir := testfixtures.Path(t, "reference/"+wiki)
			d := NewDict(rows.Anchors, rows.PageIDs, rows.Redirects, nil)
			d.Lower = LowerFunc(datasets.Language(wiki))
			path := filepath.Join(t.TempDir(), datasets.ServeIndexName(wiki))
			ix := writeIndex(t, rows, path)
			xd := NewIndexDict(ix, d.Lower)
			links, pages := 0, 0
			for _, r := range readTSV(t, filepath.Join(dir, "sentences_test.tsv")) {
				if len(r) < 2 {
					continue
				}
				pages++
				for _, th := range []float64{0.3, 0} {
					o := RecommendOptions{Threshold: th}
					want := Recommend(d, model, r[0], r[1], o)
					got := Recommend(xd, model, r[0], r[1], o)
					if !reflect.DeepEqual(got, want) {
						t.Fatalf("page %q: index answers\n%+v\nmaps answer\n%+v", r[0], got, want)
					}
					links += len(want.Links)
				}
			}
			if links == 0 {
				t.Fatalf("no link in %d sentences: the comparison compares nothing", pages)
			}
			t.Logf("%d sentences, %d links, the same", pages, links)
		})
	}
}

// BenchmarkRecommendIndex compares Recommend on a synthetic wiki read from its serving
// index with the same wiki in memory.
func BenchmarkRecommendIndex(b *testing.B) {
	anchors, pageids, redirects, vectors, texts := syntheticWiki(11, 20000)
	d := NewDict(anchors, pageids, redirects, vectors)
	path := filepath.Join(b.TempDir(), "b.serve.idx")
	ix := writeIndex(b, datasets.Rows{Anchors: anchors, PageIDs: pageids, Redirects: redirects, Vectors: vectors}, path)
	for _, c := range []struct {
		name string
		d    *Dict
	}{{"maps", d}, {"index", NewIndexDict(ix, d.Lower)}} {
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			for i := 0; b.Loop(); i++ {
				Recommend(c.d, featureScorer{}, pageids[i%len(pageids)].Title, texts[i%len(texts)], RecommendOptions{Threshold: 0.5})
			}
		})
	}
}

// writeIndex writes the serving index of rows to path and opens it; it is closed when
// the test or benchmark ends. The caller's slices are left in their order.
func writeIndex(tb testing.TB, rows datasets.Rows, path string) *datasets.ServeIndex {
	tb.Helper()
	rows = cloneRows(rows)
	if _, err := WriteServeIndexRows(path, &rows); err != nil {
		tb.Fatal(err)
	}
	ix, err := datasets.OpenServeIndex(path)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { ix.Close() })
	return ix
}
