package learn

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"
	_ "modernc.org/sqlite" // database/sql driver "sqlite"
)

// StateName is the learner's SQLite database inside its state directory: the
// checkpoint (position and state), the alerts and, by default, the bandit's posteriors.
const StateName = "learn.sqlite"

// Store holds the bandit's posteriors per wiki where the service reads them: the
// learner's SQLite database (the default) or Redis.
type Store interface {
	// Arms returns the wiki's arms, nil when it has none yet.
	Arms(ctx context.Context, wiki string) ([]Arm, error)
	// Put replaces the wiki's arms at once.
	Put(ctx context.Context, wiki string, arms []Arm) error
	Close() error
}

// OpenStore opens the store named by url: "" or "sqlite" (stateDir's learn.sqlite),
// "sqlite:PATH" or "redis://[user:password@]host:port[/db]".
func OpenStore(url, stateDir string) (Store, error) {
	switch {
	case url == "" || url == "sqlite":
		if stateDir == "" {
			return nil, errors.New("learn: the sqlite state store needs a state directory")
		}
		return openSQLiteStore(filepath.Join(stateDir, StateName))
	case strings.HasPrefix(url, "sqlite:"):
		return openSQLiteStore(strings.TrimPrefix(url, "sqlite:"))
	case strings.HasPrefix(url, "redis://") || strings.HasPrefix(url, "rediss://"):
		opt, err := redis.ParseURL(url)
		if err != nil {
			return nil, fmt.Errorf("learn: --state %s: %w", url, err)
		}
		opt.DialTimeout, opt.ReadTimeout, opt.WriteTimeout = time.Second, time.Second, time.Second
		opt.MaxRetries = 1
		redisQuiet.Do(func() { redis.SetLogger(quietLogger{}) })
		return &redisStore{c: redis.NewClient(opt)}, nil
	}
	return nil, fmt.Errorf("learn: state store %q: want sqlite, sqlite:PATH or redis://host:port", url)
}

// openStateDB opens (creating) the learner's database. WAL lets the service read the
// posteriors while the learner writes.
func openStateDB(path string) (*sql.DB, error) {
	db, err := sql.Open("sqlite", "file:"+path+"?_pragma=journal_mode(WAL)&_pragma=synchronous(FULL)&_pragma=busy_timeout(5000)")
	if err != nil {
		return nil, err
	}
	db.SetMaxOpenConns(1)
	for _, q := range []string{
		`CREATE TABLE IF NOT EXISTS checkpoint (id INTEGER PRIMARY KEY CHECK (id = 1), offset INTEGER NOT NULL, state BLOB NOT NULL)`,
		`CREATE TABLE IF NOT EXISTS alerts (seq INTEGER PRIMARY KEY, id TEXT NOT NULL UNIQUE, wiki TEXT NOT NULL, payload TEXT NOT NULL, delivered INTEGER NOT NULL DEFAULT 0)`,
		`CREATE TABLE IF NOT EXISTS bandit_arms (wiki TEXT NOT NULL, threshold REAL NOT NULL, requests REAL NOT NULL, shown REAL NOT NULL, accepts REAL NOT NULL, rejects REAL NOT NULL, pulls INTEGER NOT NULL, PRIMARY KEY (wiki, threshold))`,
	} {
		if _, err := db.Exec(q); err != nil {
			db.Close()
			return nil, fmt.Errorf("learn: %s: %w", path, err)
		}
	}
	return db, nil
}

// The client library prints connection failures with the standard logger; ours are
// returned as errors and logged (or answered with the default threshold) by the caller.
var redisQuiet sync.Once

type quietLogger struct{}

func (quietLogger) Printf(context.Context, string, ...any) {}

type sqliteStore struct{ db *sql.DB }

func openSQLiteStore(path string) (*sqliteStore, error) {
	db, err := openStateDB(path)
	if err != nil {
		return nil, err
	}
	return &sqliteStore{db: db}, nil
}

func (s *sqliteStore) Arms(ctx context.Context, wiki string) ([]Arm, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT threshold, requests, shown, accepts, rejects, pulls FROM bandit_arms WHERE wiki = ? ORDER BY threshold`, wiki)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var arms []Arm
	for rows.Next() {
		var a Arm
		if err := rows.Scan(&a.Threshold, &a.Requests, &a.Shown, &a.Accepts, &a.Rejects, &a.Pulls); err != nil {
			return nil, err
		}
		if err := a.check(); err != nil {
			return nil, fmt.Errorf("learn: %s: %w", wiki, err)
		}
		arms = append(arms, a)
	}
	return arms, rows.Err()
}

func (s *sqliteStore) Put(ctx context.Context, wiki string, arms []Arm) error {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	if err := putArmsTx(ctx, tx, wiki, arms); err != nil {
		tx.Rollback()
		return err
	}
	return tx.Commit()
}

func putArmsTx(ctx context.Context, tx *sql.Tx, wiki string, arms []Arm) error {
	if _, err := tx.ExecContext(ctx, `DELETE FROM bandit_arms WHERE wiki = ?`, wiki); err != nil {
		return err
	}
	for _, a := range arms {
		if _, err := tx.ExecContext(ctx, `INSERT INTO bandit_arms (wiki, threshold, requests, shown, accepts, rejects, pulls) VALUES (?, ?, ?, ?, ?, ?, ?)`,
			wiki, a.Threshold, a.Requests, a.Shown, a.Accepts, a.Rejects, a.Pulls); err != nil {
			return err
		}
	}
	return nil
}

func (s *sqliteStore) Close() error { return s.db.Close() }

// redisStore keeps a wiki's arms in the hash addlink:bandit:<wiki>, one field per
// threshold holding "requests shown accepts rejects pulls"; Put replaces the hash in one MULTI/EXEC, so a
// reader sees all arms of one update or of the one before.
type redisStore struct{ c *redis.Client }

func redisKey(wiki string) string { return "addlink:bandit:" + wiki }

func (s *redisStore) Arms(ctx context.Context, wiki string) ([]Arm, error) {
	m, err := s.c.HGetAll(ctx, redisKey(wiki)).Result()
	if err != nil {
		return nil, fmt.Errorf("learn: redis: %w", err)
	}
	var arms []Arm
	for _, k := range sortedKeys(m) {
		var a Arm
		var err error
		if a.Threshold, err = strconv.ParseFloat(k, 64); err == nil {
			_, err = fmt.Sscanf(m[k], "%g %g %g %g %d", &a.Requests, &a.Shown, &a.Accepts, &a.Rejects, &a.Pulls)
		}
		if err == nil {
			err = a.check()
		}
		if err != nil {
			return nil, fmt.Errorf("learn: redis: %s field %q: %w", redisKey(wiki), k, err)
		}
		arms = append(arms, a)
	}
	sortArms(arms)
	return arms, nil
}

func formatThreshold(t float64) string { return strconv.FormatFloat(t, 'g', -1, 64) }

func sortArms(arms []Arm) {
	for i := 1; i < len(arms); i++ {
		for j := i; j > 0 && arms[j].Threshold < arms[j-1].Threshold; j-- {
			arms[j], arms[j-1] = arms[j-1], arms[j]
		}
	}
}

func (s *redisStore) Put(ctx context.Context, wiki string, arms []Arm) error {
	fields := make([]any, 0, 2*len(arms))
	for _, a := range arms {
		f := func(x float64) string { return strconv.FormatFloat(x, 'g', -1, 64) }
		fields = append(fields, formatThreshold(a.Threshold),
			f(a.Requests)+" "+f(a.Shown)+" "+f(a.Accepts)+" "+f(a.Rejects)+" "+strconv.FormatInt(a.Pulls, 10))
	}
	_, err := s.c.TxPipelined(ctx, func(p redis.Pipeliner) error {
		p.Del(ctx, redisKey(wiki))
		if len(fields) > 0 {
			p.HSet(ctx, redisKey(wiki), fields...)
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("learn: redis: %w", err)
	}
	return nil
}

func (s *redisStore) Close() error { return s.c.Close() }

// Chooser picks a request's threshold by Thompson sampling over the wiki's posteriors
// in a Store. A wiki without posteriors, or any error reading them (the store down),
// gets Default; after an error the store is left alone for Pause, so that requests do
// not each wait for a store that is down. Draws come from one random stream seeded by
// Seed, so the same posteriors and seed give the same sequence of choices whatever the
// store.
type Chooser struct {
	Store   Store
	Default float64
	Reward  RewardParams  // the utility the arms are compared on: the learner's
	Timeout time.Duration // per read of the store, default 200ms
	Pause   time.Duration // after an error, default 1s

	mu        sync.Mutex
	rng       *rand.Rand
	downUntil time.Time
}

// NewChooser returns a Chooser drawing from seed.
func NewChooser(store Store, def float64, seed uint64) *Chooser {
	return &Chooser{Store: store, Default: def, rng: rand.New(rand.NewPCG(seed, 0x544852455348))}
}

// ChooseThreshold returns the threshold for one request of wiki and where it came
// from: "bandit", "default" (no posteriors yet) or "default-unavailable" (the store
// could not be read).
func (c *Chooser) ChooseThreshold(ctx context.Context, wiki string) (float64, string) {
	t := c.Timeout
	if t <= 0 {
		t = 200 * time.Millisecond
	}
	c.mu.Lock()
	down := time.Now().Before(c.downUntil)
	c.mu.Unlock()
	if down {
		return c.Default, "default-unavailable"
	}
	ctx, cancel := context.WithTimeout(ctx, t)
	defer cancel()
	arms, err := c.Store.Arms(ctx, wiki)
	if err != nil {
		pause := c.Pause
		if pause <= 0 {
			pause = time.Second
		}
		c.mu.Lock()
		c.downUntil = time.Now().Add(pause)
		c.mu.Unlock()
		return c.Default, "default-unavailable"
	}
	var pulls int64
	for _, a := range arms {
		pulls += a.Pulls
	}
	if len(arms) == 0 || pulls == 0 {
		return c.Default, "default"
	}
	c.mu.Lock()
	k := Thompson(arms, c.Reward, c.rng)
	c.mu.Unlock()
	return arms[k].Threshold, "bandit"
}
