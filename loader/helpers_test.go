package loader

import (
	"bytes"
	"context"
	"database/sql"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/klauspost/compress/gzip"

	"github.com/addlink/addlink/checksum"
	"github.com/addlink/addlink/datasets"
	"github.com/addlink/addlink/internal/mariadbtest"
	"github.com/addlink/addlink/internal/synth"
	"github.com/addlink/addlink/pipeline"
	"github.com/addlink/addlink/pipeline/export"
	"github.com/addlink/addlink/publish"
)

// The tests' wiki: a synthetic one (internal/synth) the tests make themselves, so that
// every test of the package runs on a fresh clone wherever MariaDB is installed.
const (
	wiki  = "synthwiki"
	route = "wikipedia/synth" // its project/domain in the service's URLs
)

// fixture is the synthetic wiki's export and its publication, made once per test binary.
type fixture struct {
	dump  string         // the synthetic pages-articles dump
	data  string         // the data directory export wrote (<data>/synthwiki/...)
	rows  map[string]int // rows of each exported dataset
	model []byte         // the model the pipeline trained on the dump (the export has a stand-in)
	rootA string         // publish root of the export
	rootB string         // the same, every table one row shorter, another model, and a second wiki xxwiki
}

var (
	fixtureOnce sync.Once
	fixtureVal  *fixture
	fixtureErr  error
	fixtureDir  string
)

// TestMain removes the fixture, which the tests of the package share, at the end.
func TestMain(m *testing.M) {
	code := m.Run()
	if fixtureDir != "" {
		os.RemoveAll(fixtureDir)
	}
	os.Exit(code)
}

func publication(t *testing.T) *fixture {
	t.Helper()
	fixtureOnce.Do(func() { fixtureVal, fixtureErr = makeFixture() })
	if fixtureErr != nil {
		t.Fatal(fixtureErr)
	}
	return fixtureVal
}

// makeFixture generates the synthetic wiki (the sample wiki's size and shape, another
// name: the sample wiki cannot be published), runs the pipeline on it up to the model,
// and exports and publishes it with a stand-in model whose bytes the tests know.
func makeFixture() (*fixture, error) {
	dir, err := os.MkdirTemp("", "addlink-loader-test-")
	if err != nil {
		return nil, err
	}
	fixtureDir = dir
	f := &fixture{dump: filepath.Join(dir, wiki+"-pages-articles.xml"), data: filepath.Join(dir, "data"),
		rootA: filepath.Join(dir, "a"), rootB: filepath.Join(dir, "b")}
	so := synth.SampleOptions()
	so.Wiki = wiki
	if err := synth.WriteFile(f.dump, so); err != nil {
		return nil, err
	}
	cfg := &pipeline.Config{Wiki: wiki, DataDir: f.data, Dumps: []string{f.dump}, Threads: 2, Seed: 1, Version: "test"}
	if _, err := pipeline.Run(context.Background(), cfg, pipeline.Stages(), pipeline.RunOptions{To: "train"}, nil); err != nil {
		return nil, err
	}
	l := datasets.Layout{DataDir: f.data, Wiki: wiki}
	if f.model, err = os.ReadFile(l.Model()); err != nil {
		return nil, err
	}
	if err := os.WriteFile(l.Model(), []byte(`{"learner":{"v":"A"}}`), 0o644); err != nil {
		return nil, err
	}
	if _, err := checksum.WriteFor(l.Model()); err != nil {
		return nil, err
	}
	s, err := export.Run(context.Background(), export.Options{Wiki: wiki, DataDir: f.data}, nil)
	if err != nil {
		return nil, err
	}
	f.rows = s.Rows
	if _, err := publish.Publish(publish.Options{Wiki: wiki, DataDir: f.data, Root: f.rootA}); err != nil {
		return nil, err
	}
	// B: every dataset changed (its first row dropped), another model; and xxwiki.
	for _, w := range []string{wiki, "xxwiki"} {
		if err := rewrite(f.rootA, f.rootB, wiki, w, `{"learner":{"v":"B"}}`); err != nil {
			return nil, err
		}
	}
	return f, os.WriteFile(filepath.Join(f.rootB, "wikis.txt"), []byte(wiki+"\nxxwiki\n"), 0o644)
}

// rewrite copies the publication of wiki from one root to another as wiki to, without
// the first row of each table, with another model.
func rewrite(from, to, wiki, as, model string) error {
	dir := filepath.Join(to, as)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	for _, n := range datasets.DatasetNames {
		in, err := os.Open(filepath.Join(from, wiki, datasets.PublishedName(wiki, n)))
		if err != nil {
			return err
		}
		zr, err := gzip.NewReader(in)
		if err != nil {
			return err
		}
		var rows []datasets.SQLRow
		if err := datasets.ReadSQLDump(zr, datasets.SQLTable(wiki, n), func(r datasets.SQLRow) error {
			rows = append(rows, datasets.SQLRow{ID: r.ID, Lookup: bytes.Clone(r.Lookup), Value: bytes.Clone(r.Value)})
			return nil
		}); err != nil {
			return err
		}
		in.Close()
		out := filepath.Join(dir, datasets.PublishedName(as, n))
		if _, err := datasets.WriteSQLDump(out, datasets.SQLTable(as, n), func(yield func(string, []byte) error) error {
			for _, r := range rows[1:] {
				if err := yield(string(r.Lookup), r.Value); err != nil {
					return err
				}
			}
			return nil
		}); err != nil {
			return err
		}
		if _, err := checksum.WriteFor(out); err != nil {
			return err
		}
	}
	m := filepath.Join(dir, datasets.PublishedName(as, "model"))
	if err := os.WriteFile(m, []byte(model), 0o644); err != nil {
		return err
	}
	_, err := checksum.WriteFor(m)
	return err
}

// dbSeq numbers the databases the tests create on the shared server.
var dbSeq atomic.Int64

// TestMariaDB starts one MariaDB server for every test that needs one (each gets its
// own database on it): starting a server takes seconds.
func TestMariaDB(t *testing.T) {
	f := publication(t)
	srv := mariadbtest.Start(t)
	for _, c := range []struct {
		name string
		run  func(*testing.T, *fixture, *mariadbtest.Server)
	}{
		{"Load", testLoad},
		{"Faults", testFaults},
		{"ResumesDownload", testResumesDownload},
		{"DryRun", testDryRun},
		{"Force", testForce},
		{"Lock", testLock},
		{"ProcessKilled", testProcessKilled},
		{"Reference", testReference},
		{"Serve", testServe},
		{"Index", testIndex},
	} {
		t.Run(c.name, func(t *testing.T) { c.run(t, f, srv) })
	}
}

// newDatabase creates an empty database and returns its DSN and a handle.
func newDatabase(t *testing.T, s *mariadbtest.Server) (string, *sql.DB) {
	t.Helper()
	dsn := s.CreateDatabase(t, fmt.Sprintf("t%d", dbSeq.Add(1)))
	db, err := sql.Open("mysql", dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return dsn, db
}

// digest is every table of the database with its CHECKSUM TABLE (EXTENDED), staging
// tables included unless skipStaging.
func digest(t *testing.T, db *sql.DB, skipStaging bool) string {
	t.Helper()
	rows, err := db.Query("SELECT table_name FROM information_schema.tables WHERE table_schema = DATABASE() ORDER BY table_name")
	if err != nil {
		t.Fatal(err)
	}
	var tables []string
	for rows.Next() {
		var n string
		rows.Scan(&n)
		if skipStaging && (strings.HasSuffix(n, newSuffix) || strings.HasSuffix(n, oldSuffix)) {
			continue
		}
		tables = append(tables, n)
	}
	rows.Close()
	var b strings.Builder
	for _, tb := range tables {
		var name string
		var sum sql.NullInt64
		if err := db.QueryRow("CHECKSUM TABLE "+quoteID(tb)+" EXTENDED").Scan(&name, &sum); err != nil {
			t.Fatal(err)
		}
		var n int
		db.QueryRow("SELECT COUNT(*) FROM " + quoteID(tb)).Scan(&n)
		fmt.Fprintf(&b, "%s %d rows checksum %d\n", tb, n, sum.Int64)
	}
	return b.String()
}

// options returns load options for a test: small timeouts and backoff.
func options(dsn, base, path string) Options {
	return Options{WikiID: wiki, Path: path, Download: true, BaseURL: base, DSN: dsn,
		Timeout: 2 * time.Second, Retries: 2, Backoff: 10 * time.Millisecond, LockWait: time.Second}
}

// serve serves a publish root over HTTP through wrap (nil: as it is).
func serve(t *testing.T, root string, wrap func(http.Handler) http.Handler) *httptest.Server {
	var h http.Handler = http.FileServer(http.Dir(root))
	if wrap != nil {
		h = wrap(h)
	}
	s := httptest.NewServer(h)
	t.Cleanup(s.Close)
	return s
}

// tableRows reads lookup -> value of a table.
func tableRows(t *testing.T, db *sql.DB, table string) map[string][]byte {
	t.Helper()
	rows, err := db.Query("SELECT lookup, value FROM " + quoteID(table))
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	out := map[string][]byte{}
	for rows.Next() {
		var k string
		var v []byte
		if err := rows.Scan(&k, &v); err != nil {
			t.Fatal(err)
		}
		if _, dup := out[k]; dup {
			t.Fatalf("%s: lookup %q twice", table, k)
		}
		out[k] = v
	}
	return out
}

// checkLoaded compares every table of wiki with the Parquet datasets export read, and
// lr_checksum with the published checksums under root.
func checkLoaded(t *testing.T, db *sql.DB, f *fixture, root string) {
	t.Helper()
	l := datasets.Layout{DataDir: f.data, Wiki: wiki}
	anchors, err := datasets.ReadParquet[datasets.Anchor](l.Anchors())
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]map[string]int64{}
	for _, a := range anchors {
		if want[a.Anchor] == nil {
			want[a.Anchor] = map[string]int64{}
		}
		want[a.Anchor][a.Target] = a.N
	}
	got := tableRows(t, db, "lr_"+wiki+"_anchors")
	if len(got) != len(want) {
		t.Fatalf("anchors: %d rows, want %d", len(got), len(want))
	}
	for k, v := range got {
		items, err := datasets.UnpickleStrIntDict(v)
		if err != nil || len(items) != len(want[k]) {
			t.Fatalf("anchors[%q] = %v (%v), want %v", k, items, err, want[k])
		}
		for _, it := range items {
			if want[k][it.Key] != it.Value {
				t.Fatalf("anchors[%q][%q] = %d, want %d", k, it.Key, it.Value, want[k][it.Key])
			}
		}
	}
	ids, _ := datasets.ReadParquet[datasets.PageID](l.PageIDs())
	gotIDs := tableRows(t, db, "lr_"+wiki+"_pageids")
	if len(gotIDs) != len(ids) {
		t.Fatalf("pageids: %d rows, want %d", len(gotIDs), len(ids))
	}
	for _, r := range ids {
		if v, err := datasets.UnpickleInt(gotIDs[r.Title]); err != nil || v != r.PageID {
			t.Fatalf("pageids[%q] = %d (%v), want %d", r.Title, v, err, r.PageID)
		}
	}
	reds, _ := datasets.ReadParquet[datasets.Redirect](l.Redirects())
	gotReds := tableRows(t, db, "lr_"+wiki+"_redirects")
	if len(gotReds) != len(reds) {
		t.Fatalf("redirects: %d rows, want %d", len(gotReds), len(reds))
	}
	for _, r := range reds {
		if v, err := datasets.UnpickleString(gotReds[r.From]); err != nil || v != r.To {
			t.Fatalf("redirects[%q] = %q (%v), want %q", r.From, v, err, r.To)
		}
	}
	emb, _ := datasets.ReadParquet[datasets.Embedding](l.Embeddings())
	gotEmb := tableRows(t, db, "lr_"+wiki+"_w2vfiltered")
	if len(gotEmb) != len(emb) {
		t.Fatalf("w2vfiltered: %d rows, want %d", len(gotEmb), len(emb))
	}
	for _, e := range emb {
		v, err := datasets.UnpickleFloat32Array(gotEmb[e.Title])
		if err != nil || fmt.Sprint(v) != fmt.Sprint(e.Vector) {
			t.Fatalf("w2vfiltered[%q] = %v (%v), want %v", e.Title, v, err, e.Vector)
		}
	}
	model, _ := os.ReadFile(l.Model())
	if m := tableRows(t, db, "lr_model"); !bytes.Equal(m[wiki], model) {
		t.Fatalf("lr_model[%s] = %q, want %q", wiki, m[wiki], model)
	}
	checkChecksums(t, db, root, wiki)
}

// checkChecksums compares lr_checksum's rows of w with the published .checksum files.
func checkChecksums(t *testing.T, db *sql.DB, root, w string) {
	t.Helper()
	sums := tableRows(t, db, "lr_checksum")
	for _, d := range DefaultDatasets {
		text, err := os.ReadFile(filepath.Join(root, w, datasets.PublishedName(w, d)+".checksum"))
		if err != nil {
			t.Fatal(err)
		}
		if want := strings.Fields(string(text))[0]; string(sums[w+"_"+d]) != want {
			t.Fatalf("lr_checksum[%s_%s] = %q, want %q", w, d, sums[w+"_"+d], want)
		}
	}
}

// killer is a progress.Reporter that runs kill once, at the first rows reported while
// importing.
type killer struct {
	phase string
	once  sync.Once
	kill  func()
}

func (k *killer) Phase(name string, total int64, unit string) { k.phase = name }
func (k *killer) Note(string)                                 {}
func (k *killer) Add(n int64) {
	if strings.HasPrefix(k.phase, "import ") && n > 0 {
		k.once.Do(k.kill)
	}
}

// readAll reads a file (test helper).
func readAll(t *testing.T, p string) []byte {
	t.Helper()
	f, err := os.Open(p)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	b, _ := io.ReadAll(f)
	return b
}

func sortedKeys[V any](m map[string]V) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
