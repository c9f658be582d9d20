package main

import (
	"database/sql"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	_ "github.com/go-sql-driver/mysql"

	"github.com/addlink/addlink/checksum"
	"github.com/addlink/addlink/datasets"
	"github.com/addlink/addlink/internal/mariadbtest"
)

// runCaptured runs the app and returns its stdout.
func runCaptured(t *testing.T, args ...string) (string, error) {
	t.Helper()
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout := os.Stdout
	os.Stdout = w
	done := make(chan string)
	go func() { b, _ := io.ReadAll(r); done <- string(b) }()
	err = newApp().Run(append([]string{"addlink", "-q"}, args...))
	w.Close()
	os.Stdout = stdout
	return <-done, err
}

// addlink load, from a publish root given as ANALYTICS_BASE_URL, with the DB_ variables:
// a load, then a second one that says nothing changed; bad flags are usage errors.
func TestLoadCommand(t *testing.T) {
	root := t.TempDir()
	dir := filepath.Join(root, "xxwiki")
	os.MkdirAll(dir, 0o755)
	for _, n := range datasets.DatasetNames {
		p := filepath.Join(dir, datasets.SQLTable("xxwiki", n)+".sql.gz")
		if _, err := datasets.WriteSQLDump(p, datasets.SQLTable("xxwiki", n), func(yield func(string, []byte) error) error {
			return yield("k "+n, []byte("v "+n))
		}); err != nil {
			t.Fatal(err)
		}
		checksum.WriteFor(p)
	}
	os.WriteFile(filepath.Join(dir, "xxwiki.linkmodel.json"), []byte(`{}`), 0o644)
	checksum.WriteFor(filepath.Join(dir, "xxwiki.linkmodel.json"))
	os.WriteFile(filepath.Join(root, "wikis.txt"), []byte("xxwiki\n"), 0o644)

	for _, args := range [][]string{
		{"load"},
		{"load", "--path", root, "--output-format", "xml"},
		{"load", "--path", root, "-d", "anchors", "pageids", "--download"},
		{"load", "--path", root, "--method", "copy"},
		{"load", "--path", root, "stray"},
	} {
		if _, err := runCaptured(t, args...); exitStatus(err, false) != exitUsage {
			t.Errorf("%v: %v, want a usage error", args, err)
		}
	}

	srv := mariadbtest.Start(t)
	db, err := sql.Open("mysql", srv.DSN(""))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	db.Exec("CREATE DATABASE mwaddlink")
	t.Setenv("DB_HOST", "127.0.0.1")
	t.Setenv("DB_PORT", fmt.Sprint(srv.Port))
	t.Setenv("DB_USER", "root")
	t.Setenv("DB_DATABASE", "mwaddlink")
	t.Setenv("ANALYTICS_BASE_URL", root)
	t.Setenv("ANALYTICS_BASE_URL_LEGACY", "none")
	out, err := runCaptured(t, "load", "--download", "--path", t.TempDir(), "--output-format", "json")
	// The model is no model: the wiki gets no serving index, and that is no failure.
	if err != nil || !strings.Contains(out, `"msg":"loaded","wiki":"xxwiki"`) || !strings.Contains(out, `"msg":"no serving index`) {
		t.Fatalf("load: %v\n%s", err, out)
	}
	// --index-dir none: no index is tried.
	out, err = runCaptured(t, "load", "--download", "--path", t.TempDir(), "--index-dir", "none")
	if err != nil || !strings.Contains(out, "the database did not change") || strings.Contains(out, "serving index") {
		t.Fatalf("second load: %v\n%s", err, out)
	}
	var v string
	if err := db.QueryRow("SELECT value FROM mwaddlink.lr_xxwiki_anchors WHERE lookup = 'k anchors'").Scan(&v); err != nil || v != "v anchors" {
		t.Fatalf("lr_xxwiki_anchors: %q %v", v, err)
	}
	// A wiki that fails makes the exit status 1.
	model := filepath.Join(dir, "xxwiki.linkmodel.json")
	os.WriteFile(model, []byte(`{"changed":1}`), 0o644)
	checksum.WriteFor(model)
	os.WriteFile(model, []byte(`{"changed":2}`), 0o644)
	if out, err := runCaptured(t, "load", "--download", "--path", t.TempDir()); exitStatus(err, false) != exitError || !strings.Contains(out, "checksum mismatch") {
		t.Fatalf("a failed wiki: %v\n%s", err, out)
	}
}
