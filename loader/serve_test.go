package loader

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/addlink/addlink/checksum"
	"github.com/addlink/addlink/datasets"
	"github.com/addlink/addlink/internal/dump"
	"github.com/addlink/addlink/internal/linker"
	"github.com/addlink/addlink/internal/mariadbtest"
	"github.com/addlink/addlink/pipeline/export"
	"github.com/addlink/addlink/publish"
	"github.com/addlink/addlink/service"
)

// testServe is issue 15's "addlink serve sees a newly loaded wiki or model without a
// restart", end to end with real parts: `addlink serve`'s service.Run with the mysql
// backend on a loopback socket, started on an empty database; our own export and
// publication of the synthetic wiki (with the model the pipeline trained on it) loaded by Run; the
// answers compared with the sqlite backend's on the same export; then a second
// publication (some anchors removed, the model file changed) loaded while requests keep
// coming, which the server picks up at its next poll without a failed request.
func testServe(t *testing.T, f *fixture, srv *mariadbtest.Server) {
	model := f.model
	pages := dumpPages(t, f.dump, 40)
	dir := t.TempDir()

	// Export and publication 1: the loader fixture's datasets, the trained model.
	data1 := filepath.Join(dir, "data1")
	root1 := filepath.Join(dir, "pub1")
	if err := os.CopyFS(data1, os.DirFS(f.data)); err != nil {
		t.Fatal(err)
	}
	exportAndPublish(t, data1, root1, model, nil)

	dsn, _ := newDatabase(t, srv)
	base, _ := serveMySQL(t, srv, dsn, 50*time.Millisecond, "")

	// Before any load the database has no tables: the wiki has no model (400).
	if st, body := postPage(t, base, pages[0]); st != 400 || !strings.Contains(string(body), `"valid_project_domain_pairs"`) {
		t.Fatalf("before loading: %d %s", st, body)
	}

	o := options(dsn, root1, filepath.Join(dir, "dl1"))
	if rep, err := Run(context.Background(), o); err != nil || len(rep.Failed()) > 0 {
		t.Fatalf("load 1: %v %+v", err, rep)
	}
	lite1 := sqliteServer(t, data1)
	sums1 := publishedSums(t, root1)
	total := 0
	first := map[string][]byte{}
	for _, p := range pages {
		st, my := postPage(t, base, p)
		_, lite := postPage(t, lite1, p)
		if st != 200 {
			t.Fatalf("%s: %d %s", p.Title, st, my)
		}
		if !bytes.Equal(my, lite) {
			t.Errorf("%s:\nmysql  %s\nsqlite %s", p.Title, my, lite)
		}
		checkSums(t, p.Title, my, sums1)
		total += linksCount(t, my)
		first[p.Title] = my
	}
	if total == 0 {
		t.Fatal("no links at all: the comparison proves nothing")
	}

	// Export and publication 2: every anchor that the first answers linked removed, and
	// the model file changed (same trees, other bytes, other checksum).
	data2 := filepath.Join(dir, "data2")
	root2 := filepath.Join(dir, "pub2")
	if err := os.CopyFS(data2, os.DirFS(data1)); err != nil {
		t.Fatal(err)
	}
	linked := map[string]bool{}
	for _, b := range first {
		var r struct {
			Links []struct {
				Text string `json:"link_text"`
			} `json:"links"`
		}
		json.Unmarshal(b, &r)
		for _, l := range r.Links {
			linked[strings.ToLower(l.Text)] = true
		}
	}
	exportAndPublish(t, data2, root2, append(bytes.TrimSpace(model), '\n', '\n'), func(a datasets.Anchor) bool {
		return !linked[strings.ToLower(a.Anchor)]
	})
	sums2 := publishedSums(t, root2)
	if sums2["model"] == sums1["model"] || sums2["anchors"] == sums1["anchors"] {
		t.Fatalf("publication 2 has the same checksums: %v", sums2)
	}

	// Requests keep coming while publication 2 is loaded and picked up; none may fail.
	var stop atomic.Bool
	var served atomic.Int64
	hammer := make(chan error, 1)
	go func() {
		for i := 0; !stop.Load(); i++ {
			p := pages[i%len(pages)]
			st, body, err := tryPost(base, p)
			if err == nil && st != 200 {
				err = fmt.Errorf("%s: %d %s", p.Title, st, body)
			}
			if err != nil {
				hammer <- err
				return
			}
			served.Add(1)
		}
		hammer <- nil
	}()
	o2 := options(dsn, root2, filepath.Join(dir, "dl2"))
	rep, err := Run(context.Background(), o2)
	if err != nil || len(rep.Failed()) > 0 {
		t.Fatalf("load 2: %v %+v", err, rep)
	}
	if len(rep.Wikis) != 1 || !slices.Equal(rep.Wikis[0].Loaded, []string{"anchors", "model"}) {
		t.Fatalf("load 2 loaded %+v, want anchors and model (the others are unchanged)", rep.Wikis)
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		_, body := postPage(t, base, pages[0])
		if readSums(t, body)["anchors"] == sums2["anchors"] {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("publication 2 was not picked up within 30s")
		}
		time.Sleep(20 * time.Millisecond)
	}
	stop.Store(true)
	if err := <-hammer; err != nil {
		t.Fatalf("a request failed during the reload: %v", err)
	}
	if served.Load() == 0 {
		t.Fatal("no request was served during the reload")
	}

	lite2 := sqliteServer(t, data2)
	changed := 0
	for _, p := range pages {
		st, my := postPage(t, base, p)
		_, lite := postPage(t, lite2, p)
		if st != 200 {
			t.Fatalf("%s: %d %s", p.Title, st, my)
		}
		if !bytes.Equal(my, lite) {
			t.Errorf("after reload, %s:\nmysql  %s\nsqlite %s", p.Title, my, lite)
		}
		checkSums(t, p.Title, my, sums2)
		if linksCount(t, first[p.Title]) > 0 && bytes.Equal(jsonField(t, my, "links"), jsonField(t, first[p.Title], "links")) {
			t.Errorf("%s: the same links after its anchors were removed", p.Title)
		}
		if !bytes.Equal(my, first[p.Title]) {
			changed++
		}
	}
	if changed == 0 {
		t.Fatal("no answer changed after the reload")
	}
}

// exportAndPublish writes model (and its checksum) into the data directory, keeps the
// anchors for which keep is true (nil: all), exports and publishes to root.
func exportAndPublish(t *testing.T, data, root string, model []byte, keep func(datasets.Anchor) bool) {
	t.Helper()
	l := datasets.Layout{DataDir: data, Wiki: wiki}
	if err := os.WriteFile(l.Model(), model, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := checksum.WriteFor(l.Model()); err != nil {
		t.Fatal(err)
	}
	if keep != nil {
		all, err := datasets.ReadParquet[datasets.Anchor](l.Anchors())
		if err != nil {
			t.Fatal(err)
		}
		var kept []datasets.Anchor
		for _, a := range all {
			if keep(a) {
				kept = append(kept, a)
			}
		}
		if len(kept) == len(all) {
			t.Fatal("no anchor removed")
		}
		if _, err := datasets.WriteParquet(l.Anchors(), kept); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := export.Run(context.Background(), export.Options{Wiki: wiki, DataDir: data}, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := publish.Publish(publish.Options{Wiki: wiki, DataDir: data, Root: root}); err != nil {
		t.Fatal(err)
	}
}

// sqliteServer serves a data directory's export with the sqlite backend.
func sqliteServer(t *testing.T, data string) string {
	t.Helper()
	b, err := service.NewFileBackend(data, linker.SQLite)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { b.Close() })
	s, err := service.New(service.Options{Backend: b, Version: "test"})
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(s.Handler())
	t.Cleanup(ts.Close)
	return ts.URL
}

// publishedSums reads the published checksums of the wiki under root, keyed by dataset.
func publishedSums(t *testing.T, root string) map[string]string {
	t.Helper()
	out := map[string]string{}
	for _, d := range DefaultDatasets {
		text, err := os.ReadFile(filepath.Join(root, wiki, datasets.PublishedName(wiki, d)+".checksum"))
		if err != nil {
			t.Fatal(err)
		}
		out[d] = strings.Fields(string(text))[0]
	}
	return out
}

func tryPost(base string, p *dump.Page) (int, []byte, error) {
	body, _ := json.Marshal(map[string]any{"wikitext": p.Text, "revid": 1, "pageid": 2})
	resp, err := http.Post(base+"/v1/linkrecommendations/"+route+"/"+url.PathEscape(p.Title), "application/json", bytes.NewReader(body))
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return resp.StatusCode, b, err
}

func postPage(t *testing.T, base string, p *dump.Page) (int, []byte) {
	t.Helper()
	st, b, err := tryPost(base, p)
	if err != nil {
		t.Fatal(err)
	}
	return st, b
}

func jsonField(t *testing.T, body []byte, key string) json.RawMessage {
	t.Helper()
	var m map[string]json.RawMessage
	if err := json.Unmarshal(body, &m); err != nil {
		t.Fatalf("%v: %s", err, body)
	}
	return m[key]
}

func linksCount(t *testing.T, body []byte) int {
	n, _ := strconv.Atoi(string(jsonField(t, body, "links_count")))
	return n
}

func readSums(t *testing.T, body []byte) map[string]string {
	t.Helper()
	var meta struct {
		Sums map[string]string `json:"dataset_checksums"`
	}
	json.Unmarshal(jsonField(t, body, "meta"), &meta)
	return meta.Sums
}

func checkSums(t *testing.T, title string, body []byte, want map[string]string) {
	t.Helper()
	got := readSums(t, body)
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s: dataset_checksums %v, want %v", title, got, want)
			return
		}
	}
}

// dumpPages returns the first n articles of a dump.
func dumpPages(t *testing.T, path string, n int) []*dump.Page {
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
	return out
}

// serveMySQL runs the service on the mysql backend over the database of dsn on srv
// (polling for new loads every reload, serving indexes from indexDir when set) until
// the test ends, and returns its base URL and its log.
func serveMySQL(t *testing.T, srv *mariadbtest.Server, dsn string, reload time.Duration, indexDir string) (string, *lockedBuffer) {
	t.Helper()
	dbName := dsn[strings.LastIndex(dsn, "/")+1:]
	if i := strings.IndexByte(dbName, '?'); i >= 0 {
		dbName = dbName[:i]
	}
	env := map[string]string{"DB_HOST": "127.0.0.1", "DB_PORT": strconv.Itoa(srv.Port), "DB_USER": "root", "DB_DATABASE": dbName}
	ctx, cancel := context.WithCancel(context.Background())
	addr := make(chan net.Addr, 1)
	runErr := make(chan error, 1)
	logs := &lockedBuffer{}
	logger := slog.New(slog.NewJSONHandler(logs, nil))
	go func() {
		runErr <- service.Run(ctx, service.Config{
			Listen: "127.0.0.1:0",
			Backend: service.BackendOptions{Kind: service.BackendMySQL, Getenv: func(k string) string { return env[k] },
				ReloadInterval: reload, Logger: logger, IndexDir: indexDir},
			Server: service.Options{Version: "test", Logger: logger},
			Ready:  func(a net.Addr) { addr <- a },
		})
	}()
	select {
	case a := <-addr:
		t.Cleanup(func() {
			cancel()
			if err := <-runErr; err != nil {
				t.Errorf("serve: %v", err)
			}
			if t.Failed() {
				t.Log(logs.String())
			}
		})
		return "http://" + a.String(), logs
	case err := <-runErr:
		cancel()
		t.Fatalf("serve: %v", err)
		return "", nil
	}
}

// lockedBuffer is a bytes.Buffer for concurrent writers.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}
