package backtest_test

import (
	"bufio"
	"context"
	"io"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/addlink/addlink/datasets"
	"github.com/addlink/addlink/internal/dump"
	"github.com/addlink/addlink/internal/linker"
	"github.com/addlink/addlink/internal/testfixtures"
	"github.com/addlink/addlink/internal/wikitext"
	"github.com/addlink/addlink/pipeline"
)

var fixtureDumps = map[string]string{
	"elwikivoyage": "dumps/elwikivoyage/elwikivoyage-pages-articles.xml.bz2",
	"ukwiki":       "dumps/ukwiki/ukwiki-20230501-pages-articles-head.xml.bz2",
	"viwiki":       "dumps/viwiki/viwiki-20230501-pages-articles-head.xml.bz2",
	"jawiki":       "dumps/jawiki/jawiki-20230501-pages-articles-head.xml.bz2",
}

// referenceRow reads the reference's backtest row at threshold 0.5.
func referenceRow(t *testing.T, wiki string) (p, r float64) {
	f, err := os.Open(testfixtures.Path(t, filepath.Join("reference", wiki, "backtest.eval.csv")))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		c := strings.Split(sc.Text(), ",")
		if len(c) == 5 && c[1] == "0.5" {
			p, r = math.NaN(), math.NaN()
			if c[3] != "" {
				p, _ = strconv.ParseFloat(c[3], 64)
			}
			if c[4] != "" {
				r, _ = strconv.ParseFloat(c[4], 64)
			}
			return p, r
		}
	}
	t.Fatalf("%s: no reference row at 0.5", wiki)
	return 0, 0
}

// TestBacktestAgainstReference runs the pipeline up to the backtest on the fixture wikis
// and compares the row at threshold 0.5 with the reference's: precision at least
// min(reference, 0.8) - 0.02 and recall at least the reference's (jawiki, where the
// reference finds nothing: recall at least 0.2). It then checks every recommendation
// the trained model makes on the wiki's articles.
func TestBacktestAgainstReference(t *testing.T) {
	for _, wiki := range []string{"elwikivoyage", "ukwiki", "viwiki", "jawiki"} {
		t.Run(wiki, func(t *testing.T) {
			dumpFile := testfixtures.Path(t, fixtureDumps[wiki])
			dir := t.TempDir()
			cfg := &pipeline.Config{Wiki: wiki, DataDir: dir, Dumps: []string{dumpFile}, Threads: 2, Version: "test"}
			if _, err := pipeline.Run(context.Background(), cfg, pipeline.Stages(), pipeline.RunOptions{To: "backtest"}, nil); err != nil {
				t.Fatal(err)
			}
			l := datasets.Layout{DataDir: dir, Wiki: wiki}
			b, err := os.ReadFile(l.BacktestEval())
			if err != nil {
				t.Fatal(err)
			}
			var p, r float64
			for _, line := range strings.Split(string(b), "\n") {
				c := strings.Split(line, ",")
				if len(c) == 5 && c[1] == "0.5" {
					p, _ = strconv.ParseFloat(c[3], 64)
					r, _ = strconv.ParseFloat(c[4], 64)
				}
			}
			rp, rr := referenceRow(t, wiki)
			t.Logf("%s at 0.5: precision %.4f recall %.4f; reference precision %.4f recall %.4f", wiki, p, r, rp, rr)
			if wiki == "jawiki" {
				if !(r >= 0.2) {
					t.Errorf("jawiki recall %.4f < 0.2", r)
				}
			} else {
				if !(p >= math.Min(rp, 0.8)-0.02) {
					t.Errorf("precision %.4f < min(%.4f, 0.8) - 0.02", p, rp)
				}
				if !(r >= rr) {
					t.Errorf("recall %.4f < reference %.4f", r, rr)
				}
			}
			if _, err := os.Stat(l.BacktestPlot()); err != nil {
				t.Error(err)
			}
			checkArticles(t, l, dumpFile)
		})
	}
}

// checkArticles recommends links for articles of the dump with the trained model and
// checks every recommendation: its offset points at its text in the original
// wikitext, it overlaps no existing link, and it does not link the page to itself or
// to a page the article already links.
func checkArticles(t *testing.T, l datasets.Layout, dumpFile string) {
	q, err := linker.OpenWiki(l, linker.Parquet)
	if err != nil {
		t.Fatal(err)
	}
	r, err := dump.Open(context.Background(), []string{dumpFile}, dump.Options{Threads: 2})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	pages, recs := 0, 0
	for pages < 150 {
		pg, err := r.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if pg.NS != 0 || pg.IsRedirect() {
			continue
		}
		pages++
		res := linker.Recommend(q.Dict, q.Model, pg.Title, pg.Text, linker.RecommendOptions{Threshold: 0.3})
		gold, _ := q.Dict.Gold(pg.Text, false)
		linked := map[string]bool{wikitext.NormalizeTitle(pg.Title): true}
		for _, tg := range gold {
			linked[tg] = true
		}
		links := wikitext.Links(pg.Text)
		for _, rec := range res.Links {
			recs++
			end := rec.ByteOffset + len(rec.LinkText)
			if rec.ByteOffset < 0 || end > len(pg.Text) || pg.Text[rec.ByteOffset:end] != rec.LinkText {
				t.Fatalf("%s: offset %d does not point at %q", pg.Title, rec.ByteOffset, rec.LinkText)
			}
			if utf8.RuneCountInString(pg.Text[:rec.ByteOffset]) != rec.WikitextOffset {
				t.Fatalf("%s: character offset %d of %q is wrong", pg.Title, rec.WikitextOffset, rec.LinkText)
			}
			for _, lk := range links {
				if rec.ByteOffset < lk.End && end > lk.Start {
					t.Fatalf("%s: %q at %d overlaps the link %q", pg.Title, rec.LinkText, rec.ByteOffset, pg.Text[lk.Start:lk.End])
				}
			}
			if linked[rec.LinkTarget] {
				t.Fatalf("%s: recommends %q, the page itself or already linked", pg.Title, rec.LinkTarget)
			}
		}
	}
	t.Logf("%d articles, %d recommendations checked", pages, recs)
	if recs == 0 {
		t.Errorf("no recommendations on %d articles", pages)
	}
}

// TestQueryFromExportedFiles: queries answered from the exported SQLite files (as in a
// published directory: only the .sqlite.gz copies and the model) equal those answered
// from the Parquet datasets.
func TestQueryFromExportedFiles(t *testing.T) {
	dir := t.TempDir()
	dumpFile, err := pipeline.EnsureSample(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	cfg := &pipeline.Config{Wiki: "samplewiki", DataDir: dir, Dumps: []string{dumpFile}, Threads: 2, Version: "test"}
	if _, err := pipeline.Run(context.Background(), cfg, pipeline.Stages(), pipeline.RunOptions{}, nil); err != nil {
		t.Fatal(err)
	}
	l := datasets.Layout{DataDir: dir, Wiki: "samplewiki"}
	fromParquet, err := linker.OpenWiki(l, linker.Parquet)
	if err != nil {
		t.Fatal(err)
	}
	pub := datasets.Layout{DataDir: t.TempDir(), Wiki: "samplewiki"}
	os.MkdirAll(pub.Dir(), 0o755)
	for _, name := range []string{"anchors", "pageids", "redirects", "w2vfiltered"} {
		b, err := os.ReadFile(l.ExportedSQLite(name) + ".gz")
		if err != nil {
			t.Fatal(err)
		}
		os.WriteFile(pub.File(name+".sqlite.gz"), b, 0o644)
	}
	b, _ := os.ReadFile(l.Model())
	os.WriteFile(pub.Model(), b, 0o644)
	fromSQLite, err := linker.OpenWiki(pub, linker.Auto)
	if err != nil {
		t.Fatal(err)
	}
	r, err := dump.Open(context.Background(), []string{dumpFile}, dump.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	total := 0
	for n := 0; n < 60; {
		pg, err := r.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if pg.NS != 0 || pg.IsRedirect() {
			continue
		}
		n++
		o := linker.RecommendOptions{Threshold: 0.3}
		a := linker.Recommend(fromParquet.Dict, fromParquet.Model, pg.Title, pg.Text, o)
		b := linker.Recommend(fromSQLite.Dict, fromSQLite.Model, pg.Title, pg.Text, o)
		if !reflect.DeepEqual(a, b) {
			t.Fatalf("%s: Parquet %+v\nSQLite %+v", pg.Title, a, b)
		}
		total += len(a.Links)
	}
	if total == 0 {
		t.Error("no links recommended on the sample wiki")
	}
	if res := linker.Recommend(fromSQLite.Dict, fromSQLite.Model, "Nowhere", "", linker.RecommendOptions{Threshold: 0.5}); len(res.Links) != 0 {
		t.Errorf("empty wikitext: %+v", res)
	}
}
