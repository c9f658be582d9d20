package review

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/addlink/addlink/datasets"
	"github.com/addlink/addlink/internal/dump"
	"github.com/addlink/addlink/internal/linker"
	"github.com/addlink/addlink/internal/testfixtures"
	"github.com/addlink/addlink/internal/wikitext"
	"github.com/addlink/addlink/pipeline"
)

var fixtureDumps = map[string]string{
	"ukwiki": "dumps/ukwiki/ukwiki-20230501-pages-articles-head.xml.bz2",
	"viwiki": "dumps/viwiki/viwiki-20230501-pages-articles-head.xml.bz2",
}

var trained struct {
	sync.Mutex
	dirs map[string]string
	root string
}

func TestMain(m *testing.M) {
	code := m.Run()
	if trained.root != "" {
		os.RemoveAll(trained.root)
	}
	os.Exit(code)
}

// trainedWiki runs the pipeline up to the backtest on a fixture wiki, once per test
// binary, and returns the data directory and the dump.
func trainedWiki(t *testing.T, wiki string) (string, string) {
	t.Helper()
	dumpFile := testfixtures.Path(t, fixtureDumps[wiki])
	trained.Lock()
	defer trained.Unlock()
	if d, ok := trained.dirs[wiki]; ok {
		return d, dumpFile
	}
	if trained.root == "" {
		root, err := os.MkdirTemp("", "addlink-review-test-")
		if err != nil {
			t.Fatal(err)
		}
		trained.root, trained.dirs = root, map[string]string{}
	}
	dir := filepath.Join(trained.root, wiki)
	cfg := &pipeline.Config{Wiki: wiki, DataDir: dir, Dumps: []string{dumpFile}, Threads: 2, Version: "test"}
	if _, err := pipeline.Run(context.Background(), cfg, pipeline.Stages(), pipeline.RunOptions{To: "backtest"}, nil); err != nil {
		t.Fatal(err)
	}
	trained.dirs[wiki] = dir
	return dir, dumpFile
}

// importFromLinks imports a fixture wiki's suggestions with its links removed and
// judges them from those links.
func importFromLinks(t *testing.T, st *Store, wiki string) (ImportSummary, string, string) {
	t.Helper()
	dir, dumpFile := trainedWiki(t, wiki)
	o := ImportOptions{Wiki: wiki, DataDir: dir, Dumps: []string{dumpFile}, Pages: 40, Seed: 1, FromLinks: true, Threshold: DefaultThreshold}
	s, err := Import(context.Background(), st, o, nil)
	if err != nil {
		t.Fatal(err)
	}
	n, err := JudgeFromLinks(context.Background(), st, wiki)
	if err != nil || n != s.Items {
		t.Fatalf("JudgeFromLinks wrote %d (%v), want %d", n, err, s.Items)
	}
	return s, dir, dumpFile
}

// The golden set made from the dumps' own links: an item is accepted when the page
// linked that mention to that target. Everything the tools report is checked against
// counts made here from the items and the dump.
func TestGoldenSetFromDumpLinks(t *testing.T) {
	if testing.Short() {
		t.Skip("short")
	}
	for _, wiki := range []string{"ukwiki", "viwiki"} {
		t.Run(wiki, func(t *testing.T) {
			ctx := context.Background()
			st := newStore(t)
			s, dir, dumpFile := importFromLinks(t, st, wiki)
			if s.Pages != 40 || s.Items == 0 || s.Added != s.Items || s.TrainingArticles == 0 {
				t.Fatalf("import: %+v", s)
			}
			items, err := st.Items(ctx, wiki)
			if err != nil || len(items) != s.Items {
				t.Fatalf("%d items stored (%v), want %d", len(items), err, s.Items)
			}
			l := datasets.Layout{DataDir: dir, Wiki: wiki}
			train, err := datasets.ReadSentences(l.SentencesTrain())
			if err != nil {
				t.Fatal(err)
			}
			training := map[string]bool{}
			for _, x := range train {
				training[x.Title] = true
			}
			// Importing again (same seed) finds the same items and adds none.
			st2 := newStore(t)
			s2, err := Import(ctx, st2, ImportOptions{Wiki: wiki, DataDir: dir, Dumps: []string{dumpFile}, Pages: 40, Seed: 1, FromLinks: true, Threshold: DefaultThreshold}, nil)
			if err != nil {
				t.Fatal(err)
			}
			items2, _ := st2.Items(ctx, wiki)
			if s2.Items != s.Items || fmt.Sprint(items2) != fmt.Sprint(items) {
				t.Errorf("a second import differs: %d items against %d", s2.Items, s.Items)
			}
			if s3, err := Import(ctx, st, ImportOptions{Wiki: wiki, DataDir: dir, Dumps: []string{dumpFile}, Pages: 40, Seed: 1, FromLinks: true, Threshold: DefaultThreshold}, nil); err != nil || s3.Added != 0 {
				t.Errorf("importing again into the same store added %d (%v)", s3.Added, err)
			}
			// Each item against the dump: accepted exactly when the page linked the
			// mention to the target.
			d, err := linker.LoadDict(l, false)
			if err != nil {
				t.Fatal(err)
			}
			pages := dumpPages(t, dumpFile)
			js, _ := st.Judgments(ctx, wiki)
			eff := Effective(js)
			accepted := 0
			for _, it := range items {
				if training[it.PageTitle] {
					t.Errorf("item of a training article: %s", it.PageTitle)
				}
				if it.Score < DefaultThreshold {
					t.Errorf("item below the threshold: %+v", it)
				}
				linked := false
				wikitext.ScanLinks(pages[it.PageTitle], func(lk wikitext.Link) bool {
					anchor := lk.Anchor
					if anchor == "" {
						anchor = wikitext.NormalizeTitle(lk.Target)
					}
					if d.Lower(strings.TrimSpace(anchor)) == d.Lower(strings.TrimSpace(it.Mention)) &&
						d.Resolve(wikitext.NormalizeTitle(lk.Target)) == d.Resolve(it.Target) {
						linked = true
					}
					return true
				})
				got := eff[it.ID][FromLinksReviewer]
				if (got == Accept) != linked {
					t.Errorf("%s: %q -> %q judged %s, the page links it: %v", it.PageTitle, it.Mention, it.Target, got, linked)
				}
				if linked {
					accepted++
				}
			}
			t.Logf("%s: %d items on %d pages, %d accepted by the dump's links", wiki, len(items), s.Pages, accepted)
			if accepted == 0 || accepted == len(items) {
				t.Fatalf("%d of %d accepted: the golden set has one class", accepted, len(items))
			}
			checkLabellingReport(t, st, wiki, items, eff, accepted)
			checkEval(t, st, wiki, dir, items, accepted)
			checkExport(t, st, wiki, items, accepted)
		})
	}
}

// dumpPages reads the articles' wikitext by title.
func dumpPages(t *testing.T, path string) map[string]string {
	r, err := dump.Open(context.Background(), []string{path}, dump.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	out := map[string]string{}
	for {
		p, err := r.Next()
		if err == io.EOF {
			return out
		}
		if err != nil {
			t.Fatal(err)
		}
		if p.NS == 0 {
			out[p.Title] = p.Text
		}
	}
}

func checkLabellingReport(t *testing.T, st *Store, wiki string, items []Item, eff map[int64]map[string]Label, accepted int) {
	r, err := LabellingReport(context.Background(), st, wiki)
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	r.Write(&out)
	t.Logf("review lfs:\n%s", out.String())
	if r.Items != len(items) || r.Golden != len(items) || r.GoldenAccepts != accepted || len(r.Functions) < 8 {
		t.Fatalf("report: %d items, %d golden, %d accepted, %d functions", r.Items, r.Golden, r.GoldenAccepts, len(r.Functions))
	}
	// Each function's figures counted again from the items.
	for j, lf := range LabellingFunctions() {
		var votes, correct int
		for i := range items {
			v := lf.Fn(&items[i])
			if v == Abstain {
				continue
			}
			votes++
			if (v == VoteAccept) == (eff[items[i].ID][FromLinksReviewer] == Accept) {
				correct++
			}
		}
		s := r.Functions[j]
		if math.Abs(s.Coverage-float64(votes)/float64(len(items))) > 1e-12 || s.Correct != correct || s.Incorrect != votes-correct {
			t.Errorf("%s: %+v, counted %d votes, %d correct", lf.Name, s, votes, correct)
		}
	}
	if len(r.Combiners) != 2 || r.Better == "" && r.Combiners[0].Overall != r.Combiners[1].Overall {
		t.Errorf("combiners %+v, better %q", r.Combiners, r.Better)
	}
	for _, c := range r.Combiners {
		if c.Golden != len(items) || c.Correct > c.Labelled || c.Labelled > c.Golden || c.Correct == 0 {
			t.Errorf("%+v", c)
		}
	}
}

func checkEval(t *testing.T, st *Store, wiki, dir string, items []Item, accepted int) {
	ctx := context.Background()
	rep, err := Evaluate(ctx, st, EvalOptions{Wiki: wiki, DataDir: dir, Bootstrap: 200}, nil)
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	rep.Write(&out)
	t.Logf("review eval:\n%s", out.String())
	if rep.Golden != len(items) || rep.Accepted != accepted || len(rep.Rows) != 10 || rep.Backtest == "" {
		t.Fatalf("eval: %d golden, %d accepted, %d rows, backtest %q", rep.Golden, rep.Accepted, len(rep.Rows), rep.Backtest)
	}
	for _, r := range rep.Rows {
		if r.TruePositives+r.FalseNegatives != accepted || r.TruePositives+r.FalsePositives+r.FalseNegatives > len(items) {
			t.Errorf("%+v: counts do not add up to %d accepted of %d", r, accepted, len(items))
		}
		if math.Abs(r.Threshold-DefaultThreshold) < 1e-9 {
			// The import's own model on the same text at the import's threshold
			// suggests every item again.
			if r.TruePositives+r.FalsePositives != len(items) || r.Recall != 1 {
				t.Errorf("at %.1f the importing model predicts %d of %d items (recall %v)", r.Threshold, r.TruePositives+r.FalsePositives, len(items), r.Recall)
			}
			if math.Abs(r.Precision-float64(accepted)/float64(len(items))) > 1e-12 {
				t.Errorf("precision %v at %.1f, want %d/%d", r.Precision, r.Threshold, accepted, len(items))
			}
		}
		if !math.IsNaN(r.Precision) && !(r.PrecisionLow <= r.Precision && r.Precision <= r.PrecisionHigh) {
			t.Errorf("precision %v outside [%v, %v]", r.Precision, r.PrecisionLow, r.PrecisionHigh)
		}
		if math.IsNaN(r.BacktestRecall) {
			t.Errorf("no backtest figure at %.1f", r.Threshold)
		}
	}
	// Any model file: the same model from elsewhere gives the same figures.
	other := filepath.Join(t.TempDir(), "copy.json")
	b, err := os.ReadFile(datasets.Layout{DataDir: dir, Wiki: wiki}.Model())
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(other, b, 0o644)
	rep2, err := Evaluate(ctx, st, EvalOptions{Wiki: wiki, DataDir: dir, Model: other, Bootstrap: 200}, nil)
	if err != nil {
		t.Fatal(err)
	}
	for i := range rep.Rows {
		a, c := rep.Rows[i], rep2.Rows[i]
		if a.TruePositives != c.TruePositives || a.FalsePositives != c.FalsePositives || a.PrecisionLow != c.PrecisionLow || !math.IsNaN(c.BacktestPrecision) {
			t.Errorf("with --model: %+v, own: %+v", c, a)
		}
	}
}

func checkExport(t *testing.T, st *Store, wiki string, items []Item, accepted int) {
	ctx := context.Background()
	// A second reviewer judges the first ten items: agrees on eight.
	var pairs [][2]Label
	for i, it := range items[:10] {
		g := Reject
		if it.DumpTarget == it.Target {
			g = Accept
		}
		l := g
		if i < 2 {
			l = map[Label]Label{Accept: Reject, Reject: Accept}[g]
		}
		pairs = append(pairs, [2]Label{g, l})
		if _, _, err := st.Judge(ctx, Judgment{ItemID: it.ID, Reviewer: "ann", Label: l, RequestID: fmt.Sprintf("ann-%08d", i)}, time.Unix(0, 0)); err != nil {
			t.Fatal(err)
		}
	}
	kappa, _ := CohensKappa(pairs)
	out := t.TempDir()
	s, err := Export(ctx, st, ExportOptions{Wiki: wiki, Dir: out})
	if err != nil {
		t.Fatal(err)
	}
	c := s.DataCard
	if c.Double != 10 || c.Disagreements != 2 || c.Golden != len(items)-2 || c.Kappa != kappa || math.IsNaN(kappa) {
		t.Errorf("data card: %+v (kappa want %v)", c, kappa)
	}
	rows, err := datasets.ReadParquet[GoldenRow](s.Parquet)
	if err != nil || len(rows) != c.Golden {
		t.Fatalf("%d Parquet rows (%v), want %d", len(rows), err, c.Golden)
	}
	csvData, _ := os.ReadFile(s.CSV)
	if n := bytes.Count(csvData, []byte("\n")); n < c.Golden+1 {
		t.Errorf("%d CSV lines for %d rows", n, c.Golden)
	}
	card, _ := os.ReadFile(s.Card)
	for _, want := range []string{"| dump-links |", "| ann |", "Cohen's kappa " + num(kappa), fmt.Sprintf("| reviewers disagree | 2 |")} {
		if !bytes.Contains(card, []byte(want)) {
			t.Errorf("data card lacks %q:\n%s", want, card)
		}
	}
	// The same store exports the same bytes.
	again := t.TempDir()
	if _, err := Export(ctx, st, ExportOptions{Wiki: wiki, Dir: again}); err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{"golden.parquet", "golden.csv", "golden.md"} {
		a, _ := os.ReadFile(filepath.Join(out, f))
		b, _ := os.ReadFile(filepath.Join(again, f))
		if !bytes.Equal(a, b) {
			t.Errorf("%s differs between two exports", f)
		}
	}
}

// Importing for a wiki without a model is a clear error.
func TestImportWithoutModel(t *testing.T) {
	st := newStore(t)
	_, err := Import(context.Background(), st, ImportOptions{Wiki: "xxwiki", DataDir: t.TempDir(), Dumps: []string{"x.xml"}}, nil)
	if !errors.Is(err, ErrNoModel) || !strings.Contains(err.Error(), "xxwiki") || !strings.Contains(err.Error(), "train") {
		t.Errorf("error %v", err)
	}
	_, err = Import(context.Background(), st, ImportOptions{Wiki: "xxwiki", DataDir: t.TempDir(), Dumps: []string{"x.xml"}, Model: "/nonexistent/model.json"}, nil)
	if !errors.Is(err, ErrNoModel) {
		t.Errorf("error %v with a missing --model", err)
	}
}

// The review page on ukwiki's imported suggestions, in headless Chromium: the
// screenshot is testdata/review-page.png (written with -update).
func TestPageScreenshot(t *testing.T) {
	if testing.Short() {
		t.Skip("short")
	}
	st := newStore(t)
	dir, dumpFile := trainedWiki(t, "ukwiki")
	if _, err := Import(context.Background(), st, ImportOptions{Wiki: "ukwiki", DataDir: dir, Dumps: []string{dumpFile}, Pages: 10, Seed: 1, Threshold: DefaultThreshold}, nil); err != nil {
		t.Fatal(err)
	}
	srv, err := NewServer(ServerOptions{Store: st})
	if err != nil {
		t.Fatal(err)
	}
	ts := newHTTPServer(t, srv)
	ctx := pageContext(t)
	p := browse(t, ctx, ts, "Reviewer").p
	for k := 0; k < 3; k++ {
		id := shown(t, ctx, p)
		p.Press(ctx, "a")
		waitReady(t, ctx, p, id)
	}
	var mention string
	if err := p.Eval(ctx, `document.getElementById('mention').textContent`, &mention); err != nil || mention == "" {
		t.Fatalf("no mention shown (%v)", err)
	}
	png, err := p.Screenshot(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(png, []byte("\x89PNG\r\n\x1a\n")) || len(png) < 10000 {
		t.Fatalf("screenshot of %d bytes is not a PNG of the page", len(png))
	}
	if *update {
		if err := os.WriteFile(filepath.Join("testdata", "review-page.png"), png, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}
