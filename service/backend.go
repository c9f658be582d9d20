package service

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"sync"
	"time"

	"github.com/addlink/addlink/datasets"
	"github.com/addlink/addlink/internal/linker"
)

// Wiki is one wiki's datasets and model, loaded and ready to answer queries
// (linker.OpenWiki, linker.NewWiki). It is never modified once a backend returns it,
// so requests share it without locks; a backend that reloads a wiki returns a new
// *Wiki.
type Wiki = linker.Wiki

// ErrNoModel is returned (wrapped) by a Backend that has no model for a wiki: the
// service answers 400 with the valid project/domain pairs.
var ErrNoModel = errors.New("service: no model for this wiki")

// NoModelError is the error a Backend returns for a wiki it has no model for.
type NoModelError struct {
	Wiki string
	// Valid lists the wiki ids the backend has models for, when it can tell cheaply
	// (the reference lists them for MySQL and not for SQLite).
	Valid []string
}

func (e *NoModelError) Error() string { return "service: no model for " + e.Wiki }

// Unwrap makes errors.Is(err, ErrNoModel) true.
func (e *NoModelError) Unwrap() error { return ErrNoModel }

// Backend gives the service the datasets of a wiki. Implementations are safe for
// concurrent use.
type Backend interface {
	// Wiki returns the loaded datasets of a wiki (a valid wiki id, datasets.CheckWikiID),
	// or a *NoModelError when there is no model for it.
	Wiki(ctx context.Context, id string) (*Wiki, error)
	// Close releases what the backend holds (connections, pollers).
	Close() error
}

// FileBackend serves wikis from a data directory laid out as <DataDir>/<wiki>/ (our
// data directory, or a published tree). A wiki is loaded on its first request and
// kept; several wikis are served side by side.
type FileBackend struct {
	DataDir string
	Format  linker.Format
	// Log, when set, gets a line for each wiki loaded (or failing to load), as the
	// mysql backend writes.
	Log *slog.Logger
	// Models maps wiki ids to model files served for them instead of their own (a
	// multilingual model shared by several wikis): the wiki keeps its own datasets,
	// and needs no model of its own. Set it before the first request.
	Models map[string]string

	mu    sync.Mutex
	wikis map[string]*loadOnce
}

type loadOnce struct {
	once sync.Once
	wiki *Wiki
	err  error
}

// NewFileBackend returns a backend reading dir in the given format.
func NewFileBackend(dir string, format linker.Format) (*FileBackend, error) {
	if err := linker.CheckFormat(format); err != nil {
		return nil, fmt.Errorf("service: %w", err)
	}
	if st, err := os.Stat(dir); err != nil {
		return nil, fmt.Errorf("service: data directory: %w", err)
	} else if !st.IsDir() {
		return nil, fmt.Errorf("service: data directory %s is not a directory", dir)
	}
	return &FileBackend{DataDir: dir, Format: format, wikis: map[string]*loadOnce{}}, nil
}

// Wiki implements Backend. A wiki without a model file is reported as a *NoModelError
// and not remembered, so a model that appears later is found; a wiki whose files fail
// to load is retried on the next request.
func (b *FileBackend) Wiki(ctx context.Context, id string) (*Wiki, error) {
	if err := datasets.CheckWikiID(id); err != nil {
		return nil, &NoModelError{Wiki: id}
	}
	l := datasets.Layout{DataDir: b.DataDir, Wiki: id}
	b.mu.Lock()
	lo := b.wikis[id]
	if lo == nil {
		if _, err := os.Stat(b.modelPath(l)); err != nil {
			b.mu.Unlock()
			return nil, &NoModelError{Wiki: id, Valid: []string{}}
		}
		lo = &loadOnce{}
		b.wikis[id] = lo
	}
	b.mu.Unlock()
	lo.once.Do(func() {
		start := time.Now()
		lo.wiki, lo.err = b.load(l)
		switch {
		case b.Log == nil:
		case lo.err != nil:
			b.Log.Error("loading wiki failed", slog.String("wiki", id), slog.String("error", lo.err.Error()))
		default:
			b.Log.Info("loaded wiki", slog.String("wiki", id), slog.String("format", string(b.Format)),
				slog.String("dir", l.Dir()), slog.Int("anchors", len(lo.wiki.Dict.Anchors)),
				slog.Float64("seconds", time.Since(start).Seconds()), slog.Any("checksums", lo.wiki.Checksums))
		}
	})
	if lo.err != nil {
		b.mu.Lock()
		if b.wikis[id] == lo {
			delete(b.wikis, id)
		}
		b.mu.Unlock()
	}
	return lo.wiki, lo.err
}

func (b *FileBackend) load(l datasets.Layout) (*Wiki, error) {
	w, err := linker.OpenWikiModel(l, b.Format, b.modelPath(l))
	if err != nil {
		return nil, fmt.Errorf("service: %w", err)
	}
	return w, nil
}

// modelPath is the model served for a wiki: Models' file, or the wiki's own
// (linker.ModelPath).
func (b *FileBackend) modelPath(l datasets.Layout) string {
	if m, ok := b.Models[l.Wiki]; ok {
		return m
	}
	return linker.ModelPath(l, b.Format)
}

// Close implements Backend.
func (b *FileBackend) Close() error { return nil }
