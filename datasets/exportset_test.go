package datasets

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/addlink/addlink/checksum"
)

// makeSet writes an export set of two files and a checksum under data/xxwiki/<name>,
// made from data/xxwiki/xxwiki.anchors.parquet, and points data/xxwiki/export at it.
func makeSet(t *testing.T, l Layout, name string) string {
	t.Helper()
	os.MkdirAll(l.Dir(), 0o755)
	if _, err := os.Stat(l.Anchors()); err != nil {
		os.WriteFile(l.Anchors(), []byte("anchors"), 0o644)
	}
	dir := filepath.Join(l.Dir(), name)
	os.MkdirAll(dir, 0o755)
	os.WriteFile(filepath.Join(dir, "lr_xxwiki_anchors.sql.gz"), []byte("rows"), 0o644)
	checksum.WriteFor(filepath.Join(dir, "lr_xxwiki_anchors.sql.gz"))
	inputs, err := DescribeInputs(l)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := WriteExportSet(dir, l.Wiki, inputs); err != nil {
		t.Fatal(err)
	}
	os.Remove(l.ExportDir())
	if err := os.Symlink(name, l.ExportDir()); err != nil {
		t.Fatal(err)
	}
	return dir
}

// The set is checked as a whole, not file by file: an extra file, a missing one, a
// checksum file that agrees with its file but not with the set, or inputs changed since
// the export each fail; an older set the link does not point at is not the export.
func TestVerifyExportSets(t *testing.T) {
	tests := []struct {
		name   string
		change func(l Layout, dir string)
		want   error
	}{
		{"whole and current", func(Layout, string) {}, nil},
		{"extra file", func(_ Layout, dir string) { os.WriteFile(filepath.Join(dir, "lr_xxwiki_pageids.sql.gz"), nil, 0o644) }, ErrExportInconsistent},
		{"missing file", func(_ Layout, dir string) { os.Remove(filepath.Join(dir, "lr_xxwiki_anchors.sql.gz.checksum")) }, ErrExportInconsistent},
		{"file and checksum both replaced", func(_ Layout, dir string) {
			p := filepath.Join(dir, "lr_xxwiki_anchors.sql.gz")
			os.WriteFile(p, []byte("rows of another export"), 0o644)
			checksum.WriteFor(p)
		}, ErrExportInconsistent},
		{"input changed", func(l Layout, _ string) { os.WriteFile(l.Anchors(), []byte("new anchors"), 0o644) }, ErrExportStale},
		{"input added", func(l Layout, _ string) { os.WriteFile(l.Model(), []byte("{}"), 0o644) }, ErrExportStale},
		{"input gone", func(l Layout, _ string) { os.Remove(l.Anchors()) }, ErrExportStale},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l := Layout{DataDir: t.TempDir(), Wiki: "xxwiki"}
			dir := makeSet(t, l, "export-1")
			tt.change(l, dir)
			for _, path := range []string{l.Dir(), l.ExportDir()} {
				rs := VerifyExportSets([]string{path})
				if len(rs) != 1 || !errors.Is(rs[0].Err, tt.want) || (tt.want == nil) != (rs[0].Err == nil) {
					t.Fatalf("verify %s: %+v, want %v", path, rs, tt.want)
				}
				if tt.want != nil && !strings.Contains(rs[0].Err.Error(), "xxwiki") {
					t.Errorf("error %v names no file", rs[0].Err)
				}
			}
		})
	}
	// A newer set in place: the older one beside it is not the export.
	l := Layout{DataDir: t.TempDir(), Wiki: "xxwiki"}
	makeSet(t, l, "export-1")
	os.WriteFile(l.Anchors(), []byte("new anchors"), 0o644)
	makeSet(t, l, "export-2")
	if rs := VerifyExportSets([]string{l.Dir()}); len(rs) != 1 || rs[0].Err != nil || !strings.Contains(rs[0].Sidecar, "export-2") {
		t.Fatalf("verify with an older set beside the export: %+v", rs)
	}
}

// verify passes over the sets readers do not see: an older set beside the export link
// (being removed by a running export, or left by one killed after its switch) and a set
// still being written; the set the link points at, and directories that are not sets,
// are checked.
func TestNotTheExport(t *testing.T) {
	dir := t.TempDir()
	for _, d := range []string{"export-aaa", "export-bbb", ".export.tmp-12-345", "training"} {
		if err := os.Mkdir(filepath.Join(dir, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Symlink("export-aaa", filepath.Join(dir, "export")); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		dir  string
		want bool
	}{
		{"export-aaa", false},
		{"export-bbb", true},
		{".export.tmp-12-345", true},
		{"training", false},
	} {
		if got := NotTheExport(filepath.Join(dir, tc.dir)); got != tc.want {
			t.Errorf("NotTheExport(%s) = %v, want %v", tc.dir, got, tc.want)
		}
	}
}
