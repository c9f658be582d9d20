package follow

import (
	"context"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/go-sql-driver/mysql"

	"github.com/addlink/addlink/datasets"
	"github.com/addlink/addlink/internal/mariadbtest"
)

func openTestPool(t *testing.T) (*Pool, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "pool.sqlite")
	p, err := OpenPool(context.Background(), PoolOptions{SQLitePath: path}, []string{"enwiki", "elwikivoyage"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Close() })
	return p, path
}

func refresh(wiki, title string, page, rev int64, data string) Op {
	text := "text of revision " + itoa(int(rev))
	op := Op{Action: Action{Kind: Refresh, Wiki: wiki, Title: title, Rev: rev, Time: rev * 1000}, PageID: page, Wikitext: &text}
	if data != "" {
		op.Data, op.Links = []byte(data), 1
	}
	return op
}

// The pool's rules, each op committed on its own: one row per page at the newest
// revision seen, a deletion found by title or page id, a title taken over by another
// page, NULL data for no link.
func TestPoolRules(t *testing.T) {
	p, _ := openTestPool(t)
	testPoolRules(t, p)
}

// The same rules in MariaDB (--pool mysql).
func TestPoolRulesMySQL(t *testing.T) {
	srv := mariadbtest.Start(t)
	srv.CreateDatabase(t, "follow")
	cfg, err := mysql.ParseDSN(srv.DSN("follow"))
	if err != nil {
		t.Fatal(err)
	}
	p, err := OpenPool(context.Background(), PoolOptions{MySQL: cfg}, []string{"enwiki", "elwikivoyage"})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	testPoolRules(t, p)
	// Opening again finds the tables.
	p2, err := OpenPool(context.Background(), PoolOptions{MySQL: cfg}, []string{"enwiki"})
	if err != nil {
		t.Fatal(err)
	}
	p2.Close()
}

func testPoolRules(t *testing.T, p *Pool) {
	ctx := context.Background()
	for i, tc := range []struct {
		op   Op
		want string
		rows string // enwiki page:revision:data after the op
	}{
		{refresh("enwiki", "A", 1, 10, `{"a":10}`), Stored, "1:10:{\"a\":10}"},
		{refresh("enwiki", "A", 1, 12, `{"a":12}`), Stored, "1:12:{\"a\":12}"},
		{refresh("enwiki", "A", 1, 11, `{"a":11}`), Older, "1:12:{\"a\":12}"},
		{refresh("enwiki", "A", 1, 12, `{"a":"again"}`), Older, "1:12:{\"a\":12}"},
		{refresh("enwiki", "B", 2, 13, ""), Stored, "1:12:{\"a\":12} 2:13:NULL"},
		{Op{Action: Action{Kind: Refresh, Wiki: "enwiki", Title: "C", Rev: 14}, PageID: 3, Gone: true}, Gone, "1:12:{\"a\":12} 2:13:NULL"},
		{Op{Action: Action{Kind: Remove, Wiki: "enwiki", Title: "A"}}, Removed, "2:13:NULL"},
		{Op{Action: Action{Kind: Remove, Wiki: "enwiki", Title: "A"}}, Absent, "2:13:NULL"},
		{refresh("enwiki", "B", 4, 15, `{"b":15}`), Stored, "4:15:{\"b\":15}"}, // B is now page 4
		{Op{Action: Action{Kind: Remove, Wiki: "enwiki", PageID: 4}}, Removed, ""},
		{Op{Action: Action{Kind: Skip, Reason: ReasonBot}}, Skipped, ""},
	} {
		outs, err := p.Commit(ctx, "s", "pos"+string(rune('a'+i)), 1, []Op{tc.op})
		if err != nil {
			t.Fatalf("op %d: %v", i, err)
		}
		if outs[0] != tc.want {
			t.Errorf("op %d (%+v): %s, want %s", i, tc.op.Action, outs[0], tc.want)
		}
		rows, err := p.Rows(ctx, "enwiki")
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, r := range rows {
			d := "NULL"
			if r.Data != nil {
				d = string(r.Data)
			}
			got = append(got, strings.Join([]string{itoa(int(r.PageID)), itoa(int(r.Revision)), d}, ":"))
		}
		if g := strings.Join(got, " "); g != tc.rows {
			t.Errorf("op %d: rows %q, want %q", i, g, tc.rows)
		}
		// The text table holds the wikitext of exactly the revisions held.
		pages, err := datasets.ReadPoolPages(ctx, p.db, p.prefix, "enwiki")
		if err != nil {
			t.Fatal(err)
		}
		if len(pages) != len(rows) {
			t.Errorf("op %d: %d pages with text, %d rows", i, len(pages), len(rows))
		}
		for _, pg := range pages {
			if want := "text of revision " + itoa(int(pg.Revision)); !pg.HasText || pg.Wikitext != want {
				t.Errorf("op %d: page %d's text %q (%v), want %q", i, pg.PageID, pg.Wikitext, pg.HasText, want)
			}
		}
		var texts int
		if err := p.db.QueryRowContext(ctx, "SELECT COUNT(*) FROM "+p.textTable("enwiki")).Scan(&texts); err != nil || texts != len(rows) {
			t.Errorf("op %d: %d texts (%v), want %d", i, texts, err, len(rows))
		}
	}
	id, n, err := p.Position(ctx, "s")
	if err != nil || id != "posk" || n != 11 {
		t.Errorf("position %q %d %v, want posk 11", id, n, err)
	}
	if id, n, _ := p.Position(ctx, "other"); id != "" || n != 0 {
		t.Errorf("position of another stream %q %d", id, n)
	}
}

// A commit that fails part way leaves neither its rows nor its position.
func TestPoolCommitIsAtomic(t *testing.T) {
	ctx := context.Background()
	p, _ := openTestPool(t)
	if _, err := p.Commit(ctx, "s", "1", 1, []Op{refresh("enwiki", "A", 1, 10, `{}`)}); err != nil {
		t.Fatal(err)
	}
	_, err := p.Commit(ctx, "s", "3", 2, []Op{refresh("enwiki", "B", 2, 11, `{}`), refresh("dewiki", "C", 3, 12, `{}`)})
	if err == nil {
		t.Fatal("a commit with a wiki the pool has no table for succeeded")
	}
	rows, _ := p.Rows(ctx, "enwiki")
	if len(rows) != 1 || rows[0].PageID != 1 {
		t.Errorf("rows after a failed commit: %+v", rows)
	}
	if id, n, _ := p.Position(ctx, "s"); id != "1" || n != 1 {
		t.Errorf("position after a failed commit: %q %d", id, n)
	}
}

func TestPoolLatestAndPrefix(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "p.sqlite")
	p, err := OpenPool(ctx, PoolOptions{SQLitePath: path, Prefix: "x_"}, []string{"enwiki"})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	if p.Table("enwiki") != "x_enwiki" {
		t.Errorf("table %s", p.Table("enwiki"))
	}
	var ops []Op
	for i := int64(1); i <= 5; i++ {
		ops = append(ops, refresh("enwiki", "T"+itoa(int(i)), i, 100+i, `{}`))
	}
	if _, err := p.Commit(ctx, "s", "5", 5, ops); err != nil {
		t.Fatal(err)
	}
	latest, err := p.Latest(ctx, "enwiki", 2)
	if err != nil {
		t.Fatal(err)
	}
	var titles []string
	for _, r := range latest {
		titles = append(titles, r.Title)
	}
	if !slices.Equal(titles, []string{"T5", "T4"}) {
		t.Errorf("latest %v", titles)
	}
	if n, _ := p.Count(ctx, "enwiki"); n != 5 {
		t.Errorf("count %d", n)
	}
	if _, err := OpenPool(ctx, PoolOptions{SQLitePath: path, Prefix: "X-"}, nil); err == nil {
		t.Error("a prefix with upper case and a dash was accepted")
	}
}

// A pool holds the answers of one setting per wiki: another threshold is refused.
func TestPoolSettings(t *testing.T) {
	ctx := context.Background()
	p, _ := openTestPool(t)
	s := datasets.PoolSettings{Threshold: 0.6, MaxLinks: 10, Tokens: "default"}
	for range 2 {
		if err := datasets.SetPoolSettings(ctx, p.db, p.prefix, "enwiki", s); err != nil {
			t.Fatal(err)
		}
	}
	other := s
	other.Threshold = 0.5
	if err := datasets.SetPoolSettings(ctx, p.db, p.prefix, "enwiki", other); err == nil || !strings.Contains(err.Error(), "threshold 0.6") {
		t.Errorf("another threshold: %v", err)
	}
	if err := datasets.SetPoolSettings(ctx, p.db, p.prefix, "elwikivoyage", other); err != nil {
		t.Errorf("another wiki's settings: %v", err)
	}
}
