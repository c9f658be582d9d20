package loader

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/addlink/addlink/datasets"
	"github.com/addlink/addlink/internal/mariadbtest"
)

// A load from HTTP, from a directory and from --path: every table holds the export's
// rows, lr_checksum the published checksums; a second load changes nothing and says so.
func testLoad(t *testing.T, f *fixture, srv *mariadbtest.Server) {
	for _, method := range []string{MethodLoadData, MethodInsert} {
		for _, from := range []string{"http", "dir", "path"} {
			t.Run(method+"/"+from, func(t *testing.T) {
				dsn, db := newDatabase(t, srv)
				o := options(dsn, "", t.TempDir())
				o.Method, o.BatchBytes = method, 8<<10
				switch from {
				case "http":
					o.BaseURL = serve(t, f.rootA, nil).URL
				case "dir":
					o.BaseURL = f.rootA
				case "path":
					o.Download, o.Path = false, f.rootA
				}
				r, err := Run(context.Background(), o)
				if err != nil || len(r.Failed()) > 0 {
					t.Fatalf("%v %+v", err, r)
				}
				if w := r.Wikis[0]; len(w.Loaded) != 5 || w.Rows["anchors"] != int64(f.rows["anchors"]) || w.Rows["pageids"] != int64(f.rows["pageids"]) || f.rows["anchors"] == 0 {
					t.Fatalf("report %+v", w)
				}
				checkLoaded(t, db, f, f.rootA)
				checkSchema(t, db, "lr_"+wiki+"_anchors")
				before := digest(t, db, false)
				r, err = Run(context.Background(), o)
				if err != nil || r.Changed() || len(r.Wikis[0].UpToDate) != 5 || len(r.Wikis[0].Loaded) != 0 {
					t.Fatalf("second load: %v %+v", err, r)
				}
				if after := digest(t, db, false); after != before {
					t.Fatalf("a second load changed the database:\n%s\n%s", before, after)
				}
				if strings.Contains(before, newSuffix) || strings.Contains(before, oldSuffix) {
					t.Fatalf("staging tables left:\n%s", before)
				}
			})
		}
	}
}

// Every fault leaves the database exactly as it was before the failed wiki; the other
// wiki (xxwiki, served correctly) is loaded all the same.
func testFaults(t *testing.T, f *fixture, srv *mariadbtest.Server) {
	bad := "lr_" + wiki + "_pageids.sql.gz"
	faults := []struct {
		name   string
		wrap   func(http.Handler) http.Handler
		method string
		kill   bool
		want   string
	}{
		{name: "checksum mismatch", want: "checksum mismatch", wrap: onFile(bad, func(w http.ResponseWriter, r *http.Request, body []byte) {
			body[len(body)/2] ^= 1
			w.Write(body)
		})},
		{name: "truncated download", want: "unexpected EOF", wrap: onFile(bad, func(w http.ResponseWriter, r *http.Request, body []byte) {
			w.Header().Set("Content-Length", fmt.Sprint(len(body)))
			w.Write(body[:len(body)/2])
		})},
		{name: "HTTP 500", want: "HTTP 500", wrap: onFile(bad, func(w http.ResponseWriter, r *http.Request, body []byte) {
			http.Error(w, "boom", http.StatusInternalServerError)
		})},
		{name: "500 for the checksum", want: "HTTP 500", wrap: onFile(bad+".checksum", func(w http.ResponseWriter, r *http.Request, body []byte) {
			http.Error(w, "boom", http.StatusInternalServerError)
		})},
		{name: "timeout before the headers", want: "no response for", wrap: onFile(bad, func(w http.ResponseWriter, r *http.Request, body []byte) {
			select {
			case <-r.Context().Done():
			case <-time.After(5 * time.Second):
			}
		})},
		{name: "timeout in the body", want: "no response for", wrap: onFile(bad, func(w http.ResponseWriter, r *http.Request, body []byte) {
			w.Header().Set("Content-Length", fmt.Sprint(len(body)))
			w.Write(body[:len(body)/2])
			w.(http.Flusher).Flush()
			select {
			case <-r.Context().Done():
			case <-time.After(5 * time.Second):
			}
		})},
		// The driver reports a killed connection as "invalid connection", or, when the
		// kill lands while LOAD DATA reads the rows from its pipe, as the pipe closed.
		{name: "connection killed (LOAD DATA)", method: MethodLoadData, kill: true, want: "invalid connection|closed pipe|bad connection"},
		{name: "connection killed (INSERT)", method: MethodInsert, kill: true, want: "invalid connection"},
	}
	for _, c := range faults {
		t.Run(c.name, func(t *testing.T) {
			dsn, db := newDatabase(t, srv)
			o := options(dsn, serve(t, f.rootA, nil).URL, t.TempDir())
			o.Timeout = 300 * time.Millisecond
			if r, err := Run(context.Background(), o); err != nil || len(r.Failed()) > 0 {
				t.Fatalf("first load: %v %+v", err, r)
			}
			before := digest(t, db, false)
			o.WikiID = "" // both wikis of B: the failed one and xxwiki
			o.BaseURL = serve(t, f.rootB, c.wrap).URL
			if c.method != "" {
				o.Method, o.BatchBytes = c.method, 8<<10
			}
			if c.kill {
				o.Progress = &killer{kill: func() { killOthers(t, db) }}
			}
			r, err := Run(context.Background(), o)
			if err != nil {
				t.Fatal(err)
			}
			failed := r.Failed()
			if len(failed) != 1 || failed[0].Wiki != wiki || !regexp.MustCompile(c.want).MatchString(failed[0].Err.Error()) {
				t.Fatalf("failed wikis %+v, want %s failing with %q", failed, wiki, c.want)
			}
			after := digest(t, db, false)
			for _, line := range strings.Split(before, "\n") {
				if !strings.Contains(after, line+"\n") && !strings.HasPrefix(line, "lr_checksum") && !strings.HasPrefix(line, "lr_model") {
					t.Errorf("table changed: %s\nbefore:\n%s\nafter:\n%s", line, before, after)
				}
			}
			// Only xxwiki's rows were added to the shared tables.
			if got, want := len(strings.Split(strings.TrimSpace(after), "\n")), len(strings.Split(strings.TrimSpace(before), "\n"))+4; got != want {
				t.Errorf("%d tables after, want %d:\n%s", got, want, after)
			}
			sums := tableRows(t, db, "lr_checksum")
			for _, d := range DefaultDatasets {
				text, _ := os.ReadFile(filepath.Join(f.rootA, wiki, datasets.PublishedName(wiki, d)+".checksum"))
				if string(sums[wiki+"_"+d]) != strings.Fields(string(text))[0] {
					t.Errorf("lr_checksum of %s changed", d)
				}
			}
			if m := tableRows(t, db, "lr_model"); string(m[wiki]) != `{"learner":{"v":"A"}}` {
				t.Errorf("lr_model changed: %q", m[wiki])
			}
			checkChecksums(t, db, f.rootB, "xxwiki")
			if n := len(tableRows(t, db, "lr_xxwiki_anchors")); n != f.rows["anchors"]-1 || n == 0 {
				t.Errorf("xxwiki anchors: %d rows, want %d", n, f.rows["anchors"]-1)
			}
			// Without the fault, the same load completes.
			o.BaseURL, o.Progress = serve(t, f.rootB, nil).URL, nil
			if r, err := Run(context.Background(), o); err != nil || len(r.Failed()) > 0 || len(r.Wikis[0].Loaded) != 5 {
				t.Fatalf("load after the fault: %v %+v", err, r)
			}
			checkChecksums(t, db, f.rootB, wiki)
		})
	}
}

// onFile calls fault instead of serving the file name (with its bytes); every other
// file is served as it is.
func onFile(name string, fault func(w http.ResponseWriter, r *http.Request, body []byte)) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if filepath.Base(r.URL.Path) != name {
				next.ServeHTTP(w, r)
				return
			}
			body, err := os.ReadFile(filepath.Join(publicationRoot(r), r.URL.Path))
			if err != nil {
				http.Error(w, err.Error(), http.StatusNotFound)
				return
			}
			fault(w, r, body)
		})
	}
}

// publicationRoot is root B, the one the faulty servers serve.
func publicationRoot(*http.Request) string { return fixtureVal.rootB }

// killOthers KILLs every client connection but its own (the loader's).
func killOthers(t *testing.T, db *sql.DB) {
	conn, err := db.Conn(context.Background())
	if err != nil {
		t.Error(err)
		return
	}
	defer conn.Close()
	rows, err := conn.QueryContext(context.Background(), "SELECT id FROM information_schema.processlist WHERE id <> CONNECTION_ID() AND command NOT IN ('Daemon', 'Binlog Dump') AND user = 'root'")
	if err != nil {
		t.Error(err)
		return
	}
	var ids []int64
	for rows.Next() {
		var id int64
		rows.Scan(&id)
		ids = append(ids, id)
	}
	rows.Close()
	for _, id := range ids {
		conn.ExecContext(context.Background(), fmt.Sprintf("KILL %d", id))
	}
}

// A download broken off is resumed with a Range request and the load succeeds.
func testResumesDownload(t *testing.T, f *fixture, srv *mariadbtest.Server) {
	dsn, db := newDatabase(t, srv)
	var cut, ranged atomic.Int32
	name := "lr_" + wiki + "_anchors.sql.gz"
	web := serve(t, f.rootA, func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if filepath.Base(r.URL.Path) == name {
				if r.Header.Get("Range") != "" {
					ranged.Add(1)
				} else if cut.Add(1) == 1 {
					body, _ := os.ReadFile(filepath.Join(f.rootA, r.URL.Path))
					w.Header().Set("Content-Length", fmt.Sprint(len(body)))
					w.Header().Set("Accept-Ranges", "bytes")
					w.Header().Set("Last-Modified", time.Now().Add(-time.Hour).UTC().Format(http.TimeFormat))
					w.Write(body[:len(body)/3])
					return
				}
			}
			next.ServeHTTP(w, r)
		})
	})
	r, err := Run(context.Background(), options(dsn, web.URL, t.TempDir()))
	if err != nil || len(r.Failed()) > 0 {
		t.Fatalf("%v %+v", err, r)
	}
	if ranged.Load() != 1 {
		t.Fatalf("%d Range requests, want 1", ranged.Load())
	}
	checkLoaded(t, db, f, f.rootA)
}

// A dry run says what would be loaded and changes nothing.
func testDryRun(t *testing.T, f *fixture, srv *mariadbtest.Server) {
	dsn, db := newDatabase(t, srv)
	o := options(dsn, f.rootA, t.TempDir())
	o.DryRun = true
	before := digest(t, db, false)
	r, err := Run(context.Background(), o)
	if err != nil || len(r.Wikis) != 1 || len(r.Wikis[0].Loaded) != 5 || r.Changed() {
		t.Fatalf("%v %+v", err, r)
	}
	if after := digest(t, db, false); after != before {
		t.Fatalf("dry run changed the database:\n%s", after)
	}
	o.DryRun = false
	if _, err := Run(context.Background(), o); err != nil {
		t.Fatal(err)
	}
	o.DryRun, o.BaseURL, o.WikiID = true, f.rootB, ""
	r, err = Run(context.Background(), o)
	if err != nil || len(r.Wikis) != 2 || len(r.Wikis[0].Loaded) != 5 || len(r.Wikis[1].Loaded) != 5 {
		t.Fatalf("%v %+v", err, r)
	}
}

// Issue 27, item 11: --force loads the datasets whose checksum lr_checksum has, and
// says so, not that they changed.
func testForce(t *testing.T, f *fixture, srv *mariadbtest.Server) {
	dsn, _ := newDatabase(t, srv)
	o := options(dsn, f.rootA, t.TempDir())
	if _, err := Run(context.Background(), o); err != nil {
		t.Fatal(err)
	}
	var logs strings.Builder
	o.Force, o.Log = true, slog.New(slog.NewTextHandler(&logs, nil))
	r, err := Run(context.Background(), o)
	if err != nil || len(r.Failed()) > 0 || len(r.Wikis[0].Loaded) != 5 {
		t.Fatalf("%v %+v", err, r)
	}
	if n := strings.Count(logs.String(), "msg=\"unchanged, loading again (--force)\""); n != 5 || strings.Contains(logs.String(), "msg=changed") {
		t.Fatalf("%d datasets said unchanged, want 5:\n%s", n, logs.String())
	}
}

// Two loaders never interleave: a second one waits for the lock, then gives up.
func testLock(t *testing.T, f *fixture, srv *mariadbtest.Server) {
	dsn, db := newDatabase(t, srv)
	conn, _ := db.Conn(context.Background())
	defer conn.Close()
	var got int
	if err := conn.QueryRowContext(context.Background(), "SELECT GET_LOCK(?, 0)", lockName(strings.TrimPrefix(dsn[strings.LastIndex(dsn, "/"):], "/"))).Scan(&got); err != nil || got != 1 {
		t.Fatal(err, got)
	}
	o := options(dsn, f.rootA, t.TempDir())
	o.LockWait = 0
	if _, err := Run(context.Background(), o); !errors.Is(err, ErrLocked) {
		t.Fatalf("error %v, want ErrLocked", err)
	}
	conn.ExecContext(context.Background(), "DO RELEASE_LOCK(?)", lockName(strings.TrimPrefix(dsn[strings.LastIndex(dsn, "/"):], "/")))
	if r, err := Run(context.Background(), o); err != nil || len(r.Failed()) > 0 {
		t.Fatalf("%v %+v", err, r)
	}
}

func TestValidate(t *testing.T) {
	for _, c := range []struct {
		o    Options
		want string
	}{
		{Options{Path: "p", DSN: "d", WikiID: "../x"}, "invalid wiki id"},
		{Options{Path: "p", DSN: "d", Datasets: []string{"anchor"}}, "unknown dataset"},
		{Options{DSN: "d"}, "no --path"},
		{Options{Path: "p"}, "no database"},
		{Options{Path: "p", DSN: "d", Download: true}, "needs a base URL"},
		{Options{Path: "p", DSN: "d", Method: "copy"}, "unknown method"},
	} {
		if err := c.o.Validate(); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%+v: %v, want %q", c.o, err, c.want)
		}
	}
}

func TestDSNFromEnv(t *testing.T) {
	cnf := filepath.Join(t.TempDir(), "my.cnf")
	os.WriteFile(cnf, []byte("[client]\nuser = admin\npassword = \"s3cret\"\nhost=db.example\n[mysqld]\nuser=nobody\n"), 0o644)
	for _, c := range []struct {
		env  map[string]string
		want string
	}{
		{map[string]string{"DB_USER": "u", "DB_PASSWORD": "p", "DB_HOST": "h", "DB_DATABASE": "mwaddlink"}, "u:p@tcp(h:3306)/mwaddlink"},
		{map[string]string{"DB_DATABASE": "x", "DB_PORT": "3307"}, "tcp(localhost:3307)/x"},
		{map[string]string{"DB_READ_DEFAULT_FILE": cnf, "DB_DATABASE": "x"}, "admin:s3cret@tcp(db.example:3306)/x"},
		{map[string]string{"DB_READ_DEFAULT_FILE": cnf, "DB_USER": "u", "DB_DATABASE": "x"}, "u:s3cret@tcp(db.example:3306)/x"},
		// Neither DB_DATABASE nor an option file: no database (Validate says what to set).
		{map[string]string{"DB_USER": "u", "DB_HOST": "h"}, ""},
		{map[string]string{"DB_READ_DEFAULT_FILE": "", "DB_USER": "u"}, ""},
		// DB_DATABASE set but empty: the database comes from the server's defaults.
		{map[string]string{"DB_DATABASE": "", "DB_USER": "u"}, "u@tcp(localhost:3306)/"},
		{map[string]string{"DB_READ_DEFAULT_FILE": cnf}, "admin:s3cret@tcp(db.example:3306)/"},
	} {
		got, err := DSNFromEnv(func(k string) (string, bool) { v, ok := c.env[k]; return v, ok })
		if err != nil || got != c.want {
			t.Errorf("%v: %q %v, want %q", c.env, got, err, c.want)
		}
	}
	if _, err := DSNFromEnv(func(k string) (string, bool) { return map[string]string{"DB_PORT": "x"}[k], k == "DB_PORT" }); err == nil {
		t.Error("DB_PORT=x accepted")
	}
}

var autoIncrement = regexp.MustCompile(` AUTO_INCREMENT=\d+`)

// checkSchema compares SHOW CREATE TABLE of a loaded table with that of the reference's
// CREATE TABLE statement.
func checkSchema(t *testing.T, db *sql.DB, table string) {
	t.Helper()
	if _, err := db.Exec(datasets.CreateTableSQL("lr_schema_reference")); err != nil {
		t.Fatal(err)
	}
	defer db.Exec("DROP TABLE lr_schema_reference")
	show := func(tb string) string {
		var name, create string
		if err := db.QueryRow("SHOW CREATE TABLE "+quoteID(tb)).Scan(&name, &create); err != nil {
			t.Fatal(err)
		}
		return autoIncrement.ReplaceAllString(strings.ReplaceAll(create, tb, "T"), "")
	}
	if got, want := show(table), show("lr_schema_reference"); got != want {
		t.Fatalf("schema of %s:\n%s\nwant\n%s", table, got, want)
	}
}
