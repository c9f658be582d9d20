// Package export is the stage that turns a wiki's dictionaries, embeddings and model into
// the files the Link Recommendation service loads (REFERENCE.md "Export and
// publishing"): for each dataset, a sqlitedict SQLite file with its gzipped copy and
// checksum, and a MySQL dump of its lr_ table with checksum; and the model's checksum.
package export

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"time"

	"github.com/addlink/addlink/checksum"
	"github.com/addlink/addlink/datasets"
	"github.com/addlink/addlink/internal/atomicfile"
	"github.com/addlink/addlink/internal/progress"
)

// Options configures the stage.
type Options struct {
	Wiki    string
	DataDir string
}

// Validate checks the options.
func (o *Options) Validate() error {
	if err := datasets.CheckWikiID(o.Wiki); err != nil {
		return err
	}
	if o.DataDir == "" {
		return errors.New("export: no data directory")
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

// Outputs lists the files the stage writes for the datasets it finds.
func Outputs(l datasets.Layout) []string {
	var out []string
	for _, n := range datasets.DatasetNames {
		if _, err := os.Stat(input(l, n)); err != nil {
			continue
		}
		out = append(out, l.ExportedSQLite(n), l.ExportedSQLite(n)+".gz", l.ExportedSQLite(n)+checksum.Ext,
			sqlDump(l, n), sqlDump(l, n)+checksum.Ext)
	}
	if _, err := os.Stat(l.Model()); err == nil {
		out = append(out, l.Model()+checksum.Ext)
	}
	return out
}

// Inputs lists the files the stage reads (those that exist).
func Inputs(l datasets.Layout) []string {
	var in []string
	for _, n := range datasets.DatasetNames {
		if _, err := os.Stat(input(l, n)); err == nil {
			in = append(in, input(l, n))
		}
	}
	if _, err := os.Stat(l.Model()); err == nil {
		in = append(in, l.Model())
	}
	return in
}

func input(l datasets.Layout, name string) string { return l.File(name + ".parquet") }

func sqlDump(l datasets.Layout, name string) string { return l.ExportedSQLDump(name) }

type row struct {
	key   string
	value []byte
}

// Run writes the export files. Anchors, page ids and redirects are required;
// embeddings and the model are exported when present.
func Run(ctx context.Context, o Options, p progress.Reporter) (Summary, error) {
	start := time.Now()
	p = progress.OrNop(p)
	l := datasets.Layout{DataDir: o.DataDir, Wiki: o.Wiki}
	s := Summary{Wiki: o.Wiki, Rows: map[string]int{}}
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
		sqlitePath := l.ExportedSQLite(name)
		if err := datasets.WriteSqliteDict(sqlitePath, yield); err != nil {
			return s, err
		}
		sum, err := datasets.GzipFile(sqlitePath+".gz", sqlitePath)
		if err != nil {
			return s, err
		}
		if err := checksum.WriteSidecarNamed(l.ExportedSQLite(name)+checksum.Ext, filepath.Base(sqlitePath)+".gz", sum); err != nil {
			return s, err
		}
		s.Files = append(s.Files, File{sqlitePath + ".gz", sum})
		t1 := time.Now()
		s.SqliteSeconds += t1.Sub(t0).Seconds()
		dumpPath := sqlDump(l, name)
		dsum, err := datasets.WriteSQLDump(dumpPath, datasets.SQLTable(o.Wiki, name), yield)
		if err != nil {
			return s, err
		}
		if err := checksum.WriteSidecar(dumpPath, dsum); err != nil {
			return s, err
		}
		s.Files = append(s.Files, File{dumpPath, dsum})
		s.SQLSeconds += time.Since(t1).Seconds()
		p.Add(1)
	}
	if _, err := os.Stat(l.Model()); err == nil {
		sum, err := checksum.WriteFor(l.Model())
		if err != nil {
			return s, err
		}
		s.Files = append(s.Files, File{l.Model(), sum})
	} else {
		s.Skipped = append(s.Skipped, "model")
		p.Note("export: no " + l.Model() + ", its checksum is not written (the train stage has not run)")
	}
	s.Seconds = time.Since(start).Seconds()
	b, err := json.MarshalIndent(s, "", "  ")
	if err != nil {
		return s, err
	}
	_, err = atomicfile.WriteFile(l.Summary("export"), append(b, '\n'))
	return s, err
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
