package service

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/addlink/addlink/datasets"
	"github.com/addlink/addlink/internal/gbdt"
	"github.com/addlink/addlink/internal/linker"
)

// Wiki is one wiki's datasets and model, loaded and ready to answer queries. It is
// never modified once a backend returns it, so requests share it without locks; a
// backend that reloads a wiki returns a new *Wiki.
type Wiki struct {
	ID    string
	Dict  *linker.Dict
	Model *gbdt.Model
	// Checksums maps dataset names (anchors, model, pageids, redirects, w2vfiltered)
	// to the sha256 reported as meta.dataset_checksums.
	Checksums map[string]string
}

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

// newWiki checks a model and wraps the datasets of a wiki.
func newWiki(id string, d *linker.Dict, m *gbdt.Model, sums map[string]string) (*Wiki, error) {
	// A model names its features when they are not the reference's six
	// (linker.ModelFeatures); an unnamed one must have six inputs.
	if len(m.FeatureNames) == 0 && m.NumFeature != len(linker.Features{}.Vector()) {
		return nil, fmt.Errorf("service: %s: the model has %d features; addlink computes the %d features of the reference's v1 models (7-feature v2 models are not supported)",
			id, m.NumFeature, len(linker.Features{}.Vector()))
	}
	if _, err := linker.ModelFeatures(m); err != nil {
		return nil, fmt.Errorf("service: %s: %w", id, err)
	}
	rules, err := linker.ModelCandidates(m)
	if err != nil {
		return nil, fmt.Errorf("service: %s: %w", id, err)
	}
	d.PrepareCandidates(rules) // before the first request
	return &Wiki{ID: id, Dict: d, Model: m, Checksums: sums}, nil
}

// FileFormat says which files a FileBackend reads.
type FileFormat string

// The file formats of FileBackend.
const (
	// SQLite reads the exported sqlitedict files (<wiki>.<name>.sqlite or .sqlite.gz),
	// as the reference's sqlite backend does.
	SQLite FileFormat = "sqlite"
	// Parquet reads our pipeline's Parquet datasets.
	Parquet FileFormat = "parquet"
	// Auto reads Parquet when the anchors are there, the SQLite files otherwise.
	Auto FileFormat = "auto"
)

// FileBackend serves wikis from a data directory laid out as <DataDir>/<wiki>/ (our
// data directory, or a published tree). A wiki is loaded on its first request and
// kept; several wikis are served side by side.
type FileBackend struct {
	DataDir string
	Format  FileFormat
	// Log, when set, gets a line for each wiki loaded (or failing to load), as the
	// mysql backend writes.
	Log *slog.Logger

	mu    sync.Mutex
	wikis map[string]*loadOnce
}

type loadOnce struct {
	once sync.Once
	wiki *Wiki
	err  error
}

// NewFileBackend returns a backend reading dir in the given format.
func NewFileBackend(dir string, format FileFormat) (*FileBackend, error) {
	switch format {
	case SQLite, Parquet, Auto:
	default:
		return nil, fmt.Errorf("service: unknown file format %q (want sqlite, parquet or auto)", format)
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
		if _, err := os.Stat(modelPath(l, b.Format)); err != nil {
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
	var d *linker.Dict
	var err error
	parquet := b.Format == Parquet
	if b.Format == Auto {
		_, statErr := os.Stat(l.Anchors())
		parquet = statErr == nil
	}
	if parquet {
		d, err = linker.LoadDict(l, true)
	} else {
		d, err = linker.LoadDictSQLite(l)
	}
	if err != nil {
		return nil, err
	}
	model := modelPath(l, b.Format)
	f, err := os.Open(model)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	m, err := gbdt.ReadJSON(f)
	if err != nil {
		return nil, fmt.Errorf("service: %s: %w", model, err)
	}
	// A model trained with extended features names them: load the datasets they read
	// (nothing for the reference's six).
	set, err := linker.ModelFeatures(m)
	if err != nil {
		return nil, fmt.Errorf("service: %s: %w", model, err)
	}
	if err := d.LoadExtended(l, set); err != nil {
		return nil, fmt.Errorf("service: %w", err)
	}
	return newWiki(l.Wiki, d, m, fileChecksums(l, model))
}

// exportSet reports whether the wiki's directory holds an export set (our data
// directory, datasets.Layout.ExportDir) rather than the exported files themselves (a
// published tree, or the reference's data/<wiki>/ layout).
func exportSet(l datasets.Layout) bool {
	_, err := os.Stat(l.ExportDir())
	return err == nil
}

// modelPath is the model a backend serves: the export set's copy, or <wiki>.linkmodel.json
// beside the datasets; the Parquet backend serves the train stage's model.
func modelPath(l datasets.Layout, f FileFormat) string {
	if f != Parquet && exportSet(l) {
		return l.ExportedModel()
	}
	return l.Model()
}

// fileChecksums reads the checksums that the loader would store in lr_checksum for
// these files: those of the lr_<wiki>_<name>.sql.gz dumps and of the model, from their
// .checksum files, when they exist.
func fileChecksums(l datasets.Layout, model string) map[string]string {
	sums := map[string]string{}
	for _, name := range datasets.DatasetNames {
		dump := l.ExportedSQLDump(name)
		if !exportSet(l) {
			dump = filepath.Join(l.Dir(), datasets.SQLTable(l.Wiki, name)+".sql.gz")
		}
		if s := readChecksum(dump + ".checksum"); s != "" {
			sums[name] = s
		}
	}
	if s := readChecksum(model + ".checksum"); s != "" {
		sums["model"] = s
	}
	return sums
}

func readChecksum(path string) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return ""
	}
	if f := strings.Fields(string(b)); len(f) > 0 {
		return f[0]
	}
	return ""
}

// Close implements Backend.
func (b *FileBackend) Close() error { return nil }
