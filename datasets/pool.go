package datasets

import (
	"context"
	"database/sql"
	"fmt"
	"regexp"
)

// The recommendations pool: what `addlink follow` writes and `addlink serve` reads. Per
// wiki W, with a prefix P: P+W has GrowthExperiments' growthexperiments_link_recommendations
// columns (gelr_revision the primary key, gelr_page unique, gelr_data the service's JSON
// answer or NULL when it has no link); P+W+"_pages" the pages held (page_id, title,
// revision, event_ms, links); P+W+"_text" the wikitext of the revisions held, when the
// follower keeps it (revision, page_id, wikitext); P+"position" each stream's last event
// id.

// DefaultPoolPrefix is the pool tables' default prefix: GrowthExperiments' column prefix,
// so that enwiki's table is gelr_enwiki.
const DefaultPoolPrefix = "gelr_"

var poolPrefixRE = regexp.MustCompile(`^[a-z0-9_]*$`)

// CheckPoolPrefix reports whether a prefix can start a table name unquoted.
func CheckPoolPrefix(prefix string) error {
	if !poolPrefixRE.MatchString(prefix) {
		return fmt.Errorf("table prefix %q: want lower-case letters, digits and _", prefix)
	}
	return nil
}

// PoolTable is the name of a wiki's recommendations table.
func PoolTable(prefix, wiki string) string { return prefix + wiki }

// PoolPagesTable is the name of a wiki's pages table.
func PoolPagesTable(prefix, wiki string) string { return prefix + wiki + "_pages" }

// PoolTextTable is the name of a wiki's table of the pooled revisions' wikitext.
func PoolTextTable(prefix, wiki string) string { return prefix + wiki + "_text" }

// PoolPositionTable is the name of the stream positions' table.
func PoolPositionTable(prefix string) string { return prefix + "position" }

// PoolSettingsTable is the name of the table of the settings each wiki's answers were
// computed with (threshold, max_links, tokens).
func PoolSettingsTable(prefix string) string { return prefix + "settings" }

// PoolSchema returns the statements creating the pool's tables for wikis (valid wiki
// ids) when they are missing, in MySQL's dialect or SQLite's.
func PoolSchema(prefix string, wikis []string, mysql bool) []string {
	pos, set := PoolPositionTable(prefix), PoolSettingsTable(prefix)
	var out []string
	if mysql {
		out = append(out, "CREATE TABLE IF NOT EXISTS "+pos+
			" (stream VARBINARY(255) NOT NULL PRIMARY KEY, last_event_id MEDIUMBLOB NOT NULL, events BIGINT UNSIGNED NOT NULL)",
			"CREATE TABLE IF NOT EXISTS "+set+
				" (wiki VARBINARY(255) NOT NULL PRIMARY KEY, threshold DOUBLE NOT NULL, max_links INT NOT NULL, tokens VARBINARY(32) NOT NULL)")
	} else {
		out = append(out, "CREATE TABLE IF NOT EXISTS "+pos+
			" (stream TEXT NOT NULL PRIMARY KEY, last_event_id TEXT NOT NULL, events INTEGER NOT NULL)",
			"CREATE TABLE IF NOT EXISTS "+set+
				" (wiki TEXT NOT NULL PRIMARY KEY, threshold REAL NOT NULL, max_links INTEGER NOT NULL, tokens TEXT NOT NULL)")
	}
	for _, w := range wikis {
		t, pg, tx := PoolTable(prefix, w), PoolPagesTable(prefix, w), PoolTextTable(prefix, w)
		if mysql {
			out = append(out,
				"CREATE TABLE IF NOT EXISTS "+tx+" (revision BIGINT UNSIGNED NOT NULL PRIMARY KEY,"+
					" page_id BIGINT UNSIGNED NOT NULL, wikitext MEDIUMBLOB NOT NULL, UNIQUE KEY page_id (page_id))",
				"CREATE TABLE IF NOT EXISTS "+t+" (gelr_revision BIGINT UNSIGNED NOT NULL PRIMARY KEY,"+
					" gelr_page BIGINT UNSIGNED NOT NULL, gelr_data MEDIUMBLOB NULL, UNIQUE KEY gelr_page (gelr_page))",
				"CREATE TABLE IF NOT EXISTS "+pg+" (page_id BIGINT UNSIGNED NOT NULL PRIMARY KEY,"+
					" title VARBINARY(255) NOT NULL, revision BIGINT UNSIGNED NOT NULL, event_ms BIGINT NOT NULL,"+
					" links INT NOT NULL, UNIQUE KEY title (title), KEY event_ms (event_ms), KEY links (links))")
			continue
		}
		out = append(out,
			"CREATE TABLE IF NOT EXISTS "+tx+" (revision INTEGER NOT NULL PRIMARY KEY,"+
				" page_id INTEGER NOT NULL UNIQUE, wikitext BLOB NOT NULL)",
			"CREATE TABLE IF NOT EXISTS "+t+" (gelr_revision INTEGER NOT NULL PRIMARY KEY,"+
				" gelr_page INTEGER NOT NULL UNIQUE, gelr_data BLOB NULL)",
			"CREATE TABLE IF NOT EXISTS "+pg+" (page_id INTEGER NOT NULL PRIMARY KEY,"+
				" title TEXT NOT NULL UNIQUE, revision INTEGER NOT NULL, event_ms INTEGER NOT NULL, links INTEGER NOT NULL)",
			"CREATE INDEX IF NOT EXISTS "+pg+"_event_ms ON "+pg+" (event_ms)",
			"CREATE INDEX IF NOT EXISTS "+pg+"_links ON "+pg+" (links)")
	}
	return out
}

// PoolTask is a pooled page with recommendations.
type PoolTask struct {
	PageID   int64
	Revision int64
	Title    string
	Links    int
	EventMS  int64 // the time of the event that refreshed it (Unix ms)
}

// ReadPoolTasks returns a wiki's pooled pages that have links, best first (most links,
// then most recently refreshed, then page id), limit of them after skipping offset.
func ReadPoolTasks(ctx context.Context, db *sql.DB, prefix, wiki string, limit, offset int) ([]PoolTask, error) {
	if err := CheckWikiID(wiki); err != nil {
		return nil, err
	}
	if err := CheckPoolPrefix(prefix); err != nil {
		return nil, err
	}
	rows, err := db.QueryContext(ctx, "SELECT pg.page_id, pg.revision, pg.title, pg.links, pg.event_ms FROM "+
		PoolPagesTable(prefix, wiki)+" pg JOIN "+PoolTable(prefix, wiki)+" g ON g.gelr_revision = pg.revision"+
		" WHERE pg.links > 0 ORDER BY pg.links DESC, pg.event_ms DESC, pg.page_id LIMIT ? OFFSET ?", limit, offset)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []PoolTask{}
	for rows.Next() {
		var t PoolTask
		if err := rows.Scan(&t.PageID, &t.Revision, &t.Title, &t.Links, &t.EventMS); err != nil {
			return nil, err
		}
		out = append(out, t)
	}
	return out, rows.Err()
}

// PoolPage is a pooled page with its answer and, when the follower kept it, the
// wikitext of the revision the answer is for.
type PoolPage struct {
	PageID   int64
	Revision int64
	Title    string
	Links    int
	EventMS  int64
	Data     []byte // the service's JSON answer; nil when it has no link
	Wikitext string
	HasText  bool // the pool holds the revision's wikitext
}

// ReadPoolPages returns every pooled page of a wiki, in page id order.
func ReadPoolPages(ctx context.Context, db *sql.DB, prefix, wiki string) ([]PoolPage, error) {
	if err := CheckWikiID(wiki); err != nil {
		return nil, err
	}
	if err := CheckPoolPrefix(prefix); err != nil {
		return nil, err
	}
	rows, err := db.QueryContext(ctx, "SELECT pg.page_id, pg.revision, pg.title, pg.links, pg.event_ms, g.gelr_data, tx.wikitext FROM "+
		PoolPagesTable(prefix, wiki)+" pg JOIN "+PoolTable(prefix, wiki)+" g ON g.gelr_revision = pg.revision LEFT JOIN "+
		PoolTextTable(prefix, wiki)+" tx ON tx.revision = pg.revision ORDER BY pg.page_id")
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []PoolPage
	for rows.Next() {
		var p PoolPage
		var data, text []byte
		if err := rows.Scan(&p.PageID, &p.Revision, &p.Title, &p.Links, &p.EventMS, &data, &text); err != nil {
			return nil, err
		}
		if data != nil {
			p.Data = append([]byte{}, data...)
		}
		p.Wikitext, p.HasText = string(text), text != nil
		out = append(out, p)
	}
	return out, rows.Err()
}

// PoolSettings are the request parameters a wiki's pooled answers were computed with.
type PoolSettings struct {
	Threshold float64
	MaxLinks  int
	Tokens    string // "default" or "reference" (the reference's tokenisation)
}

// SetPoolSettings records the settings of a wiki's answers, or checks them against
// those recorded: answers computed with other settings are not mixed in one table.
func SetPoolSettings(ctx context.Context, db *sql.DB, prefix, wiki string, s PoolSettings) error {
	var old PoolSettings
	err := db.QueryRowContext(ctx, "SELECT threshold, max_links, tokens FROM "+PoolSettingsTable(prefix)+" WHERE wiki = ?", wiki).
		Scan(&old.Threshold, &old.MaxLinks, &old.Tokens)
	switch {
	case err == sql.ErrNoRows:
		_, err = db.ExecContext(ctx, "INSERT INTO "+PoolSettingsTable(prefix)+" (wiki, threshold, max_links, tokens) VALUES (?, ?, ?, ?)",
			wiki, s.Threshold, s.MaxLinks, s.Tokens)
		return err
	case err != nil:
		return err
	case old != s:
		return fmt.Errorf("the pool's answers for %s were computed with threshold %g, at most %d links, %s tokens; not %g, %d, %s (use another table prefix)",
			wiki, old.Threshold, old.MaxLinks, old.Tokens, s.Threshold, s.MaxLinks, s.Tokens)
	}
	return nil
}

// ReadPoolAnswer returns the pooled answer of a wiki for a revision and the settings
// it was computed with; found is false when the pool has no row for the revision, and
// data is nil for a row without links (NULL).
func ReadPoolAnswer(ctx context.Context, db *sql.DB, prefix, wiki string, rev int64) (data []byte, s PoolSettings, found bool, err error) {
	if err := CheckWikiID(wiki); err != nil {
		return nil, s, false, err
	}
	if err := CheckPoolPrefix(prefix); err != nil {
		return nil, s, false, err
	}
	err = db.QueryRowContext(ctx, "SELECT g.gelr_data, st.threshold, st.max_links, st.tokens FROM "+PoolTable(prefix, wiki)+
		" g JOIN "+PoolSettingsTable(prefix)+" st ON st.wiki = ? WHERE g.gelr_revision = ?", wiki, rev).
		Scan(&data, &s.Threshold, &s.MaxLinks, &s.Tokens)
	if err == sql.ErrNoRows {
		return nil, s, false, nil
	}
	if err != nil {
		return nil, s, false, err
	}
	return data, s, true, nil
}
