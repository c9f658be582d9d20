// Package export is the stage that turns a wiki's dictionaries, embeddings and model into
// the files the Link Recommendation service loads (docs/reference.md "Export and
// publishing"): for each dataset, a sqlitedict SQLite file with its gzipped copy and
// checksum, and a MySQL dump of its lr_ table with checksum; and the model with its
// checksum. The files form one set (datasets.ExportSet) under Layout.ExportDir, which
// is replaced as a whole.
package export

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/addlink/addlink/atomicfile"
	"github.com/addlink/addlink/checksum"
	"github.com/addlink/addlink/datasets"
	"github.com/addlink/addlink/internal/linker"
	"github.com/addlink/addlink/internal/progress"
)

// Options configures the stage.
type Options struct {
	Wiki    string
	DataDir string
	// Multilingual names a multilingual (v2) model of the data directory
	// (datasets.Multilingual): the set is the wiki's datasets with that model, for
	// the v2 layout, written to Multilingual.Export(Wiki).ExportDir(); the wiki's own
	// model and export set are left alone.
	Multilingual string
}

// Validate checks the options.
func (o *Options) Validate() error {
	if err := datasets.CheckWikiID(o.Wiki); err != nil {
		return err
	}
	if o.DataDir == "" {
		return errors.New("export: no data directory")
	}
	if o.Multilingual != "" {
		if err := datasets.CheckWikiID(o.Multilingual); err != nil {
			return fmt.Errorf("--multilingual: %w", err)
		}
		if o.Multilingual == o.Wiki {
			return fmt.Errorf("--multilingual %s is the wiki itself: name the multilingual model (addlink multilingual --name)", o.Multilingual)
		}
	}
	return nil
}

// File is one written file and its SHA-256.
type File struct {
	Path   string `json:"path"`
	SHA256 string `json:"sha256"`
}

// Summary is what the stage reports (and writes to export.summary.json).
type Summary struct {
	Wiki    string         `json:"wiki"`
	Rows    map[string]int `json:"rows"`
	Skipped []string       `json:"skipped,omitempty"` // datasets whose input does not exist
	Files   []File         `json:"files"`
	// Seconds spent writing the SQLite files (with their .gz) and the SQL dumps.
	SqliteSeconds float64 `json:"sqlite_seconds"`
	SQLSeconds    float64 `json:"sql_seconds"`
	Seconds       float64 `json:"seconds"`
}

// Outputs lists the files the stage writes for the datasets it finds, as their readers
// find them (through ExportDir).
func Outputs(l datasets.Layout) []string {
	var out []string
	for _, n := range datasets.DatasetNames {
		if _, err := os.Stat(input(l, n)); err != nil {
			continue
		}
		out = append(out, l.ExportedSQLite(n), l.ExportedSQLite(n)+".gz", l.ExportedSQLite(n)+checksum.Ext,
			sqlDump(l, n), sqlDump(l, n)+checksum.Ext)
	}
	if m, err := ModelDatasets(l); err == nil && m != nil {
		for _, n := range m.Datasets {
			out = append(out, l.ExportedSQLite(n), l.ExportedSQLite(n)+".gz", l.ExportedSQLite(n)+checksum.Ext,
				sqlDump(l, n), sqlDump(l, n)+checksum.Ext)
		}
	}
	if _, err := os.Stat(l.Model()); err == nil {
		out = append(out, l.ExportedModel(), l.ExportedModel()+checksum.Ext)
	}
	out = append(out, l.ExportedServeIndex(), l.ExportedServeIndex()+checksum.Ext)
	return append(out, filepath.Join(l.ExportDir(), datasets.ExportSetName))
}

// Inputs lists the files the stage reads (those that exist).
func Inputs(l datasets.Layout) []string {
	var in []string
	for _, p := range datasets.ExportInputs(l) {
		if _, err := os.Stat(p); err == nil {
			in = append(in, p)
		}
	}
	// A model with extended features: the datasets it reads.
	if m, err := ModelDatasets(l); err == nil && m != nil {
		for _, n := range m.Datasets {
			in = append(in, input(l, n))
		}
	}
	return in
}

func input(l datasets.Layout, name string) string { return l.File(name + ".parquet") }

func sqlDump(l datasets.Layout, name string) string { return l.ExportedSQLDump(name) }

type row struct {
	key   string
	value []byte
}

// Run writes the export files as one set. Anchors, page ids and redirects are
// required; embeddings and the model are exported when present. The files are written
// into a new directory with the set file that lists them and the inputs they were made
// from (their SHA-256), and the export directory (a symbolic link) is then switched to
// it in one rename: readers see the previous set or the new one, never a mix, and an
// interrupted export leaves the previous set as it was. The caller holds the wiki
// directory's lock (no other export runs beside it).
func Run(ctx context.Context, o Options, p progress.Reporter) (Summary, error) {
	start := time.Now()
	p = progress.OrNop(p)
	// l is the wiki's directory, whose datasets are read; dst the one whose export
	// set is written (the same, but for a multilingual model's set).
	l := datasets.Layout{DataDir: o.DataDir, Wiki: o.Wiki}
	dst, modelPath := l, l.Model()
	s := Summary{Wiki: o.Wiki, Rows: map[string]int{}}
	var (
		model  *datasets.SetModel
		inputs []datasets.SetFile
		err    error
	)
	if o.Multilingual != "" {
		m := datasets.Multilingual{DataDir: o.DataDir, Name: o.Multilingual}
		dst, modelPath = m.Export(o.Wiki), m.Model()
		if err := linker.CheckV2ModelFile(modelPath); err != nil {
			return s, fmt.Errorf("export: %w", err)
		}
		if _, err := os.Stat(l.Anchors()); err != nil {
			return s, fmt.Errorf("export: %s has no datasets: %w", o.Wiki, err)
		}
		if err := os.MkdirAll(dst.Dir(), 0o755); err != nil {
			return s, fmt.Errorf("export: %w", err)
		}
		inputs, err = datasets.DescribeFiles(m.ExportInputs(o.Wiki))
	} else {
		// A model the Python service cannot load (extended features or candidate rules) is
		// exported with the datasets its features read, and the set says so: publish puts
		// it where only addlink looks (datasets.ExtendedRootName).
		if model, err = ModelDatasets(l); err != nil {
			return s, fmt.Errorf("export: %w", err)
		}
		// The inputs are identified before they are read: the set records what it was made
		// from, and publish compares that with the present files.
		inputs, err = datasets.DescribeInputs(l)
	}
	if err != nil {
		return s, fmt.Errorf("export: %w", err)
	}
	if err := removeOrphans(dst); err != nil {
		return s, err
	}
	if model != nil {
		for _, name := range model.Datasets {
			p := input(l, name)
			f, err := datasets.DescribeFile(p, filepath.Base(p))
			if err != nil {
				return s, fmt.Errorf("export: the model reads %s: %w", name, err)
			}
			inputs = append(inputs, f)
		}
	}
	tmp, err := atomicfile.MkdirTemp(dst.Dir(), ".export")
	if err != nil {
		return s, fmt.Errorf("export: %w", err)
	}
	defer os.RemoveAll(tmp) // after the switch it no longer exists
	// in names a file of the new set; the summary names files as readers find them.
	in := func(final string) string { return filepath.Join(tmp, filepath.Base(final)) }
	p.Phase("export", int64(len(datasets.DatasetNames)), "datasets")
	for _, name := range datasets.DatasetNames {
		if err := ctx.Err(); err != nil {
			return s, err
		}
		if _, err := os.Stat(input(l, name)); err != nil {
			if name == "w2vfiltered" {
				s.Skipped = append(s.Skipped, name)
				p.Note(fmt.Sprintf("export: no %s, skipped (the embeddings stage has not run)", input(l, name)))
				p.Add(1)
				continue
			}
			return s, fmt.Errorf("export: %w", err)
		}
		rows, err := load(l, name)
		if err != nil {
			return s, err
		}
		if err := s.write(dst, name, rows, in); err != nil {
			return s, err
		}
		p.Add(1)
	}
	// A model with extended features: the datasets it reads beyond the four.
	if model != nil {
		for _, name := range model.Datasets {
			if err := ctx.Err(); err != nil {
				return s, err
			}
			keys, values, err := datasets.ExtendedPickledRows(l, name)
			if err != nil {
				return s, fmt.Errorf("export: the model reads %s: %w", name, err)
			}
			rows := make([]row, len(keys))
			for i := range keys {
				rows[i] = row{keys[i], values[i]}
			}
			if err := s.write(dst, name, rows, in); err != nil {
				return s, err
			}
		}
	}
	// The serving index of the four datasets (datasets.OpenServeIndex), which the
	// service maps instead of loading them.
	// Streamed from the Parquet datasets, one at a time: an index of any size is
	// built holding one dataset's rows, not the four in maps.
	isum, err := linker.WriteServeIndexParquet(l, !slices.Contains(s.Skipped, "w2vfiltered"), in(dst.ExportedServeIndex()))
	if err != nil {
		return s, fmt.Errorf("export: serving index: %w", err)
	}
	s.Files = append(s.Files, File{dst.ExportedServeIndex(), isum})
	if _, err := os.Stat(modelPath); err == nil {
		// A copy: training again replaces the model, not the exported one. A
		// multilingual model is copied under the wiki's name, where the loader looks.
		sum, err := atomicfile.CopyFile(in(dst.ExportedModel()), modelPath)
		if err != nil {
			return s, fmt.Errorf("export: %w", err)
		}
		if err := checksum.WriteSidecar(in(dst.ExportedModel()), sum); err != nil {
			return s, err
		}
		s.Files = append(s.Files, File{dst.ExportedModel(), sum})
		for _, f := range inputs {
			if f.Name == filepath.Base(modelPath) && f.SHA256 != sum {
				return s, fmt.Errorf("export: %s changed while it was exported", modelPath)
			}
		}
	} else {
		s.Skipped = append(s.Skipped, "model")
		p.Note("export: no " + l.Model() + ", not exported (the train stage has not run)")
	}
	if err := ctx.Err(); err != nil {
		return s, err
	}
	set := &datasets.ExportSet{Wiki: o.Wiki, Inputs: inputs, Model: model, Multilingual: o.Multilingual}
	if _, err := datasets.WriteExportSetOf(tmp, set); err != nil {
		return s, fmt.Errorf("export: %w", err)
	}
	if err := atomicfile.SyncDir(tmp); err != nil {
		return s, err
	}
	if err := switchTo(dst, tmp); err != nil {
		return s, fmt.Errorf("export: %w", err)
	}
	s.Seconds = time.Since(start).Seconds()
	return s, datasets.WriteSummary(dst, "export", s)
}

// write writes one dataset's rows (in key order) as a sqlitedict file with its .gz and
// .checksum and as a SQL dump with its .checksum, through in (the new set's name of a
// file), and records them in s.
func (s *Summary) write(l datasets.Layout, name string, rows []row, in func(string) string) error {
	// Keys in byte order, whatever the input's order: the bytes of the outputs
	// depend only on the content.
	sort.SliceStable(rows, func(i, j int) bool { return rows[i].key < rows[j].key })
	s.Rows[name] = len(rows)
	yield := func(y func(string, []byte) error) error {
		for _, r := range rows {
			if err := y(r.key, r.value); err != nil {
				return err
			}
		}
		return nil
	}
	t0 := time.Now()
	sqlitePath := in(l.ExportedSQLite(name))
	if err := datasets.WriteSqliteDict(sqlitePath, yield); err != nil {
		return err
	}
	sum, err := datasets.GzipFile(sqlitePath+".gz", sqlitePath)
	if err != nil {
		return err
	}
	if err := checksum.WriteSidecarNamed(sqlitePath+checksum.Ext, filepath.Base(sqlitePath)+".gz", sum); err != nil {
		return err
	}
	s.Files = append(s.Files, File{l.ExportedSQLite(name) + ".gz", sum})
	t1 := time.Now()
	s.SqliteSeconds += t1.Sub(t0).Seconds()
	dumpPath := in(sqlDump(l, name))
	dsum, err := datasets.WriteSQLDump(dumpPath, datasets.SQLTable(l.Wiki, name), yield)
	if err != nil {
		return err
	}
	if err := checksum.WriteSidecar(dumpPath, dsum); err != nil {
		return err
	}
	s.Files = append(s.Files, File{sqlDump(l, name), dsum})
	s.SQLSeconds += time.Since(t1).Seconds()
	return nil
}

// ModelDatasets describes the data directory's model for the export set when the
// Python service cannot load it (datasets.SetModel: its features and the extended
// datasets they read), nil for the reference's kind of model or when there is no
// model. A model naming features this program does not compute is an error.
func ModelDatasets(l datasets.Layout) (*datasets.SetModel, error) {
	if _, err := os.Stat(l.Model()); err != nil {
		return nil, nil
	}
	err := linker.CheckServiceModelFile(l.Model())
	if err == nil || !errors.Is(err, linker.ErrNotServiceModel) {
		return nil, nil // a file that is not a model is copied as before
	}
	_, set, err := linker.ReadModelFile(l.Model())
	if err != nil {
		return nil, err
	}
	if set.IsV2() {
		// Not into the wiki's own set: the v1 layout's consumers would compute it as v1.
		return nil, fmt.Errorf("%s is a v2 (seven-input) model: the v1 layout never holds one; publish a multilingual model with export and publish --multilingual NAME", l.Model())
	}
	return &datasets.SetModel{Features: set.String(), Datasets: append([]string{}, set.Datasets()...)}, nil
}

// setPrefix starts the names of the directories that hold export sets.
const setPrefix = "export-"

// switchTo gives the new set in tmp its name, export-<first 16 hex digits of the
// SHA-256 of its set file> (the same content keeps the same name), points the export
// link at it in one rename and removes the previous set.
func switchTo(l datasets.Layout, tmp string) error {
	sum, err := checksum.File(filepath.Join(tmp, datasets.ExportSetName))
	if err != nil {
		return err
	}
	name := setPrefix + sum[:16]
	link := l.ExportDir()
	old, _ := os.Readlink(link)
	if old == name {
		return nil // the same set is already in place; tmp is removed by the caller
	}
	if st, err := os.Lstat(link); err == nil && st.Mode()&os.ModeSymlink == 0 {
		return fmt.Errorf("%s is not a symbolic link to an export set: move it away", link)
	}
	final := filepath.Join(l.Dir(), name)
	if err := os.RemoveAll(final); err != nil {
		return err
	}
	if err := os.Rename(tmp, final); err != nil {
		return err
	}
	next := filepath.Join(l.Dir(), atomicfile.TempPrefix(".export-link")+name)
	os.Remove(next)
	if err := os.Symlink(name, next); err != nil {
		return err
	}
	if err := os.Rename(next, link); err != nil {
		os.Remove(next)
		return err
	}
	if err := atomicfile.SyncDir(l.Dir()); err != nil {
		return err
	}
	return removeOrphans(l)
}

// removeOrphans removes the export sets the export link does not point at (the
// previous one, or one left by an export killed during its switch) and the files
// exports wrote straight into the wiki directory before they were written as sets.
func removeOrphans(l datasets.Layout) error {
	current, _ := os.Readlink(l.ExportDir())
	entries, err := os.ReadDir(l.Dir())
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	for _, e := range entries {
		n := e.Name()
		orphan := e.IsDir() && strings.HasPrefix(n, setPrefix) && n != current
		if e.Type().IsRegular() {
			orphan = legacyExport(l.Wiki, n)
		}
		if !orphan {
			continue
		}
		if err := os.RemoveAll(filepath.Join(l.Dir(), n)); err != nil {
			return fmt.Errorf("export: %w", err)
		}
	}
	return nil
}

// legacyExport reports whether name is a file the export stage wrote straight into the
// wiki directory before it wrote sets (the model's own .checksum belongs to train).
func legacyExport(wiki, name string) bool {
	for _, n := range datasets.DatasetNames {
		switch name {
		case datasets.SQLiteName(wiki, n), datasets.SQLiteName(wiki, n) + ".gz", datasets.SQLiteName(wiki, n) + checksum.Ext,
			datasets.SQLDumpName(wiki, n), datasets.SQLDumpName(wiki, n) + checksum.Ext:
			return true
		}
	}
	return false
}

// load reads a dataset and pickles its values, in key order.
func load(l datasets.Layout, name string) ([]row, error) {
	path := input(l, name)
	switch name {
	case "anchors":
		rs, err := datasets.ReadParquet[datasets.Anchor](path)
		if err != nil {
			return nil, err
		}
		// Rows are sorted by anchor, then target: each anchor's dict in target order,
		// as the reference writes it.
		var out []row
		for i := 0; i < len(rs); {
			j := i
			var items []datasets.StrInt
			for j < len(rs) && rs[j].Anchor == rs[i].Anchor {
				items = append(items, datasets.StrInt{Key: rs[j].Target, Value: rs[j].N})
				j++
			}
			out = append(out, row{rs[i].Anchor, datasets.PickleStrIntDict(items)})
			i = j
		}
		return out, nil
	case "pageids":
		rs, err := datasets.ReadParquet[datasets.PageID](path)
		if err != nil {
			return nil, err
		}
		out := make([]row, len(rs))
		for i, r := range rs {
			out[i] = row{r.Title, datasets.PickleInt(r.PageID)}
		}
		return out, nil
	case "redirects":
		rs, err := datasets.ReadParquet[datasets.Redirect](path)
		if err != nil {
			return nil, err
		}
		out := make([]row, len(rs))
		for i, r := range rs {
			out[i] = row{r.From, datasets.PickleString(r.To)}
		}
		return out, nil
	case "w2vfiltered":
		rs, err := datasets.ReadParquet[datasets.Embedding](path)
		if err != nil {
			return nil, err
		}
		out := make([]row, len(rs))
		for i, r := range rs {
			out[i] = row{r.Title, datasets.PickleFloat32Array(r.Vector)}
		}
		return out, nil
	}
	return nil, fmt.Errorf("export: unknown dataset %q", name)
}
