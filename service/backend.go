package service

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"runtime/debug"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

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
// data directory, or a published tree). A wiki is opened on its first request, in the
// background (requests for other wikis never wait for it; its own wait at most
// OpenWait, then get an *OpeningError), and kept until the memory budget evicts it.
//
// With IndexDir set, a wiki whose model reads only the four datasets is served from a
// memory-mapped serving index (datasets.OpenServeIndex): the export set's or published
// one when it is there and sound, otherwise one the backend builds once into IndexDir
// from the datasets and builds again when they change or it is damaged. Other wikis
// (and every wiki without IndexDir) are loaded into memory.
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
	Serving
}

// Serving is what both backends hold of their open wikis: where serving indexes are
// built, the memory budget, how long a request waits for its wiki, and the wiki set and
// index cache made from them on the first request.
type Serving struct {
	// IndexDir is where serving indexes are built ("": load the datasets into memory).
	IndexDir string
	// MemoryBudget, when positive, is the resident memory (bytes) above which the least
	// recently used wikis are evicted.
	MemoryBudget int64
	// OpenWait is how long a request waits for its wiki to open (default
	// DefaultOpenWait). Set these fields before the first request.
	OpenWait time.Duration

	init  sync.Once
	set   *wikiSet
	cache *indexCache
}

// wikis returns the wiki set, made on the first call with load as its opener (and, with
// IndexDir, the index cache that admits builds through the set's budget).
func (s *Serving) wikis(load func(id string) (*Wiki, error), log *slog.Logger) *wikiSet {
	s.init.Do(func() {
		s.set = newWikiSet(load, s.OpenWait, s.MemoryBudget, log)
		if s.IndexDir != "" {
			s.cache = newIndexCache(s.IndexDir, log)
			s.cache.admit, s.cache.mappingCost = s.set.admit, s.set.mappingCost
		}
	})
	return s.set
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
	return &FileBackend{DataDir: dir, Format: format}, nil
}

func (b *FileBackend) wikis() *wikiSet { return b.Serving.wikis(b.load, b.Log) }

// Wiki implements Backend. A wiki without a model file is reported as a *NoModelError
// and not remembered, so a model that appears later is found; a wiki whose files fail
// to load is retried on the next request.
func (b *FileBackend) Wiki(ctx context.Context, id string) (*Wiki, error) {
	if err := datasets.CheckWikiID(id); err != nil {
		return nil, &NoModelError{Wiki: id}
	}
	l := datasets.Layout{DataDir: b.DataDir, Wiki: id}
	return b.wikis().get(ctx, id, func() error {
		if _, err := os.Stat(b.modelPath(l)); err != nil {
			return &NoModelError{Wiki: id, Valid: []string{}}
		}
		return nil
	})
}

// Collector returns the metrics of the wikis (memory, evictions, opening times).
func (b *FileBackend) Collector() prometheus.Collector { return b.wikis() }

func (b *FileBackend) load(id string) (*Wiki, error) {
	start := time.Now()
	l := datasets.Layout{DataDir: b.DataDir, Wiki: id}
	w, err := b.open(l)
	switch {
	case b.Log == nil:
	case err != nil:
		b.Log.Error("loading wiki failed", slog.String("wiki", id), slog.String("error", err.Error()))
	default:
		b.Log.Info("loaded wiki", slog.String("wiki", id), slog.String("format", string(b.Format)),
			slog.String("dir", l.Dir()), slog.Bool("indexed", w.Index != nil), slog.Int("anchors", w.Dict.AnchorCount()),
			slog.Float64("seconds", time.Since(start).Seconds()), slog.Any("checksums", w.Checksums))
	}
	return w, err
}

func (b *FileBackend) open(l datasets.Layout) (*Wiki, error) {
	modelPath := b.modelPath(l)
	if b.cache == nil {
		return b.loadMaps(l, modelPath)
	}
	m, err := linker.ReadModel(modelPath)
	if err != nil {
		return nil, fmt.Errorf("service: %w", err)
	}
	if linker.IndexServes(m) != nil {
		return b.loadMaps(l, modelPath)
	}
	sums := linker.FileChecksums(l, modelPath)
	// The export set's (or published) index, when it is there and sound.
	for _, p := range []string{l.ExportedServeIndex(), l.PublishedServeIndex()} {
		if _, err := os.Stat(p); err != nil {
			continue
		}
		ix, err := b.cache.openVerified(l.Wiki, p)
		if err == nil {
			w, err := linker.NewIndexWiki(l.Wiki, ix, m, sums)
			if err != nil {
				return nil, fmt.Errorf("service: %w", err)
			}
			return w, nil
		}
		if b.Log != nil {
			b.Log.Warn("published serving index not usable, using the cache", slog.String("path", p), slog.String("error", err.Error()))
		}
		break
	}
	files := linker.DatasetFiles(l, b.Format)
	built := false
	ix, err := b.cache.open(l.Wiki, "files "+string(b.Format)+"\n"+fileSource(files), filesBuildHeap(files), func(path string) error {
		built = true
		_, err := linker.WriteServeIndex(l, b.Format, path)
		return err
	})
	if built {
		debug.FreeOSMemory() // the datasets read to build the index
	}
	if err != nil {
		return nil, err
	}
	w, err := linker.NewIndexWiki(l.Wiki, ix, m, sums)
	if err != nil {
		return nil, fmt.Errorf("service: %w", err)
	}
	return w, nil
}

func (b *FileBackend) loadMaps(l datasets.Layout, modelPath string) (*Wiki, error) {
	w, err := linker.OpenWikiModel(l, b.Format, modelPath)
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
func (b *FileBackend) Close() error {
	b.wikis().close()
	return nil
}

// The heap a build of a serving index takes, estimated from the size of what it reads.
// A build streams its rows (linker.IndexWriter): it holds 16 bytes a key, and at the
// end one section's slots (8 bytes each, up to four a key), so up to about 52 bytes a
// key, where a key takes 68 (page ids) to 420 bytes (vectors) of SQLite file or of an
// lr_ table's data length (bench/genexport's large wiki): the file's size bounds the
// heap. A gzipped file is about 3 times smaller than the file. The Parquet datasets are
// read one at a time and sorted in memory: the largest one's rows, which for
// bench/genexport's large wiki come to about 22 bytes of heap per byte of Parquet for
// the anchors (60 M rows of about 80 bytes in Go, from 220 MB) and 1.3 for the vectors
// (floats compress little): computed from the sizes of the rows, not measured.
const (
	buildHeapPerByte        = 1
	compressedExpansion     = 3
	parquetBuildHeapPerByte = 22
	vectorsBuildHeapPerByte = 2
)

// filesBuildHeap estimates the heap of a build from the dataset files it reads (a
// dataset's plain SQLite file when it is there, else its gzipped form; the largest
// Parquet file).
func filesBuildHeap(files []string) int64 {
	plain := map[string]bool{}
	for _, p := range files {
		if strings.HasSuffix(p, ".sqlite") {
			plain[p] = true
		}
	}
	var n, parquet int64
	for _, p := range files {
		st, err := os.Stat(p)
		switch {
		case err != nil:
		case strings.HasSuffix(p, ".sqlite"):
			n += st.Size()
		case strings.HasSuffix(p, ".gz") && plain[strings.TrimSuffix(p, ".gz")]:
			// read from the plain file
		case strings.HasSuffix(p, ".gz"):
			n += st.Size() * compressedExpansion
		case strings.HasSuffix(p, ".w2vfiltered.parquet"):
			parquet = max(parquet, st.Size()*vectorsBuildHeapPerByte)
		default:
			parquet = max(parquet, st.Size()*parquetBuildHeapPerByte)
		}
	}
	return max(n*buildHeapPerByte, parquet)
}
