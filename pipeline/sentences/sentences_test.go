package sentences

import (
	"bufio"
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/addlink/addlink/datasets"
	"github.com/addlink/addlink/internal/testfixtures"
	"github.com/addlink/addlink/internal/wikitext"
)

// readReference reads a reference sentences TSV (values escaped as \t, \n, \\).
func readReference(t *testing.T, path string) []Sentence {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []Sentence
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<24)
	for sc.Scan() {
		a, b, _ := strings.Cut(sc.Text(), "\t")
		out = append(out, Sentence{Title: datasets.UnescapeSentence(a), Text: datasets.UnescapeSentence(b)})
	}
	return out
}

var referenceDumps = map[string]string{
	"elwikivoyage": "dumps/elwikivoyage/elwikivoyage-pages-articles.xml.bz2",
	"ukwiki":       "dumps/ukwiki/ukwiki-20230501-pages-articles-head.xml.bz2",
	"viwiki":       "dumps/viwiki/viwiki-20230501-pages-articles-head.xml.bz2",
	"jawiki":       "dumps/jawiki/jawiki-20230501-pages-articles-head.xml.bz2",
	"enwiki":       "dumps/enwiki/enwiki-latest-pages-articles1.xml-p000000010p000030302-shortened.bz2",
}

// TestMatchesReferenceSentences compares, with the reference's own options, the
// training and test sentences with the reference's files: the same articles in the
// same order, and the same sentence text for nearly all of them.
func TestMatchesReferenceSentences(t *testing.T) {
	for wiki, rel := range referenceDumps {
		t.Run(wiki, func(t *testing.T) {
			refDir := testfixtures.Path(t, "reference/"+wiki)
			o := DefaultOptions()
			o.Wiki, o.DataDir, o.Dumps = wiki, t.TempDir(), []string{testfixtures.Path(t, rel)}
			o.Sentence = wikitext.SentenceOptions{GreedyRefs: true, OnlyDotStops: true}
			o.TrainPerArticle = 1
			units, _, err := Extract(context.Background(), o, nil)
			if err != nil {
				t.Fatal(err)
			}
			train, test := Split(units, o.Seed)
			if testing.Verbose() {
				ref := map[string]string{}
				for _, n := range []string{"sentences_train.tsv", "sentences_test.tsv"} {
					for _, s := range readReference(t, filepath.Join(refDir, n)) {
						ref[s.Title] = s.Text
					}
				}
				ours := map[string]string{}
				for _, s := range units {
					ours[s.Title] = s.Text
					if r, ok := ref[s.Title]; !ok {
						t.Logf("extra %q: %q", s.Title, s.Text)
					} else if r != s.Text {
						t.Logf("differs %q:\n ours %q\n ref  %q", s.Title, s.Text, r)
					}
				}
				for k, v := range ref {
					if _, ok := ours[k]; !ok {
						t.Logf("missing %q: %q", k, v)
					}
				}
			}
			for _, c := range []struct {
				name string
				got  []Sentence
			}{{"sentences_train.tsv", train}, {"sentences_test.tsv", test}} {
				want := readReference(t, filepath.Join(refDir, c.name))
				same, sameText := 0, 0
				for i := range want {
					if i < len(c.got) && c.got[i].Title == want[i].Title {
						same++
						if c.got[i].Text == want[i].Text {
							sameText++
						} else if testing.Verbose() && sameText+10 > same {
							t.Logf("%s: %q\n got  %q\n want %q", c.name, want[i].Title, c.got[i].Text, want[i].Text)
						}
					}
				}
				t.Logf("%s: %d sentences (reference %d); same article at the same place %d, same text %d",
					c.name, len(c.got), len(want), same, sameText)
				if len(c.got) != len(want) || same != len(want) || sameText < len(want)*99/100 {
					t.Errorf("%s: %d of %d reference sentences reproduced", c.name, sameText, len(want))
				}
			}
		})
	}
}

// TestRunWritesFiles runs the stage with one and with the default sentences per
// training article: the summaries match the files, the test halves are the same bytes,
// and the larger training half holds the smaller one's sentences in the same order,
// each followed only by sentences of its own article.
func TestRunWritesFiles(t *testing.T) {
	run := func(trainPer int) (Summary, []Sentence, []byte) {
		dir := t.TempDir()
		o := DefaultOptions()
		o.Wiki, o.DataDir, o.TrainPerArticle = "elwikivoyage", dir, trainPer
		o.Dumps = []string{testfixtures.Path(t, referenceDumps["elwikivoyage"])}
		s, err := Run(context.Background(), o, nil)
		if err != nil {
			t.Fatal(err)
		}
		l := datasets.Layout{DataDir: dir, Wiki: "elwikivoyage"}
		train, err := datasets.ReadSentences(l.SentencesTrain())
		if err != nil {
			t.Fatal(err)
		}
		test, err := datasets.ReadSentences(l.SentencesTest())
		if err != nil {
			t.Fatal(err)
		}
		raw, err := os.ReadFile(l.SentencesTest())
		if err != nil {
			t.Fatal(err)
		}
		if len(train) != s.Train || len(test) != s.Test || s.Sentences != s.Train+s.Test {
			t.Errorf("train-per-article %d: summary %+v, files %d and %d", trainPer, s, len(train), len(test))
		}
		return s, train, raw
	}
	s1, train1, test1 := run(1)
	sd, traind, testd := run(DefaultTrainPerArticle)
	t.Logf("training sentences: %d with one per article, %d with %d", s1.Train, sd.Train, DefaultTrainPerArticle)
	if s1.Train != s1.Test || !bytes.Equal(test1, testd) {
		t.Errorf("test halves differ, or one per article is not halved: %+v %+v", s1, sd)
	}
	if sd.Train <= s1.Train {
		t.Errorf("%d training sentences with %d per article, %d with one", sd.Train, DefaultTrainPerArticle, s1.Train)
	}
	k := 0
	for i, s := range traind {
		if k < len(train1) && s == train1[k] {
			k++
			continue
		}
		if k == 0 || s.Title != train1[k-1].Title {
			t.Fatalf("training sentence %d (%q) follows no sentence of its article", i, s.Title)
		}
	}
	if k != len(train1) {
		t.Errorf("%d of %d one-per-article training sentences found in order", k, len(train1))
	}
}

// BenchmarkExtract measures sentence extraction on elwikivoyage (whole dump, 2 threads).
func BenchmarkExtract(b *testing.B) {
	o := DefaultOptions()
	o.Wiki, o.DataDir, o.Threads = "elwikivoyage", b.TempDir(), 2
	o.Dumps = []string{testfixtures.Path(b, referenceDumps["elwikivoyage"])}
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		if _, _, err := Extract(context.Background(), o, nil); err != nil {
			b.Fatal(err)
		}
	}
}
