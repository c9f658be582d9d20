package follow

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/go-sql-driver/mysql"
	_ "modernc.org/sqlite" // pure-Go SQLite driver "sqlite"

	"github.com/addlink/addlink/datasets"
	"github.com/addlink/addlink/internal/mysqlenv"
)

// PoolOptions says where the pool is.
type PoolOptions struct {
	// SQLitePath is the SQLite database file (created when missing); MySQL, when set,
	// is used instead.
	SQLitePath string
	MySQL      *mysql.Config
	// Prefix starts every table's name (default DefaultPrefix): the recommendations of a
	// wiki W are in <prefix>W, the pages it tracks in <prefix>W_pages, the stream
	// positions in <prefix>position.
	Prefix string
}

// DefaultPrefix is the tables' default prefix (datasets.DefaultPoolPrefix): so that
// enwiki's table is gelr_enwiki.
const DefaultPrefix = datasets.DefaultPoolPrefix

// Validate checks the options.
func (o *PoolOptions) Validate() error {
	if o.SQLitePath == "" && o.MySQL == nil {
		return errors.New("follow: no pool (an SQLite path or a MySQL configuration)")
	}
	if o.Prefix == "" {
		o.Prefix = DefaultPrefix
	}
	if err := datasets.CheckPoolPrefix(o.Prefix); err != nil {
		return fmt.Errorf("follow: %w", err)
	}
	return nil
}

// Pool is where the recommendations go: per wiki, a table with GrowthExperiments'
// growthexperiments_link_recommendations columns (gelr_revision the primary key,
// gelr_page, gelr_data the service's JSON answer or NULL when it has no link) holding
// one row per page at the latest revision seen, and a table of those pages' titles
// (to find the page a deletion names); and the position of each stream, written in
// the same transaction as the rows it produced.
type Pool struct {
	db     *sql.DB
	mysql  bool
	prefix string
	wikis  map[string]bool
}

// OpenPool opens the pool and creates the tables of wikis that are missing.
func OpenPool(ctx context.Context, o PoolOptions, wikis []string) (*Pool, error) {
	if err := o.Validate(); err != nil {
		return nil, err
	}
	p := &Pool{prefix: o.Prefix, wikis: map[string]bool{}}
	if o.MySQL != nil {
		db, err := mysqlenv.Open(o.MySQL)
		if err != nil {
			return nil, err
		}
		p.db, p.mysql = db, true
	} else {
		// WAL: a committed transaction survives the process being killed at any
		// moment (it is in the log file, which the next open replays); synchronous
		// NORMAL gives up only durability across a power loss.
		db, err := sql.Open("sqlite", "file:"+o.SQLitePath+
			"?_pragma=journal_mode(WAL)&_pragma=synchronous(NORMAL)&_pragma=busy_timeout(10000)")
		if err != nil {
			return nil, err
		}
		db.SetMaxOpenConns(1)
		p.db = db
	}
	if err := p.db.PingContext(ctx); err != nil {
		p.db.Close()
		return nil, fmt.Errorf("follow: pool: %w", err)
	}
	for _, w := range wikis {
		if err := datasets.CheckWikiID(w); err != nil {
			p.db.Close()
			return nil, err
		}
		p.wikis[w] = true
	}
	for _, s := range datasets.PoolSchema(p.prefix, wikis, p.mysql) {
		if _, err := p.db.ExecContext(ctx, s); err != nil {
			p.db.Close()
			return nil, fmt.Errorf("follow: pool: %s: %w", firstLine(s), err)
		}
	}
	return p, nil
}

func firstLine(s string) string {
	if i := strings.IndexByte(s, '('); i >= 0 {
		return strings.TrimSpace(s[:i])
	}
	return s
}

// Table is the name of a wiki's recommendations table.
func (p *Pool) Table(wiki string) string { return datasets.PoolTable(p.prefix, wiki) }

func (p *Pool) pagesTable(wiki string) string { return datasets.PoolPagesTable(p.prefix, wiki) }
func (p *Pool) textTable(wiki string) string  { return datasets.PoolTextTable(p.prefix, wiki) }
func (p *Pool) positionTable() string         { return datasets.PoolPositionTable(p.prefix) }

// Close closes the database.
func (p *Pool) Close() error { return p.db.Close() }

// Position returns the last event id stored for stream and the number of events
// processed, "" and 0 when none.
func (p *Pool) Position(ctx context.Context, stream string) (id string, events int64, err error) {
	err = p.db.QueryRowContext(ctx, "SELECT last_event_id, events FROM "+p.positionTable()+" WHERE stream = ?", stream).Scan(&id, &events)
	if errors.Is(err, sql.ErrNoRows) {
		return "", 0, nil
	}
	return id, events, err
}

// Op is one change to the pool, the outcome of an event's Action.
type Op struct {
	Action Action
	// For a Refresh: the page's id (from MediaWiki when the event had none), the
	// service's JSON answer (nil: no link, stored as NULL) and its number of links. Gone
	// means MediaWiki no longer has the revision: nothing is stored.
	PageID int64
	Data   []byte
	Links  int
	Gone   bool
	// Wikitext, when not nil, is the revision's wikitext, kept in the wiki's text
	// table beside the answer (Options.KeepText).
	Wikitext *string
}

// Outcomes of an Op, as Commit reports them.
const (
	Stored  = "stored"  // the page's row now holds this revision
	Older   = "older"   // the pool already holds this revision or a newer one: unchanged
	Removed = "removed" // the page's row was deleted
	Absent  = "absent"  // a removal of a page the pool does not hold
	Gone    = "gone"    // MediaWiki no longer has the revision
	Skipped = "skipped" // the event asked for nothing
)

// Commit applies ops in order and stores pos as stream's position, with the number
// of events it covers added to the count, in one transaction: either all of it is in
// the pool or none. It returns each op's outcome.
func (p *Pool) Commit(ctx context.Context, stream, pos string, events int, ops []Op) ([]string, error) {
	tx, err := p.db.BeginTx(ctx, nil)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	out := make([]string, len(ops))
	for i, op := range ops {
		if out[i], err = p.apply(ctx, tx, op); err != nil {
			return nil, fmt.Errorf("follow: pool: %s %s: %w", op.Action.Wiki, op.Action.Title, err)
		}
	}
	var n int64
	err = tx.QueryRowContext(ctx, "SELECT events FROM "+p.positionTable()+" WHERE stream = ?", stream).Scan(&n)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return nil, err
	}
	if _, err := tx.ExecContext(ctx, "REPLACE INTO "+p.positionTable()+" (stream, last_event_id, events) VALUES (?, ?, ?)",
		stream, pos, n+int64(events)); err != nil {
		return nil, err
	}
	if err := tx.Commit(); err != nil {
		return nil, err
	}
	return out, nil
}

func (p *Pool) apply(ctx context.Context, tx *sql.Tx, op Op) (string, error) {
	a := op.Action
	if a.Kind == Skip {
		return Skipped, nil
	}
	if !p.wikis[a.Wiki] {
		return "", fmt.Errorf("no table for wiki %s", a.Wiki)
	}
	t, pg, tt := p.Table(a.Wiki), p.pagesTable(a.Wiki), p.textTable(a.Wiki)
	switch a.Kind {
	case Remove:
		id := a.PageID
		if id == 0 {
			err := tx.QueryRowContext(ctx, "SELECT page_id FROM "+pg+" WHERE title = ?", a.Title).Scan(&id)
			if errors.Is(err, sql.ErrNoRows) {
				return Absent, nil
			}
			if err != nil {
				return "", err
			}
		}
		res, err := tx.ExecContext(ctx, "DELETE FROM "+pg+" WHERE page_id = ?", id)
		if err != nil {
			return "", err
		}
		if _, err := tx.ExecContext(ctx, "DELETE FROM "+t+" WHERE gelr_page = ?", id); err != nil {
			return "", err
		}
		if _, err := tx.ExecContext(ctx, "DELETE FROM "+tt+" WHERE page_id = ?", id); err != nil {
			return "", err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return Absent, nil
		}
		return Removed, nil
	case Refresh:
		if op.Gone {
			return Gone, nil
		}
		var rev int64
		err := tx.QueryRowContext(ctx, "SELECT revision FROM "+pg+" WHERE page_id = ?", op.PageID).Scan(&rev)
		switch {
		case err == nil && rev >= a.Rev:
			return Older, nil
		case err != nil && !errors.Is(err, sql.ErrNoRows):
			return "", err
		}
		// A title names one page at a time: a page that held it before (deleted or
		// moved away without an event we saw) leaves the pool.
		var other int64
		err = tx.QueryRowContext(ctx, "SELECT page_id FROM "+pg+" WHERE title = ? AND page_id <> ?", a.Title, op.PageID).Scan(&other)
		if err == nil {
			if _, err := tx.ExecContext(ctx, "DELETE FROM "+pg+" WHERE page_id = ?", other); err != nil {
				return "", err
			}
			if _, err := tx.ExecContext(ctx, "DELETE FROM "+t+" WHERE gelr_page = ?", other); err != nil {
				return "", err
			}
			if _, err := tx.ExecContext(ctx, "DELETE FROM "+tt+" WHERE page_id = ?", other); err != nil {
				return "", err
			}
		} else if !errors.Is(err, sql.ErrNoRows) {
			return "", err
		}
		if _, err := tx.ExecContext(ctx, "DELETE FROM "+t+" WHERE gelr_page = ? OR gelr_revision = ?", op.PageID, a.Rev); err != nil {
			return "", err
		}
		var data any
		if op.Data != nil {
			data = op.Data
		}
		if _, err := tx.ExecContext(ctx, "INSERT INTO "+t+" (gelr_revision, gelr_page, gelr_data) VALUES (?, ?, ?)", a.Rev, op.PageID, data); err != nil {
			return "", err
		}
		if _, err := tx.ExecContext(ctx, "DELETE FROM "+tt+" WHERE page_id = ? OR revision = ?", op.PageID, a.Rev); err != nil {
			return "", err
		}
		if op.Wikitext != nil {
			if _, err := tx.ExecContext(ctx, "INSERT INTO "+tt+" (revision, page_id, wikitext) VALUES (?, ?, ?)", a.Rev, op.PageID, []byte(*op.Wikitext)); err != nil {
				return "", err
			}
		}
		if _, err := tx.ExecContext(ctx, "REPLACE INTO "+pg+" (page_id, title, revision, event_ms, links) VALUES (?, ?, ?, ?, ?)",
			op.PageID, a.Title, a.Rev, a.Time, op.Links); err != nil {
			return "", err
		}
		return Stored, nil
	}
	return "", fmt.Errorf("unknown action %v", a.Kind)
}

// Row is one page of the pool.
type Row struct {
	Wiki     string
	PageID   int64
	Revision int64
	Title    string
	EventMS  int64
	Links    int
	Data     []byte // nil: NULL
}

// Rows returns a wiki's rows ordered by page id.
func (p *Pool) Rows(ctx context.Context, wiki string) ([]Row, error) {
	return p.rows(ctx, wiki, "ORDER BY g.gelr_page", nil)
}

// Latest returns the n pages of wiki refreshed by the latest events.
func (p *Pool) Latest(ctx context.Context, wiki string, n int) ([]Row, error) {
	return p.rows(ctx, wiki, "ORDER BY pg.event_ms DESC, g.gelr_page DESC LIMIT ?", []any{n})
}

func (p *Pool) rows(ctx context.Context, wiki, tail string, args []any) ([]Row, error) {
	if !p.wikis[wiki] {
		return nil, fmt.Errorf("follow: no table for wiki %s", wiki)
	}
	q := "SELECT g.gelr_page, g.gelr_revision, g.gelr_data, pg.title, pg.event_ms, pg.links FROM " + p.Table(wiki) +
		" g JOIN " + p.pagesTable(wiki) + " pg ON pg.page_id = g.gelr_page " + tail
	rs, err := p.db.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	defer rs.Close()
	var out []Row
	for rs.Next() {
		r := Row{Wiki: wiki}
		var data []byte
		if err := rs.Scan(&r.PageID, &r.Revision, &data, &r.Title, &r.EventMS, &r.Links); err != nil {
			return nil, err
		}
		if data != nil {
			r.Data = append([]byte{}, data...)
		}
		out = append(out, r)
	}
	return out, rs.Err()
}

// Count returns the number of rows of a wiki's table.
func (p *Pool) Count(ctx context.Context, wiki string) (int64, error) {
	var n int64
	err := p.db.QueryRowContext(ctx, "SELECT COUNT(*) FROM "+p.Table(wiki)).Scan(&n)
	return n, err
}

// Dump writes every row of the given wikis, one per line (wiki, page, revision, title,
// links, data or NULL), in page order: two pools with the same rows dump the same.
func (p *Pool) Dump(ctx context.Context, w io.Writer, wikis []string) error {
	for _, wiki := range wikis {
		rows, err := p.Rows(ctx, wiki)
		if err != nil {
			return err
		}
		for _, r := range rows {
			data := "NULL"
			if r.Data != nil {
				data = string(r.Data)
			}
			if _, err := fmt.Fprintf(w, "%s\t%d\t%d\t%s\t%s\t%d\t%s\n", wiki, r.PageID, r.Revision,
				strconv.Quote(r.Title), strconv.FormatInt(r.EventMS, 10), r.Links, data); err != nil {
				return err
			}
		}
	}
	return nil
}
