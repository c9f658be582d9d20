package dump

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

func TestDiscover(t *testing.T) {
	root := t.TempDir()
	mk := func(rel string, content string) {
		p := filepath.Join(root, rel)
		os.MkdirAll(filepath.Dir(p), 0o755)
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	// 20240101: complete parts and the combined file: parts win.
	mk("xxwiki/20240101/xxwiki-20240101-pages-articles1.xml-p1p10.bz2", "")
	mk("xxwiki/20240101/xxwiki-20240101-pages-articles2.xml-p11p20.bz2", "")
	mk("xxwiki/20240101/xxwiki-20240101-pages-articles.xml.bz2", "")
	mk("xxwiki/20240101/xxwiki-20240101-pages-articles-multistream.xml.bz2", "")
	// 20240201: parts with a gap and no combined file: incomplete.
	mk("xxwiki/20240201/xxwiki-20240201-pages-articles1.xml-p1p10.bz2", "")
	mk("xxwiki/20240201/xxwiki-20240201-pages-articles3.xml-p21p30.bz2", "")
	// 20240301: the job is still running.
	mk("xxwiki/20240301/xxwiki-20240301-pages-articles.xml.bz2", "")
	mk("xxwiki/20240301/dumpstatus.json", `{"jobs": {"articlesdump": {"status": "in-progress"}}}`)
	mk("xxwiki/latest/xxwiki-latest-pages-articles.xml.bz2", "")
	// yywiki: only a combined file, done.
	mk("yywiki/20230501/yywiki-20230501-pages-articles.xml.bz2", "")
	mk("yywiki/20230501/dumpstatus.json", `{"jobs": {"articlesdump": {"status": "done"}}}`)

	got, err := Discover(root, "xxwiki")
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		filepath.Join(root, "xxwiki/20240101/xxwiki-20240101-pages-articles1.xml-p1p10.bz2"),
		filepath.Join(root, "xxwiki/20240101/xxwiki-20240101-pages-articles2.xml-p11p20.bz2"),
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Discover(xxwiki) = %v, want %v", got, want)
	}
	got, err = Discover(root, "yywiki")
	if err != nil || len(got) != 1 || !strings.HasSuffix(got[0], "yywiki-20230501-pages-articles.xml.bz2") {
		t.Errorf("Discover(yywiki) = %v, %v", got, err)
	}
	if _, err := Discover(root, "zzwiki"); !errors.Is(err, ErrNotFound) || !strings.Contains(err.Error(), "zzwiki") {
		t.Errorf("Discover(zzwiki) err = %v", err)
	}
	mk("wwwiki/20240101/readme.txt", "")
	if _, err := Discover(root, "wwwiki"); !errors.Is(err, ErrNotFound) || !strings.Contains(err.Error(), "no complete") {
		t.Errorf("Discover(wwwiki) err = %v", err)
	}
}

func TestSortParts(t *testing.T) {
	files := []string{"w-pages-articles3.xml-p21p30.bz2", "w-pages-articles10.xml-p100p200.bz2", "w-pages-articles1.xml-p1p10.bz2"}
	SortParts(files)
	want := []string{"w-pages-articles1.xml-p1p10.bz2", "w-pages-articles3.xml-p21p30.bz2", "w-pages-articles10.xml-p100p200.bz2"}
	if !reflect.DeepEqual(files, want) {
		t.Errorf("SortParts = %v", files)
	}
}

func TestFiles(t *testing.T) {
	given := []string{"/nonexistent/a.xml.bz2"}
	if got, err := Files(given, t.TempDir(), "cswiki"); err != nil || len(got) != 1 || got[0] != given[0] {
		t.Errorf("given files: %v %v", got, err)
	}
	if _, err := Files(nil, t.TempDir(), "cswiki"); !errors.Is(err, ErrNotFound) {
		t.Errorf("nothing under an empty root: %v, want ErrNotFound", err)
	}
}
