package multilingual

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/addlink/addlink/datasets"
	"github.com/addlink/addlink/internal/gbdt"
	"github.com/addlink/addlink/internal/linker"
)

// makeWiki writes a small wiki that has run through the features stage: datasets,
// rows training rows (link_train.csv), test sentences, and features.summary.json
// (with the extended features named when extended).
func makeWiki(t *testing.T, dir, wiki string, rows int, extended bool) {
	t.Helper()
	l := datasets.Layout{DataDir: dir, Wiki: wiki}
	if err := os.MkdirAll(l.TrainingDir(), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(l.TestingDir(), 0o755); err != nil {
		t.Fatal(err)
	}
	anchors := []datasets.Anchor{{Anchor: "greece", Target: "Greece", N: 9}, {Anchor: "greece", Target: "Greek", N: 1},
		{Anchor: "sea", Target: "Sea", N: 3}, {Anchor: "the sea", Target: "Sea", N: 2}, {Anchor: "athens", Target: "Athens", N: 5}}
	pageids := []datasets.PageID{{Title: "Athens", PageID: 1}, {Title: "Greece", PageID: 2}, {Title: "Greek", PageID: 3}, {Title: "Sea", PageID: 4}}
	for _, err := range []error{
		func() error { _, err := datasets.WriteParquet(l.Anchors(), anchors); return err }(),
		func() error { _, err := datasets.WriteParquet(l.PageIDs(), pageids); return err }(),
		func() error { _, err := datasets.WriteParquet(l.Redirects(), []datasets.Redirect{}); return err }(),
		func() error {
			_, err := datasets.WriteParquet(l.Embeddings(), []datasets.Embedding{{Title: "Athens", Vector: []float32{1, 0}}, {Title: "Greece", Vector: []float32{1, 1}}})
			return err
		}(),
	} {
		if err != nil {
			t.Fatal(err)
		}
	}
	var b bytes.Buffer
	for i := 0; i < rows; i++ {
		// Positives: the most linked target; negatives: the other.
		if i%3 == 0 {
			fmt.Fprintf(&b, "P%d\tgreece\tGreek\t1\t1\t2\t%g\t0.1\t0.7\tFalse\n", i, float64(i%7))
		} else {
			fmt.Fprintf(&b, "P%d\tgreece\tGreece\t1\t9\t2\t%g\t0.8\t1.0\tTrue\n", i, float64(i%5))
		}
	}
	if err := os.WriteFile(l.LinkTrain(), b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	var sents []datasets.Sentence
	for i := 0; i < 20; i++ {
		sents = append(sents, datasets.Sentence{Title: fmt.Sprintf("T%d", i), Text: "Athens lies in [[Greece]] by [[Sea|the sea]]."})
	}
	if err := datasets.WriteSentences(l.SentencesTest(), sents); err != nil {
		t.Fatal(err)
	}
	summary := `{"sentences": 10, "rows": 1}`
	if extended {
		summary = `{"sentences": 10, "rows": 1, "features": ["ngram","freq","ambig","kurtosis","w2v","jaro","linkprob"]}`
	}
	if err := os.WriteFile(l.Summary("features"), []byte(summary), 0o644); err != nil {
		t.Fatal(err)
	}
}

func options(dir string, wikis ...string) Options {
	o := DefaultOptions()
	o.DataDir, o.Wikis, o.Name = dir, wikis, "multi"
	o.Params.Rounds = 5
	o.Bootstrap = 50
	o.Threads = 1
	return o
}

// TestRun: the model is a v2 model (seven inputs, no names), every wiki gets its
// backtest files, the pooled rows follow the plan, and a second run writes the same
// bytes.
func TestRun(t *testing.T) {
	dir := t.TempDir()
	makeWiki(t, dir, "aawiki", 300, false)
	makeWiki(t, dir, "bbwiki", 30, false)
	o := options(dir, "bbwiki", "aawiki")
	o.WikiFeature, o.Balance = WikiCodes, 0.5
	s, err := Run(context.Background(), o, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(s.Wikis) != 2 || s.Wikis[0].Wiki != "aawiki" || s.Wikis[0].Code != 1 || s.Wikis[1].Code != 2 {
		t.Fatalf("wikis %+v", s.Wikis)
	}
	if got, want := []int{s.Wikis[0].TrainRows, s.Wikis[1].TrainRows}, plan([]int{300, 30}, 0.5); !reflect.DeepEqual(got, want) {
		t.Errorf("pooled rows %v, want %v", got, want)
	}
	f, err := os.Open(s.Model)
	if err != nil {
		t.Fatal(err)
	}
	m, err := gbdt.ReadJSON(f)
	f.Close()
	if err != nil {
		t.Fatal(err)
	}
	if v, err := linker.ModelVersion(m); err != nil || v != "v2" {
		t.Errorf("model version %q %v", v, err)
	}
	first := map[string][]byte{}
	files := []string{s.Model, s.Model + ".checksum", SummaryPath(dir, "multi")}
	for _, w := range []string{"aawiki", "bbwiki"} {
		csv, svg, js := EvalPaths(dir, "multi", w)
		files = append(files, csv, svg, js)
	}
	for _, p := range files {
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		first[p] = b
	}
	if _, err := Run(context.Background(), o, nil); err != nil {
		t.Fatal(err)
	}
	for _, p := range files {
		b, _ := os.ReadFile(p)
		if !bytes.Equal(b, first[p]) {
			t.Errorf("%s differs between two runs", p)
		}
	}
	// The gate: 0 passes every wiki, 1 fails those below 1.
	o.MinPrecision = 0
	if s, err := Run(context.Background(), o, nil); err != nil || len(s.Failing) != 0 {
		t.Errorf("gate 0: failing %v, %v", s.Failing, err)
	}
	o.MinPrecision = 1
	s, err = Run(context.Background(), o, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range s.Wikis {
		if r.Pass != !(r.Multilingual.Precision < 1) {
			t.Errorf("%s: precision %v, pass %v", r.Wiki, r.Multilingual.Precision, r.Pass)
		}
	}
}

// TestBadInput: each bad input is an ErrInput, and nothing is written.
func TestBadInput(t *testing.T) {
	for _, c := range []struct {
		name  string
		setup func(dir string)
		wikis []string
		mod   func(*Options)
	}{
		{"one wiki", nil, []string{"aawiki"}, nil},
		{"twice", nil, []string{"aawiki", "aawiki"}, nil},
		{"name is a wiki", nil, []string{"aawiki", "bbwiki"}, func(o *Options) { o.Name = "bbwiki" }},
		{"bad name", nil, []string{"aawiki", "bbwiki"}, func(o *Options) { o.Name = "../x" }},
		{"balance", nil, []string{"aawiki", "bbwiki"}, func(o *Options) { o.Balance = 2 }},
		{"wiki feature", nil, []string{"aawiki", "bbwiki"}, func(o *Options) { o.WikiFeature = "ids" }},
		{"no such wiki", nil, []string{"aawiki", "zzwiki"}, nil},
		{"no training rows", func(dir string) {
			os.WriteFile(datasets.Layout{DataDir: dir, Wiki: "bbwiki"}.LinkTrain(), nil, 0o644)
		}, []string{"aawiki", "bbwiki"}, nil},
		{"training rows missing", func(dir string) {
			os.Remove(datasets.Layout{DataDir: dir, Wiki: "bbwiki"}.LinkTrain())
		}, []string{"aawiki", "bbwiki"}, nil},
		{"different feature sets", func(dir string) { makeWiki(t, dir, "bbwiki", 30, true) }, []string{"aawiki", "bbwiki"}, nil},
		{"malformed row", func(dir string) {
			os.WriteFile(datasets.Layout{DataDir: dir, Wiki: "bbwiki"}.LinkTrain(), []byte("a\tb\tc\n"), 0o644)
		}, []string{"aawiki", "bbwiki"}, nil},
	} {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			makeWiki(t, dir, "aawiki", 60, false)
			makeWiki(t, dir, "bbwiki", 30, false)
			if c.setup != nil {
				c.setup(dir)
			}
			o := options(dir, c.wikis...)
			if c.mod != nil {
				c.mod(&o)
			}
			_, err := Run(context.Background(), o, nil)
			if !errors.Is(err, ErrInput) {
				t.Fatalf("error %v, want ErrInput", err)
			}
			if _, err := os.Stat(filepath.Join(dir, o.Name)); err == nil && o.Name != "bbwiki" {
				t.Errorf("%s was written", filepath.Join(dir, o.Name))
			}
			if _, err := os.Stat(filepath.Join(dir, "multi")); err == nil {
				t.Error("the output directory was written")
			}
		})
	}
}

func TestPlan(t *testing.T) {
	for _, c := range []struct {
		rows    []int
		balance float64
		want    []int
	}{
		{[]int{900, 100}, 1, []int{900, 100}},
		{[]int{900, 100}, 0, []int{500, 500}},
		{[]int{900, 100}, 0.5, []int{750, 250}},
	} {
		if got := plan(c.rows, c.balance); !reflect.DeepEqual(got, c.want) {
			t.Errorf("plan(%v, %v) = %v, want %v", c.rows, c.balance, got, c.want)
		}
	}
}
