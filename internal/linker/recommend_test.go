package linker

import (
	"context"
	"encoding/json"
	"os"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/addlink/addlink/datasets"
	"github.com/addlink/addlink/internal/testfixtures"
	"github.com/addlink/addlink/internal/wikitext"
)

// constScorer gives every candidate the same probability.
type constScorer float32

func (c constScorer) Predict([]float32) float32 { return float32(c) }

// TestT308244 is the azwiki page whose offsets the reference got wrong because
// lower-casing İ changes the length of the text.
func TestT308244(t *testing.T) {
	dir := testfixtures.Path(t, "mwaddlink/T308244")
	text, err := os.ReadFile(dir + "/article.wikitext")
	if err != nil {
		t.Fatal(err)
	}
	var want struct {
		Links []Recommendation `json:"links"`
	}
	b, err := os.ReadFile(dir + "/expected.json")
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &want); err != nil {
		t.Fatal(err)
	}
	for _, lower := range []struct {
		name string
		fn   func(string) string
	}{{"python", wikitext.Lower}, {"az", LowerFunc("az")}} {
		d := NewDict(
			[]datasets.Anchor{{Anchor: lower.fn("İngiliscə"), Target: "İngilis dili", N: 3}},
			[]datasets.PageID{{Title: "İngilis dili", PageID: 1}}, nil, nil)
		d.Lower = lower.fn
		res := Recommend(d, constScorer(0.6471115946769714), "Rufus (personaj)", string(text), RecommendOptions{Threshold: 0.5})
		if len(res.Links) != 1 {
			t.Fatalf("%s: got %d links: %+v", lower.name, len(res.Links), res.Links)
		}
		got, w := res.Links[0], want.Links[0]
		if got.WikitextOffset != w.WikitextOffset || got.LinkText != w.LinkText || got.LinkTarget != w.LinkTarget ||
			got.MatchIndex != w.MatchIndex || got.ContextBefore != w.ContextBefore || got.ContextAfter != w.ContextAfter ||
			float32(got.Score) != float32(w.Score) {
			t.Errorf("%s: got %+v\nwant %+v", lower.name, got, w)
		}
	}
}

func testDict() *Dict {
	return NewDict([]datasets.Anchor{
		{Anchor: "athens", Target: "Athens", N: 10},
		{Anchor: "athens", Target: "Athens, Georgia", N: 2},
		{Anchor: "greece", Target: "Greece", N: 7},
		{Anchor: "capital", Target: "Capital city", N: 3},
		{Anchor: "sea", Target: "Sea", N: 3},
		{Anchor: "aegean sea", Target: "Aegean Sea", N: 4},
		{Anchor: "city", Target: "City", N: 3},
	}, []datasets.PageID{{Title: "Athens", PageID: 1}, {Title: "Greece", PageID: 2}, {Title: "Capital city", PageID: 3},
		{Title: "Sea", PageID: 4}, {Title: "Aegean Sea", PageID: 5}, {Title: "City", PageID: 6}}, nil, nil)
}

// checkRecommendations checks the properties every recommendation must have.
func checkRecommendations(t *testing.T, d *Dict, page, text string, res Result) {
	t.Helper()
	gold, _ := d.Gold(text, false)
	linked := map[string]bool{wikitext.NormalizeTitle(page): true}
	for _, l := range gold {
		linked[l] = true
	}
	links := wikitext.Links(text)
	seen := map[string]bool{}
	for _, r := range res.Links {
		if r.ByteOffset < 0 || r.ByteOffset+len(r.LinkText) > len(text) || text[r.ByteOffset:r.ByteOffset+len(r.LinkText)] != r.LinkText {
			t.Fatalf("offset %d does not point at %q", r.ByteOffset, r.LinkText)
		}
		if utf8.RuneCountInString(text[:r.ByteOffset]) != r.WikitextOffset {
			t.Fatalf("character offset %d wrong", r.WikitextOffset)
		}
		for _, l := range links {
			if r.ByteOffset < l.End && r.ByteOffset+len(r.LinkText) > l.Start {
				t.Fatalf("recommendation %q at %d overlaps link %q", r.LinkText, r.ByteOffset, text[l.Start:l.End])
			}
		}
		if linked[r.LinkTarget] {
			t.Fatalf("recommendation to already linked or own page %q", r.LinkTarget)
		}
		if seen[r.LinkTarget] {
			t.Fatalf("target %q recommended twice", r.LinkTarget)
		}
		seen[r.LinkTarget] = true
	}
}

func TestRecommendRules(t *testing.T) {
	d := testDict()
	text := "Athens is the capital of [[Greece]]. The city lies near the Aegean Sea, a sea.\n== References ==\nA capital sea.\n"
	res := Recommend(d, constScorer(0.9), "Athens", text, RecommendOptions{Threshold: 0.5})
	checkRecommendations(t, d, "Athens", text, res)
	var got []string
	for _, r := range res.Links {
		got = append(got, r.LinkText+"->"+r.LinkTarget)
	}
	// Athens is the page itself; Greece is linked; "aegean sea" (2 words) comes before
	// "sea", which is then part of a linked mention; longer mentions are tested first.
	want := "capital->Capital city|Aegean Sea->Aegean Sea|city->City"
	if strings.Join(got, "|") != want {
		t.Errorf("got %s\nwant %s", strings.Join(got, "|"), want)
	}
	res = Recommend(d, constScorer(0.9), "Athens", text, RecommendOptions{Threshold: 0.5, SectionsToExclude: []string{"%LEAD%"}})
	if len(res.Links) != 2 || res.Links[0].LinkText != "capital" || res.Links[0].MatchIndex != 1 {
		t.Errorf("lead excluded: %+v", res.Links)
	}
	res = Recommend(d, constScorer(0.9), "Athens", text, RecommendOptions{Threshold: 0.5, MaxRecommendations: 1})
	if len(res.Links) != 1 || res.Info == "" {
		t.Errorf("max 1: %+v", res)
	}
	res = Recommend(d, constScorer(0.4), "Athens", text, RecommendOptions{Threshold: 0.5})
	if len(res.Links) != 0 {
		t.Errorf("below threshold: %+v", res.Links)
	}
	if res := Recommend(d, constScorer(0.9), "X", "", RecommendOptions{Threshold: 0.5}); len(res.Links) != 0 {
		t.Errorf("empty text: %+v", res.Links)
	}
	// A request given up, or a time budget passed, stops the work as the page's
	// sections are read.
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if res := Recommend(d, constScorer(0.9), "Athens", text, RecommendOptions{Threshold: 0.5, Ctx: ctx}); len(res.Links) != 0 || res.Info != "stopped: context canceled" {
		t.Errorf("cancelled: %+v", res)
	}
	if res := Recommend(d, constScorer(0.9), "Athens", text, RecommendOptions{Threshold: 0.5, Deadline: time.Now().Add(-time.Second)}); len(res.Links) != 0 || res.Info != "stopped: the time budget was reached" {
		t.Errorf("deadline passed: %+v", res)
	}
}

func FuzzRecommend(f *testing.F) {
	f.Add("Athens is the capital of [[Greece]]. The [[city|city]] lies near the Aegean Sea.", "Athens")
	f.Add("== Sea ==\nsea ''city'' {{capital}} <ref>athens</ref> [[a|greece]]greece", "City")
	d := testDict()
	f.Fuzz(func(t *testing.T, text, page string) {
		if !utf8.ValidString(text) {
			return
		}
		res := Recommend(d, constScorer(0.9), page, text, RecommendOptions{Threshold: 0.5})
		checkRecommendations(t, d, page, text, res)
	})
}
