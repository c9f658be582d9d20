package publish

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/addlink/addlink/checksum"
	"github.com/addlink/addlink/datasets"
)

// exported makes an export set for wiki as the export stage does: the files in
// data/<wiki>/export-<n>/ with their set file (the inputs it records are the
// data/<wiki>/<wiki>.anchors.parquet and model written here), and the export link
// switched to it.
func exported(t *testing.T, data, wiki, model string) {
	t.Helper()
	l := datasets.Layout{DataDir: data, Wiki: wiki}
	os.MkdirAll(l.Dir(), 0o755)
	write := func(p, content string) {
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write(l.Anchors(), "anchors of "+model)
	write(l.Model(), model)
	inputs, err := datasets.DescribeInputs(l)
	if err != nil {
		t.Fatal(err)
	}
	entries, _ := os.ReadDir(l.Dir())
	dir := filepath.Join(l.Dir(), fmt.Sprintf("export-%d", len(entries)))
	os.MkdirAll(dir, 0o755)
	write(filepath.Join(dir, wiki+".anchors.sqlite"), "sqlite") // not published
	write(filepath.Join(dir, wiki+".anchors.sqlite.gz"), "gz anchors")
	sum, _ := checksum.File(filepath.Join(dir, wiki+".anchors.sqlite.gz"))
	checksum.WriteSidecarNamed(filepath.Join(dir, wiki+".anchors.sqlite.checksum"), wiki+".anchors.sqlite.gz", sum)
	write(filepath.Join(dir, "lr_"+wiki+"_anchors.sql.gz"), "sql anchors")
	checksum.WriteFor(filepath.Join(dir, "lr_"+wiki+"_anchors.sql.gz"))
	write(filepath.Join(dir, wiki+".linkmodel.json"), model)
	checksum.WriteFor(filepath.Join(dir, wiki+".linkmodel.json"))
	if _, err := datasets.WriteExportSet(dir, wiki, inputs); err != nil {
		t.Fatal(err)
	}
	os.Remove(l.ExportDir())
	if err := os.Symlink(filepath.Base(dir), l.ExportDir()); err != nil {
		t.Fatal(err)
	}
}

func listDir(t *testing.T, dir string) []string {
	t.Helper()
	entries, _ := os.ReadDir(dir)
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	sort.Strings(names)
	return names
}

func index(t *testing.T, root string) string {
	b, _ := os.ReadFile(filepath.Join(root, IndexFile))
	return string(b)
}

func TestPublishAndUnpublish(t *testing.T) {
	data, root := t.TempDir(), t.TempDir()
	exported(t, data, "xxwiki", `{"v":1}`)
	exported(t, data, "yywiki", `{"v":1}`)
	o := Options{Wiki: "xxwiki", DataDir: data, Root: root}
	for i := 0; i < 2; i++ { // repeated publish is idempotent
		if _, err := Publish(o); err != nil {
			t.Fatal(err)
		}
	}
	want := []string{"README", "lr_xxwiki_anchors.sql.gz", "lr_xxwiki_anchors.sql.gz.checksum", "xxwiki.anchors.sqlite.checksum", "xxwiki.anchors.sqlite.gz", "xxwiki.linkmodel.json", "xxwiki.linkmodel.json.checksum"}
	if got := listDir(t, filepath.Join(root, "xxwiki")); strings.Join(got, " ") != strings.Join(want, " ") {
		t.Fatalf("published %v, want %v", got, want)
	}
	if rs := checksum.VerifyPaths([]string{filepath.Join(root, "xxwiki")}); len(rs) != 3 || rs[0].Err != nil || rs[1].Err != nil || rs[2].Err != nil {
		t.Fatalf("published checksums: %+v", rs)
	}
	Publish(Options{Wiki: "yywiki", DataDir: data, Root: root})
	if got := index(t, root); got != "xxwiki\nyywiki\n" {
		t.Fatalf("wikis.txt = %q", got)
	}

	// A changed model replaces the old one; an unknown file in the directory stays.
	os.WriteFile(filepath.Join(root, "xxwiki", "notes.txt"), []byte("mine"), 0o644)
	exported(t, data, "xxwiki", `{"v":2}`)
	plan, err := Publish(Options{Wiki: "xxwiki", DataDir: data, Root: root, DryRun: true})
	if err != nil || !hasChange(plan, "replace", "xxwiki.linkmodel.json") || !hasChange(plan, "unchanged", "lr_xxwiki_anchors.sql.gz") {
		t.Fatalf("dry-run plan %v, %v", plan, err)
	}
	if b, _ := os.ReadFile(filepath.Join(root, "xxwiki", "xxwiki.linkmodel.json")); string(b) != `{"v":1}` {
		t.Fatal("a dry run changed the publication")
	}
	if _, err := Publish(o); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(filepath.Join(root, "xxwiki", "xxwiki.linkmodel.json")); string(b) != `{"v":2}` {
		t.Fatalf("model = %s", b)
	}
	if b, _ := os.ReadFile(filepath.Join(root, "xxwiki", "notes.txt")); string(b) != "mine" {
		t.Fatal("the unknown file was lost")
	}

	// Unpublish keeps and names the unknown file, keeps the directory, delists.
	plan, kept, err := Unpublish(o)
	if err != nil {
		t.Fatal(err)
	}
	if len(kept) != 1 || !strings.HasSuffix(kept[0], "notes.txt") || !hasChange(plan, "delist", IndexFile) {
		t.Fatalf("kept %v, plan %v", kept, plan)
	}
	if got := listDir(t, filepath.Join(root, "xxwiki")); strings.Join(got, " ") != "notes.txt" {
		t.Fatalf("left %v", got)
	}
	if got := index(t, root); got != "yywiki\n" {
		t.Fatalf("wikis.txt = %q", got)
	}
	// Without unknown files the directory goes too; a second unpublish changes nothing.
	yy := Options{Wiki: "yywiki", DataDir: data, Root: root}
	if _, _, err := Unpublish(yy); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(root, "yywiki")); !os.IsNotExist(err) {
		t.Fatal("empty directory not removed")
	}
	if plan, _, err := Unpublish(yy); err != nil || len(plan) != 0 {
		t.Fatalf("second unpublish: %v, %v", plan, err)
	}
	// Never published.
	if plan, _, err := Unpublish(Options{Wiki: "zzwiki", DataDir: data, Root: root}); err != nil || len(plan) != 0 {
		t.Fatalf("unpublish of a never-published wiki: %v, %v", plan, err)
	}
}

func hasChange(plan []Change, action, suffix string) bool {
	for _, c := range plan {
		if c.Action == action && strings.HasSuffix(c.Path, suffix) {
			return true
		}
	}
	return false
}

func TestMaliciousIDs(t *testing.T) {
	root := t.TempDir()
	os.WriteFile(filepath.Join(root, "keep"), []byte("x"), 0o644)
	for _, id := range []string{"", "*", "../x", "a/b", "..", ".", "x*", "X", " xwiki", "xwiki\n"} {
		o := Options{Wiki: id, DataDir: t.TempDir(), Root: root}
		if _, err := Publish(o); err == nil {
			t.Errorf("Publish accepted %q", id)
		}
		if _, _, err := Unpublish(o); err == nil {
			t.Errorf("Unpublish accepted %q", id)
		}
	}
	if _, err := os.Stat(filepath.Join(root, "keep")); err != nil {
		t.Fatal("a file outside the wiki was touched")
	}
}

func TestInterruptedPublishKeepsOldPublication(t *testing.T) {
	data, root := t.TempDir(), t.TempDir()
	exported(t, data, "xxwiki", `{"v":1}`)
	o := Options{Wiki: "xxwiki", DataDir: data, Root: root}
	if _, err := Publish(o); err != nil {
		t.Fatal(err)
	}
	before := snapshot(t, filepath.Join(root, "xxwiki"))
	exported(t, data, "xxwiki", `{"v":2}`)
	o.failAfter = 2
	if _, err := Publish(o); err == nil {
		t.Fatal("the injected failure did not fail")
	}
	if after := snapshot(t, filepath.Join(root, "xxwiki")); after != before {
		t.Fatalf("publication changed by an interrupted publish:\n%s\nvs\n%s", before, after)
	}
	if got := listDir(t, root); strings.Join(got, " ") != "wikis.txt xxwiki" {
		t.Fatalf("root holds %v after the failure", got)
	}
}

func snapshot(t *testing.T, dir string) string {
	var b strings.Builder
	for _, n := range listDir(t, dir) {
		c, _ := os.ReadFile(filepath.Join(dir, n))
		b.WriteString(n + "=" + string(c) + "\n")
	}
	return b.String()
}

func TestRefusesBadChecksums(t *testing.T) {
	data, root := t.TempDir(), t.TempDir()
	l := datasets.Layout{DataDir: data, Wiki: "xxwiki"}
	exported(t, data, "xxwiki", `{"v":1}`)
	os.WriteFile(l.ExportedModel(), []byte("tampered"), 0o644)
	if _, err := Publish(Options{Wiki: "xxwiki", DataDir: data, Root: root}); !errors.Is(err, datasets.ErrExportInconsistent) {
		t.Fatalf("err = %v", err)
	}
	exported(t, data, "xxwiki", `{"v":1}`)
	os.Remove(l.ExportedSQLDump("anchors") + checksum.Ext)
	if _, err := Publish(Options{Wiki: "xxwiki", DataDir: data, Root: root}); !errors.Is(err, datasets.ErrExportInconsistent) || !strings.Contains(err.Error(), "missing") {
		t.Fatalf("err = %v", err)
	}
	if _, err := os.Stat(filepath.Join(root, "xxwiki")); !os.IsNotExist(err) {
		t.Fatal("something was published")
	}
}

// Publish refuses an export that is not current for the model and datasets now in the
// data directory (issue 18, item 1): a model trained again, an input gone or added.
func TestRefusesStaleExport(t *testing.T) {
	tests := []struct {
		name   string
		change func(l datasets.Layout)
	}{
		{"model trained again", func(l datasets.Layout) { os.WriteFile(l.Model(), []byte(`{"v":3}`), 0o644) }},
		{"anchors rebuilt", func(l datasets.Layout) { os.WriteFile(l.Anchors(), []byte("new anchors"), 0o644) }},
		{"embeddings made since", func(l datasets.Layout) { os.WriteFile(l.Embeddings(), []byte("vectors"), 0o644) }},
		{"model gone", func(l datasets.Layout) { os.Remove(l.Model()) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			data, root := t.TempDir(), t.TempDir()
			l := datasets.Layout{DataDir: data, Wiki: "xxwiki"}
			exported(t, data, "xxwiki", `{"v":1}`)
			if _, err := Publish(Options{Wiki: "xxwiki", DataDir: data, Root: root}); err != nil {
				t.Fatal(err)
			}
			before := snapshot(t, filepath.Join(root, "xxwiki"))
			tt.change(l)
			_, err := Publish(Options{Wiki: "xxwiki", DataDir: data, Root: root})
			if !errors.Is(err, datasets.ErrExportStale) || !strings.Contains(err.Error(), "addlink export --wiki xxwiki") {
				t.Fatalf("err = %v, want a refusal naming addlink export", err)
			}
			if after := snapshot(t, filepath.Join(root, "xxwiki")); after != before {
				t.Fatal("the publication changed")
			}
		})
	}
}

// A published file of a kind the new set lacks does not stay beside the new set.
func TestPublishRemovesFilesOfOlderSet(t *testing.T) {
	data, root := t.TempDir(), t.TempDir()
	exported(t, data, "xxwiki", `{"v":1}`)
	old := filepath.Join(root, "xxwiki", "lr_xxwiki_w2vfiltered.sql.gz")
	os.MkdirAll(filepath.Dir(old), 0o755)
	os.WriteFile(old, []byte("old vectors"), 0o644)
	checksum.WriteFor(old)
	plan, err := Publish(Options{Wiki: "xxwiki", DataDir: data, Root: root})
	if err != nil || !hasChange(plan, "remove", "lr_xxwiki_w2vfiltered.sql.gz") {
		t.Fatalf("plan %v, %v", plan, err)
	}
	for _, n := range []string{"lr_xxwiki_w2vfiltered.sql.gz", "lr_xxwiki_w2vfiltered.sql.gz.checksum"} {
		if _, err := os.Stat(filepath.Join(root, "xxwiki", n)); !os.IsNotExist(err) {
			t.Errorf("%s of the older set is still published", n)
		}
	}
}

// The sample wiki is generated text: it is never published (issue 18, item 7).
func TestRefusesSampleWiki(t *testing.T) {
	data, root := t.TempDir(), t.TempDir()
	exported(t, data, datasets.SampleWiki, `{"v":1}`)
	if _, err := Publish(Options{Wiki: datasets.SampleWiki, DataDir: data, Root: root}); !errors.Is(err, ErrSampleWiki) {
		t.Fatalf("err = %v, want ErrSampleWiki", err)
	}
	if got := listDir(t, root); len(got) != 0 {
		t.Fatalf("root holds %v", got)
	}
}

// TestV2RootNotInV1Root: publish --multilingual refuses a v2 root that is the v1 root,
// inside it (also through a symbolic link, or not yet created), and accepts a sibling.
func TestV2RootNotInV1Root(t *testing.T) {
	dir := t.TempDir()
	v1 := filepath.Join(dir, "v1")
	os.MkdirAll(filepath.Join(v1, "sub"), 0o755)
	os.Symlink(filepath.Join(v1, "sub"), filepath.Join(dir, "link"))
	for _, c := range []struct {
		root string
		ok   bool
	}{
		{v1, false},
		{v1 + "/", false},
		{filepath.Join(v1, "v2"), false},
		{filepath.Join(v1, "sub", "new", "v2"), false},
		{filepath.Join(dir, "link", "v2"), false},
		{filepath.Join(dir, "v2"), true},
		{filepath.Join(dir, "v1x"), true},
	} {
		o := Options{Wiki: "aawiki", Root: c.root, V1Root: v1, Multilingual: "multi"}
		if err := o.Validate(); (err == nil) != c.ok {
			t.Errorf("v2 root %s: %v", c.root, err)
		}
	}
}
