package service

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/addlink/addlink/datasets"
	"github.com/addlink/addlink/internal/gbdt"
	"github.com/addlink/addlink/internal/linker"
	"github.com/addlink/addlink/pipeline/export"
)

// extendedDataDir writes a small wiki (enwiki) with the datasets the extended mode
// reads and a model with the extended features and candidate rules, whose one leaf
// gives every candidate 0.525.
func extendedDataDir(t *testing.T) datasets.Layout {
	t.Helper()
	l := datasets.Layout{DataDir: t.TempDir(), Wiki: "enwiki"}
	if err := os.MkdirAll(l.Dir(), 0o755); err != nil {
		t.Fatal(err)
	}
	write := func(path string, rows any) {
		t.Helper()
		var err error
		switch r := rows.(type) {
		case []datasets.Anchor:
			_, err = datasets.WriteParquet(path, r)
		case []datasets.PageID:
			_, err = datasets.WriteParquet(path, r)
		case []datasets.Redirect:
			_, err = datasets.WriteParquet(path, r)
		case []datasets.Embedding:
			_, err = datasets.WriteParquet(path, r)
		case []datasets.AnchorStat:
			_, err = datasets.WriteParquet(path, r)
		case []datasets.Link:
			_, err = datasets.WriteParquet(path, r)
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	write(l.Anchors(), []datasets.Anchor{{Anchor: "greece", Target: "Greece", N: 7}, {Anchor: "sea", Target: "Sea", N: 3}})
	write(l.PageIDs(), []datasets.PageID{{Title: "Athens", PageID: 1}, {Title: "Greece", PageID: 2}, {Title: "Ohio", PageID: 3}, {Title: "Sea", PageID: 4}})
	write(l.Redirects(), []datasets.Redirect{{From: "Buckeye State", To: "Ohio"}})
	write(l.Embeddings(), []datasets.Embedding{{Title: "Athens", Vector: []float32{1, 0}}, {Title: "Greece", Vector: []float32{1, 1}}})
	write(l.AnchorStats(), []datasets.AnchorStat{{Anchor: "greece", AsLink: 7, AsText: 3}, {Anchor: "ohio", AsLink: 1, AsText: 9}})
	write(l.LinkGraph(), []datasets.Link{{PageID: 1, TargetID: 2}, {PageID: 2, TargetID: 1}, {PageID: 3, TargetID: 2}, {PageID: 4, TargetID: 2}})
	m := &gbdt.Model{NumFeature: len(linker.ExtendedFeatures), BaseScore: 0.5, FeatureNames: linker.ExtendedFeatures.Names(),
		Trees: []gbdt.Tree{{Left: []int32{-1}, Right: []int32{-1}, Parent: []int32{-1}, SplitIndex: []int32{0},
			SplitCondition: []float32{0.1}, DefaultLeft: []bool{false}, BaseWeight: []float32{0.1}, LossChange: []float32{0}, SumHessian: []float32{1}}}}
	linker.SetModelCandidates(m, linker.ExtendedCandidates)
	b, err := m.MarshalJSON()
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(l.Model(), b, 0o644); err != nil {
		t.Fatal(err)
	}
	return l
}

// TestExtendedModelServedAsQueried: serve (the Parquet file backend, over HTTP) and
// query (linker.OpenWiki) load an extended model with its datasets and candidate
// rules and give the same links, including the mention only the rules add (the
// title Ohio, which no anchor names).
func TestExtendedModelServedAsQueried(t *testing.T) {
	l := extendedDataDir(t)
	b, err := NewFileBackend(l.DataDir, linker.Parquet)
	if err != nil {
		t.Fatal(err)
	}
	_, ts := newTestServer(t, Options{Backend: b})
	q, err := linker.OpenWiki(l, linker.Parquet)
	if err != nil {
		t.Fatal(err)
	}
	text := "Athens lies in [[Greece]] near the sea, far from Ohio and the Buckeye State."
	a := do(t, "POST", ts.URL+recPath+"wikipedia/en/Athens?threshold=0.5", map[string]any{"wikitext": text, "revid": 1, "pageid": 1})
	if a.status != 200 {
		t.Fatalf("%d %s", a.status, a.body)
	}
	var served struct {
		Links []linker.Recommendation `json:"links"`
		Info  string                  `json:"info"`
	}
	if err := json.Unmarshal(a.body, &served); err != nil {
		t.Fatal(err)
	}
	queried := linker.Recommend(q.Dict, q.Model, "Athens", text, linker.RecommendOptions{Threshold: 0.5, MaxRecommendations: 15})
	if len(served.Links) != len(queried.Links) {
		t.Fatalf("served %+v (%s), queried %+v (%s)", served.Links, served.Info, queried.Links, queried.Info)
	}
	var targets []string
	for i := range queried.Links {
		want := queried.Links[i]
		want.ByteOffset = 0
		if served.Links[i] != want {
			t.Errorf("link %d: served %+v, queried %+v", i, served.Links[i], want)
		}
		targets = append(targets, want.LinkText+"->"+want.LinkTarget)
	}
	// Greece is linked already; sea is an anchor; Ohio is a title (the extended rules).
	if got, want := strings.Join(targets, "|"), "sea->Sea|Ohio->Ohio"; got != want {
		t.Errorf("links %s, want %s", got, want)
	}
	w, err := b.Wiki(context.Background(), "enwiki")
	if err != nil {
		t.Fatal(err)
	}
	if r, err := linker.ModelCandidates(w.Model); err != nil || r != linker.ExtendedCandidates {
		t.Errorf("served model's rules %+v %v", r, err)
	}
}

// TestExtendedModelIncompleteRefused: the sqlite and parquet backends refuse a wiki
// whose extended model reads a dataset that is not there, with a 503 that names it,
// and keep serving the wikis that have theirs. The sqlite backend reads the exported
// extended datasets (export of an extended model).
func TestExtendedModelIncompleteRefused(t *testing.T) {
	l := extendedDataDir(t)
	if _, err := export.Run(context.Background(), export.Options{Wiki: l.Wiki, DataDir: l.DataDir}, nil); err != nil {
		t.Fatal(err)
	}
	// A second wiki, dewiki, with the same files but its link graph missing.
	de := datasets.Layout{DataDir: l.DataDir, Wiki: "dewiki"}
	if err := os.CopyFS(de.Dir(), os.DirFS(l.Dir())); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"anchors.parquet", "pageids.parquet", "redirects.parquet", "w2vfiltered.parquet", "anchors_stats.parquet", "linkgraph.parquet", "linkmodel.json"} {
		if err := os.Rename(filepath.Join(de.Dir(), "enwiki."+name), de.File(name)); err != nil {
			t.Fatal(err)
		}
	}
	// Published-style: the exported files beside the Parquet ones, but the link graph's.
	entries, _ := os.ReadDir(de.Dir())
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), "export") {
			os.RemoveAll(filepath.Join(de.Dir(), e.Name()))
		}
	}
	for _, name := range []string{"anchors", "pageids", "redirects", "w2vfiltered", "anchors_stats"} {
		b, err := os.ReadFile(l.ExportedSQLite(name) + ".gz")
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(de.PublishedSQLite(name)+".gz", b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	os.Remove(de.LinkGraph())
	text := "Athens lies in [[Greece]] near the sea, far from Ohio."
	for _, f := range []linker.Format{linker.Parquet, linker.SQLite} {
		b, err := NewFileBackend(l.DataDir, f)
		if err != nil {
			t.Fatal(err)
		}
		_, ts := newTestServer(t, Options{Backend: b})
		if a := do(t, "POST", ts.URL+recPath+"wikipedia/en/Athens", map[string]any{"wikitext": text, "revid": 1, "pageid": 1}); a.status != 200 || !strings.Contains(string(a.body), "Ohio") {
			t.Errorf("%s enwiki: %d %s", f, a.status, a.body)
		}
		a := do(t, "POST", ts.URL+recPath+"wikipedia/de/Athens", map[string]any{"wikitext": text, "revid": 1, "pageid": 1})
		if a.status != 503 || !strings.Contains(string(a.body), "linkgraph") {
			t.Errorf("%s dewiki without its link graph: %d %s", f, a.status, a.body)
		}
	}
}
