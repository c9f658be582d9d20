package service

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"os"
	"runtime/debug"
	"strings"
	"time"

	"github.com/go-sql-driver/mysql"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/addlink/addlink/checksum"
	"github.com/addlink/addlink/datasets"
	"github.com/addlink/addlink/internal/gbdt"
	"github.com/addlink/addlink/internal/linker"
	"github.com/addlink/addlink/internal/mysqlenv"
)

// MySQLConfig builds a go-sql-driver/mysql configuration from the reference's
// environment variables, DB_USER, DB_PASSWORD, DB_HOST, DB_PORT (3306), DB_DATABASE and
// DB_READ_DEFAULT_FILE, with the rules `addlink load` follows too (internal/mysqlenv:
// the option file's [client] section supplies what the variables leave unset, as with
// PyMySQL; DB_HOST starting with "/" is a unix socket), and the service's read
// timeout. NewMySQLBackend opens it with mysqlenv.Open, as the loader does.
func MySQLConfig(getenv func(string) string) (*mysql.Config, error) {
	c, err := mysqlenv.Config(func(k string) (string, bool) { v := getenv(k); return v, v != "" })
	if err != nil {
		return nil, fmt.Errorf("service: %w", err)
	}
	if c.DBName == "" {
		return nil, errors.New("service: DB_DATABASE is not set")
	}
	c.ReadTimeout = 5 * time.Minute
	return c, nil
}

// MySQLBackend serves wikis from the tables the loader fills (lr_<wiki>_<name>,
// lr_model, lr_checksum; datasets.SQLSchema). A wiki's rows are read into memory on
// its first request, within one consistent snapshot, so data and checksums agree.
// Every PollInterval it reads lr_checksum and reloads, in the background, each wiki
// whose checksums changed; requests keep using the previous datasets until the new
// ones are loaded, then switch.
type MySQLBackend struct {
	db   *sql.DB
	poll time.Duration
	log  *slog.Logger
	addr string

	// Models maps wiki ids to model files served for them instead of their lr_model
	// row (serve --model): set before the first request. Such a wiki needs its lr_
	// tables, not an lr_model row; meta.dataset_checksums' model is the file's
	// (its .checksum sidecar).
	Models map[string]string

	// Serving as FileBackend's: with IndexDir, a wiki's tables are read once into a
	// serving index there (again when lr_checksum changes), and the wiki is served
	// from it. Set its fields before the first request.
	Serving

	stop chan struct{}
	done chan struct{}
}

// NewMySQLBackend connects with cfg and starts polling lr_checksum every poll
// (default 30s). A database that does not answer yet is not an error: it is logged,
// Healthy reports it, and the poller tries again. Close stops the poller and closes
// the connections.
func NewMySQLBackend(ctx context.Context, cfg *mysql.Config, poll time.Duration, log *slog.Logger) (*MySQLBackend, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	cfg = cfg.Clone()
	cfg.Logger = mysqlenv.DriverLogger(log)
	db, err := mysqlenv.Open(cfg)
	if err != nil {
		return nil, fmt.Errorf("service: %w", err)
	}
	db.SetMaxOpenConns(8)
	db.SetConnMaxIdleTime(5 * time.Minute)
	if poll <= 0 {
		poll = 30 * time.Second
	}
	b := &MySQLBackend{db: db, poll: poll, log: log, addr: cfg.Addr,
		stop: make(chan struct{}), done: make(chan struct{})}
	// A database that cannot be reached yet (still starting, a wrong password being
	// fixed) does not stop the service: it serves, /healthz answers 503, and the
	// poller tries again until the database answers.
	reachable := true
	if err := b.Healthy(ctx); err != nil {
		if ctx.Err() != nil {
			db.Close()
			return nil, err
		}
		reachable = false
		log.Warn("the database is unreachable; serving anyway, /healthz answers 503 until it answers",
			slog.String("addr", cfg.Addr), slog.String("error", err.Error()))
	}
	go b.poller(reachable)
	return b, nil
}

// Healthy reports whether the database answers a ping within a few seconds.
func (b *MySQLBackend) Healthy(ctx context.Context) error {
	pctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	if err := b.db.PingContext(pctx); err != nil {
		return fmt.Errorf("service: MySQL at %s: %w", b.addr, err)
	}
	return nil
}

// Close implements Backend.
func (b *MySQLBackend) Close() error {
	close(b.stop)
	<-b.done
	b.wikis().close()
	return b.db.Close()
}

func (b *MySQLBackend) wikis() *wikiSet {
	return b.Serving.wikis(func(id string) (*Wiki, error) { return b.load(context.Background(), id) }, b.log)
}

// Collector returns the metrics of the wikis (memory, evictions, opening times).
func (b *MySQLBackend) Collector() prometheus.Collector { return b.wikis() }

// Wiki implements Backend.
func (b *MySQLBackend) Wiki(ctx context.Context, id string) (*Wiki, error) {
	if err := datasets.CheckWikiID(id); err != nil {
		return nil, &NoModelError{Wiki: id, Valid: b.validWikis(ctx)}
	}
	return b.wikis().get(ctx, id, nil)
}

// validWikis lists the wiki ids of lr_model, for the 400 answer.
func (b *MySQLBackend) validWikis(ctx context.Context) []string {
	valid := []string{}
	rows, err := b.db.QueryContext(ctx, "SELECT lookup FROM lr_model ORDER BY id")
	if err != nil {
		return valid
	}
	defer rows.Close()
	for rows.Next() {
		var s string
		if rows.Scan(&s) == nil {
			valid = append(valid, s)
		}
	}
	return valid
}

// load reads a wiki's model, checksums and datasets in one read-only transaction.
func (b *MySQLBackend) load(ctx context.Context, id string) (*Wiki, error) {
	start := time.Now()
	tx, err := b.db.BeginTx(ctx, &sql.TxOptions{Isolation: sql.LevelRepeatableRead, ReadOnly: true})
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	var modelJSON []byte
	modelFile, override := b.Models[id]
	if override {
		modelJSON, err = os.ReadFile(modelFile)
		if err != nil {
			return nil, fmt.Errorf("service: --model %s: %w", id, err)
		}
	} else {
		err = tx.QueryRowContext(ctx, "SELECT value FROM lr_model WHERE lookup = ?", id).Scan(&modelJSON)
	}
	if errors.Is(err, sql.ErrNoRows) {
		return nil, &NoModelError{Wiki: id, Valid: b.validWikis(ctx)}
	}
	if mysqlenv.NoSuchTable(err) {
		// A database nothing was loaded into yet: no wiki has a model (400, not 500);
		// the first load creates the tables and the next request finds the wiki.
		return nil, &NoModelError{Wiki: id, Valid: []string{}}
	}
	if err != nil {
		return nil, fmt.Errorf("service: lr_model: %w", err)
	}
	m, err := gbdt.ReadJSON(strings.NewReader(string(modelJSON)))
	if err != nil {
		return nil, fmt.Errorf("service: lr_model %s: %w", id, err)
	}
	sums, err := checksums(ctx, tx, id)
	if err != nil {
		return nil, err
	}
	if override {
		delete(sums, "model")
		if s, err := checksum.ReadDigest(modelFile + checksum.Ext); err == nil {
			sums["model"] = s
		}
	}
	if b.cache != nil && linker.IndexServes(m) == nil {
		built := false
		ix, err := b.cache.open(id, mysqlenv.ServeIndexSource(sums), b.buildHeap(id), func(path string) error {
			built = true
			return mysqlenv.WriteServeIndex(ctx, tx, id, path)
		})
		if built {
			debug.FreeOSMemory() // the rows read to build the index
		}
		if err != nil {
			return nil, err
		}
		w, err := linker.NewIndexWiki(id, ix, m, sums)
		if err != nil {
			return nil, fmt.Errorf("service: %w", err)
		}
		b.log.Info("loaded wiki", slog.String("wiki", id), slog.String("index", ix.Path),
			slog.Float64("seconds", time.Since(start).Seconds()), slog.Any("checksums", sums))
		return w, nil
	}
	d, err := readTables(ctx, tx, id)
	if err != nil {
		return nil, err
	}
	if err := loadExtendedTables(ctx, tx, id, m, sums, d); err != nil {
		return nil, err
	}
	w, err := linker.NewWiki(id, d, m, sums)
	if err != nil {
		return nil, fmt.Errorf("service: %w", err)
	}
	b.log.Info("loaded wiki", slog.String("wiki", id), slog.Int("anchors", len(d.Anchors)),
		slog.Int("pageids", len(d.PageIDs)), slog.Float64("seconds", time.Since(start).Seconds()),
		slog.Any("checksums", sums))
	return w, nil
}

// buildHeap estimates the heap of building id's serving index from its four lr_
// tables: their data length (information_schema), as an SQLite file's size
// (filesBuildHeap). 0 when the server does not tell.
func (b *MySQLBackend) buildHeap(id string) int64 {
	if b.MemoryBudget <= 0 {
		return 0
	}
	var names []any
	for _, name := range datasets.DatasetNames {
		names = append(names, datasets.SQLTable(id, name))
	}
	var n sql.NullInt64
	err := b.db.QueryRow("SELECT SUM(data_length) FROM information_schema.tables WHERE table_schema = DATABASE() AND table_name IN (?"+strings.Repeat(", ?", len(names)-1)+")", names...).Scan(&n)
	if err != nil || !n.Valid {
		return 0
	}
	return n.Int64 * buildHeapPerByte
}

// readTables reads a wiki's four lr_ tables into a dictionary.
func readTables(ctx context.Context, tx *sql.Tx, id string) (*linker.Dict, error) {
	var rows datasets.Rows
	for _, name := range datasets.DatasetNames {
		table := datasets.SQLTable(id, name)
		err := scanTable(ctx, tx, table, func(key string, value []byte) error {
			return rows.Add(name, key, value)
		})
		if err != nil {
			return nil, fmt.Errorf("service: %s: %w", table, err)
		}
	}
	d := linker.NewDict(rows.Anchors, rows.PageIDs, rows.Redirects, rows.Vectors)
	d.Lower = linker.LowerFunc(datasets.Language(id))
	return d, nil
}

func scanTable(ctx context.Context, tx *sql.Tx, table string, fn func(key string, value []byte) error) error {
	return mysqlenv.ScanTable(ctx, tx, table, "id", fn)
}

// checksums reads lr_checksum's rows of a wiki: dataset name -> sha256, the extended
// datasets' too (a model reading them is reloaded when they change; they are not
// written in meta.dataset_checksums).
func checksums(ctx context.Context, q mysqlenv.Queryer, id string) (map[string]string, error) {
	sums, err := mysqlenv.ReadChecksums(ctx, q, id, append(append([]string{}, checksumNames...), datasets.ExtendedDatasetNames...))
	if err != nil {
		return nil, fmt.Errorf("service: %w", err)
	}
	return sums, nil
}

// poller waits for the database when it was unreachable at start, then reloads the
// wikis whose checksums changed, until Close.
func (b *MySQLBackend) poller(reachable bool) {
	defer close(b.done)
	for retry := time.NewTicker(min(b.poll, 5*time.Second)); !reachable; {
		select {
		case <-b.stop:
			retry.Stop()
			return
		case <-retry.C:
			if err := b.Healthy(context.Background()); err == nil {
				reachable = true
				retry.Stop()
				b.log.Info("the database is reachable", slog.String("addr", b.addr))
			}
		}
	}
	t := time.NewTicker(b.poll)
	defer t.Stop()
	for {
		select {
		case <-b.stop:
			return
		case <-t.C:
			b.Check(context.Background())
		}
	}
}

// Check compares the checksums of every open wiki with lr_checksum and starts a
// background reload of those that changed. The poller calls it; tests may too.
func (b *MySQLBackend) Check(ctx context.Context) {
	set := b.wikis()
	for id, o := range set.snapshot() {
		e := o.wikiEntry
		sums, err := checksums(ctx, b.db, id)
		if err != nil {
			b.log.Warn("polling lr_checksum", slog.String("error", err.Error()))
			return
		}
		set.mu.Lock()
		changed := e.wiki != nil && !e.reloading && !maps.Equal(e.wiki.Checksums, sums)
		if changed {
			e.reloading = true
		}
		set.mu.Unlock()
		if changed {
			go b.reload(id, e)
		}
	}
}

// reload loads a wiki again and swaps it in; on failure the old datasets stay (or,
// when the model was removed, the wiki is dropped).
func (b *MySQLBackend) reload(id string, e *wikiEntry) {
	w, err := b.load(context.Background(), id)
	set := b.wikis()
	set.reloaded(id, e)
	var nm *NoModelError
	switch {
	case errors.As(err, &nm):
		b.log.Warn("model removed, wiki no longer served", slog.String("wiki", id))
		set.drop(id, e)
	case err != nil:
		b.log.Error("reloading wiki failed, serving the previous datasets", slog.String("wiki", id), slog.String("error", err.Error()))
	default:
		set.replace(id, e, w)
		b.log.Info("reloaded wiki", slog.String("wiki", id))
	}
}
