package service

import (
	"bufio"
	"compress/gzip"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"github.com/addlink/addlink/internal/linker"
	"io"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/addlink/addlink/datasets"
	"github.com/addlink/addlink/internal/dump"
	"github.com/addlink/addlink/internal/mariadbtest"
	"github.com/addlink/addlink/internal/synth"
	"github.com/addlink/addlink/internal/testfixtures"
	"github.com/addlink/addlink/pipeline"
)

// synthWiki is the wiki of the mysql backend's tests: a synthetic one (internal/synth,
// the sample wiki's size under another name) that the test generates and runs the whole
// pipeline on, so that the tests need MariaDB and nothing else.
const synthWiki = "synthwiki"

// syntheticExport generates synthWiki's dump, runs the pipeline on it (export
// included) and returns the data directory and the dump's first n articles.
func syntheticExport(t *testing.T, n int) (string, []*dump.Page) {
	t.Helper()
	dir := t.TempDir()
	dumpPath := filepath.Join(dir, synthWiki+"-pages-articles.xml")
	so := synth.SampleOptions()
	so.Wiki = synthWiki
	if err := synth.WriteFile(dumpPath, so); err != nil {
		t.Fatal(err)
	}
	data := filepath.Join(dir, "data")
	cfg := &pipeline.Config{Wiki: synthWiki, DataDir: data, Dumps: []string{dumpPath}, Threads: 2, Seed: 1, Version: "test"}
	if _, err := pipeline.Run(context.Background(), cfg, pipeline.Stages(), pipeline.RunOptions{}, nil); err != nil {
		t.Fatal(err)
	}
	r, err := dump.Open(context.Background(), []string{dumpPath}, dump.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	var pages []*dump.Page
	for len(pages) < n {
		p, err := r.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if p.NS == 0 && !p.IsRedirect() {
			pages = append(pages, p)
		}
	}
	return data, pages
}

// loadMariaDB fills a fresh MariaDB the way the loader does: the schema, then every
// INSERT INTO line of lr_<wiki>_*.sql.gz dumps (written by datasets.WriteSQLDump from
// the sqlitedict files in src) as one statement, the model and the checksums.
func loadMariaDB(t *testing.T, wiki, src string) (*mariadbtest.Server, *sql.DB, map[string]string) {
	srv := mariadbtest.Start(t)
	root, err := sql.Open("mysql", srv.DSN(""))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { root.Close() })
	if _, err := root.Exec("CREATE DATABASE mwaddlink"); err != nil {
		t.Fatal(err)
	}
	db, err := sql.Open("mysql", srv.DSN("mwaddlink"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	for _, stmt := range strings.Split(strings.TrimSpace(datasets.SQLSchema(wiki)), "\n") {
		if _, err := db.Exec(stmt); err != nil {
			t.Fatal(err)
		}
	}
	dir := t.TempDir()
	sums := map[string]string{}
	for _, name := range datasets.DatasetNames {
		dumpPath := filepath.Join(dir, datasets.SQLTable(wiki, name)+".sql.gz")
		sum, err := datasets.WriteSQLDump(dumpPath, datasets.SQLTable(wiki, name), func(yield func(string, []byte) error) error {
			return datasets.ReadSqliteDict(filepath.Join(src, wiki+"."+name+".sqlite"), yield)
		})
		if err != nil {
			t.Fatal(err)
		}
		sums[name] = sum
		f, err := os.Open(dumpPath)
		if err != nil {
			t.Fatal(err)
		}
		zr, err := gzip.NewReader(f)
		if err != nil {
			t.Fatal(err)
		}
		sc := bufio.NewScanner(zr)
		sc.Buffer(nil, 64<<20)
		for sc.Scan() {
			if line := sc.Text(); strings.Contains(line, "INSERT INTO") {
				if _, err := db.Exec(line); err != nil {
					t.Fatalf("%s: %v", dumpPath, err)
				}
			}
		}
		f.Close()
		if err := sc.Err(); err != nil {
			t.Fatal(err)
		}
	}
	model, err := os.ReadFile(filepath.Join(src, wiki+".linkmodel.json"))
	if err != nil {
		t.Fatal(err)
	}
	sums["model"] = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
	if _, err := db.Exec("INSERT INTO lr_model (lookup, value) VALUES (?, ?)", wiki, model); err != nil {
		t.Fatal(err)
	}
	for name, sum := range sums {
		if _, err := db.Exec("INSERT INTO lr_checksum (lookup, value) VALUES (?, ?)", wiki+"_"+name, sum); err != nil {
			t.Fatal(err)
		}
	}
	return srv, db, sums
}

// The mysql backend answers as the sqlite backend does on the same export, reports
// lr_checksum's checksums, and picks up a new dataset after a poll.
func TestMySQLBackend(t *testing.T) { testMySQLBackend(t, "") }

// TestMySQLBackendIndex is TestMySQLBackend with the tables read into a serving index
// (once; again when lr_checksum changes) and the wiki served from it.
func TestMySQLBackendIndex(t *testing.T) { testMySQLBackend(t, t.TempDir()) }

func testMySQLBackend(t *testing.T, indexDir string) {
	testfixtures.Require(t, "Debian's mariadb-server", mariadbtest.Available)
	data, pages := syntheticExport(t, 30)
	srv, db, sums := loadMariaDB(t, synthWiki, filepath.Join(data, synthWiki, "export"))
	env := map[string]string{"DB_HOST": "127.0.0.1", "DB_PORT": strconv.Itoa(srv.Port), "DB_USER": "root", "DB_DATABASE": "mwaddlink"}
	cfg, err := MySQLConfig(func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	b, err := NewMySQLBackend(ctx, cfg, time.Hour, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	b.IndexDir = indexDir
	if indexDir != "" {
		// The heap a build from the tables is admitted for: their data length.
		b.MemoryBudget = 1 << 40
		if n := b.buildHeap(synthWiki); n <= 0 {
			t.Fatalf("buildHeap(%s) = %d, want the tables' data length times %d", synthWiki, n, buildHeapPerByte)
		}
	}
	_, my := newTestServer(t, Options{Backend: b})
	liteBackend, err := NewFileBackend(data, linker.SQLite)
	if err != nil {
		t.Fatal(err)
	}
	_, lite := newTestServer(t, Options{Backend: liteBackend})

	type answerBody struct {
		Links json.RawMessage `json:"links"`
		Meta  struct {
			DatasetChecksums map[string]string `json:"dataset_checksums"`
		} `json:"meta"`
		LinksCount int `json:"links_count"`
	}
	post := func(base, title, text string) answerBody {
		a := do(t, "POST", base+recPath+"wikipedia/synth/"+url.PathEscape(title), map[string]any{"wikitext": text, "revid": 1, "pageid": 2})
		if a.status != 200 {
			t.Fatalf("%s: %d %s", title, a.status, a.body)
		}
		var r answerBody
		if err := json.Unmarshal(a.body, &r); err != nil {
			t.Fatal(err)
		}
		return r
	}
	total := 0
	for _, p := range pages {
		m, l := post(my.URL, p.Title, p.Text), post(lite.URL, p.Title, p.Text)
		if string(m.Links) != string(l.Links) {
			t.Errorf("%s: mysql %s, sqlite %s", p.Title, m.Links, l.Links)
		}
		if !reflect.DeepEqual(m.Meta.DatasetChecksums, sums) {
			t.Fatalf("dataset_checksums %v, want lr_checksum's %v", m.Meta.DatasetChecksums, sums)
		}
		total += m.LinksCount
	}
	if total == 0 {
		t.Fatal("no links at all")
	}
	if indexDir != "" {
		w, err := b.Wiki(ctx, synthWiki)
		if err != nil || w.Index == nil {
			t.Fatalf("not served from a serving index: %v", err)
		}
	}
	m := do(t, "GET", my.URL+"/metrics", nil)
	if want := `linkrecommendation_dataset_info{dataset="anchors",sha256="` + sums["anchors"] + `",wiki="synthwiki"} 1`; !strings.Contains(string(m.body), want) {
		t.Errorf("metrics lack %s", want)
	}
	a := do(t, "POST", my.URL+recPath+"wikipedia/foo/Bar", map[string]any{"wikitext": "x", "revid": 1, "pageid": 2})
	if a.status != 400 || !strings.Contains(string(a.body), `"valid_project_domain_pairs":["wikipedia/synth"]`) {
		t.Errorf("no model: %d %s", a.status, a.body)
	}

	// A new dataset is loaded (anchors emptied, new checksum) in one transaction: the
	// service switches after the next poll, and no request fails meanwhile.
	tx, err := db.Begin()
	if err != nil {
		t.Fatal(err)
	}
	tx.Exec("DELETE FROM lr_synthwiki_anchors")
	tx.Exec("UPDATE lr_checksum SET value = 'ffff' WHERE lookup = 'synthwiki_anchors'")
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	b.Check(ctx)
	deadline := time.Now().Add(20 * time.Second)
	for {
		r := post(my.URL, pages[0].Title, pages[0].Text)
		if r.Meta.DatasetChecksums["anchors"] == "ffff" {
			if r.LinksCount != 0 {
				t.Errorf("reloaded but %d links without anchors", r.LinksCount)
			}
			m := do(t, "GET", my.URL+"/metrics", nil)
			if !strings.Contains(string(m.body), `sha256="ffff"`) || strings.Contains(string(m.body), `sha256="`+sums["anchors"]+`"`) {
				t.Errorf("metrics do not show the reloaded checksum only")
			}
			if indexDir != "" {
				src, err := os.ReadFile(filepath.Join(indexDir, datasets.ServeIndexName(synthWiki)+".source"))
				if err != nil || !strings.Contains(string(src), "anchors ffff") {
					t.Errorf("the index was not built again from the new tables: %q %v", src, err)
				}
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the new datasets were not picked up")
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func TestMySQLConfig(t *testing.T) {
	optFile := filepath.Join(t.TempDir(), "my.cnf")
	os.WriteFile(optFile, []byte("[mysql]\nuser=nobody\n[client]\nuser = fromfile\npassword=\"secret\"\nsocket=/run/mysqld.sock\n"), 0o600)
	for _, tc := range []struct {
		name string
		env  map[string]string
		net  string
		addr string
		user string
		err  bool
	}{
		{"defaults", map[string]string{"DB_DATABASE": "mwaddlink"}, "tcp", "localhost:3306", "", false},
		{"host and port", map[string]string{"DB_DATABASE": "d", "DB_HOST": "m2-master.eqiad.wmnet", "DB_PORT": "3307", "DB_USER": "u"}, "tcp", "m2-master.eqiad.wmnet:3307", "u", false},
		{"socket path", map[string]string{"DB_DATABASE": "d", "DB_HOST": "/tmp/s.sock"}, "unix", "/tmp/s.sock", "", false},
		{"option file fills what is unset", map[string]string{"DB_DATABASE": "d", "DB_READ_DEFAULT_FILE": optFile}, "unix", "/run/mysqld.sock", "fromfile", false},
		{"a variable wins over the option file", map[string]string{"DB_DATABASE": "d", "DB_USER": "u", "DB_READ_DEFAULT_FILE": optFile}, "unix", "/run/mysqld.sock", "u", false},
		{"no database", map[string]string{}, "", "", "", true},
		{"bad port", map[string]string{"DB_DATABASE": "d", "DB_PORT": "x"}, "", "", "", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, err := MySQLConfig(func(k string) string { return tc.env[k] })
			if tc.err {
				if err == nil {
					t.Fatal("no error")
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if c.Net != tc.net || c.Addr != tc.addr || c.User != tc.user {
				t.Errorf("%s %s %s", c.Net, c.Addr, c.User)
			}
		})
	}
}

// hangUpServer accepts TCP connections and closes them at once: a MySQL server that
// breaks every connection, which makes the driver log.
func hangUpServer(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			c.Close()
		}
	}()
	return ln.Addr().String()
}

// Issue 27, item 4: the MySQL driver's own messages go to the service's JSON log, not
// to stderr as plain-text "[mysql] ... packets.go:58 unexpected EOF" lines.
func TestMySQLDriverMessagesInTheLog(t *testing.T) {
	host, port, _ := net.SplitHostPort(hangUpServer(t))
	env := map[string]string{"DB_HOST": host, "DB_PORT": port, "DB_USER": "root", "DB_DATABASE": "mwaddlink"}
	var logs logBuffer
	b, err := OpenBackend(context.Background(), BackendOptions{Kind: BackendMySQL, Getenv: func(k string) string { return env[k] },
		ReloadInterval: time.Hour, Logger: jsonLogger(&logs)})
	if err == nil {
		b.Close()
	}
	for _, l := range logs.lines() {
		if l["msg"] == "mysql driver" && strings.Contains(fmt.Sprint(l["error"]), "EOF") {
			return
		}
	}
	t.Fatalf("no driver message in the JSON log: %v", logs.lines())
}

// Issue 27, item 3: `serve` with the mysql backend starts when the database does not
// answer yet (MariaDB still starting, a wrong password): it says so, /healthz answers
// 503, and once the database answers (here: a proxy to a real MariaDB opened on the
// port) /healthz answers 200 and the wiki is served, without a restart.
func TestMySQLUnreachableAtStart(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close() // nothing listens there: connections are refused
	host, port, _ := net.SplitHostPort(addr)
	env := map[string]string{"DB_HOST": host, "DB_PORT": port, "DB_USER": "root", "DB_DATABASE": "mwaddlink"}
	var logs logBuffer
	ctx, cancel := context.WithCancel(context.Background())
	ready, runErr := make(chan net.Addr, 1), make(chan error, 1)
	go func() {
		runErr <- Run(ctx, Config{Listen: "127.0.0.1:0",
			Backend: BackendOptions{Kind: BackendMySQL, Getenv: func(k string) string { return env[k] },
				ReloadInterval: 50 * time.Millisecond, Logger: jsonLogger(&logs)},
			Server: Options{Version: "test", Logger: jsonLogger(&logs)},
			Ready:  func(a net.Addr) { ready <- a }})
	}()
	defer func() {
		cancel()
		if err := <-runErr; err != nil {
			t.Errorf("serve: %v", err)
		}
	}()
	var base string
	select {
	case a := <-ready:
		base = "http://" + a.String()
	case err := <-runErr:
		runErr <- nil // for the deferred check
		t.Fatalf("serve exited: %v", err)
	}
	if a := do(t, "GET", base+"/healthz", nil); a.status != 503 || !strings.Contains(string(a.body), "the database is unreachable") {
		t.Fatalf("healthz with no database: %d %s", a.status, a.body)
	}
	var warned bool
	for _, l := range logs.lines() {
		warned = warned || (l["msg"] == "the database is unreachable; serving anyway, /healthz answers 503 until it answers" && l["addr"] == addr)
	}
	if !warned {
		t.Errorf("no warning about the database in %v", logs.lines())
	}

	// The database comes up.
	srv := mariadbtest.Start(t)
	srv.CreateDatabase(t, "mwaddlink")
	proxy, err := net.Listen("tcp", addr)
	if err != nil {
		t.Skipf("the port was taken meanwhile: %v", err)
	}
	defer proxy.Close()
	go func() {
		for {
			c, err := proxy.Accept()
			if err != nil {
				return
			}
			s, err := net.Dial("tcp", fmt.Sprintf("127.0.0.1:%d", srv.Port))
			if err != nil {
				c.Close()
				continue
			}
			go func() { io.Copy(s, c); s.Close() }()
			go func() { io.Copy(c, s); c.Close() }()
		}
	}()
	deadline := time.Now().Add(20 * time.Second)
	for do(t, "GET", base+"/healthz", nil).status != 200 {
		if time.Now().After(deadline) {
			t.Fatal("healthz still not 200 20 s after the database came up")
		}
		time.Sleep(50 * time.Millisecond)
	}
	for reachable := false; !reachable; time.Sleep(50 * time.Millisecond) {
		for _, l := range logs.lines() {
			reachable = reachable || l["msg"] == "the database is reachable"
		}
		if !reachable && time.Now().After(deadline) {
			t.Fatalf("the recovery was not logged: %v", logs.lines())
		}
	}
}
