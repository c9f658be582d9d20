package publish

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/addlink/addlink/datasets"
	"github.com/addlink/addlink/internal/gbdt"
	"github.com/addlink/addlink/internal/linker"
	"github.com/addlink/addlink/pipeline/export"
)

// TestRefusesExtendedModel: a model whose features are not the reference's six is not
// published, whatever put it into the export set; the reference's model is.
func TestRefusesExtendedModel(t *testing.T) {
	model := func(names []string) string {
		m := &gbdt.Model{NumFeature: max(len(names), 6), BaseScore: 0.5, FeatureNames: names,
			Trees: []gbdt.Tree{{Left: []int32{-1}, Right: []int32{-1}, Parent: []int32{-1}, SplitIndex: []int32{0},
				SplitCondition: []float32{0.1}, DefaultLeft: []bool{false}, BaseWeight: []float32{0.1}, LossChange: []float32{0}, SumHessian: []float32{1}}}}
		b, err := m.MarshalJSON()
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	data, root := t.TempDir(), t.TempDir()
	exported(t, data, "xxwiki", model(linker.ExtendedFeatures.Names()))
	if _, err := Publish(Options{Wiki: "xxwiki", DataDir: data, Root: root}); !errors.Is(err, linker.ErrNotServiceModel) {
		t.Fatalf("err = %v, want ErrNotServiceModel", err)
	}
	if got := listDir(t, root); len(got) != 0 {
		t.Fatalf("root holds %v", got)
	}
	exported(t, data, "xxwiki", model(nil))
	if _, err := Publish(Options{Wiki: "xxwiki", DataDir: data, Root: root}); err != nil {
		t.Fatalf("reference model: %v", err)
	}
}

// TestExtendedModelOwnTree: an export of a model with extended features (its set says
// so and holds the datasets it reads) is published under ExtendedRoot, with its own
// wikis.txt; the reference's wikis.txt and directories stay as they were, so the
// reference's loader and service never see it. Unpublish --extended removes it.
func TestExtendedModelOwnTree(t *testing.T) {
	data, root := t.TempDir(), t.TempDir()
	l := datasets.Layout{DataDir: data, Wiki: "xxwiki"}
	os.MkdirAll(l.Dir(), 0o755)
	must := func(_ string, err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(datasets.WriteParquet(l.Anchors(), []datasets.Anchor{{Anchor: "greece", Target: "Greece", N: 7}}))
	must(datasets.WriteParquet(l.PageIDs(), []datasets.PageID{{Title: "Athens", PageID: 1}, {Title: "Greece", PageID: 2}}))
	must(datasets.WriteParquet(l.Redirects(), []datasets.Redirect{{From: "Hellas", To: "Greece"}}))
	must(datasets.WriteParquet(l.AnchorStats(), []datasets.AnchorStat{{Anchor: "greece", AsLink: 7, AsText: 3}}))
	must(datasets.WriteParquet(l.LinkGraph(), []datasets.Link{{PageID: 1, TargetID: 2}, {PageID: 2, TargetID: 1}}))
	m := &gbdt.Model{NumFeature: len(linker.ExtendedFeatures), BaseScore: 0.5, FeatureNames: linker.ExtendedFeatures.Names(),
		Trees: []gbdt.Tree{{Left: []int32{-1}, Right: []int32{-1}, Parent: []int32{-1}, SplitIndex: []int32{0},
			SplitCondition: []float32{0.1}, DefaultLeft: []bool{false}, BaseWeight: []float32{0.1}, LossChange: []float32{0}, SumHessian: []float32{1}}}}
	b, err := m.MarshalJSON()
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(l.Model(), b, 0o644)
	if _, err := export.Run(context.Background(), export.Options{Wiki: "xxwiki", DataDir: data}, nil); err != nil {
		t.Fatal(err)
	}
	// The reference's publication of another wiki.
	os.MkdirAll(filepath.Join(root, "yywiki"), 0o755)
	os.WriteFile(filepath.Join(root, IndexFile), []byte("yywiki\n"), 0o644)
	os.WriteFile(filepath.Join(root, "yywiki", "yywiki.linkmodel.json"), []byte("{}"), 0o644)
	before := listDir(t, root)

	if _, err := Publish(Options{Wiki: "xxwiki", DataDir: data, Root: root}); err != nil {
		t.Fatal(err)
	}
	ext := ExtendedRoot(root)
	if got := listDir(t, root); !slices.Equal(got, append([]string{datasets.ExtendedRootName}, before...)) {
		t.Errorf("root holds %v, want %v and %s", got, before, datasets.ExtendedRootName)
	}
	if b, _ := os.ReadFile(filepath.Join(root, IndexFile)); string(b) != "yywiki\n" {
		t.Errorf("the reference's wikis.txt: %q", b)
	}
	if b, _ := os.ReadFile(filepath.Join(ext, IndexFile)); string(b) != "xxwiki\n" {
		t.Errorf("the extended wikis.txt: %q", b)
	}
	want := []string{"README",
		"lr_xxwiki_anchors.sql.gz", "lr_xxwiki_anchors.sql.gz.checksum",
		"lr_xxwiki_anchors_stats.sql.gz", "lr_xxwiki_anchors_stats.sql.gz.checksum",
		"lr_xxwiki_linkgraph.sql.gz", "lr_xxwiki_linkgraph.sql.gz.checksum",
		"lr_xxwiki_pageids.sql.gz", "lr_xxwiki_pageids.sql.gz.checksum",
		"lr_xxwiki_redirects.sql.gz", "lr_xxwiki_redirects.sql.gz.checksum",
		"xxwiki.anchors.sqlite.checksum", "xxwiki.anchors.sqlite.gz",
		"xxwiki.anchors_stats.sqlite.checksum", "xxwiki.anchors_stats.sqlite.gz",
		"xxwiki.linkgraph.sqlite.checksum", "xxwiki.linkgraph.sqlite.gz",
		"xxwiki.linkmodel.json", "xxwiki.linkmodel.json.checksum",
		"xxwiki.pageids.sqlite.checksum", "xxwiki.pageids.sqlite.gz",
		"xxwiki.redirects.sqlite.checksum", "xxwiki.redirects.sqlite.gz"}
	if got := listDir(t, filepath.Join(ext, "xxwiki")); !slices.Equal(got, want) {
		t.Errorf("published %v\nwant %v", got, want)
	}
	if _, _, err := Unpublish(Options{Wiki: "xxwiki", Root: root, Extended: true}); err != nil {
		t.Fatal(err)
	}
	if got := listDir(t, ext); !slices.Equal(got, []string{IndexFile}) {
		t.Errorf("after unpublish --extended: %v", got)
	}
	if b, _ := os.ReadFile(filepath.Join(ext, IndexFile)); string(b) != "" {
		t.Errorf("the extended wikis.txt after unpublish: %q", b)
	}
	if got := listDir(t, filepath.Join(root, "yywiki")); !slices.Equal(got, []string{"yywiki.linkmodel.json"}) {
		t.Errorf("yywiki: %v", got)
	}
}
