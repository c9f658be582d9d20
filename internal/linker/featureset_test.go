package linker

import (
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/addlink/addlink/datasets"
	"github.com/addlink/addlink/internal/gbdt"
)

func TestParseFeatureSet(t *testing.T) {
	for _, tc := range []struct {
		spec, want, err string
	}{
		{"reference", "reference", ""},
		{"extended", "extended", ""},
		{"ngram,freq,ambig,kurtosis,w2v,jaro", "reference", ""},
		{"reference+linkprob", "ngram,freq,ambig,kurtosis,w2v,jaro,linkprob", ""},
		{"reference, position", "ngram,freq,ambig,kurtosis,w2v,jaro,position", ""},
		{"reference+linkprob+relatedness+position", "extended", ""},
		{"extended+linkprob", "extended", ""}, // repeats are dropped
		{"linkprob", "linkprob", ""},
		{"", "", "empty feature set"},
		{"reference+pagerank", "", `unknown feature "pagerank"`},
	} {
		t.Run(tc.spec, func(t *testing.T) {
			s, err := ParseFeatureSet(tc.spec)
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("error %v, want %q", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if s.String() != tc.want {
				t.Errorf("%q: %s, want %s", tc.spec, s, tc.want)
			}
		})
	}
}

func TestModelFeatures(t *testing.T) {
	for _, tc := range []struct {
		name    string
		names   []string
		inputs  int
		want    string
		err     string
		service bool
	}{
		{"reference model (no names)", nil, 6, "reference", "", true},
		{"extended model", ExtendedFeatures.Names(), 9, "extended", "", false},
		{"one extra feature", []string{"ngram", "freq", "ambig", "kurtosis", "w2v", "jaro", "linkprob"}, 7, "ngram,freq,ambig,kurtosis,w2v,jaro,linkprob", "", false},
		{"names and inputs disagree", []string{"ngram"}, 6, "", "has 6 inputs but names 1", false},
		{"unknown name", []string{"ngram", "pagerank"}, 2, "", `"pagerank"`, false},
		{"no names, not six inputs", nil, 9, "", "has 9 inputs", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := &gbdt.Model{NumFeature: tc.inputs, FeatureNames: tc.names}
			s, err := ModelFeatures(m)
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("error %v, want %q", err, tc.err)
				}
			} else if err != nil {
				t.Fatal(err)
			} else if s.String() != tc.want {
				t.Errorf("%s, want %s", s, tc.want)
			}
			if got := ServiceCompatible(m) == nil; got != tc.service {
				t.Errorf("service compatible: %v, want %v", got, tc.service)
			}
		})
	}
}

// TestServiceModelFile: a model with extended features is refused with a clear error;
// the reference's model is accepted.
func TestServiceModelFile(t *testing.T) {
	dir := t.TempDir()
	write := func(name string, names []string) string {
		m := &gbdt.Model{NumFeature: max(len(names), 6), BaseScore: 0.5, FeatureNames: names,
			Trees: []gbdt.Tree{{Left: []int32{-1}, Right: []int32{-1}, Parent: []int32{-1}, SplitIndex: []int32{0},
				SplitCondition: []float32{0.1}, DefaultLeft: []bool{false}, BaseWeight: []float32{0.1}, LossChange: []float32{0}, SumHessian: []float32{1}}}}
		b, err := m.MarshalJSON()
		if err != nil {
			t.Fatal(err)
		}
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	if err := CheckServiceModelFile(write("ref.json", nil)); err != nil {
		t.Errorf("reference model refused: %v", err)
	}
	err := CheckServiceModelFile(write("ext.json", ExtendedFeatures.Names()))
	if !errors.Is(err, ErrNotServiceModel) || !strings.Contains(err.Error(), "ext.json") || !strings.Contains(err.Error(), "linkprob") {
		t.Errorf("extended model: %v", err)
	}
}

func TestAppendVector(t *testing.T) {
	f := Features{NGram: 2, Freq: 5, Ambig: 3, Kurtosis: 1.5, W2V: 0.25, Jaro: 0.75, LinkProb: 0.5, Relatedness: math.NaN(), Position: 0.125}
	ref := f.AppendVector(nil, ReferenceFeatures)
	if len(ref) != 6 {
		t.Fatal(ref)
	}
	for i, v := range f.Vector() {
		if ref[i] != v {
			t.Errorf("reference vector %v differs from Vector() %v", ref, f.Vector())
		}
	}
	ext := f.AppendVector(nil, ExtendedFeatures)
	if len(ext) != 9 || ext[6] != 0.5 || ext[7] == ext[7] || ext[8] != 0.125 {
		t.Errorf("extended vector %v", ext)
	}
}

// graphDict is testDict with a link graph:
// Athens -> Greece, Aegean Sea; Greece -> Athens, Aegean Sea, Sea; City -> Athens, Greece;
// Sea -> Aegean Sea; Aegean Sea -> Greece, Sea; Capital city -> City.
// 100 further articles without links make W = 106.
func graphDict() *Dict {
	d := testDict()
	for i := 0; i < 100; i++ {
		d.PageIDs[fmt.Sprintf("P%d", i)] = int64(1000 + i)
	}
	d.SetLinkGraph([]datasets.Link{
		{PageID: 1, TargetID: 2}, {PageID: 1, TargetID: 5},
		{PageID: 2, TargetID: 1}, {PageID: 2, TargetID: 5}, {PageID: 2, TargetID: 4}, {PageID: 2, TargetID: 2}, // self-link dropped
		{PageID: 6, TargetID: 1}, {PageID: 6, TargetID: 2},
		{PageID: 4, TargetID: 5},
		{PageID: 5, TargetID: 2}, {PageID: 5, TargetID: 4},
		{PageID: 3, TargetID: 6}, {PageID: 3, TargetID: 99}, // unknown target dropped
	})
	d.SetLinkProbs([]datasets.AnchorStat{{Anchor: "athens", AsLink: 3, AsText: 1}, {Anchor: "unknown", AsLink: 1}})
	return d
}

func TestLinkGraph(t *testing.T) {
	d := graphDict()
	g := d.Graph
	node := func(id int64) int32 {
		n, ok := g.Node(id)
		if !ok {
			t.Fatalf("no node for %d", id)
		}
		return n
	}
	titles := func(ns []int32) string {
		var out []string
		for _, n := range ns {
			out = append(out, g.Title(n))
		}
		return strings.Join(out, "|")
	}
	if got := titles(g.Out(node(2))); got != "Athens|Aegean Sea|Sea" {
		t.Errorf("out(Greece) = %s (page order, self-link dropped)", got)
	}
	if got := titles(g.In(node(2))); got != "Athens|Aegean Sea|City" {
		t.Errorf("in(Greece) = %s", got)
	}
	// Greece: in {Athens, City, Aegean Sea}; Sea: in {Greece, Aegean Sea}; common 1; W = 106.
	want := 1 - (math.Log(3)-math.Log(1))/(math.Log(106)-math.Log(2))
	if got := g.Relatedness(node(2), node(4)); math.Abs(got-want) > 1e-12 {
		t.Errorf("relatedness(Greece, Sea) = %v, want %v", got, want)
	}
	if got := g.Relatedness(node(3), node(2)); got != 0 {
		t.Errorf("relatedness with an article without in-links = %v, want 0", got)
	}
	if got := g.Relatedness(node(4), node(4)); got != 1 {
		t.Errorf("relatedness with itself = %v", got)
	}
	if got := d.OtherLinks("Greece", map[string]string{"sea": "Sea"}); strings.Join(got, "|") != "Athens|Aegean Sea" {
		t.Errorf("other links of Greece = %v", got)
	}
	if got := d.Anchors["athens"].LinkProb; got != 0.75 {
		t.Errorf("link probability %v", got)
	}
	if got := d.Anchors["greece"].LinkProb; got == got {
		t.Errorf("link probability without statistics %v, want NaN", got)
	}
}

func TestIntersect(t *testing.T) {
	long := make([]int32, 100)
	for i := range long {
		long[i] = int32(2 * i)
	}
	for _, tc := range []struct {
		a, b []int32
		want int
	}{
		{nil, []int32{1}, 0},
		{[]int32{1, 3, 5}, []int32{2, 3, 5, 7}, 2},
		{[]int32{0, 3, 198, 199}, long, 2}, // binary-search path
		{long, long, 100},
	} {
		if got := intersect(tc.a, tc.b); got != tc.want {
			t.Errorf("intersect(%v, %v) = %d, want %d", tc.a, tc.b, got, tc.want)
		}
	}
}

// recordingScorer records the feature vectors it is asked about and says it reads
// set.
type recordingScorer struct {
	set  FeatureSet
	seen [][]float32
}

func (r *recordingScorer) Predict(x []float32) float32 {
	r.seen = append(r.seen, append([]float32(nil), x...))
	return 0.9
}

func (r *recordingScorer) Features() FeatureSet { return r.set }

// TestRecommendExtended: a model that reads the extended features gets them from
// Recommend (relatedness to the page's links, the mention's position), and the same
// values as the training rows of the same text.
func TestRecommendExtended(t *testing.T) {
	d := graphDict()
	text := "Athens is the capital of [[Greece]]. The city lies near the Aegean Sea, a sea.\n"
	ref := &recordingScorer{set: ReferenceFeatures}
	Recommend(d, ref, "Athens", text, RecommendOptions{Threshold: 0.5})
	ext := &recordingScorer{set: ExtendedFeatures}
	res := Recommend(d, ext, "Athens", text, RecommendOptions{Threshold: 0.5})
	if len(ref.seen) == 0 || len(ref.seen) != len(ext.seen) {
		t.Fatalf("%d reference and %d extended calls", len(ref.seen), len(ext.seen))
	}
	for i := range ref.seen {
		if len(ref.seen[i]) != 6 || len(ext.seen[i]) != 9 {
			t.Fatalf("vector lengths %d and %d", len(ref.seen[i]), len(ext.seen[i]))
		}
		for j := 0; j < 6; j++ {
			if ref.seen[i][j] != ext.seen[i][j] && !(ref.seen[i][j] != ref.seen[i][j]) {
				t.Errorf("call %d: reference features differ: %v vs %v", i, ref.seen[i], ext.seen[i])
			}
		}
	}
	checkRecommendations(t, d, "Athens", text, res)
	// Without the link graph and the statistics an extended model gets no features
	// computed from nothing: Recommend says why and recommends nothing.
	bare := &recordingScorer{set: ExtendedFeatures}
	if r := Recommend(testDict(), bare, "Athens", text, RecommendOptions{Threshold: 0.5}); len(r.Links) != 0 || len(bare.seen) != 0 || !strings.Contains(r.Info, "not loaded") {
		t.Errorf("extended model on a bare dictionary: %+v, %d calls", r, len(bare.seen))
	}
	// "capital" is scored first: its candidate Capital city has no in-links
	// (relatedness 0 to Greece, the page's one link), it starts at byte 14.
	first := ext.seen[0]
	if first[7] != 0 || math.Abs(float64(first[8])-14.0/float64(len(text))) > 1e-6 {
		t.Errorf("capital: relatedness %v, position %v", first[7], first[8])
	}
	// Training rows: position in the sentence; relatedness of Sea to Athens's links
	// (Greece, Aegean Sea), 1 - log 3 / (log 106 - log 2) with each.
	sentence := "Athens is the capital of Greece. The city lies near the sea."
	rows := d.TrainingRows("Athens", sentence, TrainingOptions{Features: ExtendedFeatures})
	n := 0
	for _, r := range rows {
		switch r.Mention {
		case "capital":
			n++
			if math.Abs(r.Position-14.0/float64(len(sentence))) > 1e-9 {
				t.Errorf("training position of capital %v", r.Position)
			}
		case "sea":
			n++
			if want := 1 - math.Log(3)/(math.Log(106)-math.Log(2)); math.Abs(r.Relatedness-want) > 1e-12 {
				t.Errorf("relatedness of Sea on Athens = %v, want %v", r.Relatedness, want)
			}
		}
	}
	if n != 2 {
		t.Errorf("rows %+v", rows)
	}
}
