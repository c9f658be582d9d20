package service

import (
	"database/sql"
	"fmt"
	"net/http"
	"path/filepath"
	"strings"
	"testing"

	"github.com/addlink/addlink/datasets"
)

// testPool returns an SQLite recommendations pool with elwikivoyage's tables (as
// `addlink follow` writes them): pages 1..7, page p having p%4 links (0: NULL data),
// refreshed at time 1000*p.
func testPool(t testing.TB) *sql.DB {
	path := filepath.Join(t.TempDir(), "pool.sqlite")
	db, err := sql.Open("sqlite", "file:"+path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	for _, stmt := range datasets.PoolSchema(datasets.DefaultPoolPrefix, []string{"elwikivoyage"}, false) {
		if _, err := db.Exec(stmt); err != nil {
			t.Fatal(err)
		}
	}
	for p := 1; p <= 7; p++ {
		var data any
		if p%4 > 0 {
			data = fmt.Sprintf(`{"links_count":%d}`, p%4)
		}
		if _, err := db.Exec("INSERT INTO gelr_elwikivoyage (gelr_revision, gelr_page, gelr_data) VALUES (?, ?, ?)", 100+p, p, data); err != nil {
			t.Fatal(err)
		}
		if _, err := db.Exec("INSERT INTO gelr_elwikivoyage_pages (page_id, title, revision, event_ms, links) VALUES (?, ?, ?, ?, ?)",
			p, fmt.Sprintf("Σελίδα %d", p), 100+p, 1000*p, p%4); err != nil {
			t.Fatal(err)
		}
	}
	return db
}

func TestTasksRoute(t *testing.T) {
	_, ts := newTestServer(t, Options{Pool: testPool(t)})
	_, bare := newTestServer(t, Options{})
	base := ts.URL + "/v1/linkrecommendations/tasks/"
	for _, tc := range []struct {
		name, url string
		status    int
		body      string
	}{
		{"best first", base + "wikivoyage/el", 200,
			`{"next_offset":null,"tasks":[{"links_count":3,"page_title":"Σελίδα 7","pageid":7,"revid":107},` +
				`{"links_count":3,"page_title":"Σελίδα 3","pageid":3,"revid":103},{"links_count":2,"page_title":"Σελίδα 6","pageid":6,"revid":106},` +
				`{"links_count":2,"page_title":"Σελίδα 2","pageid":2,"revid":102},{"links_count":1,"page_title":"Σελίδα 5","pageid":5,"revid":105},` +
				`{"links_count":1,"page_title":"Σελίδα 1","pageid":1,"revid":101}],"wiki":"elwikivoyage"}` + "\n"},
		{"first page", base + "wikivoyage/el?limit=2", 200,
			`{"next_offset":2,"tasks":[{"links_count":3,"page_title":"Σελίδα 7","pageid":7,"revid":107},{"links_count":3,"page_title":"Σελίδα 3","pageid":3,"revid":103}],"wiki":"elwikivoyage"}` + "\n"},
		{"last page", base + "wikivoyage/el?limit=2&offset=4", 200,
			`{"next_offset":null,"tasks":[{"links_count":1,"page_title":"Σελίδα 5","pageid":5,"revid":105},{"links_count":1,"page_title":"Σελίδα 1","pageid":1,"revid":101}],"wiki":"elwikivoyage"}` + "\n"},
		{"past the end", base + "wikivoyage/el?offset=10", 200, `{"next_offset":null,"tasks":[],"wiki":"elwikivoyage"}` + "\n"},
		{"no table for the wiki", base + "wikipedia/en", 404, `{"message":"the pool has no table for enwiki"}` + "\n"},
		{"bad limit", base + "wikivoyage/el?limit=0", 400, `{"message":"limit must be an integer between 1 and 500, got \"0\""}` + "\n"},
		{"bad offset", base + "wikivoyage/el?offset=-1", 400, ""},
		{"no pool", bare.URL + "/v1/linkrecommendations/tasks/wikivoyage/el", 404, `{"message":"no recommendations pool is configured (addlink serve --pool)"}` + "\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a := do(t, http.MethodGet, tc.url, nil)
			if a.status != tc.status {
				t.Fatalf("status %d, want %d: %s", a.status, tc.status, a.body)
			}
			if tc.body != "" && string(a.body) != tc.body {
				t.Errorf("body\n%s\nwant\n%s", a.body, tc.body)
			}
		})
	}
	// The route does not take the recommendation route's pages: a page titled "tasks".
	a := do(t, http.MethodPost, ts.URL+"/v1/linkrecommendations/wikivoyage/el/tasks", map[string]any{"wikitext": "Αθήνα", "revid": 1, "pageid": 2})
	if a.status != 200 || !strings.Contains(string(a.body), `"page_title":"Tasks"`) {
		t.Errorf("POST of a page titled tasks: %d %s", a.status, a.body)
	}
}
