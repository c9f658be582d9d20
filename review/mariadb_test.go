package review

import (
	"context"
	"database/sql"
	"fmt"
	"testing"

	"github.com/go-sql-driver/mysql"

	"github.com/addlink/addlink/follow"
	"github.com/addlink/addlink/internal/mariadbtest"
)

// The store on a MariaDB server the test starts: the same behaviour as on SQLite,
// reviewers judging at once, and two rounds (table versions) side by side.
func TestMariaDBStore(t *testing.T) {
	if testing.Short() {
		t.Skip("short")
	}
	srv := mariadbtest.Start(t)
	db, err := sql.Open("mysql", srv.DSN(""))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Exec("CREATE DATABASE review"); err != nil {
		t.Fatal(err)
	}
	cfg, err := mysql.ParseDSN(srv.DSN("review"))
	if err != nil {
		t.Fatal(err)
	}
	open := func(t *testing.T, version int) *Store {
		st, err := OpenStore(context.Background(), StoreOptions{Kind: "mysql", MySQL: cfg, Prefix: "lbl_", Version: version})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { st.Close() })
		return st
	}
	t.Run("behaviour", func(t *testing.T) { storeBehaviour(t, open(t, 1)) })
	t.Run("concurrent", func(t *testing.T) { concurrentReviewers(t, open(t, 2), 1) })
	t.Run("double", func(t *testing.T) { concurrentReviewers(t, open(t, 3), 2) })
	var tables []string
	rows, err := db.Query("SELECT table_name FROM information_schema.tables WHERE table_schema = 'review' ORDER BY table_name")
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var n string
		rows.Scan(&n)
		tables = append(tables, n)
	}
	rows.Close()
	if len(tables) != 15 || tables[0] != "lbl_items_v1" {
		t.Errorf("tables: %v, want five per round (3 rounds) named lbl_<table>_v<round>", tables)
	}
	// Each round keeps its own judgments.
	var n1, n2 int
	db.QueryRow("SELECT COUNT(*) FROM review.lbl_judgments_v1").Scan(&n1)
	db.QueryRow("SELECT COUNT(*) FROM review.lbl_judgments_v2").Scan(&n2)
	if n1 != 2 || n2 != 40 {
		t.Errorf("rounds hold %d and %d judgments, want 2 and 40", n1, n2)
	}
}

// A follow pool in MariaDB (follow --pool mysql --keep-text) imports as the same pool
// in SQLite does: the same items.
func TestImportFromMariaDBPool(t *testing.T) {
	if testing.Short() {
		t.Skip("short")
	}
	ctx := context.Background()
	const wiki = "ukwiki"
	dir, dumpFile := trainedWiki(t, wiki)
	srv := mariadbtest.Start(t)
	srv.CreateDatabase(t, "pool")
	cfg, err := mysql.ParseDSN(srv.DSN("pool"))
	if err != nil {
		t.Fatal(err)
	}
	followInto(t, wiki, dir, dumpFile, true, follow.PoolOptions{MySQL: cfg, Prefix: "p_"})
	lite := followPool(t, wiki, dir, dumpFile, true)
	var got [2][]Item
	for i, ps := range []*PoolSource{{MySQL: cfg, Prefix: "p_"}, {SQLitePath: lite}} {
		st := newStore(t)
		s, err := Import(ctx, st, ImportOptions{Wiki: wiki, DataDir: dir, Pool: ps, Pages: 1000, Seed: 1, Threshold: DefaultThreshold}, nil)
		if err != nil {
			t.Fatal(err)
		}
		if got[i], err = st.Items(ctx, wiki); err != nil || len(got[i]) != s.Items || s.Items == 0 {
			t.Fatalf("%d items (%v), import %+v", len(got[i]), err, s)
		}
	}
	if fmt.Sprint(got[0]) != fmt.Sprint(got[1]) {
		t.Errorf("the MariaDB pool gives %d items, the SQLite pool %d, or other ones", len(got[0]), len(got[1]))
	}
}
