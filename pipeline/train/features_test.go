package train

import (
	"context"
	"errors"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/addlink/addlink/datasets"
	"github.com/addlink/addlink/internal/gbdt"
	"github.com/addlink/addlink/internal/linker"
	"github.com/addlink/addlink/internal/testfixtures"
)

// TestReferenceModelUnchanged: with the reference's features (the default, or asked
// for by name) the model is byte-identical to the one addlink wrote before feature sets
// existed (sha256 of the model trained from the reference's training files by commit
// a9f1f6c with default options).
func TestReferenceModelUnchanged(t *testing.T) {
	for wiki, want := range map[string]string{
		"elwikivoyage": "c367d003e285b3876989f9d5a28fe1b6bd55e167a2479b646d4b690962ed58f7",
		"viwiki":       "27d44ffce03a6195a20145c9a84f85469be1aa7c5878d1807d8f47f42bc7d1d1",
	} {
		for _, set := range []linker.FeatureSet{nil, linker.ReferenceFeatures} {
			opts := DefaultOptions()
			opts.TrainingFile = testfixtures.Path(t, "reference/"+wiki+"/link_train.tsv")
			opts.ModelOut = filepath.Join(t.TempDir(), "model.json")
			opts.Features = set
			sum, err := Run(context.Background(), opts, nil)
			if err != nil {
				t.Fatal(err)
			}
			if sum.ModelSHA256 != want {
				t.Errorf("%s, features %v: model sha256 %s, want %s", wiki, set, sum.ModelSHA256, want)
			}
		}
	}
}

const namedFile = "page\tmention\ttarget\tngram\tfreq\tlinkprob\tposition\tlabel\n" +
	"P\tm\tT\t1.0\t4.0\t0.5\tnan\tTrue\n" +
	"P\tm\tU\t1.0\t2.0\t0.25\t0.125\tFalse\n" +
	"\n" +
	"Q\tn o\tV\t2.0\t9.0\t\t0.5\tFalse\n"

func TestParseNamed(t *testing.T) {
	d, err := ParseNamed([]byte(namedFile), "x.csv", []string{"position", "freq"})
	if err != nil {
		t.Fatal(err)
	}
	if d.NumRows() != 3 || len(d.Features) != 2 || d.Labels[0] != 1 || d.Labels[2] != 0 {
		t.Fatalf("dataset %+v", d)
	}
	if !math.IsNaN(float64(d.Features[0][0])) || d.Features[0][1] != 0.125 || d.Features[1][2] != 9 {
		t.Errorf("features %v", d.Features)
	}
	for _, tc := range []struct {
		name, data string
		names      []string
		line, col  int
		err        error
		msg        string
	}{
		{"no such column", namedFile, []string{"w2v"}, 1, 0, nil, `no column "w2v"`},
		{"no label column", "page\tngram\n", []string{"ngram"}, 1, 0, nil, "label column"},
		{"field count", "page\tngram\tlabel\nP\t1\n", []string{"ngram"}, 2, 0, ErrFieldCount, ""},
		{"bad label", "page\tngram\tlabel\nP\t1\tyes\n", []string{"ngram"}, 2, 3, ErrLabel, ""},
		{"not a number", "page\tngram\tlabel\nP\t1\tTrue\nP\tx\tTrue\n", []string{"ngram"}, 3, 2, nil, "feature ngram"},
		{"infinite", "page\tngram\tlabel\nP\tinf\tTrue\n", []string{"ngram"}, 2, 2, nil, "infinite"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ParseNamed([]byte(tc.data), "x.csv", tc.names)
			var pe *ParseError
			if !errors.As(err, &pe) || pe.Line != tc.line || pe.Column != tc.col || pe.File != "x.csv" {
				t.Fatalf("error %v, want line %d column %d", err, tc.line, tc.col)
			}
			if tc.err != nil && !errors.Is(err, tc.err) {
				t.Errorf("error %v, want %v", err, tc.err)
			}
			if !strings.Contains(err.Error(), tc.msg) {
				t.Errorf("error %v, want %q", err, tc.msg)
			}
		})
	}
}

func FuzzParseNamed(f *testing.F) {
	f.Add([]byte(namedFile))
	f.Add([]byte("page\tngram\tlabel\nP\t1\tTrue"))
	f.Fuzz(func(t *testing.T, data []byte) {
		d, err := ParseNamed(data, "fuzz", []string{"ngram"})
		if err != nil {
			return
		}
		if len(d.Features) != 1 || len(d.Features[0]) != len(d.Labels) {
			t.Fatalf("ragged dataset: %d values, %d labels", len(d.Features[0]), len(d.Labels))
		}
		for _, y := range d.Labels {
			if y != 0 && y != 1 {
				t.Fatalf("label %v", y)
			}
		}
	})
}

// TestRunExtended: a model trained on named columns records their names, reads back
// with them, and is refused as a model for the Python service.
func TestRunExtended(t *testing.T) {
	dir := t.TempDir()
	var b strings.Builder
	b.WriteString("page\tmention\ttarget\tngram\tfreq\tambig\tkurtosis\tw2v\tjaro\tlinkprob\trelatedness\tposition\tlabel\n")
	for i := 0; i < 200; i++ {
		label := "False"
		if i%3 == 0 {
			label = "True"
		}
		b.WriteString("P\tm\tT\t1\t" + itoa(i%7) + "\t2\tnan\t0.5\t0.9\t" + itoa(i%3) + "\tnan\t0.1\t" + label + "\n")
	}
	in := filepath.Join(dir, "ext.csv")
	if err := os.WriteFile(in, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	opts := DefaultOptions()
	opts.TrainingFile, opts.ModelOut, opts.Features = in, filepath.Join(dir, "m.json"), linker.ExtendedFeatures
	sum, err := Run(context.Background(), opts, nil)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(sum.Features, ",") != "ngram,freq,ambig,kurtosis,w2v,jaro,linkprob,relatedness,position" {
		t.Errorf("summary features %v", sum.Features)
	}
	m := readModel(t, opts.ModelOut)
	set, err := linker.ModelFeatures(m)
	if err != nil || set.String() != "extended" {
		t.Errorf("model features %v, %v", set, err)
	}
	if err := linker.CheckServiceModelFile(opts.ModelOut); !errors.Is(err, linker.ErrNotServiceModel) {
		t.Errorf("service check: %v", err)
	}
}

func itoa(i int) string { return string(rune('0' + i)) }

// TestRunCandidates: a model trained with candidate rules records them; rules that
// differ from the features stage's are refused; the reference's rules and features
// still give a model without names or attributes.
func TestRunCandidates(t *testing.T) {
	dir := t.TempDir()
	l := datasets.Layout{DataDir: dir, Wiki: "ukwiki"}
	if err := os.MkdirAll(l.TrainingDir(), 0o755); err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	b.WriteString("page\tmention\ttarget\tngram\tfreq\tambig\tkurtosis\tw2v\tjaro\tlabel\n")
	for i := 0; i < 200; i++ {
		label := "False"
		if i%3 == 0 {
			label = "True"
		}
		b.WriteString("P\tm\tT\t1\t" + itoa(i%7) + "\t2\tnan\t0.5\t0.9\t" + label + "\n")
	}
	if err := os.WriteFile(l.LinkTrainExtended(), []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(l.Summary("features"), []byte(`{"rows": 200, "candidates": "titles"}`), 0o644); err != nil {
		t.Fatal(err)
	}
	train := func(r linker.CandidateRules) (*gbdt.Model, Summary, error) {
		opts := DefaultOptions()
		opts.DataDir, opts.Wiki, opts.Features, opts.Candidates = dir, "ukwiki", linker.ReferenceFeatures, r
		sum, err := Run(context.Background(), opts, nil)
		if err != nil {
			return nil, sum, err
		}
		return readModel(t, l.Model()), sum, nil
	}
	if _, _, err := train(linker.CandidateRules{Titles: true, Redirects: true}); err == nil || !strings.Contains(err.Error(), "--candidates titles") {
		t.Errorf("rules unlike the features stage's: %v", err)
	}
	m, sum, err := train(linker.CandidateRules{Titles: true})
	if err != nil {
		t.Fatal(err)
	}
	if r, err := linker.ModelCandidates(m); err != nil || r != (linker.CandidateRules{Titles: true}) || sum.Candidates != "titles" || len(m.FeatureNames) != 0 {
		t.Errorf("model rules %+v %v, summary %q, names %v", r, err, sum.Candidates, m.FeatureNames)
	}
	if err := linker.ServiceCompatible(m); err == nil {
		t.Error("a model with the titles rule passes the service check")
	}
}
