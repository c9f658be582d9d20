package review

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math"
	"net/url"
	"regexp"
	"strings"
	"time"

	"github.com/go-sql-driver/mysql"
	_ "modernc.org/sqlite" // the "sqlite" driver

	"github.com/addlink/addlink/internal/mysqlenv"
)

// StoreOptions says where items and judgments are kept.
type StoreOptions struct {
	// Kind is "sqlite" (the default: one file, Path) or "mysql" (MariaDB or MySQL,
	// MySQL).
	Kind  string
	Path  string
	MySQL *mysql.Config
	// Prefix starts every table name (default "review_"); Version ends it (_v<N>,
	// default 1), so that several labelling rounds live side by side in one database.
	Prefix  string
	Version int
}

// DefaultPrefix is the default table prefix.
const DefaultPrefix = "review_"

var prefixPattern = regexp.MustCompile(`^[a-z0-9_]{0,32}$`)

// Validate checks the options and fills the defaults.
func (o *StoreOptions) Validate() error {
	if o.Kind == "" {
		o.Kind = "sqlite"
	}
	if o.Version == 0 {
		o.Version = 1
	}
	switch o.Kind {
	case "sqlite":
		if o.Path == "" {
			return errors.New("review: the SQLite store needs a file")
		}
	case "mysql":
		if o.MySQL == nil {
			return errors.New("review: the MySQL store needs connection settings (DB_*)")
		}
	default:
		return fmt.Errorf("review: store %q: want sqlite or mysql", o.Kind)
	}
	if !prefixPattern.MatchString(o.Prefix) {
		return fmt.Errorf("review: table prefix %q: want at most 32 of a-z, 0-9 and _", o.Prefix)
	}
	if o.Version < 1 {
		return fmt.Errorf("review: version %d: want 1 or more", o.Version)
	}
	return nil
}

// Store keeps pages, items, judgments and leases in four tables of a SQL database.
// Its methods are safe for concurrent use; each write is one transaction.
type Store struct {
	db    *sql.DB
	mysql bool
	t     tables
}

// tables are the table names of a round.
type tables struct{ pages, items, judgments, leases, lock string }

func tableNames(prefix string, version int) tables {
	n := func(s string) string { return fmt.Sprintf("%s%s_v%d", prefix, s, version) }
	return tables{n("pages"), n("items"), n("judgments"), n("leases"), n("lock")}
}

// OpenStore opens (and creates when needed) the tables of a round. The caller closes
// the Store.
func OpenStore(ctx context.Context, o StoreOptions) (*Store, error) {
	if o.Prefix == "" {
		o.Prefix = DefaultPrefix
	}
	if err := o.Validate(); err != nil {
		return nil, err
	}
	s := &Store{t: tableNames(o.Prefix, o.Version)}
	var err error
	switch o.Kind {
	case "sqlite":
		// Transactions take the write lock when they begin (immediate), so that two
		// processes choosing the next item never both read before either writes;
		// busy_timeout makes the second wait.
		q := url.Values{"_txlock": {"immediate"}}
		q.Add("_pragma", "busy_timeout(10000)")
		q.Add("_pragma", "journal_mode(WAL)")
		q.Add("_pragma", "foreign_keys(ON)")
		s.db, err = sql.Open("sqlite", "file:"+o.Path+"?"+q.Encode())
		if err == nil {
			s.db.SetMaxOpenConns(1)
		}
	case "mysql":
		// The connection settings serve and load share (utf8mb4, binary collation).
		cfg := o.MySQL.Clone()
		cfg.Timeout = 5 * time.Second
		s.db, err = mysqlenv.Open(cfg)
		s.mysql = err == nil
	}
	if err != nil {
		return nil, fmt.Errorf("review: open store: %w", err)
	}
	if err := s.create(ctx); err != nil {
		s.db.Close()
		return nil, err
	}
	return s, nil
}

// Close closes the database.
func (s *Store) Close() error { return s.db.Close() }

// Tables returns the names of the round's tables (pages, items, judgments, leases,
// lock).
func (s *Store) Tables() []string {
	return []string{s.t.pages, s.t.items, s.t.judgments, s.t.leases, s.t.lock}
}

func (s *Store) create(ctx context.Context) error {
	id := "INTEGER PRIMARY KEY AUTOINCREMENT"
	text, key, long, suffix := "TEXT", "TEXT", "TEXT", ""
	if s.mysql {
		id = "BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY"
		text, key, long = "TEXT", "VARCHAR(255)", "MEDIUMTEXT"
		suffix = " ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin"
	}
	stmts := []string{
		`CREATE TABLE IF NOT EXISTS ` + s.t.pages + ` (
			wiki ` + key + ` NOT NULL, page_id BIGINT NOT NULL, title ` + key + ` NOT NULL,
			revision BIGINT NOT NULL, wikitext ` + long + ` NOT NULL,
			PRIMARY KEY (wiki, page_id))` + suffix,
		`CREATE TABLE IF NOT EXISTS ` + s.t.items + ` (
			id ` + id + `, wiki ` + key + ` NOT NULL, page_id BIGINT NOT NULL,
			page_title ` + key + ` NOT NULL, revision BIGINT NOT NULL, mention ` + key + ` NOT NULL,
			wikitext_offset BIGINT NOT NULL, target ` + key + ` NOT NULL, score DOUBLE NOT NULL,
			model_checksum ` + key + ` NOT NULL, context_before ` + text + ` NOT NULL,
			context_after ` + text + ` NOT NULL, section ` + text + ` NOT NULL, link_prob DOUBLE NULL,
			candidates BIGINT NOT NULL, target_links BIGINT NOT NULL, mention_links BIGINT NOT NULL,
			in_quote SMALLINT NOT NULL, dump_target ` + key + ` NOT NULL,
			UNIQUE (wiki, revision, target, wikitext_offset))` + suffix,
		`CREATE TABLE IF NOT EXISTS ` + s.t.judgments + ` (
			id ` + id + `, item_id BIGINT NOT NULL, reviewer ` + key + ` NOT NULL,
			label ` + key + ` NOT NULL, request_id ` + key + ` NOT NULL, undoes BIGINT NOT NULL,
			created_ms BIGINT NOT NULL, UNIQUE (request_id))` + suffix,
		`CREATE TABLE IF NOT EXISTS ` + s.t.leases + ` (
			item_id BIGINT NOT NULL, reviewer ` + key + ` NOT NULL, expires_ms BIGINT NOT NULL,
			PRIMARY KEY (item_id, reviewer))` + suffix,
		`CREATE TABLE IF NOT EXISTS ` + s.t.lock + ` (id BIGINT NOT NULL PRIMARY KEY)` + suffix,
		// A reviewer's latest row of an item, and a reviewer's rows and leases.
		`CREATE INDEX IF NOT EXISTS ` + s.t.judgments + `_item ON ` + s.t.judgments + ` (item_id, reviewer, id)`,
		`CREATE INDEX IF NOT EXISTS ` + s.t.judgments + `_reviewer ON ` + s.t.judgments + ` (reviewer, id)`,
		`CREATE INDEX IF NOT EXISTS ` + s.t.leases + `_reviewer ON ` + s.t.leases + ` (reviewer)`,
		`CREATE INDEX IF NOT EXISTS ` + s.t.items + `_score ON ` + s.t.items + ` (wiki, score)`,
	}
	for _, q := range stmts {
		if _, err := s.db.ExecContext(ctx, q); err != nil {
			return fmt.Errorf("review: create tables: %w", err)
		}
	}
	ins := "INSERT OR IGNORE INTO "
	if s.mysql {
		ins = "INSERT IGNORE INTO "
	}
	if _, err := s.db.ExecContext(ctx, ins+s.t.lock+" (id) VALUES (1)"); err != nil {
		return fmt.Errorf("review: create tables: %w", err)
	}
	return nil
}

// begin starts a write transaction that excludes every other writer of the round:
// SQLite's immediate transactions do by themselves; on MySQL the transaction locks the
// one row of the lock table.
func (s *Store) begin(ctx context.Context) (*sql.Tx, error) {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return nil, err
	}
	if s.mysql {
		var one int64
		if err := tx.QueryRowContext(ctx, "SELECT id FROM "+s.t.lock+" WHERE id = 1 FOR UPDATE").Scan(&one); err != nil {
			tx.Rollback()
			return nil, err
		}
	}
	return tx, nil
}

// Page is a page whose suggestions are items: its wikitext at the revision judged.
type Page struct {
	Wiki     string
	PageID   int64
	Title    string
	Revision int64
	Wikitext string
}

// AddPage stores a page and its items in one transaction; an item already there (the
// same wiki, revision, target and offset) is left as it is. It returns the number of
// items added.
func (s *Store) AddPage(ctx context.Context, p Page, items []Item) (int, error) {
	tx, err := s.begin(ctx)
	if err != nil {
		return 0, err
	}
	defer tx.Rollback()
	ins := "INSERT OR IGNORE INTO "
	if s.mysql {
		ins = "INSERT IGNORE INTO "
	}
	// A page imported again at a newer revision replaces the stored text.
	if _, err := tx.ExecContext(ctx, "DELETE FROM "+s.t.pages+" WHERE wiki = ? AND page_id = ?", p.Wiki, p.PageID); err != nil {
		return 0, err
	}
	if _, err := tx.ExecContext(ctx, "INSERT INTO "+s.t.pages+" (wiki, page_id, title, revision, wikitext) VALUES (?, ?, ?, ?, ?)",
		p.Wiki, p.PageID, p.Title, p.Revision, p.Wikitext); err != nil {
		return 0, err
	}
	added := 0
	for _, it := range items {
		res, err := tx.ExecContext(ctx, ins+s.t.items+` (wiki, page_id, page_title, revision, mention,
			wikitext_offset, target, score, model_checksum, context_before, context_after, section,
			link_prob, candidates, target_links, mention_links, in_quote, dump_target)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			it.Wiki, it.PageID, it.PageTitle, it.Revision, it.Mention, it.Offset, it.Target, it.Score,
			it.ModelChecksum, it.ContextBefore, it.ContextAfter, it.Section, nanToNull(it.LinkProb),
			it.Candidates, it.TargetLinks, it.MentionLinks, boolInt(it.InQuote), it.DumpTarget)
		if err != nil {
			return 0, err
		}
		if n, _ := res.RowsAffected(); n > 0 {
			added++
		}
	}
	return added, tx.Commit()
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

const itemColumns = `id, wiki, page_id, page_title, revision, mention, wikitext_offset, target, score,
	model_checksum, context_before, context_after, section, link_prob, candidates, target_links,
	mention_links, in_quote, dump_target`

type scanner interface{ Scan(...any) error }

func scanItem(r scanner) (Item, error) {
	var it Item
	var lp sql.NullFloat64
	var q int
	err := r.Scan(&it.ID, &it.Wiki, &it.PageID, &it.PageTitle, &it.Revision, &it.Mention, &it.Offset,
		&it.Target, &it.Score, &it.ModelChecksum, &it.ContextBefore, &it.ContextAfter, &it.Section,
		&lp, &it.Candidates, &it.TargetLinks, &it.MentionLinks, &q, &it.DumpTarget)
	it.LinkProb = math.NaN()
	if lp.Valid {
		it.LinkProb = lp.Float64
	}
	it.InQuote = q != 0
	return it, err
}

// Items returns the items of a wiki ("" for every wiki), by id.
func (s *Store) Items(ctx context.Context, wiki string) ([]Item, error) {
	q := "SELECT " + itemColumns + " FROM " + s.t.items
	var args []any
	if wiki != "" {
		q += " WHERE wiki = ?"
		args = append(args, wiki)
	}
	rows, err := s.db.QueryContext(ctx, q+" ORDER BY id", args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Item
	for rows.Next() {
		it, err := scanItem(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, it)
	}
	return out, rows.Err()
}

// PageText returns the stored wikitext and revision of a page.
func (s *Store) PageText(ctx context.Context, wiki string, pageID int64) (Page, error) {
	p := Page{Wiki: wiki, PageID: pageID}
	err := s.db.QueryRowContext(ctx, "SELECT title, revision, wikitext FROM "+s.t.pages+" WHERE wiki = ? AND page_id = ?", wiki, pageID).
		Scan(&p.Title, &p.Revision, &p.Wikitext)
	return p, err
}

// Judgments returns every judgment row of a wiki's items ("" for every wiki), by id.
func (s *Store) Judgments(ctx context.Context, wiki string) ([]Judgment, error) {
	q := "SELECT j.id, j.item_id, j.reviewer, j.label, j.request_id, j.undoes FROM " + s.t.judgments + " j"
	var args []any
	if wiki != "" {
		q += " JOIN " + s.t.items + " i ON i.id = j.item_id WHERE i.wiki = ?"
		args = append(args, wiki)
	}
	rows, err := s.db.QueryContext(ctx, q+" ORDER BY j.id", args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Judgment
	for rows.Next() {
		var j Judgment
		var l string
		if err := rows.Scan(&j.ID, &j.ItemID, &j.Reviewer, &l, &j.RequestID, &j.Undoes); err != nil {
			return nil, err
		}
		j.Label = Label(l)
		out = append(out, j)
	}
	return out, rows.Err()
}

// Wikis returns the wikis that have items, sorted.
func (s *Store) Wikis(ctx context.Context) ([]string, error) {
	rows, err := s.db.QueryContext(ctx, "SELECT DISTINCT wiki FROM "+s.t.items+" ORDER BY wiki")
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var w string
		if err := rows.Scan(&w); err != nil {
			return nil, err
		}
		out = append(out, w)
	}
	return out, rows.Err()
}

// Filter selects the items a reviewer is given.
type Filter struct {
	Wiki     string  // "" for every wiki
	MinScore float64 // scores in [MinScore, MaxScore]
	MaxScore float64
}

// NextOptions configures Store.Next.
type NextOptions struct {
	Reviewer string
	Filter
	// Judges is the number of reviewers who judge each item (default 1; 2 or more to
	// measure agreement).
	Judges int
	// Lease is how long an item given to a reviewer is kept from the others while
	// the reviewer has not judged it.
	Lease time.Duration
	// Now is the time the lease starts.
	Now time.Time
}

// Next gives the reviewer an item to judge and leases it: the item the reviewer
// already holds, or the first item (by id) in the filter that the reviewer has not
// judged and that fewer than Judges other reviewers have judged or hold. It returns
// nil when there is none. Choosing and leasing are one transaction that excludes every
// other writer, so two reviewers asking at once never get the same item unless Judges
// allows it.
func (s *Store) Next(ctx context.Context, o NextOptions) (*Item, error) {
	if o.Judges <= 0 {
		o.Judges = 1
	}
	if o.MaxScore == 0 {
		o.MaxScore = 1
	}
	now := o.Now.UnixMilli()
	tx, err := s.begin(ctx)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, "DELETE FROM "+s.t.leases+" WHERE expires_ms < ?", now); err != nil {
		return nil, err
	}
	// The item the reviewer holds, if it is still unjudged by them and in the filter.
	where := " AND i.score >= ? AND i.score <= ?"
	args := []any{o.MinScore, o.MaxScore}
	if o.Wiki != "" {
		where += " AND i.wiki = ?"
		args = append(args, o.Wiki)
	}
	// judged(i, r): r's latest row for i is not an undo.
	judgedBy := func(reviewerCond string) string {
		return `SELECT 1 FROM ` + s.t.judgments + ` j WHERE j.item_id = i.id AND ` + reviewerCond + `
			AND j.label <> 'undo' AND NOT EXISTS (SELECT 1 FROM ` + s.t.judgments + ` k
			WHERE k.item_id = j.item_id AND k.reviewer = j.reviewer AND k.id > j.id)`
	}
	q := "SELECT " + prefixed(itemColumns, "i.") + " FROM " + s.t.items + " i JOIN " + s.t.leases +
		" l ON l.item_id = i.id AND l.reviewer = ? WHERE NOT EXISTS (" + judgedBy("j.reviewer = ?") + ")" + where + " ORDER BY i.id LIMIT 1"
	it, err := scanItem(tx.QueryRowContext(ctx, q, append([]any{o.Reviewer, o.Reviewer}, args...)...))
	if errors.Is(err, sql.ErrNoRows) {
		// Others: reviewers other than this one who judged the item (their latest row
		// is not an undo), plus those who hold it without such a judgment. (Two sums
		// of correlated subqueries: MariaDB does not let a derived table see i.)
		inForce := func(alias string) string {
			return alias + `.label <> 'undo' AND NOT EXISTS (SELECT 1 FROM ` + s.t.judgments + ` k
				WHERE k.item_id = ` + alias + `.item_id AND k.reviewer = ` + alias + `.reviewer AND k.id > ` + alias + `.id)`
		}
		q = "SELECT " + prefixed(itemColumns, "i.") + " FROM " + s.t.items + " i WHERE NOT EXISTS (" + judgedBy("j.reviewer = ?") + ")" +
			where + ` AND (SELECT COUNT(*) FROM ` + s.t.judgments + ` j WHERE j.item_id = i.id AND j.reviewer <> ? AND ` + inForce("j") + `)
			+ (SELECT COUNT(*) FROM ` + s.t.leases + ` l WHERE l.item_id = i.id AND l.reviewer <> ? AND NOT EXISTS (
				SELECT 1 FROM ` + s.t.judgments + ` m WHERE m.item_id = l.item_id AND m.reviewer = l.reviewer AND ` + inForce("m") + `)) < ?
			ORDER BY i.id LIMIT 1`
		a := append([]any{o.Reviewer}, args...)
		a = append(a, o.Reviewer, o.Reviewer, o.Judges)
		it, err = scanItem(tx.QueryRowContext(ctx, q, a...))
	}
	if errors.Is(err, sql.ErrNoRows) {
		return nil, tx.Commit()
	}
	if err != nil {
		return nil, err
	}
	if err := s.lease(ctx, tx, it.ID, o.Reviewer, o.Now.Add(o.Lease).UnixMilli()); err != nil {
		return nil, err
	}
	return &it, tx.Commit()
}

// lease gives the item to the reviewer until expires, releasing the reviewer's other
// leases (a reviewer holds one item at a time).
func (s *Store) lease(ctx context.Context, tx *sql.Tx, item int64, reviewer string, expires int64) error {
	if _, err := tx.ExecContext(ctx, "DELETE FROM "+s.t.leases+" WHERE reviewer = ?", reviewer); err != nil {
		return err
	}
	_, err := tx.ExecContext(ctx, "INSERT INTO "+s.t.leases+" (item_id, reviewer, expires_ms) VALUES (?, ?, ?)", item, reviewer, expires)
	return err
}

func prefixed(cols, p string) string {
	f := strings.Split(cols, ",")
	for i := range f {
		f[i] = p + strings.TrimSpace(f[i])
	}
	return strings.Join(f, ", ")
}

// Judge records a judgment (accept, reject or skip) in one transaction and releases
// the reviewer's lease on the item. A judgment whose RequestID is already stored is
// not written again: Judge returns the stored row and dup true. It returns ErrNoItem
// when the item does not exist.
func (s *Store) Judge(ctx context.Context, j Judgment, now time.Time) (stored Judgment, dup bool, err error) {
	if _, err := ParseLabel(string(j.Label)); err != nil {
		return Judgment{}, false, err
	}
	if err := CheckReviewer(j.Reviewer); err != nil {
		return Judgment{}, false, err
	}
	if j.RequestID == "" {
		return Judgment{}, false, errors.New("review: a judgment needs a request id")
	}
	tx, err := s.begin(ctx)
	if err != nil {
		return Judgment{}, false, err
	}
	defer tx.Rollback()
	if old, err := s.byRequest(ctx, tx, j.RequestID); err == nil {
		return old, true, tx.Commit()
	} else if !errors.Is(err, sql.ErrNoRows) {
		return Judgment{}, false, err
	}
	var one int
	if err := tx.QueryRowContext(ctx, "SELECT 1 FROM "+s.t.items+" WHERE id = ?", j.ItemID).Scan(&one); errors.Is(err, sql.ErrNoRows) {
		return Judgment{}, false, ErrNoItem
	} else if err != nil {
		return Judgment{}, false, err
	}
	j.Undoes = 0
	if j.ID, err = s.insert(ctx, tx, j, now); err != nil {
		return Judgment{}, false, err
	}
	if _, err := tx.ExecContext(ctx, "DELETE FROM "+s.t.leases+" WHERE item_id = ? AND reviewer = ?", j.ItemID, j.Reviewer); err != nil {
		return Judgment{}, false, err
	}
	return j, false, tx.Commit()
}

func (s *Store) insert(ctx context.Context, tx *sql.Tx, j Judgment, now time.Time) (int64, error) {
	res, err := tx.ExecContext(ctx, "INSERT INTO "+s.t.judgments+" (item_id, reviewer, label, request_id, undoes, created_ms) VALUES (?, ?, ?, ?, ?, ?)",
		j.ItemID, j.Reviewer, string(j.Label), j.RequestID, j.Undoes, now.UnixMilli())
	if err != nil {
		return 0, err
	}
	return res.LastInsertId()
}

func (s *Store) byRequest(ctx context.Context, tx *sql.Tx, req string) (Judgment, error) {
	var j Judgment
	var l string
	err := tx.QueryRowContext(ctx, "SELECT id, item_id, reviewer, label, request_id, undoes FROM "+s.t.judgments+" WHERE request_id = ?", req).
		Scan(&j.ID, &j.ItemID, &j.Reviewer, &l, &j.RequestID, &j.Undoes)
	j.Label = Label(l)
	return j, err
}

// Undo takes back the reviewer's latest judgment that is still in force: it adds an
// undo row for its item (deleting nothing) and leases the item to the reviewer again,
// in one transaction. It returns the item and the undo row; ErrNothingToUndo when the
// reviewer has nothing in force. A RequestID already stored writes nothing and returns
// the stored row's item.
func (s *Store) Undo(ctx context.Context, reviewer, requestID string, lease time.Duration, now time.Time) (*Item, Judgment, error) {
	if err := CheckReviewer(reviewer); err != nil {
		return nil, Judgment{}, err
	}
	if requestID == "" {
		return nil, Judgment{}, errors.New("review: an undo needs a request id")
	}
	tx, err := s.begin(ctx)
	if err != nil {
		return nil, Judgment{}, err
	}
	defer tx.Rollback()
	u, err := s.byRequest(ctx, tx, requestID)
	switch {
	case err == nil:
	case errors.Is(err, sql.ErrNoRows):
		// The reviewer's latest row whose item has no later row of theirs.
		var target Judgment
		var l string
		err := tx.QueryRowContext(ctx, "SELECT j.id, j.item_id, j.label FROM "+s.t.judgments+` j WHERE j.reviewer = ? AND j.label <> 'undo'
			AND NOT EXISTS (SELECT 1 FROM `+s.t.judgments+` k WHERE k.item_id = j.item_id AND k.reviewer = j.reviewer AND k.id > j.id)
			ORDER BY j.id DESC LIMIT 1`, reviewer).Scan(&target.ID, &target.ItemID, &l)
		if errors.Is(err, sql.ErrNoRows) {
			return nil, Judgment{}, ErrNothingToUndo
		}
		if err != nil {
			return nil, Judgment{}, err
		}
		u = Judgment{ItemID: target.ItemID, Reviewer: reviewer, Label: Undo, RequestID: requestID, Undoes: target.ID}
		if u.ID, err = s.insert(ctx, tx, u, now); err != nil {
			return nil, Judgment{}, err
		}
		if err := s.lease(ctx, tx, u.ItemID, reviewer, now.Add(lease).UnixMilli()); err != nil {
			return nil, Judgment{}, err
		}
	default:
		return nil, Judgment{}, err
	}
	it, err := scanItem(tx.QueryRowContext(ctx, "SELECT "+itemColumns+" FROM "+s.t.items+" WHERE id = ?", u.ItemID))
	if err != nil {
		return nil, Judgment{}, err
	}
	return &it, u, tx.Commit()
}

// Progress counts the items in a filter: all of them, those judged (accepted,
// rejected or skipped) by anyone, and those judged by the reviewer.
type Progress struct {
	Items  int `json:"items"`
	Judged int `json:"judged"`
	Mine   int `json:"mine"`
}

// Progress returns the counts for a reviewer and filter.
func (s *Store) Progress(ctx context.Context, reviewer string, f Filter) (Progress, error) {
	if f.MaxScore == 0 {
		f.MaxScore = 1
	}
	where := " WHERE i.score >= ? AND i.score <= ?"
	args := []any{f.MinScore, f.MaxScore}
	if f.Wiki != "" {
		where += " AND i.wiki = ?"
		args = append(args, f.Wiki)
	}
	latest := ` j.label <> 'undo' AND NOT EXISTS (SELECT 1 FROM ` + s.t.judgments + ` k
		WHERE k.item_id = j.item_id AND k.reviewer = j.reviewer AND k.id > j.id)`
	var p Progress
	q := `SELECT COUNT(*),
		COALESCE(SUM(CASE WHEN EXISTS (SELECT 1 FROM ` + s.t.judgments + ` j WHERE j.item_id = i.id AND` + latest + `) THEN 1 ELSE 0 END), 0),
		COALESCE(SUM(CASE WHEN EXISTS (SELECT 1 FROM ` + s.t.judgments + ` j WHERE j.item_id = i.id AND j.reviewer = ? AND` + latest + `) THEN 1 ELSE 0 END), 0)
		FROM ` + s.t.items + " i" + where
	err := s.db.QueryRowContext(ctx, q, append([]any{reviewer}, args...)...).Scan(&p.Items, &p.Judged, &p.Mine)
	return p, err
}

// Ping checks that the database answers.
func (s *Store) Ping(ctx context.Context) error { return s.db.PingContext(ctx) }
