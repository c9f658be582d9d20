package loader

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strconv"
	"strings"
	"sync/atomic"

	"github.com/go-sql-driver/mysql"

	"github.com/addlink/addlink/datasets"
	"github.com/addlink/addlink/internal/mysqlenv"
	"github.com/addlink/addlink/internal/progress"
)

// Suffixes of the tables a load fills before swapping them in (lr_<wiki>_<name>__new)
// and of the tables swapped out (…__old), dropped right after the swap. Tables with
// these suffixes left by a killed loader are dropped by the next one.
const (
	newSuffix = "__new"
	oldSuffix = "__old"
)

// lockName is the MySQL user lock that keeps two loaders of one database apart.
func lockName(db string) string { return "addlink-load:" + db }

// DSNFromEnv builds a go-sql-driver/mysql data source name from the service's
// variables (DB_USER, DB_PASSWORD, DB_HOST, DB_PORT default 3306, DB_DATABASE,
// DB_READ_DEFAULT_FILE: a my.cnf whose [client] section supplies what they leave
// unset), with the rules `addlink serve` follows too (internal/mysqlenv). getenv is
// os.LookupEnv in the CLI. It returns "" (no database: Options.Validate says what to
// set) when neither DB_DATABASE nor DB_READ_DEFAULT_FILE is set.
func DSNFromEnv(getenv func(string) (string, bool)) (string, error) {
	cfg, err := mysqlenv.Config(getenv)
	if err != nil {
		return "", err
	}
	_, db := getenv("DB_DATABASE")
	if file, _ := getenv("DB_READ_DEFAULT_FILE"); !db && file == "" {
		return "", nil
	}
	return cfg.FormatDSN(), nil
}

// openDB opens the database as the service does (mysqlenv.Open: utf8mb4, one
// statement per query); the loader sends values as they are and sets no client-side
// limit on LOAD DATA readers.
func openDB(dsn string, log *slog.Logger) (*sql.DB, error) {
	cfg, err := mysql.ParseDSN(dsn)
	if err != nil {
		return nil, fmt.Errorf("database address: %w", err)
	}
	cfg.Logger = mysqlenv.DriverLogger(log) // the driver's messages in the load's log format
	return mysqlenv.Open(cfg)
}

// session is the one connection a load works on (the user lock belongs to it).
type session struct {
	db     *sql.DB
	conn   *sql.Conn
	dbName string
	packet int // max_allowed_packet
	infile bool
}

// connect opens a connection, sets the session up and takes the lock (waiting up to
// wait; lock false for a dry run).
func connect(ctx context.Context, db *sql.DB, o *Options, lock bool) (*session, error) {
	conn, err := db.Conn(ctx)
	if err != nil {
		return nil, fmt.Errorf("connecting to MySQL: %w", err)
	}
	s := &session{db: db, conn: conn}
	var dbName sql.NullString
	var infile int
	if err := conn.QueryRowContext(ctx, "SELECT DATABASE(), @@max_allowed_packet, @@local_infile").Scan(&dbName, &s.packet, &infile); err != nil {
		conn.Close()
		return nil, fmt.Errorf("connecting to MySQL: %w", err)
	}
	if !dbName.Valid {
		conn.Close()
		return nil, errors.New("no database selected: set DB_DATABASE")
	}
	s.dbName, s.infile = dbName.String, infile == 1
	if err := setSession(ctx, conn); err != nil {
		conn.Close()
		return nil, err
	}
	if lock {
		var got sql.NullInt64
		if err := conn.QueryRowContext(ctx, "SELECT GET_LOCK(?, ?)", lockName(s.dbName), int(o.LockWait.Seconds())).Scan(&got); err != nil {
			conn.Close()
			return nil, fmt.Errorf("taking the loader lock: %w", err)
		}
		if got.Int64 != 1 {
			conn.Close()
			return nil, fmt.Errorf("%w (lock %q on database %s held for more than %s)", ErrLocked, lockName(s.dbName), s.dbName, o.LockWait)
		}
	}
	return s, nil
}

// setSession sets a connection up: backslash escapes are how values are sent, and
// strict mode makes a bad row an error.
func setSession(ctx context.Context, conn *sql.Conn) error {
	_, err := conn.ExecContext(ctx, "SET SESSION sql_mode = 'STRICT_ALL_TABLES,NO_ENGINE_SUBSTITUTION'")
	return err
}

// fork returns a session on a second connection of the same database (no lock of its
// own), for an import beside the main one. The caller closes its conn.
func (s *session) fork(ctx context.Context) (*session, error) {
	conn, err := s.db.Conn(ctx)
	if err != nil {
		return nil, err
	}
	if err := setSession(ctx, conn); err != nil {
		conn.Close()
		return nil, err
	}
	return &session{db: s.db, conn: conn, dbName: s.dbName, packet: s.packet, infile: s.infile}, nil
}

// ErrLocked is returned when another loader holds the database.
var ErrLocked = errors.New("loader: another loader is loading this database")

func (s *session) close() error {
	// Closing the connection releases the lock too; RELEASE_LOCK first makes it
	// immediate when the connection goes back to the pool.
	s.conn.ExecContext(context.Background(), "DO RELEASE_LOCK(?)", lockName(s.dbName))
	return s.conn.Close()
}

// alive reports whether the session's connection still answers.
func (s *session) alive(ctx context.Context) bool {
	return s.conn.PingContext(ctx) == nil
}

func quoteID(name string) string { return "`" + strings.ReplaceAll(name, "`", "``") + "`" }

// createTable creates table (the reference's schema) unless it exists.
func (s *session) createTable(ctx context.Context, table string) error {
	_, err := s.conn.ExecContext(ctx, datasets.CreateTableSQL(table))
	if err != nil {
		return fmt.Errorf("creating %s: %w", table, err)
	}
	return nil
}

// createStaging creates a staging table: the reference's schema without the lookup
// index, which addIndex builds once the rows are in (one sort instead of a B-tree
// insert per row: 19-27 s against 26-43 s for the 1,000,000 anchors of bench/load.sh).
func (s *session) createStaging(ctx context.Context, table string) error {
	q := datasets.CreateTableSQL(table)
	noIndex := strings.Replace(q, ",  "+datasets.LookupIndexSQL, "", 1)
	if noIndex == q {
		return fmt.Errorf("creating %s: no lookup index in %q", table, q)
	}
	_, err := s.conn.ExecContext(ctx, noIndex)
	if err != nil {
		return fmt.Errorf("creating %s: %w", table, err)
	}
	return nil
}

// addIndex adds the lookup index to a staging table.
func (s *session) addIndex(ctx context.Context, table string) error {
	_, err := s.conn.ExecContext(ctx, "ALTER TABLE "+quoteID(table)+" ADD "+datasets.LookupIndexSQL)
	if err != nil {
		return fmt.Errorf("creating %s: %w", table, err)
	}
	return nil
}

// storedChecksums returns lr_checksum's values for the keys <wiki>_<dataset> of wiki
// (none when the table does not exist yet).
func (s *session) storedChecksums(ctx context.Context, wiki string, names []string) (map[string]string, error) {
	return mysqlenv.ReadChecksums(ctx, s.conn, wiki, names)
}

// leftovers lists the staging tables a killed loader left behind.
func (s *session) leftovers(ctx context.Context) ([]string, error) {
	rows, err := s.conn.QueryContext(ctx, `SELECT table_name FROM information_schema.tables WHERE table_schema = DATABASE()
		AND table_name LIKE 'lr\_%' AND (table_name LIKE '%\_\_new' OR table_name LIKE '%\_\_old')`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			return nil, err
		}
		out = append(out, n)
	}
	return out, rows.Err()
}

// dropTables drops tables that may exist.
func dropTables(ctx context.Context, conn interface {
	ExecContext(context.Context, string, ...any) (sql.Result, error)
}, tables []string) error {
	if len(tables) == 0 {
		return nil
	}
	var q []string
	for _, t := range tables {
		q = append(q, quoteID(t))
	}
	_, err := conn.ExecContext(ctx, "DROP TABLE IF EXISTS "+strings.Join(q, ", "))
	return err
}

// rowSink receives the rows of one dataset.
type rowSink interface {
	add(ctx context.Context, r datasets.SQLRow) error
	finish(ctx context.Context) error
}

// importDump reads a .sql.gz of table and loads its rows into staging through the
// chosen method; it returns the number of rows.
func (s *session) importDump(ctx context.Context, r io.Reader, table, staging string, o *Options, rep progress.Reporter) (int64, error) {
	zr, err := newGzipReader(r)
	if err != nil {
		return 0, err
	}
	text, stop := readAhead(zr, 256<<10, 4)
	defer stop()
	useInfile := o.Method == MethodLoadData || (o.Method == MethodAuto && s.infile)
	var n int64
	if useInfile {
		n, err = s.loadData(ctx, text, table, staging, rep)
	} else {
		n, err = s.insertBatches(ctx, text, table, staging, o.BatchBytes, rep)
	}
	if err != nil {
		return n, err
	}
	stop()
	return n, zr.Close()
}

// insertBatches sends the rows as multi-row INSERTs of at most batchBytes (and below
// max_allowed_packet), all in one transaction on the staging table.
func (s *session) insertBatches(ctx context.Context, r io.Reader, table, staging string, batchBytes int, rep progress.Reporter) (int64, error) {
	limit := min(batchBytes, s.packet-1024)
	head := "INSERT INTO " + quoteID(staging) + " (id, lookup, value) VALUES "
	buf := make([]byte, 0, limit+1024)
	buf = append(buf, head...)
	var rows, inBatch int64
	tx, err := s.conn.BeginTx(ctx, nil)
	if err != nil {
		return 0, err
	}
	defer tx.Rollback()
	flush := func() error {
		if inBatch == 0 {
			return nil
		}
		if _, err := tx.ExecContext(ctx, string(buf)); err != nil {
			return fmt.Errorf("inserting into %s: %w", staging, err)
		}
		rep.Add(inBatch)
		inBatch = 0
		buf = append(buf[:0], head...)
		return nil
	}
	err = datasets.ReadSQLDump(r, table, func(row datasets.SQLRow) error {
		size := 64 + 2*(len(row.Lookup)+len(row.Value))
		if inBatch > 0 && len(buf)+size > limit {
			if err := flush(); err != nil {
				return err
			}
		}
		if inBatch > 0 {
			buf = append(buf, ',')
		}
		buf = append(buf, '(')
		buf = strconv.AppendUint(buf, row.ID, 10)
		buf = append(buf, ",_utf8mb4'"...)
		buf = appendEscaped(buf, row.Lookup)
		buf = append(buf, "',_binary'"...)
		buf = appendEscaped(buf, row.Value)
		buf = append(buf, "')"...)
		inBatch++
		rows++
		return nil
	})
	if err == nil {
		err = flush()
	}
	if err != nil {
		return rows, err
	}
	if err := tx.Commit(); err != nil {
		return rows, fmt.Errorf("committing %s: %w", staging, err)
	}
	return rows, nil
}

// appendEscaped appends b escaped for a quoted MySQL string (backslash escapes).
func appendEscaped(buf, b []byte) []byte {
	start := 0
	for i, c := range b {
		var e byte
		switch c {
		case 0:
			e = '0'
		case '\n':
			e = 'n'
		case '\r':
			e = 'r'
		case '\\', '\'', '"':
			e = c
		case 0x1a:
			e = 'Z'
		default:
			continue
		}
		buf = append(buf, b[start:i]...)
		buf = append(buf, '\\', e)
		start = i + 1
	}
	return append(buf, b[start:]...)
}

// appendTSV appends b escaped for LOAD DATA's default format (FIELDS ESCAPED BY '\\',
// tab-separated, newline-terminated).
func appendTSV(buf, b []byte) []byte {
	start := 0
	for i, c := range b {
		var e byte
		switch c {
		case 0:
			e = '0'
		case '\n':
			e = 'n'
		case '\r':
			e = 'r'
		case '\t':
			e = 't'
		case '\\':
			e = '\\'
		default:
			continue
		}
		buf = append(buf, b[start:i]...)
		buf = append(buf, '\\', e)
		start = i + 1
	}
	return append(buf, b[start:]...)
}

var readerSeq atomic.Int64

// tsvBlock is the size of the blocks of rows loadData hands to the driver.
const tsvBlock = 1 << 20

// loadData streams the rows to the server with one LOAD DATA LOCAL INFILE.
func (s *session) loadData(ctx context.Context, r io.Reader, table, staging string, rep progress.Reporter) (int64, error) {
	name := "addlink-load-" + strconv.FormatInt(readerSeq.Add(1), 10)
	p := newBlockPipe(4)
	mysql.RegisterReaderHandler(name, func() io.Reader { return p })
	defer mysql.DeregisterReaderHandler(name)
	var rows int64
	produced := make(chan error, 1)
	go func() {
		buf := p.block(tsvBlock)
		var pending int64
		err := datasets.ReadSQLDump(r, table, func(row datasets.SQLRow) error {
			buf = strconv.AppendUint(buf, row.ID, 10)
			buf = append(buf, '\t')
			buf = appendTSV(buf, row.Lookup)
			buf = append(buf, '\t')
			buf = appendTSV(buf, row.Value)
			buf = append(buf, '\n')
			rows++
			if pending++; pending == 10000 {
				rep.Add(pending)
				pending = 0
			}
			if len(buf) < tsvBlock {
				return nil
			}
			err := p.send(buf)
			buf = p.block(tsvBlock)
			return err
		})
		if err == nil && len(buf) > 0 {
			err = p.send(buf)
		}
		rep.Add(pending)
		p.closeWrite(err)
		produced <- err
	}()
	res, err := s.conn.ExecContext(ctx, "LOAD DATA LOCAL INFILE 'Reader::"+name+"' INTO TABLE "+quoteID(staging)+
		" CHARACTER SET binary FIELDS TERMINATED BY '\\t' ESCAPED BY '\\\\' LINES TERMINATED BY '\\n' (id, lookup, value)")
	p.closeRead()
	// A dump that does not parse makes the reader fail, and with it the statement:
	// that is the error to report. The producer's errReaderGone follows a failed
	// statement.
	if perr := <-produced; perr != nil && (err == nil || !errors.Is(perr, errReaderGone)) {
		return rows, perr
	}
	if err != nil {
		return rows, fmt.Errorf("LOAD DATA into %s: %w", staging, err)
	}
	// LOAD DATA LOCAL turns a bad value or a duplicate id into a warning (and skips or
	// mangles the row): the rows stored must be the rows sent, with no warning. (The
	// statement's own counts replace a COUNT(*) of the table, a second full scan.)
	stored, err := res.RowsAffected()
	if err != nil {
		return rows, err
	}
	var warnings int64
	if err := s.conn.QueryRowContext(ctx, "SELECT @@warning_count").Scan(&warnings); err != nil {
		return rows, err
	}
	if stored != rows || warnings > 0 {
		var level, msg string
		var code int
		s.conn.QueryRowContext(ctx, "SHOW WARNINGS LIMIT 1").Scan(&level, &code, &msg)
		return rows, fmt.Errorf("LOAD DATA into %s: %d rows stored of %d sent, %d warnings (%s)", staging, stored, rows, warnings, msg)
	}
	return rows, nil
}
