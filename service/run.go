package service

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"time"

	"github.com/addlink/addlink/datasets"
	"github.com/addlink/addlink/internal/linker"
)

// Backend kinds, the values of DB_BACKEND: the file formats of linker.OpenWiki, and
// mysql.
const (
	BackendSQLite  = string(linker.SQLite)  // exported sqlitedict files under <data-dir>/<wiki>/
	BackendParquet = string(linker.Parquet) // our Parquet datasets under <data-dir>/<wiki>/
	BackendMySQL   = "mysql"                // the lr_ tables (DB_* variables)
	BackendAuto    = ""                     // Parquet when a wiki has it, the sqlitedict files otherwise
)

// BackendOptions says where the datasets come from.
type BackendOptions struct {
	Kind    string // DB_BACKEND: sqlite, parquet, mysql or "" (auto)
	DataDir string // for the file backends
	// Getenv reads the DB_* variables of the mysql backend (default os.Getenv).
	Getenv func(string) string
	// ReloadInterval is how often the mysql backend polls lr_checksum (default 30s).
	ReloadInterval time.Duration
	Logger         *slog.Logger
	// Models are model files served for some wikis instead of their own
	// (FileBackend.Models, MySQLBackend.Models).
	Models map[string]string
	// IndexDir is where serving indexes are built ("": datasets loaded into memory);
	// MemoryBudget evicts wikis above it (0: never); OpenWait bounds a request's wait
	// for its wiki (FileBackend, MySQLBackend).
	IndexDir     string
	MemoryBudget int64
	OpenWait     time.Duration
}

// Validate checks the options.
func (o *BackendOptions) Validate() error {
	switch o.Kind {
	case BackendSQLite, BackendParquet, BackendMySQL, BackendAuto:
	default:
		return fmt.Errorf("DB_BACKEND=%q: want sqlite, parquet or mysql", o.Kind)
	}
	if o.Getenv == nil {
		o.Getenv = os.Getenv
	}
	if o.IndexDir != "" {
		if err := os.MkdirAll(o.IndexDir, 0o755); err != nil {
			return fmt.Errorf("--index-dir %s: %w (give a writable directory, or none to load the datasets into memory)", o.IndexDir, err)
		}
	}
	if o.MemoryBudget < 0 {
		return fmt.Errorf("--memory-budget %d: want a positive size", o.MemoryBudget)
	}
	for wiki, path := range o.Models {
		if err := datasets.CheckWikiID(wiki); err != nil {
			return fmt.Errorf("--model %s=%s: %w", wiki, path, err)
		}
		if st, err := os.Stat(path); err != nil || st.IsDir() {
			return fmt.Errorf("--model %s=%s: not a model file", wiki, path)
		}
	}
	return nil
}

// OpenBackend opens the backend o describes; the caller closes it.
func OpenBackend(ctx context.Context, o BackendOptions) (Backend, error) {
	if err := o.Validate(); err != nil {
		return nil, err
	}
	switch o.Kind {
	case BackendMySQL:
		cfg, err := MySQLConfig(o.Getenv)
		if err != nil {
			return nil, err
		}
		b, err := NewMySQLBackend(ctx, cfg, o.ReloadInterval, o.Logger)
		if err != nil {
			return nil, err
		}
		b.Models = o.Models
		b.IndexDir, b.MemoryBudget, b.OpenWait = o.IndexDir, o.MemoryBudget, o.OpenWait
		return b, nil
	}
	format := linker.Auto
	switch o.Kind {
	case BackendSQLite:
		format = linker.SQLite
	case BackendParquet:
		format = linker.Parquet
	}
	b, err := NewFileBackend(o.DataDir, format)
	if err != nil {
		return nil, err
	}
	b.Log = o.Logger
	b.Models = o.Models
	b.IndexDir, b.MemoryBudget, b.OpenWait = o.IndexDir, o.MemoryBudget, o.OpenWait
	return b, nil
}

// Config is what `addlink serve` runs.
type Config struct {
	Listen  string // address, e.g. ":8000"
	Backend BackendOptions
	Server  Options // its Backend is filled by Run
	// ShutdownGrace is how long requests in progress may finish after ctx ends
	// (default 30s, the reference's gunicorn graceful timeout).
	ShutdownGrace time.Duration
	// Drain is how long, after ctx ends and before the listener closes, /healthz
	// answers 503 while every request is still answered (0: close at once).
	Drain time.Duration
	// Ready, when set, is called with the listening address before serving.
	Ready func(addr net.Addr)
}

// Validate checks the configuration and fills in defaults.
func (c *Config) Validate() error {
	if c.Listen == "" {
		return errors.New("no listen address")
	}
	if c.Drain < 0 {
		return fmt.Errorf("drain %s: want 0 or more", c.Drain)
	}
	if c.ShutdownGrace <= 0 {
		c.ShutdownGrace = 30 * time.Second
	}
	return c.Backend.Validate()
}

// Run opens the backend, listens and serves until ctx ends, then shuts down
// gracefully. It returns nil after a clean shutdown.
func Run(ctx context.Context, c Config) error {
	if err := c.Validate(); err != nil {
		return err
	}
	b, err := OpenBackend(ctx, c.Backend)
	if err != nil {
		return err
	}
	defer b.Close()
	c.Server.Backend = b
	s, err := New(c.Server)
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", c.Listen)
	if err != nil {
		return err
	}
	s.log.Info("listening", slog.String("addr", ln.Addr().String()), slog.String("backend", c.Backend.Kind),
		slog.String("data_dir", c.Backend.DataDir), slog.String("version", c.Server.Version))
	if c.Ready != nil {
		c.Ready(ln.Addr())
	}
	err = s.Serve(ctx, ln, c.Drain, c.ShutdownGrace)
	s.log.Info("stopped", slog.Any("error", err))
	return err
}
