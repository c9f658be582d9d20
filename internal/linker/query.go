package linker

import (
	"compress/gzip"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/addlink/addlink/datasets"
	"github.com/addlink/addlink/internal/gbdt"
	"github.com/addlink/addlink/internal/wikitext"
)

// Query holds what answering recommendation queries for a wiki needs.
type Query struct {
	Dict      *Dict
	Model     *gbdt.Model
	Checksums map[string]string // dataset name -> sha256 of its published file, when known
	Version   string            // reported as meta.application_version
}

// OpenQuery loads a wiki's datasets and model from the data directory: the Parquet
// datasets when they are there, the exported SQLite files (<wiki>.<name>.sqlite, or
// its .sqlite.gz copy) otherwise, as in a published directory. A model with extended
// features (ModelFeatures) also gets the datasets they read (Dict.LoadExtended).
func OpenQuery(l datasets.Layout) (*Query, error) {
	var d *Dict
	var err error
	if _, statErr := os.Stat(l.Anchors()); statErr == nil {
		d, err = LoadDict(l, true)
	} else {
		d, err = LoadDictSQLite(l)
	}
	if err != nil {
		return nil, err
	}
	f, err := os.Open(l.Model())
	if err != nil {
		return nil, err
	}
	defer f.Close()
	m, err := gbdt.ReadJSON(f)
	if err != nil {
		return nil, err
	}
	// A model with extended features records them: load what they need.
	set, err := ModelFeatures(m)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", l.Model(), err)
	}
	if err := d.LoadExtended(l, set); err != nil {
		return nil, err
	}
	rules, err := ModelCandidates(m)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", l.Model(), err)
	}
	d.PrepareCandidates(rules)
	q := &Query{Dict: d, Model: m, Checksums: map[string]string{}}
	for _, name := range []string{"anchors", "pageids", "redirects", "w2vfiltered"} {
		if b, err := os.ReadFile(exportedSQLite(l, name) + ".checksum"); err == nil {
			q.Checksums[name] = firstField(string(b))
		}
	}
	if b, err := os.ReadFile(l.Model() + ".checksum"); err == nil {
		q.Checksums["model"] = firstField(string(b))
	}
	return q, nil
}

func firstField(s string) string {
	if f := strings.Fields(s); len(f) > 0 {
		return f[0]
	}
	return ""
}

// Response is the Link Recommendation service's answer for one page, with its keys in
// the service's (sorted) order.
type Response struct {
	Info       string           `json:"info,omitempty"`
	Links      []Recommendation `json:"links"`
	LinksCount int              `json:"links_count"`
	Meta       ResponseMeta     `json:"meta"`
	PageTitle  string           `json:"page_title"`
	PageID     int64            `json:"pageid"`
	RevID      int64            `json:"revid"`
}

// ResponseMeta is the response's meta object.
type ResponseMeta struct {
	ApplicationVersion string            `json:"application_version"`
	DatasetChecksums   map[string]string `json:"dataset_checksums"`
	FormatVersion      int               `json:"format_version"`
}

// Response recommends links for one page and shapes the answer as the service does.
func (q *Query) Response(title string, revid int64, wikitext string, o RecommendOptions) Response {
	res := Recommend(q.Dict, q.Model, title, wikitext, o)
	links := res.Links
	if links == nil {
		links = []Recommendation{}
	}
	return Response{
		PageTitle:  title,
		PageID:     q.Dict.PageIDs[title],
		RevID:      revid,
		LinksCount: len(links),
		Links:      links,
		Meta:       ResponseMeta{ApplicationVersion: q.Version, FormatVersion: 1, DatasetChecksums: q.Checksums},
		Info:       res.Info,
	}
}

// LoadDictSQLite reads a wiki's datasets from the sqlitedict files the export stage
// writes (the service's format).
func LoadDictSQLite(l datasets.Layout) (*Dict, error) {
	var rows datasets.Rows
	for _, name := range []string{"anchors", "pageids", "redirects", "w2vfiltered"} {
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
// data directory (Layout.ExportedSQLite), or beside the model in a published directory.
func exportedSQLite(l datasets.Layout, name string) string {
	if _, err := os.Stat(l.ExportDir()); err == nil {
		return l.ExportedSQLite(name)
	}
	return l.File(name + ".sqlite")
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
