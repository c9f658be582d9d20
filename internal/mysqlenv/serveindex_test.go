package mysqlenv_test

import (
	"bytes"
	"context"
	"database/sql"
	"os"
	"path/filepath"
	"strings"
	"testing"

	_ "github.com/go-sql-driver/mysql"

	"github.com/addlink/addlink/datasets"
	"github.com/addlink/addlink/internal/linker"
	"github.com/addlink/addlink/internal/mariadbtest"
	"github.com/addlink/addlink/internal/mysqlenv"
	"github.com/addlink/addlink/internal/testfixtures"
)

// TestWriteServeIndexKeyOrder: the index streamed from lr_ tables sorted by the
// server is the index of the same rows sorted in Go, with the keys whose order the
// tables' collation gets wrong (it pads with spaces: "a" = "a ", and "a\t" sorts
// before "a"), keys longer than the server's default sort prefix (1,024 bytes) that
// differ only after it, and repeated keys (the last row by id wins; an anchor's rows
// gather).
func TestWriteServeIndexKeyOrder(t *testing.T) {
	testfixtures.Require(t, "Debian's mariadb-server", mariadbtest.Available)
	srv := mariadbtest.Start(t)
	srv.CreateDatabase(t, "ix")
	db, err := sql.Open("mysql", srv.DSN("ix"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	long := strings.Repeat("x", 1500)
	keys := []string{"b", "a ", "a", "a\t", "", "Ω", "a  ", long + "b", long + "a", "a"}
	var rows datasets.Rows
	const wiki = "xxwiki"
	insert := func(name, key string, value []byte) {
		table := datasets.SQLTable(wiki, name)
		if _, err := db.Exec(datasets.CreateTableSQL(table)); err != nil {
			t.Fatal(err)
		}
		if _, err := db.Exec("INSERT INTO `"+table+"` (lookup, value) VALUES (?, ?)", key, value); err != nil {
			t.Fatal(err)
		}
	}
	for i, k := range keys {
		n := int64(i + 1)
		insert("anchors", k, datasets.PickleStrIntDict([]datasets.StrInt{{Key: "T" + k, Value: n}, {Key: "U", Value: 2}}))
		rows.Anchors = append(rows.Anchors, datasets.Anchor{Anchor: k, Target: "T" + k, N: n}, datasets.Anchor{Anchor: k, Target: "U", N: 2})
		insert("pageids", k, datasets.PickleInt(n))
		rows.PageIDs = append(rows.PageIDs, datasets.PageID{Title: k, PageID: n})
		insert("redirects", k, datasets.PickleString("R"+k))
		rows.Redirects = append(rows.Redirects, datasets.Redirect{From: k, To: "R" + k})
		insert("w2vfiltered", k, datasets.PickleFloat32Array([]float32{float32(n), 0.5}))
		rows.Vectors = append(rows.Vectors, datasets.Embedding{Title: k, Vector: []float32{float32(n), 0.5}})
	}
	dir := t.TempDir()
	want := filepath.Join(dir, "rows.serve.idx")
	if _, err := linker.WriteServeIndexRows(want, &rows); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	tx, err := db.BeginTx(ctx, &sql.TxOptions{Isolation: sql.LevelRepeatableRead, ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback()
	got := filepath.Join(dir, "tables.serve.idx")
	if err := mysqlenv.WriteServeIndex(ctx, tx, wiki, got); err != nil {
		t.Fatal(err)
	}
	a, _ := os.ReadFile(got)
	b, _ := os.ReadFile(want)
	if len(b) == 0 || !bytes.Equal(a, b) {
		t.Fatalf("the index of the tables (%d bytes) is not the index of the rows (%d bytes)", len(a), len(b))
	}
	ix, err := datasets.OpenServeIndex(got)
	if err != nil {
		t.Fatal(err)
	}
	defer ix.Close()
	// 9 distinct keys ("a" twice: its anchor rows gather, its last page id wins).
	if n := ix.Count(datasets.IndexPageIDs); n != len(keys)-1 {
		t.Fatalf("%d page ids, want %d", n, len(keys)-1)
	}
	if v, ok := ix.LookupString(datasets.IndexPageIDs, "a"); !ok || !bytes.Equal(v, []byte{20}) {
		t.Fatalf("page id of a: %v %v, want the last row's 10", v, ok)
	}
}
