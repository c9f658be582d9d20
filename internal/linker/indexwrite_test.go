package linker

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/addlink/addlink/datasets"
	"github.com/addlink/addlink/internal/testfixtures"
)

// dictServeIndex is how the serving index was written before IndexWriter: from a
// Dict's maps, each dataset's keys sorted, each anchor's candidates in the Dict's order
// with its kurtosis. The streamed index must be these bytes.
func dictServeIndex(t testing.TB, d *Dict, path string) []byte {
	t.Helper()
	w, err := datasets.NewServeIndexWriter(path)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Abort()
	var buf []byte
	for _, k := range sortedKeys(d.Anchors) {
		m := d.Anchors[k]
		var titles []string
		var counts []int64
		for _, c := range m.Candidates {
			titles = append(titles, c.Title)
			counts = append(counts, c.Count)
		}
		buf = datasets.AppendAnchorValue(buf[:0], m.Kurtosis, titles, counts)
		if err := w.Add(datasets.IndexAnchors, k, buf); err != nil {
			t.Fatal(err)
		}
	}
	for _, k := range sortedKeys(d.PageIDs) {
		if err := w.Add(datasets.IndexPageIDs, k, binary.AppendVarint(buf[:0], d.PageIDs[k])); err != nil {
			t.Fatal(err)
		}
	}
	for _, k := range sortedKeys(d.Redirects) {
		if err := w.Add(datasets.IndexRedirects, k, []byte(d.Redirects[k])); err != nil {
			t.Fatal(err)
		}
	}
	for _, k := range sortedKeys(d.Vectors) {
		if err := w.Add(datasets.IndexVectors, k, datasets.AppendVectorValue(buf[:0], d.Vectors[k])); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := w.Commit(); err != nil {
		t.Fatal(err)
	}
	return readFile(t, path)
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

func readFile(t testing.TB, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func cloneRows(r datasets.Rows) datasets.Rows {
	return datasets.Rows{Anchors: slices.Clone(r.Anchors), PageIDs: slices.Clone(r.PageIDs),
		Redirects: slices.Clone(r.Redirects), Vectors: slices.Clone(r.Vectors)}
}

// sameIndex fails unless the two indexes are the same non-empty bytes with keys in
// every section the rows have.
func sameIndex(t *testing.T, got, want []byte, rows datasets.Rows) {
	t.Helper()
	if len(want) == 0 || len(got) == 0 {
		t.Fatalf("an empty index: streamed %d bytes, from the Dict %d", len(got), len(want))
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("the streamed index (%d bytes) differs from the Dict's (%d bytes)", len(got), len(want))
	}
	if len(rows.Anchors) == 0 || len(rows.PageIDs) == 0 {
		t.Fatalf("no anchors (%d) or no page ids (%d): nothing compared", len(rows.Anchors), len(rows.PageIDs))
	}
}

// syntheticRows is a wiki whose rows come in no particular order, with what the
// streamed index must treat as NewDict does: an anchor's rows scattered and repeated,
// a target repeated with another count, anchors of more than indexFrom candidates
// and equal counts, repeated page ids, redirects and vectors (the last row wins),
// empty keys and vectors, bytes above ASCII.
func syntheticRows(seed uint64, n int) datasets.Rows {
	r := rand.New(rand.NewPCG(seed, 7))
	var rows datasets.Rows
	word := func(k int) string {
		return [...]string{"", "a", "a ", "ä", "Ω", "b\t", "\u00e9t\u00e9", "zz"}[r.IntN(8)] + fmt.Sprint(r.IntN(k))
	}
	for range n {
		a := word(n / 3)
		for range 1 + r.IntN(14) {
			rows.Anchors = append(rows.Anchors, datasets.Anchor{Anchor: a, Target: "T" + word(n), N: int64(r.IntN(6))})
		}
		rows.PageIDs = append(rows.PageIDs, datasets.PageID{Title: word(n), PageID: int64(r.IntN(1<<40) - 1<<39)})
		rows.Redirects = append(rows.Redirects, datasets.Redirect{From: word(n), To: word(n)})
		v := make([]float32, r.IntN(4))
		for i := range v {
			v[i] = float32(r.NormFloat64())
		}
		rows.Vectors = append(rows.Vectors, datasets.Embedding{Title: word(n), Vector: v})
	}
	r.Shuffle(len(rows.Anchors), func(i, j int) { rows.Anchors[i], rows.Anchors[j] = rows.Anchors[j], rows.Anchors[i] })
	return rows
}

// TestIndexWriterMatchesDict: the index streamed from the rows (sorted by key, one
// anchor at a time) is byte for byte the index written from a Dict of the same rows,
// on the fixture wikis and on synthetic ones.
func TestIndexWriterMatchesDict(t *testing.T) {
	cases := map[string]func(t *testing.T) datasets.Rows{}
	for _, wiki := range []string{"elwikivoyage", "enwiki", "jawiki", "ukwiki", "viwiki"} {
		cases["fixture "+wiki] = func(t *testing.T) datasets.Rows { return fixtureRows(t, wiki) }
	}
	for _, seed := range []uint64{1, 2, 3} {
		cases[fmt.Sprint("synthetic ", seed)] = func(*testing.T) datasets.Rows { return syntheticRows(seed, 3000) }
	}
	names := slices.Sorted(func(yield func(string) bool) {
		for k := range cases {
			if !yield(k) {
				return
			}
		}
	})
	for _, name := range names {
		t.Run(name, func(t *testing.T) {
			rows := cases[name](t)
			dir := t.TempDir()
			want := dictServeIndex(t, NewDict(rows.Anchors, rows.PageIDs, rows.Redirects, rows.Vectors), filepath.Join(dir, "dict.serve.idx"))
			sorted := cloneRows(rows)
			if _, err := WriteServeIndexRows(filepath.Join(dir, "rows.serve.idx"), &sorted); err != nil {
				t.Fatal(err)
			}
			sameIndex(t, readFile(t, filepath.Join(dir, "rows.serve.idx")), want, rows)
		})
	}
}

// TestIndexWriterSources: the index streamed from each source a wiki is read from (the
// Parquet datasets, the exported sqlitedict files, plain and gzipped) is the Dict's.
func TestIndexWriterSources(t *testing.T) {
	t.Run("elwikivoyage sqlite", func(t *testing.T) {
		src := testfixtures.Path(t, "reference/elwikivoyage/export")
		dir := t.TempDir()
		l := datasets.Layout{DataDir: dir, Wiki: "elwikivoyage"}
		if err := os.MkdirAll(l.Dir(), 0o755); err != nil {
			t.Fatal(err)
		}
		for _, name := range datasets.DatasetNames {
			if err := os.Symlink(filepath.Join(src, "elwikivoyage."+name+".sqlite"), l.PublishedSQLite(name)); err != nil {
				t.Fatal(err)
			}
		}
		d, err := LoadDictSQLite(l)
		if err != nil {
			t.Fatal(err)
		}
		want := dictServeIndex(t, d, filepath.Join(dir, "dict.serve.idx"))
		if _, err := WriteServeIndex(l, SQLite, filepath.Join(dir, "s.serve.idx")); err != nil {
			t.Fatal(err)
		}
		sameIndex(t, readFile(t, filepath.Join(dir, "s.serve.idx")), want,
			datasets.Rows{Anchors: make([]datasets.Anchor, len(d.Anchors)), PageIDs: make([]datasets.PageID, len(d.PageIDs))})
		if len(d.Vectors) == 0 {
			t.Fatal("the fixture has no vectors: the vector section is not compared")
		}
	})
	t.Run("synthetic sqlite.gz and parquet", func(t *testing.T) {
		rows := syntheticRows(4, 2000)
		dir := t.TempDir()
		want := dictServeIndex(t, NewDict(rows.Anchors, rows.PageIDs, rows.Redirects, rows.Vectors), filepath.Join(dir, "dict.serve.idx"))
		l := datasets.Layout{DataDir: dir, Wiki: "xxwiki"}
		// Parquet: the rows as they are (not sorted).
		for _, err := range []error{
			writeParquet(l.Anchors(), rows.Anchors), writeParquet(l.PageIDs(), rows.PageIDs),
			writeParquet(l.Redirects(), rows.Redirects), writeParquet(l.Embeddings(), rows.Vectors),
		} {
			if err != nil {
				t.Fatal(err)
			}
		}
		if _, err := WriteServeIndex(l, Parquet, filepath.Join(dir, "p.serve.idx")); err != nil {
			t.Fatal(err)
		}
		sameIndex(t, readFile(t, filepath.Join(dir, "p.serve.idx")), want, rows)
		// sqlitedict files, gzipped, as published (no Parquet beside them): against the
		// Dict of what they hold.
		if err := writeSqliteDicts(l, NewDict(rows.Anchors, rows.PageIDs, rows.Redirects, rows.Vectors)); err != nil {
			t.Fatal(err)
		}
		for _, name := range datasets.DatasetNames {
			os.Remove(l.File(name + ".parquet"))
		}
		d, err := LoadDictSQLite(l)
		if err != nil {
			t.Fatal(err)
		}
		want = dictServeIndex(t, d, filepath.Join(dir, "dict-sqlite.serve.idx"))
		if _, err := WriteServeIndex(l, SQLite, filepath.Join(dir, "s.serve.idx")); err != nil {
			t.Fatal(err)
		}
		sameIndex(t, readFile(t, filepath.Join(dir, "s.serve.idx")), want, rows)
	})
}

func writeParquet[T any](path string, rows []T) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	_, err := datasets.WriteParquet(path, rows)
	return err
}

// writeSqliteDicts writes d's datasets as gzipped sqlitedict files where a published
// directory has them (Layout.PublishedSQLite + ".gz").
func writeSqliteDicts(l datasets.Layout, d *Dict) error {
	write := func(name string, keys []string, value func(string) []byte) error {
		path := l.PublishedSQLite(name)
		err := datasets.WriteSqliteDict(path, func(y func(string, []byte) error) error {
			for _, k := range keys {
				if err := y(k, value(k)); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			return err
		}
		if _, err := datasets.GzipFile(path+".gz", path); err != nil {
			return err
		}
		return os.Remove(path)
	}
	return errorsJoin(
		write("anchors", sortedKeys(d.Anchors), func(k string) []byte {
			// In title order, as the export writes an anchor's dict.
			var items []datasets.StrInt
			for _, c := range d.Anchors[k].Candidates {
				items = append(items, datasets.StrInt{Key: c.Title, Value: c.Count})
			}
			slices.SortFunc(items, func(a, b datasets.StrInt) int { return strings.Compare(a.Key, b.Key) })
			return datasets.PickleStrIntDict(items)
		}),
		write("pageids", sortedKeys(d.PageIDs), func(k string) []byte { return datasets.PickleInt(d.PageIDs[k]) }),
		write("redirects", sortedKeys(d.Redirects), func(k string) []byte { return datasets.PickleString(d.Redirects[k]) }),
		write("w2vfiltered", sortedKeys(d.Vectors), func(k string) []byte { return datasets.PickleFloat32Array(d.Vectors[k]) }),
	)
}

func errorsJoin(errs ...error) error {
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}

// TestIndexWriterOrder: rows out of key order, or a dataset after a later one, are an
// error naming the keys, not a wrong index.
func TestIndexWriterOrder(t *testing.T) {
	for _, c := range []struct {
		name string
		add  func(w *IndexWriter) error
		want string
	}{
		{"anchor before the previous", func(w *IndexWriter) error {
			w.AnchorRow("b", "B", 1)
			return w.AnchorRow("a", "A", 1)
		}, `key "a" after "b"`},
		{"page id before the previous", func(w *IndexWriter) error {
			w.PageID("b", 1)
			return w.PageID("a", 1)
		}, `key "a" after "b"`},
		{"anchor after a page id", func(w *IndexWriter) error {
			w.PageID("a", 1)
			return w.AnchorRow("b", "B", 1)
		}, "section 0 after section 1"},
		{"bad pickle", func(w *IndexWriter) error { return w.AddPickled("pageids", "a", []byte("x")) }, ""},
		{"unknown dataset", func(w *IndexWriter) error { return w.AddPickled("links", "a", nil) }, `no dataset "links"`},
	} {
		t.Run(c.name, func(t *testing.T) {
			w, err := NewIndexWriter(filepath.Join(t.TempDir(), "x.serve.idx"))
			if err != nil {
				t.Fatal(err)
			}
			defer w.Abort()
			err = c.add(w)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("error %v, want one containing %q", err, c.want)
			}
		})
	}
}

// FuzzIndexWriter: for any rows, the streamed index is the Dict's.
func FuzzIndexWriter(f *testing.F) {
	f.Add([]byte("a\x00A\x01a\x00B\x01b\x00A\x02"), uint64(1))
	f.Add([]byte("\x00\x00\x00\x00"), uint64(2))
	f.Fuzz(func(t *testing.T, data []byte, seed uint64) {
		// Rows from the bytes: fields separated by 0, rows by 1..3 (the dataset).
		var rows datasets.Rows
		r := rand.New(rand.NewPCG(seed, 1))
		for _, rec := range bytes.FieldsFunc(data, func(c rune) bool { return c == 1 || c == 2 || c == 3 }) {
			f := strings.SplitN(string(rec), "\x00", 2)
			k, v := f[0], ""
			if len(f) == 2 {
				v = f[1]
			}
			switch r.IntN(4) {
			case 0:
				rows.Anchors = append(rows.Anchors, datasets.Anchor{Anchor: k, Target: v, N: int64(r.IntN(5))})
			case 1:
				rows.PageIDs = append(rows.PageIDs, datasets.PageID{Title: k, PageID: int64(len(v))})
			case 2:
				rows.Redirects = append(rows.Redirects, datasets.Redirect{From: k, To: v})
			case 3:
				rows.Vectors = append(rows.Vectors, datasets.Embedding{Title: k, Vector: make([]float32, len(v)%5)})
			}
		}
		dir := t.TempDir()
		want := dictServeIndex(t, NewDict(rows.Anchors, rows.PageIDs, rows.Redirects, rows.Vectors), filepath.Join(dir, "d"))
		sorted := cloneRows(rows)
		if _, err := WriteServeIndexRows(filepath.Join(dir, "s"), &sorted); err != nil {
			t.Fatal(err)
		}
		if got := readFile(t, filepath.Join(dir, "s")); !bytes.Equal(got, want) {
			t.Fatalf("streamed index differs from the Dict's for %q", data)
		}
	})
}
