package publish

import (
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/addlink/addlink/checksum"
)

// exported makes the files export writes for wiki under data/<wiki>/.
func exported(t *testing.T, data, wiki, model string) {
	t.Helper()
	dir := filepath.Join(data, wiki)
	os.MkdirAll(dir, 0o755)
	write := func(name, content string) {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write(wiki+".anchors.sqlite", "sqlite") // not published
	write(wiki+".anchors.sqlite.gz", "gz anchors")
	sum, _ := checksum.File(filepath.Join(dir, wiki+".anchors.sqlite.gz"))
	checksum.WriteSidecarNamed(filepath.Join(dir, wiki+".anchors.sqlite.checksum"), wiki+".anchors.sqlite.gz", sum)
	write("lr_"+wiki+"_anchors.sql.gz", "sql anchors")
	checksum.WriteFor(filepath.Join(dir, "lr_"+wiki+"_anchors.sql.gz"))
	write(wiki+".linkmodel.json", model)
	checksum.WriteFor(filepath.Join(dir, wiki+".linkmodel.json"))
	write(wiki+".anchors.parquet", "not published")
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
	exported(t, data, "xxwiki", `{"v":1}`)
	os.WriteFile(filepath.Join(data, "xxwiki", "xxwiki.linkmodel.json"), []byte("tampered"), 0o644)
	if _, err := Publish(Options{Wiki: "xxwiki", DataDir: data, Root: root}); err == nil || !strings.Contains(err.Error(), "mismatch") {
		t.Fatalf("err = %v", err)
	}
	os.Remove(filepath.Join(data, "xxwiki", "lr_xxwiki_anchors.sql.gz.checksum"))
	exported(t, data, "xxwiki", `{"v":1}`)
	os.Remove(filepath.Join(data, "xxwiki", "lr_xxwiki_anchors.sql.gz.checksum"))
	if _, err := Publish(Options{Wiki: "xxwiki", DataDir: data, Root: root}); err == nil || !strings.Contains(err.Error(), "no checksum") {
		t.Fatalf("err = %v", err)
	}
	if _, err := os.Stat(filepath.Join(root, "xxwiki")); !os.IsNotExist(err) {
		t.Fatal("something was published")
	}
}
