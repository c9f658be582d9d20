package main

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/addlink/addlink/datasets"
	"github.com/addlink/addlink/internal/synth"
	"github.com/addlink/addlink/loader"
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

// Issue 27, item 2: with a publish root directory as ANALYTICS_BASE_URL, as the README
// shows, `load --download` reads that directory only: it does not also list the
// default legacy publication on the internet (which fails, slowly, offline) unless
// ANALYTICS_BASE_URL_LEGACY or --legacy-base-url names one. Here no database answers,
// so the load fails; it must fail on the database, never on fetching a wikis.txt.
func TestLoadFromDirectoryStaysOffline(t *testing.T) {
	root := t.TempDir()
	os.WriteFile(filepath.Join(root, "wikis.txt"), []byte("xxwiki\n"), 0o644)
	// Every HTTP request goes to a proxy that refuses connections: a fetch fails at once.
	t.Setenv("HTTPS_PROXY", "http://127.0.0.1:1")
	t.Setenv("HTTP_PROXY", "http://127.0.0.1:1")
	t.Setenv("ANALYTICS_BASE_URL", root)
	t.Setenv("ANALYTICS_BASE_URL_LEGACY", "")
	os.Unsetenv("ANALYTICS_BASE_URL_LEGACY")
	t.Setenv("DB_HOST", "127.0.0.1")
	t.Setenv("DB_PORT", "1")
	t.Setenv("DB_USER", "root")
	t.Setenv("DB_DATABASE", "mwaddlink")
	for _, args := range [][]string{
		{"load", "--download", "--path", t.TempDir(), "--retries", "0"},
		{"load", "--download", "--path", t.TempDir(), "--retries", "0", "--dry-run"},
	} {
		_, err := runCaptured(t, args...)
		if err == nil || strings.Contains(err.Error(), "wikis.txt") || strings.Contains(err.Error(), "analytics.wikimedia.org") {
			t.Errorf("%v: %v; want an error about the database, nothing fetched", args, err)
		}
	}
	// Asked for, the legacy publication is listed (and here fails to be fetched).
	_, err := runCaptured(t, "load", "--download", "--path", t.TempDir(), "--retries", "0", "--legacy-base-url", loader.DefaultLegacyBaseURL)
	if err == nil || !strings.Contains(err.Error(), "wikis.txt") {
		t.Errorf("with --legacy-base-url: %v; want the fetch of its wikis.txt to fail", err)
	}
	t.Setenv("ANALYTICS_BASE_URL_LEGACY", loader.DefaultLegacyBaseURL)
	_, err = runCaptured(t, "load", "--download", "--path", t.TempDir(), "--retries", "0")
	if err == nil || !strings.Contains(err.Error(), "wikis.txt") {
		t.Errorf("with ANALYTICS_BASE_URL_LEGACY: %v; want the fetch of its wikis.txt to fail", err)
	}
}

// Issue 27, item 8: a refused run leaves nothing behind: no data/<wiki>/ holding only
// a lock file when there is no dump, no empty data/<wiki>/ after a wiki mismatch. A
// wiki directory that existed keeps its lock file.
func TestRefusedRunLeavesNoTrace(t *testing.T) {
	parent := t.TempDir()
	data := filepath.Join(parent, "data")
	other := filepath.Join(t.TempDir(), "xxwiki-20260101-pages-articles.xml")
	if err := synth.WriteFile(other, synth.Options{Wiki: "xxwiki", Articles: 20, Seed: 1}); err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{
		{"run", "--wiki", "cswiki", "--dumps-dir", t.TempDir()},
		{"dictionaries", "--wiki", "cswiki", "--dumps-dir", t.TempDir()},
		{"run", "--wiki", "othwiki", "--dump", other},
		{"dictionaries", "--wiki", "othwiki", "--dump", other},
	} {
		if code, _ := runIn(append([]string{"--data-dir", data}, args...)...); code == 0 {
			t.Fatalf("%v succeeded", args)
		}
		if entries, err := os.ReadDir(parent); err != nil || len(entries) != 0 {
			var names []string
			filepath.WalkDir(parent, func(p string, _ os.DirEntry, _ error) error { names = append(names, p); return nil })
			t.Fatalf("%v left %v", args, names)
		}
	}
	os.MkdirAll(filepath.Join(data, "cswiki"), 0o755)
	runIn("--data-dir", data, "run", "--wiki", "cswiki", "--dumps-dir", t.TempDir())
	if _, err := os.Stat(filepath.Join(data, "cswiki")); err != nil {
		t.Fatalf("an existing wiki directory was removed: %v", err)
	}
}

// Issue 27, item 7: `query` for a wiki without data names the directory it looked in,
// not the service's HTTP answer ("Unable to process request for wikipedia/nosuch").
func TestQueryNamesTheDataDirectory(t *testing.T) {
	data := t.TempDir()
	text := filepath.Join(t.TempDir(), "page.wikitext")
	os.WriteFile(text, []byte("Some text."), 0o644)
	_, err := runIn("--data-dir", data, "query", "--wiki", "nosuchwiki", "--title", "X", "--wikitext-file", text)
	want := filepath.Join(data, "nosuchwiki") + " does not exist"
	if err == nil || !strings.Contains(err.Error(), want) || strings.Contains(err.Error(), "Unable to process") {
		t.Fatalf("query: %v; want an error saying %q", err, want)
	}
	os.MkdirAll(filepath.Join(data, "nosuchwiki"), 0o755)
	_, err = runIn("--data-dir", data, "query", "--wiki", "nosuchwiki", "--title", "X", "--wikitext-file", text)
	if err == nil || !strings.Contains(err.Error(), "no model for nosuchwiki in "+filepath.Join(data, "nosuchwiki")) {
		t.Fatalf("query with an empty directory: %v", err)
	}
}

// Issue 27, item 6: `status` and `status --wiki samplewiki` agree (the sample wiki's
// dump is the generated one either way), and a wiki without a data directory (a typo)
// is an error naming the directory, not a list of missing stages with exit status 0.
func TestStatusIsHonest(t *testing.T) {
	data := t.TempDir()
	if code, err := runIn("--data-dir", data, "run", "--to", "sentences"); code != 0 {
		t.Fatalf("run: %v", err)
	}
	implicit, err := runCaptured(t, "--data-dir", data, "status")
	if err != nil {
		t.Fatal(err)
	}
	explicit, err := runCaptured(t, "--data-dir", data, "status", "--wiki", datasets.SampleWiki)
	if err != nil {
		t.Fatal(err)
	}
	if implicit != explicit || strings.Contains(explicit, "no dump") || !strings.Contains(explicit, "sentences      current") {
		t.Fatalf("status:\n%s\nstatus --wiki %s:\n%s", implicit, datasets.SampleWiki, explicit)
	}
	_, err = runCaptured(t, "--data-dir", data, "status", "--wiki", "tesstwiki")
	if want := filepath.Join(data, "tesstwiki") + " does not exist"; err == nil || !strings.Contains(err.Error(), want) {
		t.Fatalf("status of a wiki without data: %v; want an error saying %q", err, want)
	}
}
