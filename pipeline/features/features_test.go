package features

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/addlink/addlink/datasets"
	"github.com/addlink/addlink/internal/linker"
	"github.com/addlink/addlink/internal/testfixtures"
	"github.com/addlink/addlink/internal/wikitext"
	"github.com/addlink/addlink/pipeline/dictionaries"
	"github.com/addlink/addlink/pipeline/filter"
	"github.com/addlink/addlink/pipeline/sentences"
)

var fixtureDumps = map[string]string{
	"elwikivoyage": "dumps/elwikivoyage/elwikivoyage-pages-articles.xml.bz2",
	"ukwiki":       "dumps/ukwiki/ukwiki-20230501-pages-articles-head.xml.bz2",
	"viwiki":       "dumps/viwiki/viwiki-20230501-pages-articles-head.xml.bz2",
	"jawiki":       "dumps/jawiki/jawiki-20230501-pages-articles-head.xml.bz2",
}

var (
	prepMu   sync.Mutex
	prepared = map[string]string{}
)

// prepare runs the dictionaries, filter and sentences stages for a fixture wiki once
// per test binary and returns the data directory.
func prepare(t *testing.T, wiki string, perArticle, trainPerArticle int, so ...wikitext.SentenceOptions) string {
	t.Helper()
	prepMu.Lock()
	defer prepMu.Unlock()
	var sopt wikitext.SentenceOptions
	if len(so) > 0 {
		sopt = so[0]
	}
	key := fmt.Sprint(wiki, perArticle, trainPerArticle, sopt)
	if dir, ok := prepared[key]; ok {
		return dir
	}
	dump := testfixtures.Path(t, fixtureDumps[wiki])
	dir, err := os.MkdirTemp("", "addlink-features-")
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	do := dictionaries.Options{Wiki: wiki, DataDir: dir, Dumps: []string{dump}, Threads: 2}
	if err := do.Validate(); err != nil {
		t.Fatal(err)
	}
	if _, err := dictionaries.Run(ctx, do, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := filter.Run(ctx, filter.Options{Wiki: wiki, DataDir: dir}, nil); err != nil {
		t.Fatal(err)
	}
	o := sentences.DefaultOptions()
	o.Wiki, o.DataDir, o.Dumps, o.PerArticle, o.TrainPerArticle, o.Sentence = wiki, dir, []string{dump}, perArticle, trainPerArticle, sopt
	if _, err := sentences.Run(ctx, o, nil); err != nil {
		t.Fatal(err)
	}
	prepared[key] = dir
	return dir
}

func TestMain(m *testing.M) {
	code := m.Run()
	for _, dir := range prepared {
		os.RemoveAll(dir)
	}
	os.Exit(code)
}

type refRow struct {
	fields []string // ngram, freq, ambig, kurtosis, w2v, jaro, label
}

func readReferenceRows(t *testing.T, wiki string) map[[3]string]refRow {
	f, err := os.Open(filepath.Join(testfixtures.Path(t, "reference/"+wiki), "link_train.tsv"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	out := map[[3]string]refRow{}
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<24)
	for sc.Scan() {
		f := strings.Split(sc.Text(), "\t")
		if len(f) != 10 {
			t.Fatalf("reference row with %d fields", len(f))
		}
		un := func(s string) string { return datasets.UnescapeSentence(s) }
		out[[3]string{un(f[0]), un(f[1]), un(f[2])}] = refRow{f[3:]}
	}
	return out
}

func rowsFor(t *testing.T, wiki string, perArticle, trainPerArticle int, o linker.TrainingOptions, so ...wikitext.SentenceOptions) []linker.Row {
	dir := prepare(t, wiki, perArticle, trainPerArticle, so...)
	l := datasets.Layout{DataDir: dir, Wiki: wiki}
	d, err := linker.LoadDict(l, false)
	if err != nil {
		t.Fatal(err)
	}
	sents, err := datasets.ReadSentences(l.SentencesTrain())
	if err != nil {
		t.Fatal(err)
	}
	rows, err := Rows(context.Background(), d, sents, o, 2, nil)
	if err != nil {
		t.Fatal(err)
	}
	return rows
}

func sameFloat(a float64, b string) bool {
	v, err := strconv.ParseFloat(b, 64)
	if err != nil {
		return false
	}
	if math.IsNaN(a) || math.IsNaN(v) {
		return math.IsNaN(a) && math.IsNaN(v)
	}
	return a == v || math.Abs(a-v) <= 1e-9*math.Max(math.Abs(a), math.Abs(v))
}

// TestAgreesWithReferenceRows: for the rows both we and the reference produce (same
// page, mention, target), ngram, freq, ambig, kurtosis and jaro agree on at least 99%,
// and those rows cover at least half of the reference's rows.
func TestAgreesWithReferenceRows(t *testing.T) {
	for _, wiki := range []string{"elwikivoyage", "ukwiki", "viwiki"} {
		t.Run(wiki, func(t *testing.T) {
			ref := readReferenceRows(t, wiki)
			for _, mode := range []struct {
				name string
				o    linker.TrainingOptions
			}{{"fixed", linker.TrainingOptions{}}, {"reference", linker.ReferenceTraining}} {
				rows := rowsFor(t, wiki, 1, 1, mode.o)
				shared, agree, pos := 0, 0, 0
				for _, r := range rows {
					if r.Label {
						pos++
					}
					rr, ok := ref[[3]string{r.Page, r.Mention, r.Target}]
					if !ok {
						continue
					}
					shared++
					f := rr.fields
					if strconv.Itoa(r.NGram) == f[0] && strconv.FormatInt(r.Freq, 10) == f[1] &&
						strconv.Itoa(r.Ambig) == f[2] && sameFloat(r.Kurtosis, f[3]) && sameFloat(r.Jaro, f[5]) {
						agree++
					} else if testing.Verbose() {
						t.Logf("disagree %q %q %q: ours %v, reference %v", r.Page, r.Mention, r.Target, r.Features, f)
					}
				}
				refPos := 0
				for _, rr := range ref {
					if rr.fields[6] == "True" {
						refPos++
					}
				}
				t.Logf("%s (%s): %d rows (%d positive); reference %d rows (%d positive); shared %d = %.1f%% of the reference's; features agree on %d = %.2f%% of shared",
					wiki, mode.name, len(rows), pos, len(ref), refPos, shared, 100*float64(shared)/float64(len(ref)), agree, 100*float64(agree)/float64(max(shared, 1)))
				if 2*shared < len(ref) {
					t.Errorf("%s: shared rows cover %d of %d reference rows", mode.name, shared, len(ref))
				}
				if float64(agree) < 0.99*float64(shared) {
					t.Errorf("%s: features agree on %d of %d shared rows", mode.name, agree, shared)
				}
			}
		})
	}
}

// TestJawikiHasRows: text without spaces between words still yields training rows
// with both labels. The fixture's 189 articles give few links to articles: with one
// sentence per article (the reference's choice) the rows are only counted; with the
// default (three sentences from each training article) and with three per article in
// both halves they must reach 100.
func TestJawikiHasRows(t *testing.T) {
	ref := len(readReferenceRows(t, "jawiki"))
	for _, c := range []struct{ per, train int }{{1, 1}, {1, sentences.DefaultTrainPerArticle}, {3, 3}} {
		rows := rowsFor(t, "jawiki", c.per, c.train, linker.TrainingOptions{})
		pos, neg := 0, 0
		for _, r := range rows {
			if r.Label {
				pos++
			} else {
				neg++
			}
		}
		t.Logf("jawiki, %d sentence(s) per article, %d per training article: %d rows, %d positive, %d negative (reference: %d rows)",
			c.per, c.train, len(rows), pos, neg, ref)
		if pos == 0 || neg == 0 || len(rows) <= ref || (c.train >= 3 && len(rows) < 100) {
			t.Errorf("jawiki, %+v: %d rows, %d positive, %d negative", c, len(rows), pos, neg)
		}
	}
}

// TestDefectFixEffects measures, on elwikivoyage, what each fix of a reference defect
// changes (rows and positive rows), and checks that with every defect reproduced the
// rows are exactly the reference's count.
func TestDefectFixEffects(t *testing.T) {
	count := func(rows []linker.Row) (int, int) {
		pos := 0
		for _, r := range rows {
			if r.Label {
				pos++
			}
		}
		return len(rows), pos
	}
	fixed := linker.TrainingOptions{}
	n0, p0 := count(rowsFor(t, "elwikivoyage", 1, 1, fixed))
	t.Logf("all fixes (default): %d rows, %d positive", n0, p0)
	greedy := wikitext.SentenceOptions{GreedyRefs: true}
	for _, c := range []struct {
		name string
		o    linker.TrainingOptions
		so   wikitext.SentenceOptions
	}{
		{"greedy ref pattern", fixed, greedy},
		{"last token never ends an n-gram", linker.TrainingOptions{Tokens: linker.TokenOptions{LastTokenQuirk: true}}, wikitext.SentenceOptions{}},
		{"[[Foo_bar]] anchor foo_bar", linker.TrainingOptions{UnderscoreAnchors: true}, wikitext.SentenceOptions{}},
		{"quotes become backquotes", linker.TrainingOptions{Tokens: linker.TokenOptions{Backquotes: true}}, wikitext.SentenceOptions{}},
		{"all defects (reference)", linker.ReferenceTraining, wikitext.SentenceOptions{GreedyRefs: true, OnlyDotStops: true}},
	} {
		n, p := count(rowsFor(t, "elwikivoyage", 1, 1, c.o, c.so))
		t.Logf("with %s: %d rows (%+d), %d positive (%+d)", c.name, n, n-n0, p, p-p0)
		if c.name == "all defects (reference)" {
			ref := readReferenceRows(t, "elwikivoyage")
			if n != len(ref) {
				t.Errorf("reference mode: %d rows, the reference has %d", n, len(ref))
			}
		}
	}
}

// TestCandidateRulesKeepReferenceFiles: with the titles rule the features stage
// writes the added mentions' rows (some of them positive: ukwiki links years, which
// the dictionary drops) only to link_train_extended.csv; link_train.csv and its
// Parquet copy stay byte-identical to the reference rules' files.
func TestCandidateRulesKeepReferenceFiles(t *testing.T) {
	dir := prepare(t, "ukwiki", 1, 1)
	l := datasets.Layout{DataDir: dir, Wiki: "ukwiki"}
	if _, err := os.Stat(l.Embeddings()); err != nil {
		if _, err := datasets.WriteParquet(l.Embeddings(), []datasets.Embedding{}); err != nil {
			t.Fatal(err)
		}
	}
	run := func(r linker.CandidateRules) (Summary, []byte, []byte) {
		t.Helper()
		s, err := Run(context.Background(), Options{Wiki: "ukwiki", DataDir: dir, Threads: 2, Training: linker.TrainingOptions{Candidates: r}}, nil)
		if err != nil {
			t.Fatal(err)
		}
		csv, err := os.ReadFile(l.LinkTrain())
		if err != nil {
			t.Fatal(err)
		}
		pq, err := os.ReadFile(l.LinkTrainParquet())
		if err != nil {
			t.Fatal(err)
		}
		return s, csv, pq
	}
	os.Remove(l.LinkTrainExtended())
	ref, refCSV, refParquet := run(linker.ReferenceCandidates)
	if _, err := os.Stat(l.LinkTrainExtended()); err == nil {
		t.Error("the reference's rules wrote link_train_extended.csv")
	}
	s, csv, pq := run(linker.CandidateRules{Titles: true})
	if !bytes.Equal(csv, refCSV) || !bytes.Equal(pq, refParquet) {
		t.Error("the titles rule changed link_train.csv or link_train.parquet")
	}
	if s.Candidates != "titles" || s.Extra == 0 || s.Rows != ref.Rows+s.Extra {
		t.Errorf("summary %+v, reference %+v", s, ref)
	}
	ext, err := os.ReadFile(l.LinkTrainExtended())
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSuffix(string(ext), "\n"), "\n")
	if len(lines) != 1+s.Rows || lines[0] != "page\tmention\ttarget\tngram\tfreq\tambig\tkurtosis\tw2v\tjaro\tlabel" {
		t.Fatalf("%d lines for %d rows; header %q", len(lines), s.Rows, lines[0])
	}
	years := 0
	for _, line := range lines[1:] {
		f := strings.Split(line, "\t")
		if f[4] == "0.0" && f[len(f)-1] == "True" && isDigits(f[1]) {
			years++
		}
	}
	if years == 0 {
		t.Error("no positive row of a year's title")
	}
}

func isDigits(s string) bool {
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return s != ""
}
