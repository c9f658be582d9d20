package main

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/addlink/addlink/checksum"
	"github.com/addlink/addlink/datasets"
	"github.com/addlink/addlink/internal/dump"
	"github.com/addlink/addlink/internal/linker"
	"github.com/addlink/addlink/internal/mariadbtest"
	"github.com/addlink/addlink/internal/testfixtures"
	"github.com/addlink/addlink/publish"
	"github.com/addlink/addlink/service"
)

// extendedWikis are the fixture wikis TestExtendedModelEndToEnd runs; the environment
// variable ADDLINK_EXTENDED_WIKIS (space-separated) takes some of them.
var extendedWikis = []string{"elwikivoyage", "ukwiki", "viwiki", "jawiki"}

// extendedPages is how many articles of each wiki the backends answer for.
const extendedPages = 100

// TestExtendedModelEndToEnd is issue 28 on the fixture wikis: `addlink run --features
// extended` (a rerun finds every stage current), export, publish (under the extended
// tree: the reference's wikis.txt and directories stay as they were), `addlink load`
// into a MariaDB the test starts, then the mysql, sqlite (the published tree) and
// parquet (the data directory) backends give, for 100 articles of each wiki, the same
// (link_text, link_target, score) as the query command on the data directory
// (linker.OpenWiki and Recommend, which it runs; the command itself on 3 pages a wiki). Then bad input: a published link graph that is missing or
// corrupt makes load fail for that wiki with every table as it was; a wiki whose link
// graph is not loaded is refused by serve (503, saying why) while the others are
// served; and a changed checksum in lr_checksum reloads the wiki.
func TestExtendedModelEndToEnd(t *testing.T) {
	wikis := extendedWikis
	if s := os.Getenv("ADDLINK_EXTENDED_WIKIS"); s != "" {
		wikis = strings.Fields(s)
	}
	dumps := map[string]string{}
	for _, w := range wikis {
		dir := testfixtures.Path(t, "dumps/"+w)
		m, _ := filepath.Glob(filepath.Join(dir, "*pages-articles*.bz2"))
		if len(m) == 0 {
			t.Fatalf("no pages-articles dump in %s", dir)
		}
		sort.Strings(m)
		dumps[w] = m[0]
	}
	testfixtures.Require(t, "Debian's mariadb-server", mariadbtest.Available)
	tmp := t.TempDir()
	data, root, dumpsDir := filepath.Join(tmp, "data"), filepath.Join(tmp, "pub"), filepath.Join(tmp, "dumps")
	os.MkdirAll(dumpsDir, 0o755)

	// A publication of the reference's kind already in the root: its list and files
	// must stay as they were.
	refDir := filepath.Join(root, "xxwiki")
	os.MkdirAll(refDir, 0o755)
	os.WriteFile(filepath.Join(root, publish.IndexFile), []byte("xxwiki\n"), 0o644)
	os.WriteFile(filepath.Join(refDir, "xxwiki.linkmodel.json"), []byte(`{"reference": true}`), 0o644)
	checksum.WriteFor(filepath.Join(refDir, "xxwiki.linkmodel.json"))
	before := treeDigest(t, root)

	for _, w := range wikis {
		args := []string{"--data-dir", data, "--dumps-dir", dumpsDir, "--threads", "2"}
		if _, err := runCaptured(t, append([]string{"run", "--wiki", w, "--dump", dumps[w], "--features", "extended"}, args...)...); err != nil {
			t.Fatalf("%s: run --features extended: %v", w, err)
		}
		out, err := runCaptured(t, append([]string{"status", "--wiki", w, "--dump", dumps[w], "--features", "extended"}, args...)...)
		if err != nil || !strings.Contains(out, "linkgraph ") {
			t.Fatalf("%s: status: %v\n%s", w, err, out)
		}
		for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
			if f := strings.Fields(line); len(f) < 2 || (f[1] != "current" && f[1] != "skipped") {
				t.Errorf("%s: after the run, %q", w, line)
			}
		}
		if _, err := runCaptured(t, "verify", filepath.Join(data, w)); err != nil {
			t.Errorf("%s: verify: %v", w, err)
		}
		if _, err := runCaptured(t, "publish", "--wiki", w, "--data-dir", data, "--publish-root", root); err != nil {
			t.Fatalf("%s: publish: %v", w, err)
		}
		if _, err := os.Stat(filepath.Join(root, w)); !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("%s: published under the reference's root: %v", w, err)
		}
	}
	if after := treeDigest(t, root); after != before {
		t.Errorf("the reference's layout changed:\nbefore %s\nafter  %s", before, after)
	}
	ext := publish.ExtendedRoot(root)
	if b, _ := os.ReadFile(filepath.Join(ext, publish.IndexFile)); string(b) != strings.Join(wikis, "\n")+"\n" {
		t.Errorf("%s: %q", filepath.Join(ext, publish.IndexFile), b)
	}

	// Load each wiki: found in the extended tree of the base.
	srv := mariadbtest.Start(t)
	db := loadEnv(t, srv, root)
	for _, w := range wikis {
		out, err := runCaptured(t, "load", "--download", "--wiki-id", w, "--path", filepath.Join(tmp, "dl"), "--output-format", "json")
		if err != nil || !strings.Contains(out, datasets.ExtendedRootName) {
			t.Fatalf("load %s: %v\n%s", w, err, out)
		}
		for _, d := range datasets.ExtendedDatasetNames {
			var n int
			if err := db.QueryRow("SELECT COUNT(*) FROM " + datasets.SQLTable(w, d)).Scan(&n); err != nil || n == 0 {
				t.Errorf("%s: %d rows, %v", datasets.SQLTable(w, d), n, err)
			}
			var sum string
			if err := db.QueryRow("SELECT value FROM lr_checksum WHERE lookup = ?", w+"_"+d).Scan(&sum); err != nil || len(sum) != 64 {
				t.Errorf("lr_checksum %s_%s: %q %v", w, d, sum, err)
			}
		}
	}

	ctx := context.Background()
	mysqlB, mysqlURL := mysqlServer(t)
	sqliteB, err := service.NewFileBackend(ext, linker.SQLite)
	if err != nil {
		t.Fatal(err)
	}
	parquetB, err := service.NewFileBackend(data, linker.Parquet)
	if err != nil {
		t.Fatal(err)
	}
	backends := map[string]string{"mysql": mysqlURL, "sqlite": httpServer(t, sqliteB), "parquet": httpServer(t, parquetB)}
	for _, w := range wikis {
		q, err := linker.OpenWiki(datasets.Layout{DataDir: data, Wiki: w}, linker.Auto)
		if err != nil {
			t.Fatal(err)
		}
		if set, _ := linker.ModelFeatures(q.Model); set.String() != "extended" {
			t.Fatalf("%s: the model's features are %s", w, set)
		}
		links := 0
		for i, p := range firstArticles(t, dumps[w], extendedPages) {
			want := triples(linker.Recommend(q.Dict, q.Model, p.Title, p.Text, linker.RecommendOptions{Threshold: 0.5, MaxRecommendations: 15}).Links)
			links += len(want)
			if i < 3 {
				// The query command itself, on the data directory.
				f := filepath.Join(tmp, "page.wikitext")
				os.WriteFile(f, []byte(p.Text), 0o644)
				out, err := runCaptured(t, "query", "--wiki", w, "--title", p.Title, "--wikitext-file", f, "--data-dir", data)
				var r struct {
					Links []linker.Recommendation `json:"links"`
				}
				if err != nil || json.Unmarshal([]byte(out), &r) != nil {
					t.Fatalf("query %s %s: %v\n%s", w, p.Title, err, out)
				}
				if got := triples(r.Links); got != want {
					t.Errorf("query command %s %q:\n%s\nlinker:\n%s", w, p.Title, got, want)
				}
			}
			for name, base := range backends {
				st, body := postWiki(t, base, w, p.Title, p.Text)
				if st != 200 {
					t.Fatalf("%s %s %s: %d %s", name, w, p.Title, st, body)
				}
				var r struct {
					Links []linker.Recommendation `json:"links"`
				}
				if err := json.Unmarshal(body, &r); err != nil {
					t.Fatal(err)
				}
				if got := triples(r.Links); got != want {
					t.Errorf("%s %s %q:\n%s\nquery:\n%s", name, w, p.Title, got, want)
				}
			}
		}
		t.Logf("%s: %d links on %d pages, the same from query and the three backends", w, links, extendedPages)
		if links == 0 {
			t.Errorf("%s: no link recommended on %d pages: nothing compared", w, extendedPages)
		}
	}

	// Bad input, on the first wiki.
	bad := wikis[0]
	dl := filepath.Join(tmp, "dl")
	graph := filepath.Join(ext, bad, datasets.SQLTable(bad, "linkgraph")+".sql.gz")
	saved, err := os.ReadFile(graph)
	if err != nil {
		t.Fatal(err)
	}
	state := tablesDigest(t, db)
	// Corrupt: the file no longer matches its .checksum (--force: load it again).
	os.WriteFile(graph, append(append([]byte{}, saved...), "garbage"...), 0o644)
	if out, err := runCaptured(t, "load", "--download", "--force", "--wiki-id", bad, "--path", dl); err == nil || !strings.Contains(out, "checksum mismatch") {
		t.Errorf("corrupt link graph: %v\n%s", err, out)
	}
	// Missing: the model changed (its checksum too), the link graph gone.
	model := filepath.Join(ext, bad, bad+".linkmodel.json")
	savedModel, _ := os.ReadFile(model)
	os.WriteFile(model, bytes.Replace(savedModel, []byte("{"), []byte("{ "), 1), 0o644)
	checksum.WriteFor(model)
	os.Remove(graph)
	os.Remove(graph + checksum.Ext)
	if out, err := runCaptured(t, "load", "--download", "--wiki-id", bad, "--path", dl); err == nil || !strings.Contains(out, "linkgraph") {
		t.Errorf("missing link graph: %v\n%s", err, out)
	}
	if got := tablesDigest(t, db); got != state {
		t.Errorf("a failed load changed the tables:\nbefore %s\nafter  %s", state, got)
	}

	// serve: a wiki whose link graph was not loaded is refused, the others served.
	first, err := mysqlB.Wiki(ctx, bad)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec("DELETE FROM lr_checksum WHERE lookup = ?", bad+"_linkgraph"); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec("DROP TABLE " + datasets.SQLTable(bad, "linkgraph")); err != nil {
		t.Fatal(err)
	}
	_, freshURL := mysqlServer(t)
	p := firstArticles(t, dumps[bad], 1)[0]
	if st, body := postWiki(t, freshURL, bad, p.Title, p.Text); st != http.StatusServiceUnavailable || !strings.Contains(string(body), "linkgraph") {
		t.Errorf("incomplete %s: %d %s", bad, st, body)
	}
	for _, w := range wikis[1:] {
		p := firstArticles(t, dumps[w], 1)[0]
		if st, body := postWiki(t, freshURL, w, p.Title, p.Text); st != 200 {
			t.Errorf("%s beside an incomplete wiki: %d %s", w, st, body)
		}
	}
	// The running backend notices the changed lr_checksum; reloading fails, so it
	// keeps serving what it had.
	mysqlB.Check(ctx)
	time.Sleep(200 * time.Millisecond)
	if w, err := mysqlB.Wiki(ctx, bad); err != nil || w != first {
		t.Errorf("after a failed reload: %v (same wiki %v)", err, w == first)
	}
	// The link graph published again beside the changed model and loaded: the new
	// model's checksum in lr_checksum is picked up by a reload.
	os.WriteFile(graph, saved, 0o644)
	checksum.WriteFor(graph)
	if out, err := runCaptured(t, "load", "--download", "--wiki-id", bad, "--path", dl); err != nil {
		t.Fatalf("load again: %v\n%s", err, out)
	}
	mysqlB.Check(ctx)
	deadline := time.Now().Add(30 * time.Second)
	for {
		w, err := mysqlB.Wiki(ctx, bad)
		if err == nil && w != first {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the reload after lr_checksum changed never happened: %v", err)
		}
		time.Sleep(50 * time.Millisecond)
		mysqlB.Check(ctx)
	}
	if st, body := postWiki(t, backends["mysql"], bad, p.Title, p.Text); st != 200 {
		t.Errorf("after the reload: %d %s", st, body)
	}
}

// loadEnv creates a database and sets the DB_ and ANALYTICS_ variables of load and
// serve for it.
func loadEnv(t *testing.T, srv *mariadbtest.Server, base string) *sql.DB {
	t.Helper()
	srv.CreateDatabase(t, "mwaddlink_ext")
	t.Setenv("DB_HOST", "127.0.0.1")
	t.Setenv("DB_PORT", fmt.Sprint(srv.Port))
	t.Setenv("DB_USER", "root")
	t.Setenv("DB_DATABASE", "mwaddlink_ext")
	t.Setenv("ANALYTICS_BASE_URL", base)
	t.Setenv("ANALYTICS_BASE_URL_LEGACY", "none")
	db, err := sql.Open("mysql", srv.DSN("mwaddlink_ext"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// tablesDigest is every table of the database with its CHECKSUM TABLE.
func tablesDigest(t *testing.T, db *sql.DB) string {
	t.Helper()
	rows, err := db.Query("SHOW TABLES")
	if err != nil {
		t.Fatal(err)
	}
	var tables []string
	for rows.Next() {
		var s string
		rows.Scan(&s)
		tables = append(tables, s)
	}
	rows.Close()
	sort.Strings(tables)
	var b strings.Builder
	for _, tb := range tables {
		var name string
		var sum sql.NullInt64
		if err := db.QueryRow("CHECKSUM TABLE `"+tb+"` EXTENDED").Scan(&name, &sum); err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(&b, "%s=%d ", tb, sum.Int64)
	}
	return b.String()
}

// treeDigest lists every file under root, but the extended tree, with its sha256.
func treeDigest(t *testing.T, root string) string {
	t.Helper()
	var b strings.Builder
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && d.Name() == datasets.ExtendedRootName {
			return filepath.SkipDir
		}
		rel, _ := filepath.Rel(root, p)
		if d.IsDir() {
			fmt.Fprintf(&b, "%s/ ", rel)
			return nil
		}
		sum, err := checksum.File(p)
		fmt.Fprintf(&b, "%s=%s ", rel, sum)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return b.String()
}

// mysqlServer opens the mysql backend, configured from the environment (see loadEnv),
// and serves it over HTTP until t ends; it returns the backend and the base URL.
func mysqlServer(t *testing.T) (*service.MySQLBackend, string) {
	t.Helper()
	cfg, err := service.MySQLConfig(os.Getenv)
	if err != nil {
		t.Fatal(err)
	}
	b, err := service.NewMySQLBackend(context.Background(), cfg, time.Hour, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { b.Close() })
	return b, httpServer(t, b)
}

// httpServer serves a backend over HTTP until t ends and returns its base URL.
func httpServer(t *testing.T, b service.Backend) string {
	t.Helper()
	s, err := service.New(service.Options{Backend: b, Version: "test"})
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(s.Handler())
	t.Cleanup(ts.Close)
	return ts.URL
}

// postWiki asks a server for a wiki's recommendations for a page's wikitext.
func postWiki(t *testing.T, base, wiki, title, text string) (int, []byte) {
	t.Helper()
	project, domain := "wikipedia", datasets.Language(wiki)
	if strings.HasSuffix(wiki, "wikivoyage") {
		project = "wikivoyage"
	}
	body, _ := json.Marshal(map[string]any{"wikitext": text, "revid": 1, "pageid": 2})
	resp, err := http.Post(base+"/v1/linkrecommendations/"+project+"/"+domain+"/"+url.PathEscape(title), "application/json", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, b
}

// triples are the recommendations' (link_text, link_target, score), one a line.
func triples(links []linker.Recommendation) string {
	var b strings.Builder
	for _, l := range links {
		fmt.Fprintf(&b, "%s\t%s\t%v\n", l.LinkText, l.LinkTarget, l.Score)
	}
	return b.String()
}

// firstArticles returns the first n articles of a dump.
func firstArticles(t *testing.T, path string, n int) []*dump.Page {
	t.Helper()
	r, err := dump.Open(context.Background(), []string{path}, dump.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	var out []*dump.Page
	for len(out) < n {
		p, err := r.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if p.NS == 0 && !p.IsRedirect() {
			out = append(out, p)
		}
	}
	if len(out) < n {
		t.Fatalf("%s: %d articles, want %d", path, len(out), n)
	}
	return out
}
