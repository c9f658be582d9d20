package main

import (
	"os"
	"path/filepath"
	"syscall"
	"testing"

	"github.com/addlink/addlink/internal/synth"
)

// A small synthetic wiki that can be published (not the sample wiki), trained and
// exported in data.
func trainedWiki(t *testing.T, data, wiki string) {
	t.Helper()
	dump := filepath.Join(t.TempDir(), wiki+"-20260101-pages-articles.xml")
	o := synth.SampleOptions()
	o.Wiki = wiki
	if err := synth.WriteFile(dump, o); err != nil {
		t.Fatal(err)
	}
	if code, err := runIn("--data-dir", data, "run", "--wiki", wiki, "--dump", dump); code != 0 {
		t.Fatalf("run: %v", err)
	}
}

// Issue 27, item 1: the directories export and publish make are readable by others
// (0755 under umask 022), as the files in them are: a web server or a loader running as
// another user reads the publication.
func TestPublishedDirectoriesAreReadableByOthers(t *testing.T) {
	old := syscall.Umask(0o022)
	defer syscall.Umask(old)
	data, root := t.TempDir(), filepath.Join(t.TempDir(), "published")
	trainedWiki(t, data, "xxwiki")
	if code, err := runIn("--data-dir", data, "publish", "--wiki", "xxwiki", "--publish-root", root); code != 0 {
		t.Fatalf("publish: %v", err)
	}
	exportDir, err := filepath.EvalSymlinks(filepath.Join(data, "xxwiki", "export"))
	if err != nil {
		t.Fatal(err)
	}
	for _, dir := range []string{exportDir, filepath.Join(root, "xxwiki"), root} {
		st, err := os.Stat(dir)
		if err != nil {
			t.Fatal(err)
		}
		if st.Mode().Perm() != 0o755 {
			t.Errorf("%s: mode %v, want 0755", dir, st.Mode().Perm())
		}
	}
}
