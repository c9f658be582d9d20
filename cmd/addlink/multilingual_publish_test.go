package main

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/addlink/addlink/datasets"
	"github.com/addlink/addlink/internal/linker"
	"github.com/addlink/addlink/internal/mariadbtest"
	"github.com/addlink/addlink/internal/synth"
	"github.com/addlink/addlink/internal/testfixtures"
	"github.com/addlink/addlink/publish"
	"github.com/addlink/addlink/service"
)

// multiPages is how many articles of each wiki the mysql backend answers for.
const multiPages = 40

// TestMultilingualPublishEndToEnd is issue 29's publication in the v2 layout on two
// synthetic wikis (different seeds): each runs the pipeline and is published in the v1
// layout with its own model; then `addlink multilingual`, `export --multilingual` and
// `publish --multilingual` to a second root (the loader's v2 base). The v1 root stays
// byte for byte as it was and still holds six-input models; a v2 root that is the v1
// root or inside it is refused. `addlink load`, with the v2 root as its base URL and
// the v1 root as its legacy one, loads every wiki from the v2 root into a MariaDB the
// test starts (lr_model holds the multilingual model's bytes), and the mysql backend
// answers each wiki with the multilingual model: for 40 articles a wiki, the same
// (link_text, link_target, score) as linker.Recommend with that model on the data
// directory, and as the query command with --model on 3 of them; the wiki's own
// model scores differently. The mysql backend with --model aawiki=<its own model file>
// answers aawiki with that model from the same tables, and bbwiki with lr_model's.
// ReferenceLoader: the reference's load-datasets.py loads the same trees the same way.
// unpublish --v2 then removes a wiki from the v2 tree and leaves the v1 tree alone.
func TestMultilingualPublishEndToEnd(t *testing.T) {
	testfixtures.Require(t, "Debian's mariadb-server", mariadbtest.Available)
	tmp := t.TempDir()
	data, r1, r2 := filepath.Join(tmp, "data"), filepath.Join(tmp, "v1"), filepath.Join(tmp, "v2")
	wikis := []string{"aawiki", "bbwiki"}
	dumps := map[string]string{}
	for i, w := range wikis {
		dumps[w] = filepath.Join(tmp, w+"-pages-articles.xml")
		if err := synth.WriteFile(dumps[w], synth.Options{Wiki: w, Articles: 200, Seed: uint64(i + 1), Vocabulary: 1500}); err != nil {
			t.Fatal(err)
		}
		if _, err := runCaptured(t, "run", "--wiki", w, "--dump", dumps[w], "--data-dir", data, "--dumps-dir", filepath.Join(tmp, "dumps"), "--threads", "1"); err != nil {
			t.Fatalf("run %s: %v", w, err)
		}
		if _, err := runCaptured(t, "publish", "--wiki", w, "--data-dir", data, "--publish-root", r1); err != nil {
			t.Fatalf("publish %s (v1): %v", w, err)
		}
	}
	v1Before := treeDigest(t, r1)

	if _, err := runCaptured(t, "multilingual", "--wikis", strings.Join(wikis, ","), "--name", "multi", "--data-dir", data, "--bootstrap", "0"); err != nil {
		t.Fatalf("multilingual: %v", err)
	}
	multi := datasets.Multilingual{DataDir: data, Name: "multi"}
	multiBytes, err := os.ReadFile(multi.Model())
	if err != nil {
		t.Fatal(err)
	}
	for _, w := range wikis {
		if _, err := runCaptured(t, "export", "--wiki", w, "--multilingual", "multi", "--data-dir", data); err != nil {
			t.Fatalf("export %s --multilingual: %v", w, err)
		}
		// A v2 root that is the v1 root, or inside it, is refused, and nothing is written.
		for _, bad := range []string{r1, filepath.Join(r1, "v2")} {
			code, err := runIn("publish", "--wiki", w, "--multilingual", "multi", "--data-dir", data, "--publish-root", r1, "--publish-root-v2", bad)
			if code != 2 || err == nil || !strings.Contains(err.Error(), "v1 layout") {
				t.Errorf("publish --publish-root-v2 %s with --publish-root %s: status %d, %v", bad, r1, code, err)
			}
		}
		if _, err := runCaptured(t, "publish", "--wiki", w, "--multilingual", "multi", "--data-dir", data, "--publish-root", r1, "--publish-root-v2", r2); err != nil {
			t.Fatalf("publish %s --multilingual: %v", w, err)
		}
		if _, err := runCaptured(t, "verify", multi.Export(w).Dir()); err != nil {
			t.Errorf("verify %s: %v", multi.Export(w).Dir(), err)
		}
		// The v2 directory holds the multilingual model under the wiki's name.
		v2 := datasets.Layout{DataDir: r2, Wiki: w}
		if b, err := os.ReadFile(v2.PublishedModel()); err != nil || !bytes.Equal(b, multiBytes) {
			t.Errorf("%s: not the multilingual model (%v)", v2.PublishedModel(), err)
		}
		// The v1 directory still holds the wiki's own six-input model.
		if _, set, err := linker.ReadModelFile(datasets.Layout{DataDir: r1, Wiki: w}.PublishedModel()); err != nil || !set.IsReference() {
			t.Errorf("%s: %v %v", w, set, err)
		}
	}
	if after := treeDigest(t, r1); after != v1Before {
		t.Errorf("the v1 layout changed:\nbefore %s\nafter  %s", v1Before, after)
	}
	if b, _ := os.ReadFile(filepath.Join(r2, publish.IndexFile)); string(b) != "aawiki\nbbwiki\n" {
		t.Errorf("v2 %s: %q", publish.IndexFile, b)
	}
	// A set exported for another model is not published as this one.
	if _, err := runIn("publish", "--wiki", "aawiki", "--multilingual", "other", "--data-dir", data, "--publish-root", r1, "--publish-root-v2", r2); err == nil {
		t.Error("publish --multilingual other: no error")
	}

	// Load: every wiki is listed in both trees and comes from the v2 one.
	srv := mariadbtest.Start(t)
	db := loadEnv(t, srv, r2)
	t.Setenv("ANALYTICS_BASE_URL_LEGACY", r1)
	if out, err := runCaptured(t, "load", "--download", "--path", filepath.Join(tmp, "dl")); err != nil {
		t.Fatalf("load: %v\n%s", err, out)
	}
	for _, w := range wikis {
		var model []byte
		if err := db.QueryRow("SELECT value FROM lr_model WHERE lookup = ?", w).Scan(&model); err != nil || !bytes.Equal(model, multiBytes) {
			t.Errorf("lr_model %s is not the multilingual model (%d bytes, %v)", w, len(model), err)
		}
	}

	ctx := context.Background()
	_, base := mysqlServer(t)
	// serve --model with the mysql backend: aawiki answered with its own model file
	// instead of its lr_model row (the multilingual model), from the same tables.
	ownModel := datasets.Layout{DataDir: data, Wiki: "aawiki"}.Model()
	over, err := service.OpenBackend(ctx, service.BackendOptions{Kind: service.BackendMySQL, ReloadInterval: time.Hour,
		Models: map[string]string{"aawiki": ownModel}})
	if err != nil {
		t.Fatal(err)
	}
	defer over.Close()
	overBase := httpServer(t, over)
	m, _, err := linker.ReadModelFile(multi.Model())
	if err != nil {
		t.Fatal(err)
	}
	opts := linker.RecommendOptions{Threshold: 0.5, MaxRecommendations: 15}
	for _, w := range wikis {
		q, err := linker.OpenWiki(datasets.Layout{DataDir: data, Wiki: w}, linker.Auto)
		if err != nil {
			t.Fatal(err)
		}
		links, differ := 0, 0
		for i, p := range firstArticles(t, dumps[w], multiPages) {
			want := triples(linker.Recommend(q.Dict, m, p.Title, p.Text, opts).Links)
			links += strings.Count(want, "\n")
			own := triples(linker.Recommend(q.Dict, q.Model, p.Title, p.Text, opts).Links)
			if own != want {
				differ++
			}
			// The --model backend: aawiki with its own model, bbwiki with lr_model's.
			wantOver := want
			if w == "aawiki" {
				wantOver = own
			}
			if st, body := postWiki(t, overBase, w, p.Title, p.Text); st != 200 {
				t.Fatalf("mysql --model %s %s: %d %s", w, p.Title, st, body)
			} else {
				var r struct {
					Links []linker.Recommendation `json:"links"`
				}
				if err := json.Unmarshal(body, &r); err != nil {
					t.Fatal(err)
				}
				if got := triples(r.Links); got != wantOver {
					t.Errorf("mysql --model %s %q:\n%s\nwant:\n%s", w, p.Title, got, wantOver)
				}
			}
			if i < 3 {
				f := filepath.Join(tmp, "page.wikitext")
				os.WriteFile(f, []byte(p.Text), 0o644)
				out, err := runCaptured(t, "query", "--wiki", w, "--title", p.Title, "--wikitext-file", f, "--data-dir", data, "--model", multi.Model())
				var r struct {
					Links []linker.Recommendation `json:"links"`
				}
				if err != nil || json.Unmarshal([]byte(out), &r) != nil {
					t.Fatalf("query --model %s %s: %v\n%s", w, p.Title, err, out)
				}
				if got := triples(r.Links); got != want {
					t.Errorf("query --model %s %q:\n%s\nlinker:\n%s", w, p.Title, got, want)
				}
			}
			st, body := postWiki(t, base, w, p.Title, p.Text)
			if st != 200 {
				t.Fatalf("mysql %s %s: %d %s", w, p.Title, st, body)
			}
			var r struct {
				Links []linker.Recommendation `json:"links"`
			}
			if err := json.Unmarshal(body, &r); err != nil {
				t.Fatal(err)
			}
			if got := triples(r.Links); got != want {
				t.Errorf("mysql %s %q:\n%s\nmultilingual model:\n%s", w, p.Title, got, want)
			}
		}
		t.Logf("%s: %d links on %d pages from the multilingual model, the same from the mysql backend; the own model answers %d pages otherwise", w, links, multiPages, differ)
		if links == 0 {
			t.Errorf("%s: no link recommended on %d pages: nothing compared", w, multiPages)
		}
		if differ == 0 {
			t.Errorf("%s: the own model answers every page as the multilingual one: the test cannot tell which was served", w)
		}
	}
	t.Run("ReferenceLoader", func(t *testing.T) { referenceLoadsV2(t, srv, r1, r2, wikis, multiBytes) })

	// unpublish --v2 removes a wiki from the v2 tree only.
	if code, err := runIn("unpublish", "--wiki", "bbwiki", "--v2", "--extended", "--publish-root", r1, "--publish-root-v2", r2); code != 2 {
		t.Errorf("unpublish --v2 --extended: status %d, %v", code, err)
	}
	if _, err := runCaptured(t, "unpublish", "--wiki", "bbwiki", "--v2", "--publish-root", r1, "--publish-root-v2", r2); err != nil {
		t.Fatalf("unpublish --v2: %v", err)
	}
	if _, err := os.Stat(filepath.Join(r2, "bbwiki")); err == nil {
		t.Error("unpublish --v2 left the v2 directory")
	}
	if b, _ := os.ReadFile(filepath.Join(r2, publish.IndexFile)); string(b) != "aawiki\n" {
		t.Errorf("v2 %s after unpublish: %q", publish.IndexFile, b)
	}
	if after := treeDigest(t, r1); after != v1Before {
		t.Errorf("unpublish --v2 changed the v1 layout")
	}
}

// referenceLoadsV2: the reference's load-datasets.py (research-mwaddlink at
// ADDLINK_REFERENCE_REPO, a git directory; Debian's python3-pymysql and
// python3-requests), with the v2 root as its base URL and the v1 root as its legacy
// one, both over HTTP, loads every wiki from the v2 root: lr_model holds the
// multilingual model for each.
func referenceLoadsV2(t *testing.T, srv *mariadbtest.Server, r1, r2 string, wikis []string, model []byte) {
	py, dir := testfixtures.ReferenceLoader(t)
	mux := http.NewServeMux()
	mux.Handle("/v1/", http.StripPrefix("/v1/", http.FileServer(http.Dir(r1))))
	mux.Handle("/v2/", http.StripPrefix("/v2/", http.FileServer(http.Dir(r2))))
	ts := httptest.NewServer(mux)
	defer ts.Close()
	srv.CreateDatabase(t, "mwaddlink_ref")
	cmd := exec.Command(py, "load-datasets.py", "--download", "--path="+filepath.Join(dir, "datasets"))
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "ANALYTICS_BASE_URL="+ts.URL+"/v2/", "ANALYTICS_BASE_URL_LEGACY="+ts.URL+"/v1/",
		"DB_HOST=127.0.0.1", fmt.Sprintf("DB_PORT=%d", srv.Port), "DB_USER=root", "DB_DATABASE=mwaddlink_ref")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("load-datasets.py: %v\n%s", err, out)
	}
	db, err := sql.Open("mysql", srv.DSN("mwaddlink_ref"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for _, w := range wikis {
		var got []byte
		if err := db.QueryRow("SELECT value FROM lr_model WHERE lookup = ?", w).Scan(&got); err != nil || !bytes.Equal(got, model) {
			t.Errorf("reference loader: lr_model %s is not the multilingual model (%d bytes, %v)", w, len(got), err)
		}
		var n int
		if err := db.QueryRow("SELECT COUNT(*) FROM " + datasets.SQLTable(w, "anchors")).Scan(&n); err != nil || n == 0 {
			t.Errorf("reference loader: %s: %d rows, %v", datasets.SQLTable(w, "anchors"), n, err)
		}
	}
}
