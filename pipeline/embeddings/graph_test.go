package embeddings

import (
	"bytes"
	"context"
	"os"
	"testing"

	"github.com/addlink/addlink/datasets"
	"github.com/addlink/addlink/internal/embed"
	"github.com/addlink/addlink/internal/graphvec"
)

func trainGraph(t *testing.T, l datasets.Layout, dumps []string, threads int) (*embed.Model, []byte, Summary) {
	t.Helper()
	p := embed.DefaultParams()
	p.Threads = threads
	s, err := Run(context.Background(), Options{Wiki: l.Wiki, DataDir: l.DataDir, Dumps: dumps, Method: MethodGraph, Params: p, Graph: graphvec.DefaultParams()}, nil)
	if err != nil {
		t.Fatal(err)
	}
	rows, err := datasets.ReadParquet[datasets.Embedding](l.Embeddings())
	if err != nil {
		t.Fatal(err)
	}
	m := &embed.Model{Dim: p.Dim}
	for _, r := range rows {
		if len(r.Vector) != p.Dim {
			t.Fatalf("%q: %d floats", r.Title, len(r.Vector))
		}
		m.Vectors = append(m.Vectors, r.Vector...)
	}
	b, err := os.ReadFile(l.Embeddings())
	if err != nil {
		t.Fatal(err)
	}
	return m, b, s
}

// The graph method: one row per article as skip-gram writes, in the same order; the
// same bytes with 1, 2 and 4 threads and from the dump or the articles cache; linked
// articles closer than random pairs.
func TestGraphMethod(t *testing.T) {
	for _, tt := range []struct{ wiki, dump string }{
		{"elwikivoyage", "dumps/elwikivoyage/elwikivoyage-pages-articles.xml.bz2"},
		{"viwiki", "dumps/viwiki/viwiki-20230501-pages-articles-head.xml.bz2"},
	} {
		t.Run(tt.wiki, func(t *testing.T) {
			l, dumps := prepare(t, tt.wiki, tt.dump)
			m1, b1, s := trainGraph(t, l, dumps, 1)
			if s.Method != MethodGraph || s.Links == 0 || s.MatrixEntries == 0 {
				t.Errorf("summary %+v", s)
			}
			for _, threads := range []int{2, 4} {
				if _, b, _ := trainGraph(t, l, dumps, threads); !bytes.Equal(b, b1) {
					t.Errorf("%d threads: other bytes than 1 thread", threads)
				}
			}
			if err := os.Remove(l.ArticlesCache()); err != nil {
				t.Fatal(err)
			}
			if _, b, _ := trainGraph(t, l, dumps, 2); !bytes.Equal(b, b1) {
				t.Error("from the dump: other bytes than from the articles cache")
			}
			titles, _, err := readResolver(l)
			if err != nil {
				t.Fatal(err)
			}
			if len(m1.Vectors) != len(titles)*m1.Dim {
				t.Fatalf("%d floats for %d articles", len(m1.Vectors), len(titles))
			}
			a := linkAUC(t, l, dumps, m1)
			t.Logf("%s: linked vs random pairs ROC AUC %.3f", tt.wiki, a)
			if a < 0.85 {
				t.Errorf("AUC %.3f < 0.85", a)
			}
		})
	}
}

func TestParseMethod(t *testing.T) {
	for in, want := range map[string]string{"": MethodSkipGram, "skipgram": MethodSkipGram, "graph": MethodGraph, "svd": ""} {
		got, err := ParseMethod(in)
		if got != want || (err != nil) != (want == "") {
			t.Errorf("ParseMethod(%q) = %q, %v", in, got, err)
		}
	}
}
