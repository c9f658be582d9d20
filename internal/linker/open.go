package linker

import (
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/addlink/addlink/checksum"
	"github.com/addlink/addlink/datasets"
	"github.com/addlink/addlink/internal/gbdt"
	"github.com/addlink/addlink/internal/wikitext"
)

// Wiki is one wiki's datasets and model, loaded and ready to answer queries. It is
// never modified once made, so requests share it without locks; a wiki reloaded is a
// new *Wiki.
type Wiki struct {
	ID    string
	Dict  *Dict
	Model *gbdt.Model
	// Checksums maps dataset names (anchors, model, pageids, redirects, w2vfiltered)
	// to the sha256 reported as meta.dataset_checksums: those the loader stores in
	// lr_checksum for the same files.
	Checksums map[string]string
	// ModelVersion is ModelVersion of the model: "v1", "v2" or "extended".
	ModelVersion string
	// Index is the serving index Dict reads (NewIndexWiki), nil when Dict holds the
	// datasets in memory.
	Index *datasets.ServeIndex
}

// NewWiki checks that m is a model this package computes the features of, prepares
// d's candidate rules (ModelCandidates) and wraps them.
func NewWiki(id string, d *Dict, m *gbdt.Model, sums map[string]string) (*Wiki, error) {
	// A model names its features when they are not the reference's (ModelFeatures); an
	// unnamed one is a v1 (six inputs) or v2 (seven) model, told apart by the number
	// of its inputs as the reference does.
	if err := CheckFeatureCount(m); err != nil {
		return nil, fmt.Errorf("%s: %w", id, err)
	}
	version, err := ModelVersion(m)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", id, err)
	}
	rules, err := ModelCandidates(m)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", id, err)
	}
	d.PrepareCandidates(rules) // before the first request
	return &Wiki{ID: id, Dict: d, Model: m, Checksums: sums, ModelVersion: version}, nil
}

// Format says which files OpenWiki reads.
type Format string

// The formats of OpenWiki.
const (
	// SQLite reads the exported sqlitedict files (<wiki>.<name>.sqlite or .sqlite.gz),
	// as the reference's sqlite backend does.
	SQLite Format = "sqlite"
	// Parquet reads our pipeline's Parquet datasets and the train stage's model.
	Parquet Format = "parquet"
	// Auto reads Parquet when the anchors are there, the SQLite files otherwise.
	Auto Format = "auto"
)

// CheckFormat returns an error unless f is one of the formats.
func CheckFormat(f Format) error {
	switch f {
	case SQLite, Parquet, Auto:
		return nil
	}
	return fmt.Errorf("unknown file format %q (want sqlite, parquet or auto)", f)
}

// OpenWiki loads the wiki of l in format f, from a data directory (the Parquet
// datasets, or the export set) or from a published directory (the exported files
// beside each other). A model with extended features (ModelFeatures) also gets the
// datasets they read (Dict.LoadExtended from Parquet, Dict.LoadExtendedSQLite from the
// exported files; an error wrapping ErrIncomplete when one is missing). A missing model is an error wrapping
// fs.ErrNotExist (see ModelPath).
func OpenWiki(l datasets.Layout, f Format) (*Wiki, error) {
	return OpenWikiModel(l, f, ModelPath(l, f))
}

// OpenWikiModel is OpenWiki with the model read from the file model instead of the
// wiki's own: a model shared by several wikis (a multilingual one), each answering
// with its own datasets. The model's checksum is that of its sidecar.
func OpenWikiModel(l datasets.Layout, f Format, model string) (*Wiki, error) {
	if err := CheckFormat(f); err != nil {
		return nil, err
	}
	parquet := isParquet(l, f)
	d, err := LoadWikiDict(l, f)
	if err != nil {
		return nil, err
	}
	m, err := ReadModel(model)
	if err != nil {
		return nil, err
	}
	// A model trained with extended features names them: load the datasets they read
	// (nothing for the reference's six).
	set, err := ModelFeatures(m)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", model, err)
	}
	load := d.LoadExtended
	if !parquet {
		load = d.LoadExtendedSQLite // the exported files, as the datasets
	}
	if err := load(l, set); err != nil {
		return nil, fmt.Errorf("%s: %w", l.Wiki, err)
	}
	return NewWiki(l.Wiki, d, m, fileChecksums(l, model))
}

// isParquet reports whether format f reads the Parquet datasets of l.
func isParquet(l datasets.Layout, f Format) bool {
	if f == Auto {
		_, statErr := os.Stat(l.Anchors())
		return statErr == nil
	}
	return f == Parquet
}

// LoadWikiDict reads the four datasets of l in format f (as OpenWiki does).
func LoadWikiDict(l datasets.Layout, f Format) (*Dict, error) {
	if err := CheckFormat(f); err != nil {
		return nil, err
	}
	if isParquet(l, f) {
		return LoadDict(l, true)
	}
	return LoadDictSQLite(l)
}

// DatasetFiles lists the files LoadWikiDict reads for l in format f (the SQLite
// files as they exist, plain or gzipped), those that exist.
func DatasetFiles(l datasets.Layout, f Format) []string {
	var paths []string
	if isParquet(l, f) {
		paths = []string{l.Anchors(), l.PageIDs(), l.Redirects(), l.Embeddings()}
	} else {
		for _, name := range datasets.DatasetNames {
			paths = append(paths, exportedSQLite(l, name), exportedSQLite(l, name)+".gz")
		}
	}
	var out []string
	for _, p := range paths {
		if _, err := os.Stat(p); err == nil {
			out = append(out, p)
		}
	}
	return out
}

// ReadModel reads a model file.
func ReadModel(path string) (*gbdt.Model, error) {
	r, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer r.Close()
	m, err := gbdt.ReadJSON(r)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return m, nil
}

// ErrNotIndexable is wrapped by IndexServes' error: the model reads more than a
// serving index holds.
var ErrNotIndexable = errors.New("the model reads more than the serving index holds")

// IndexServes returns nil when a wiki with model m can answer from a serving index
// (NewIndexDict): the model's features are computed from the four datasets alone
// (no extended feature) and its candidates are the anchors' (the reference's rules).
func IndexServes(m *gbdt.Model) error {
	set, err := ModelFeatures(m)
	if err != nil {
		return err
	}
	if set.Extended() {
		return fmt.Errorf("%w: extended features %s", ErrNotIndexable, set)
	}
	rules, err := ModelCandidates(m)
	if err != nil {
		return err
	}
	if !rules.titleRules().IsReference() {
		return fmt.Errorf("%w: candidate rules %s", ErrNotIndexable, rules)
	}
	return nil
}

// NewIndexWiki returns the wiki id answering from the serving index ix with model m
// (IndexServes must accept it) and the dataset checksums sums.
func NewIndexWiki(id string, ix *datasets.ServeIndex, m *gbdt.Model, sums map[string]string) (*Wiki, error) {
	if err := IndexServes(m); err != nil {
		return nil, fmt.Errorf("%s: %w", id, err)
	}
	w, err := NewWiki(id, NewIndexDict(ix, wikitext.LowerFor(datasets.Language(id))), m, sums)
	if err != nil {
		return nil, err
	}
	w.Index = ix
	return w, nil
}

// FileChecksums are the checksums OpenWikiModel reports for the wiki of l served
// with the model at path model (meta.dataset_checksums).
func FileChecksums(l datasets.Layout, model string) map[string]string { return fileChecksums(l, model) }

// hasExportSet reports whether the wiki's directory holds an export set (a data
// directory, datasets.Layout.ExportDir) rather than the exported files themselves (a
// published directory, or the reference's data/<wiki>/ layout).
func hasExportSet(l datasets.Layout) bool {
	_, err := os.Stat(l.ExportDir())
	return err == nil
}

// ModelPath is the model OpenWiki reads: the export set's copy, or the model beside
// the datasets in a published directory; the Parquet format reads the train stage's
// model.
func ModelPath(l datasets.Layout, f Format) string {
	if f != Parquet && hasExportSet(l) {
		return l.ExportedModel()
	}
	return l.PublishedModel()
}

// fileChecksums reads the checksums that the loader would store in lr_checksum for
// the wiki's files: those of the lr_<wiki>_<name>.sql.gz dumps and of the model, from
// their sidecars, when they exist.
func fileChecksums(l datasets.Layout, model string) map[string]string {
	sums := map[string]string{}
	export := hasExportSet(l)
	for _, name := range datasets.DatasetNames {
		dump := l.PublishedSQLDump(name)
		if export {
			dump = l.ExportedSQLDump(name)
		}
		if s, err := checksum.ReadDigest(dump + checksum.Ext); err == nil {
			sums[name] = s
		}
	}
	if s, err := checksum.ReadDigest(model + checksum.Ext); err == nil {
		sums["model"] = s
	}
	return sums
}

// LoadDictSQLite reads a wiki's datasets from the sqlitedict files the export stage
// writes (the service's format).
func LoadDictSQLite(l datasets.Layout) (*Dict, error) {
	var rows datasets.Rows
	for _, name := range datasets.DatasetNames {
		path, cleanup, err := sqliteFile(exportedSQLite(l, name))
		if err != nil {
			if name == "w2vfiltered" && os.IsNotExist(err) {
				continue
			}
			return nil, fmt.Errorf("query: no %s dataset in %s (neither Parquet nor SQLite): %w", name, l.Dir(), err)
		}
		err = datasets.ReadSqliteDict(path, func(key string, value []byte) error {
			return rows.Add(name, key, value)
		})
		cleanup()
		if err != nil {
			return nil, fmt.Errorf("query: %s: %w", path, err)
		}
	}
	d := NewDict(rows.Anchors, rows.PageIDs, rows.Redirects, rows.Vectors)
	d.Lower = wikitext.LowerFor(datasets.Language(l.Wiki))
	return d, nil
}

// exportedSQLite is where a dataset's exported SQLite file is: in the export set of a
// data directory, or beside the model in a published directory.
func exportedSQLite(l datasets.Layout, name string) string {
	if hasExportSet(l) {
		return l.ExportedSQLite(name)
	}
	return l.PublishedSQLite(name)
}

// sqliteFile returns path, or a temporary copy of path.gz decompressed.
func sqliteFile(path string) (string, func(), error) {
	if _, err := os.Stat(path); err == nil {
		return path, func() {}, nil
	}
	in, err := os.Open(path + ".gz")
	if err != nil {
		return "", nil, err
	}
	defer in.Close()
	zr, err := gzip.NewReader(in)
	if err != nil {
		return "", nil, err
	}
	tmp, err := os.CreateTemp("", "addlink-query-*.sqlite")
	if err != nil {
		return "", nil, err
	}
	cleanup := func() { os.Remove(tmp.Name()) }
	if _, err := io.Copy(tmp, zr); err != nil {
		tmp.Close()
		cleanup()
		return "", nil, err
	}
	if err := tmp.Close(); err != nil {
		cleanup()
		return "", nil, err
	}
	return tmp.Name(), cleanup, nil
}
