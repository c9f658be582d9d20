package linker

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/addlink/addlink/datasets"
	"github.com/addlink/addlink/internal/gbdt"
)

func TestParseCandidateRules(t *testing.T) {
	for _, c := range []struct {
		spec, want string
		rules      CandidateRules
		err        bool
	}{
		{spec: "reference", want: "reference"},
		{spec: "extended", want: ExtendedCandidates.String(), rules: ExtendedCandidates},
		{spec: "titles", want: "titles", rules: CandidateRules{Titles: true}},
		{spec: "redirects+exacttitle", want: "exacttitle,redirects", rules: CandidateRules{ExactTitle: true, Redirects: true}},
		{spec: "reference+titles, redirects", want: "titles,redirects", rules: CandidateRules{Titles: true, Redirects: true}},
		{spec: "extended+exacttitle", want: "exacttitle,titles", rules: CandidateRules{ExactTitle: true, Titles: true}},
		{spec: "", err: true},
		{spec: "+", err: true},
		{spec: "title", err: true},
	} {
		r, err := ParseCandidateRules(c.spec)
		if c.err {
			if err == nil {
				t.Errorf("%q: no error", c.spec)
			}
			continue
		}
		if err != nil || r != c.rules || r.String() != c.want {
			t.Errorf("%q: %+v %q %v, want %+v %q", c.spec, r, r.String(), err, c.rules, c.want)
			continue
		}
		if back, err := ParseCandidateRules(r.String()); err != nil || back != r {
			t.Errorf("%q: String %q reads back as %+v %v", c.spec, r.String(), back, err)
		}
	}
	if !ExtendedCandidates.Titles || ExtendedCandidates.IsReference() {
		t.Errorf("the extended mode's rules %+v", ExtendedCandidates)
	}
}

// leafModel is a model of one tree with one leaf: every candidate gets
// sigmoid(0.1) = 0.525.
func leafModel(names []string) *gbdt.Model {
	return &gbdt.Model{NumFeature: max(len(names), 6), BaseScore: 0.5, FeatureNames: names,
		Trees: []gbdt.Tree{{Left: []int32{-1}, Right: []int32{-1}, Parent: []int32{-1}, SplitIndex: []int32{0},
			SplitCondition: []float32{0.1}, DefaultLeft: []bool{false}, BaseWeight: []float32{0.1}, LossChange: []float32{0}, SumHessian: []float32{1}}}}
}

// TestModelCandidates: the rules survive the model's JSON; the reference's leave no
// trace (the model stays byte-identical); the service's check refuses other rules.
func TestModelCandidates(t *testing.T) {
	ref := leafModel(nil)
	before, err := ref.MarshalJSON()
	if err != nil {
		t.Fatal(err)
	}
	SetModelCandidates(ref, ReferenceCandidates)
	after, _ := ref.MarshalJSON()
	if !bytes.Equal(before, after) {
		t.Errorf("the reference's rules changed the model:\n%s\n%s", before, after)
	}
	m := leafModel(nil)
	SetModelCandidates(m, CandidateRules{Titles: true, Redirects: true})
	b, err := m.MarshalJSON()
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(b, []byte(`"addlink_candidates":"titles,redirects"`)) {
		t.Errorf("attribute not written: %s", b)
	}
	back, err := gbdt.ReadJSON(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	if r, err := ModelCandidates(back); err != nil || r != (CandidateRules{Titles: true, Redirects: true}) {
		t.Errorf("read back %+v %v", r, err)
	}
	if r, err := ModelCandidates(ref); err != nil || !r.IsReference() {
		t.Errorf("reference model: %+v %v", r, err)
	}
	back.Attributes[CandidatesAttribute] = "telepathy"
	if _, err := ModelCandidates(back); err == nil {
		t.Error("unknown rule accepted")
	}
	dir := t.TempDir()
	p := filepath.Join(dir, "titles.json")
	if err := os.WriteFile(p, b, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := CheckServiceModelFile(p); !errors.Is(err, ErrNotServiceModel) || !strings.Contains(err.Error(), "titles,redirects") {
		t.Errorf("a model with other candidate rules: %v", err)
	}
}

// ruleScorer gives every candidate p and applies rules.
type ruleScorer struct {
	rules CandidateRules
	p     float32
	seen  [][]float32
}

func (r *ruleScorer) Predict(x []float32) float32 {
	r.seen = append(r.seen, append([]float32(nil), x...))
	return r.p
}
func (r *ruleScorer) Candidates() CandidateRules { return r.rules }

// titleDict is testDict with the article Ohio, which no anchor names, a redirect to
// it, and the page Flag of Ohio, whose title contains the anchor "greece"'s sibling
// "ohio" once the dictionary has it.
func titleDict(ohioAnchor bool) *Dict {
	anchors := []datasets.Anchor{
		{Anchor: "athens", Target: "Athens", N: 10},
		{Anchor: "greece", Target: "Greece", N: 7},
	}
	if ohioAnchor {
		anchors = append(anchors, datasets.Anchor{Anchor: "ohio", Target: "Ohio", N: 5})
	}
	return NewDict(anchors,
		[]datasets.PageID{{Title: "Athens", PageID: 1}, {Title: "Greece", PageID: 2}, {Title: "Ohio", PageID: 3}, {Title: "Flag of Ohio", PageID: 4}},
		[]datasets.Redirect{{From: "Buckeye State", To: "Ohio"}, {From: "Nowhere", To: "Missing page"}}, nil)
}

func linkList(res Result) string {
	var out []string
	for _, l := range res.Links {
		out = append(out, l.LinkText+"->"+l.LinkTarget)
	}
	return strings.Join(out, "|")
}

// TestCandidateRulesRecommend: each rule adds exactly its mentions; the reference's
// rules are unchanged; a *gbdt.Model applies the rules its JSON records.
func TestCandidateRulesRecommend(t *testing.T) {
	text := "Athens, Ohio is not in Greece. The Buckeye State has its own Athens. Nowhere."
	for _, c := range []struct {
		rules CandidateRules
		want  string
	}{
		{ReferenceCandidates, "Greece->Greece"},
		{CandidateRules{ExactTitle: true}, "Greece->Greece"},
		{CandidateRules{Titles: true}, "Ohio->Ohio|Greece->Greece"},
		{CandidateRules{Redirects: true}, "Greece->Greece|Buckeye State->Ohio"},
		{CandidateRules{Titles: true, Redirects: true}, "Ohio->Ohio|Greece->Greece"}, // Ohio is linked when the redirect comes
	} {
		d := titleDict(false)
		s := &ruleScorer{rules: c.rules, p: 0.9}
		res := Recommend(d, s, "Athens", text, RecommendOptions{Threshold: 0.5})
		checkRecommendations(t, d, "Athens", text, res)
		if got := linkList(res); got != c.want {
			t.Errorf("%s: %s, want %s", c.rules, got, c.want)
		}
	}
	// A title's candidate: never linked with that text (freq 0), one candidate.
	d := titleDict(false)
	s := &ruleScorer{rules: CandidateRules{Titles: true}, p: 0.9}
	Recommend(d, s, "Greece", "Ohio.", RecommendOptions{Threshold: 0.5})
	if len(s.seen) != 1 || s.seen[0][0] != 1 || s.seen[0][1] != 0 || s.seen[0][2] != 1 {
		t.Errorf("features of Ohio: %v", s.seen)
	}
	if d.Anchors["ohio"] != nil {
		t.Error("the rules changed the dictionary's anchors")
	}
	// The page's own title: the reference blocks every mention inside it, exacttitle
	// only the title itself.
	text = "The flag of Ohio is a burgee; Flag of Ohio is its name."
	for _, c := range []struct {
		rules CandidateRules
		want  string
	}{
		{ReferenceCandidates, ""},
		{CandidateRules{ExactTitle: true}, "Ohio->Ohio"},
	} {
		d := titleDict(true)
		res := Recommend(d, &ruleScorer{rules: c.rules, p: 0.9}, "Flag of Ohio", text, RecommendOptions{Threshold: 0.5})
		checkRecommendations(t, d, "Flag of Ohio", text, res)
		if got := linkList(res); got != c.want {
			t.Errorf("own title, %s: %q, want %q", c.rules, got, c.want)
		}
	}
	// A model file's rules.
	m := leafModel(nil)
	SetModelCandidates(m, CandidateRules{Titles: true})
	if got := linkList(Recommend(titleDict(false), m, "Athens", "Ohio and Greece.", RecommendOptions{Threshold: 0.5})); got != "Ohio->Ohio|Greece->Greece" {
		t.Errorf("model with titles: %s", got)
	}
	if got := linkList(Recommend(titleDict(false), leafModel(nil), "Athens", "Ohio and Greece.", RecommendOptions{Threshold: 0.5})); got != "Greece->Greece" {
		t.Errorf("reference model: %s", got)
	}
	m.Attributes[CandidatesAttribute] = "telepathy"
	if r := Recommend(titleDict(false), m, "Athens", "Ohio and Greece.", RecommendOptions{Threshold: 0.5}); len(r.Links) != 0 || !strings.Contains(r.Info, "telepathy") {
		t.Errorf("unknown rules: %+v", r)
	}
}

// TestCandidateRulesTraining: the mentions the rules add give training rows marked
// Extra, with the features Recommend computes; the reference's rows are unchanged.
func TestCandidateRulesTraining(t *testing.T) {
	sentence := "[[Ohio]] is far from [[Greece]] and Athens."
	d := titleDict(false)
	ref := d.TrainingRows("Flag of Ohio", sentence, TrainingOptions{})
	rows := d.TrainingRows("Flag of Ohio", sentence, TrainingOptions{Candidates: CandidateRules{Titles: true}})
	var kept []Row
	extra := 0
	for _, r := range rows {
		if r.Extra {
			extra++
			if r.Mention != "ohio" || r.Target != "Ohio" || !r.Label || r.Freq != 0 || r.Ambig != 1 {
				t.Errorf("extra row %+v", r)
			}
			continue
		}
		kept = append(kept, r)
	}
	if extra != 1 || len(kept) != len(ref) {
		t.Fatalf("%d extra rows, %d others, %d reference rows: %+v", extra, len(kept), len(ref), rows)
	}
	for i := range ref {
		if kept[i].Mention != ref[i].Mention || kept[i].Target != ref[i].Target || kept[i].Label != ref[i].Label || kept[i].Freq != ref[i].Freq {
			t.Errorf("row %d: %+v, reference %+v", i, kept[i], ref[i])
		}
	}
	// The link probability of a title the dictionary dropped comes from the statistics.
	d.SetLinkProbs([]datasets.AnchorStat{{Anchor: "ohio", AsLink: 1, AsText: 3}, {Anchor: "greece", AsLink: 1, AsText: 1}})
	if m, extra := d.Mention("ohio", CandidateRules{Titles: true}); m == nil || !extra || m.LinkProb != 0.25 {
		t.Errorf("ohio: %+v extra %v", m, extra)
	}
	if m, extra := d.Mention("greece", CandidateRules{Titles: true}); m == nil || extra || m.LinkProb != 0.5 {
		t.Errorf("greece: %+v extra %v", m, extra)
	}
	if m, _ := d.Mention("ohio", ReferenceCandidates); m != nil {
		t.Errorf("reference rules found ohio")
	}
}
