package loader

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/addlink/addlink/datasets"
	"github.com/addlink/addlink/internal/mariadbtest"
)

// testIndex: a load builds the wiki's serving index into IndexDir from the tables it
// loaded, byte for byte the index export wrote from the Parquet datasets; a load that
// changes nothing keeps it; `addlink serve` with the mysql backend and the same index
// directory maps it on the first request without building one, and answers as the
// sqlite backend does.
func testIndex(t *testing.T, f *fixture, srv *mariadbtest.Server) {
	dir := t.TempDir()
	data, root := filepath.Join(dir, "data"), filepath.Join(dir, "pub")
	if err := os.CopyFS(data, os.DirFS(f.data)); err != nil {
		t.Fatal(err)
	}
	exportAndPublish(t, data, root, f.model, nil)
	exported, err := os.ReadFile(datasets.Layout{DataDir: data, Wiki: wiki}.ExportedServeIndex())
	if err != nil {
		t.Fatal(err)
	}
	dsn, _ := newDatabase(t, srv)
	idx := filepath.Join(dir, "idx")
	o := options(dsn, root, filepath.Join(dir, "dl"))
	o.IndexDir = idx
	rep, err := Run(context.Background(), o)
	if err != nil || len(rep.Failed()) > 0 {
		t.Fatalf("load: %v %+v", err, rep)
	}
	w := rep.Wikis[0]
	path := filepath.Join(idx, datasets.ServeIndexName(wiki))
	if w.IndexErr != nil || !w.IndexBuilt || w.Index != path {
		t.Fatalf("index %q built %v error %v, want %s built", w.Index, w.IndexBuilt, w.IndexErr, path)
	}
	loaded, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(exported) == 0 || !bytes.Equal(loaded, exported) {
		t.Fatalf("the index built from the tables (%d bytes) is not the export's (%d bytes)", len(loaded), len(exported))
	}
	st0, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}

	// Nothing changed: the index is kept.
	rep, err = Run(context.Background(), o)
	if err != nil || len(rep.Failed()) > 0 {
		t.Fatalf("load 2: %v %+v", err, rep)
	}
	if w := rep.Wikis[0]; w.IndexBuilt || w.Index != path || w.IndexErr != nil {
		t.Fatalf("load 2: index %q built %v error %v, want %s kept", w.Index, w.IndexBuilt, w.IndexErr, path)
	}
	if st, err := os.Stat(path); err != nil || !st.ModTime().Equal(st0.ModTime()) {
		t.Fatalf("load 2 rewrote the index: %v", err)
	}

	// No index directory: nothing built.
	o.IndexDir = ""
	if rep, err = Run(context.Background(), o); err != nil || rep.Wikis[0].Index != "" {
		t.Fatalf("load without an index directory: %v, index %q", err, rep.Wikis[0].Index)
	}

	// serve maps the loaded index.
	base, logs := serveMySQL(t, srv, dsn, time.Hour, idx)
	lite := sqliteServer(t, data)
	total := 0
	for _, p := range dumpPages(t, f.dump, 20) {
		st, my := postPage(t, base, p)
		_, want := postPage(t, lite, p)
		if st != 200 || !bytes.Equal(my, want) {
			t.Fatalf("%s: mysql %d %s\nsqlite %s", p.Title, st, my, want)
		}
		total += linksCount(t, my)
	}
	if total == 0 {
		t.Fatal("no links at all: the comparison proves nothing")
	}
	if strings.Contains(logs.String(), "built serving index") || !strings.Contains(logs.String(), path) {
		t.Fatalf("serve did not map the loaded index %s:\n%s", path, logs.String())
	}
}
