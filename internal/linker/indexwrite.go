package linker

import (
	"cmp"
	"encoding/binary"
	"fmt"
	"os"
	"slices"

	"github.com/addlink/addlink/datasets"
)

// IndexWriter streams a wiki's four datasets into a serving index
// (datasets.ServeIndexWriter) without holding them: each dataset in turn (anchors,
// page ids, redirects, vectors), its rows in increasing byte order of their keys. It
// holds one anchor's candidates at a time and the writer's 16 bytes a key, so an index
// of any size is built in bounded memory from sources that give their rows in key
// order (a SQLite file's ORDER BY key, the lr_ tables sorted by lookup).
//
// The index answers as a Dict made of the same rows (NewDict) does: an anchor's
// rows, wherever they repeat, gather into one entry whose candidates are ordered most
// linked first (ties by title), with the kurtosis of their counts; in the other
// datasets the last row of a repeated key wins.
type IndexWriter struct {
	w       *datasets.ServeIndexWriter
	section int
	key     string // the pending key, written when a greater one comes
	pending bool
	value   []byte      // its value (page ids, redirects, vectors)
	cands   []Candidate // its candidates (anchors)
	titles  []string
	counts  []int64
}

// NewIndexWriter starts writing the serving index path.
func NewIndexWriter(path string) (*IndexWriter, error) {
	w, err := datasets.NewServeIndexWriter(path)
	if err != nil {
		return nil, err
	}
	return &IndexWriter{w: w}, nil
}

// next makes key the pending key of section: same is true when it already is (a
// repeated key); a smaller key or an earlier section is an error.
func (w *IndexWriter) next(section int, key string) (same bool, err error) {
	switch {
	case section < w.section:
		return false, fmt.Errorf("serving index: section %d after section %d", section, w.section)
	case section == w.section && w.pending && key == w.key:
		return true, nil
	case section == w.section && w.pending && key < w.key:
		return false, fmt.Errorf("serving index: key %.200q after %.200q: the rows of a dataset must come in increasing byte order of their keys", key, w.key)
	}
	if err := w.flush(); err != nil {
		return false, err
	}
	w.section, w.key, w.pending = section, key, true
	return false, nil
}

// flush writes the pending key's record.
func (w *IndexWriter) flush() error {
	if !w.pending {
		return nil
	}
	w.pending = false
	if w.section != datasets.IndexAnchors {
		return w.w.Add(w.section, w.key, w.value)
	}
	// NewDict's order: most linked first, ties by title (equal title and count are
	// the same candidate, so the order is total in effect).
	slices.SortFunc(w.cands, func(a, b Candidate) int {
		if a.Count != b.Count {
			return cmp.Compare(b.Count, a.Count)
		}
		return cmp.Compare(a.Title, b.Title)
	})
	w.titles, w.counts = w.titles[:0], w.counts[:0]
	for _, c := range w.cands {
		w.titles = append(w.titles, c.Title)
		w.counts = append(w.counts, c.Count)
	}
	w.value = datasets.AppendAnchorValue(w.value[:0], Kurtosis(w.counts), w.titles, w.counts)
	w.cands = w.cands[:0]
	return w.w.Add(datasets.IndexAnchors, w.key, w.value)
}

// AnchorRow adds one candidate (target, linked n times) of anchor.
func (w *IndexWriter) AnchorRow(anchor, target string, n int64) error {
	if _, err := w.next(datasets.IndexAnchors, anchor); err != nil {
		return err
	}
	w.cands = append(w.cands, Candidate{target, n})
	return nil
}

// PageID adds the page id of an article title.
func (w *IndexWriter) PageID(title string, id int64) error {
	if _, err := w.next(datasets.IndexPageIDs, title); err != nil {
		return err
	}
	w.value = binary.AppendVarint(w.value[:0], id)
	return nil
}

// Redirect adds a redirect.
func (w *IndexWriter) Redirect(from, to string) error {
	if _, err := w.next(datasets.IndexRedirects, from); err != nil {
		return err
	}
	w.value = append(w.value[:0], to...)
	return nil
}

// Vector adds the embedding of a title.
func (w *IndexWriter) Vector(title string, v []float32) error {
	if _, err := w.next(datasets.IndexVectors, title); err != nil {
		return err
	}
	w.value = datasets.AppendVectorValue(w.value[:0], v)
	return nil
}

// AddPickled adds the row key of dataset name ("anchors", "pageids", "redirects",
// "w2vfiltered") as exported: its value pickled as in the sqlitedict files and the lr_
// tables (datasets.Rows.Add).
func (w *IndexWriter) AddPickled(name, key string, value []byte) error {
	switch name {
	case "anchors":
		items, err := datasets.UnpickleStrIntDict(value)
		if err != nil {
			return err
		}
		for _, it := range items {
			if err := w.AnchorRow(key, it.Key, it.Value); err != nil {
				return err
			}
		}
		return nil
	case "pageids":
		n, err := datasets.UnpickleInt(value)
		if err != nil {
			return err
		}
		return w.PageID(key, n)
	case "redirects":
		to, err := datasets.UnpickleString(value)
		if err != nil {
			return err
		}
		return w.Redirect(key, to)
	case "w2vfiltered":
		v, err := datasets.UnpickleFloat32Array(value)
		if err != nil {
			return err
		}
		return w.Vector(key, v)
	}
	return fmt.Errorf("serving index: no dataset %q", name)
}

// Commit writes the index and its sidecar and returns its SHA-256.
func (w *IndexWriter) Commit() (string, error) {
	if err := w.flush(); err != nil {
		return "", err
	}
	return w.w.Commit()
}

// Abort removes what was written; it is a no-op after Commit.
func (w *IndexWriter) Abort() { w.w.Abort() }

// WriteServeIndexRows writes the serving index of rows at path and returns its
// SHA-256. It sorts each dataset's rows by key (stably, in place) when they are not.
func WriteServeIndexRows(path string, r *datasets.Rows) (string, error) {
	w, err := NewIndexWriter(path)
	if err != nil {
		return "", err
	}
	defer w.Abort()
	for _, name := range datasets.DatasetNames {
		if err := writeRows(w, r, name); err != nil {
			return "", err
		}
	}
	return w.Commit()
}

// WriteServeIndexParquet writes the serving index of the Parquet datasets of l at path
// (the embeddings when withVectors) and returns its SHA-256. It reads one dataset at a
// time: what it holds is the largest dataset's rows, never a Dict's maps.
func WriteServeIndexParquet(l datasets.Layout, withVectors bool, path string) (string, error) {
	w, err := NewIndexWriter(path)
	if err != nil {
		return "", err
	}
	defer w.Abort()
	for _, name := range datasets.DatasetNames {
		var r datasets.Rows
		var err error
		switch name {
		case "anchors":
			r.Anchors, err = datasets.ReadParquet[datasets.Anchor](l.Anchors())
		case "pageids":
			r.PageIDs, err = datasets.ReadParquet[datasets.PageID](l.PageIDs())
		case "redirects":
			r.Redirects, err = datasets.ReadParquet[datasets.Redirect](l.Redirects())
		case "w2vfiltered":
			if withVectors {
				r.Vectors, err = datasets.ReadParquet[datasets.Embedding](l.Embeddings())
			}
		}
		if err != nil {
			return "", err
		}
		if err := writeRows(w, &r, name); err != nil {
			return "", err
		}
	}
	return w.Commit()
}

// WriteServeIndexSQLite writes the serving index of the exported sqlitedict files of l
// (plain or gzipped; the embeddings when present) at path, reading each in key order
// one row at a time, and returns its SHA-256.
func WriteServeIndexSQLite(l datasets.Layout, path string) (string, error) {
	w, err := NewIndexWriter(path)
	if err != nil {
		return "", err
	}
	defer w.Abort()
	for _, name := range datasets.DatasetNames {
		file, cleanup, err := sqliteFile(exportedSQLite(l, name))
		if err != nil {
			if name == "w2vfiltered" && os.IsNotExist(err) {
				continue
			}
			return "", fmt.Errorf("no %s dataset in %s: %w", name, l.Dir(), err)
		}
		err = datasets.ReadSqliteDict(file, func(key string, value []byte) error {
			return w.AddPickled(name, key, value)
		})
		cleanup()
		if err != nil {
			return "", fmt.Errorf("%s: %w", file, err)
		}
	}
	return w.Commit()
}

// WriteServeIndex writes the serving index of the datasets of l in format f (what
// LoadWikiDict reads) at path and returns its SHA-256.
func WriteServeIndex(l datasets.Layout, f Format, path string) (string, error) {
	if err := CheckFormat(f); err != nil {
		return "", err
	}
	if isParquet(l, f) {
		return WriteServeIndexParquet(l, true, path)
	}
	return WriteServeIndexSQLite(l, path)
}

// writeRows sorts dataset name's rows of r by key, stably (a no-op on the sorted rows
// the pipeline writes), and adds them to w.
func writeRows(w *IndexWriter, r *datasets.Rows, name string) error {
	switch name {
	case "anchors":
		sortStable(r.Anchors, func(a datasets.Anchor) string { return a.Anchor })
		for _, a := range r.Anchors {
			if err := w.AnchorRow(a.Anchor, a.Target, a.N); err != nil {
				return err
			}
		}
	case "pageids":
		sortStable(r.PageIDs, func(p datasets.PageID) string { return p.Title })
		for _, p := range r.PageIDs {
			if err := w.PageID(p.Title, p.PageID); err != nil {
				return err
			}
		}
	case "redirects":
		sortStable(r.Redirects, func(p datasets.Redirect) string { return p.From })
		for _, p := range r.Redirects {
			if err := w.Redirect(p.From, p.To); err != nil {
				return err
			}
		}
	case "w2vfiltered":
		sortStable(r.Vectors, func(p datasets.Embedding) string { return p.Title })
		for _, p := range r.Vectors {
			if err := w.Vector(p.Title, p.Vector); err != nil {
				return err
			}
		}
	}
	return nil
}

// sortStable sorts rows stably by key unless they already are.
func sortStable[T any](rows []T, key func(T) string) {
	less := func(a, b T) int { return cmp.Compare(key(a), key(b)) }
	if !slices.IsSortedFunc(rows, less) {
		slices.SortStableFunc(rows, less)
	}
}
