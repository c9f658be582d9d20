package datasets

import (
	"bytes"
	"crypto/sha256"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/parquet-go/parquet-go"
)

func TestParquetVectorsManyRows(t *testing.T) {
	var rows []Embedding
	for i := 0; i < 10000; i++ {
		v := make([]float32, 50)
		for j := range v {
			v[j] = float32(i*100 + j)
		}
		rows = append(rows, Embedding{Title: string(rune('a'+i%26)) + string(rune(i)), Vector: v})
	}
	p := filepath.Join(t.TempDir(), "e.parquet")
	if _, err := WriteParquet(p, rows); err != nil {
		t.Fatal(err)
	}
	got, err := ReadParquet[Embedding](p)
	if err != nil {
		t.Fatal(err)
	}
	for i := range rows {
		for j := range rows[i].Vector {
			if got[i].Vector[j] != rows[i].Vector[j] {
				t.Fatalf("row %d[%d] = %v, want %v", i, j, got[i].Vector[j], rows[i].Vector[j])
			}
		}
	}
}

// vectorRows returns n rows of dim floats each, titled in order.
func vectorRows(n, dim int) []Embedding {
	rows := make([]Embedding, n)
	for i := range rows {
		v := make([]float32, dim)
		for j := range v {
			v[j] = float32(math.Sin(float64(i*dim + j)))
		}
		rows[i] = Embedding{Title: fmt.Sprintf("T%07d", i), Vector: v}
	}
	return rows
}

// The row groups encoded on several goroutines give WriteParquetTo's bytes, for tables
// of no, one and several row groups (a partial one last or not) and two row types.
func TestWriteParquetThreadsSameBytes(t *testing.T) {
	vg := groupRowsOf[Embedding]()
	vecs := vectorRows(2*vg+5, 3)
	ids := make([]PageID, rowGroupRows+1)
	for i := range ids {
		ids[i] = PageID{Title: fmt.Sprintf("P%d", i), PageID: int64(i * 7)}
	}
	tests := []struct {
		name  string
		write func(w io.Writer, threads int) error
	}{
		{"no rows", func(w io.Writer, th int) error { return WriteParquetToThreads(w, vecs[:0], th) }},
		{"one row", func(w io.Writer, th int) error { return WriteParquetToThreads(w, vecs[:1], th) }},
		{"one full group", func(w io.Writer, th int) error { return WriteParquetToThreads(w, vecs[:vg], th) }},
		{"two full groups", func(w io.Writer, th int) error { return WriteParquetToThreads(w, vecs[:2*vg], th) }},
		{"three groups", func(w io.Writer, th int) error { return WriteParquetToThreads(w, vecs, th) }},
		{"page ids, two groups", func(w io.Writer, th int) error { return WriteParquetToThreads(w, ids, th) }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var want bytes.Buffer
			if err := tc.write(&want, 1); err != nil {
				t.Fatal(err)
			}
			for _, threads := range []int{2, 3} {
				var got bytes.Buffer
				if err := tc.write(&got, threads); err != nil {
					t.Fatal(err)
				}
				if !bytes.Equal(got.Bytes(), want.Bytes()) {
					t.Errorf("%d threads: %d bytes unlike one thread's %d", threads, got.Len(), want.Len())
				}
			}
		})
	}
	p := filepath.Join(t.TempDir(), "v.parquet")
	sum, err := WriteParquetThreads(p, vecs, 2)
	if err != nil {
		t.Fatal(err)
	}
	var one bytes.Buffer
	if err := WriteParquetTo(&one, vecs); err != nil {
		t.Fatal(err)
	}
	if b, err := os.ReadFile(p); err != nil || !bytes.Equal(b, one.Bytes()) || sum != fmt.Sprintf("%x", sha256.Sum256(b)) {
		t.Errorf("WriteParquetThreads: the file (%v) or its sum %s unlike WriteParquetTo's bytes", err, sum)
	}
}

// BenchmarkWriteParquetThreads writes 160,000 vectors of 50 floats (five row groups, the
// last shorter, as the 400 MB synthetic dump's) on one thread and two.
func BenchmarkWriteParquetThreads(b *testing.B) {
	rows := vectorRows(160000, 50)
	for _, threads := range []int{1, 2} {
		b.Run(fmt.Sprint("threads=", threads), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if err := WriteParquetToThreads(io.Discard, rows, threads); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// The vectors' files have row groups of embeddingGroupRows rows, other tables of
// rowGroupRows.
func TestRowGroupRows(t *testing.T) {
	groups := func(t *testing.T, write func(w io.Writer) error) []int64 {
		var b bytes.Buffer
		if err := write(&b); err != nil {
			t.Fatal(err)
		}
		f, err := parquet.OpenFile(bytes.NewReader(b.Bytes()), int64(b.Len()))
		if err != nil {
			t.Fatal(err)
		}
		var n []int64
		for _, g := range f.RowGroups() {
			n = append(n, g.NumRows())
		}
		return n
	}
	vecs := vectorRows(2*embeddingGroupRows+7, 2)
	if got, want := groups(t, func(w io.Writer) error { return WriteParquetToThreads(w, vecs, 2) }), []int64{embeddingGroupRows, embeddingGroupRows, 7}; !slices.Equal(got, want) {
		t.Errorf("vectors: row groups of %v rows, want %v", got, want)
	}
	ids := make([]PageID, rowGroupRows+3)
	for i := range ids {
		ids[i] = PageID{Title: fmt.Sprint(i), PageID: int64(i)}
	}
	if got, want := groups(t, func(w io.Writer) error { return WriteParquetTo(w, ids) }), []int64{rowGroupRows, 3}; !slices.Equal(got, want) {
		t.Errorf("page ids: row groups of %v rows, want %v", got, want)
	}
}

// chunkFile reads back what was written, across its chunks' bounds, and says io.EOF
// past the end.
func TestChunkFile(t *testing.T) {
	data := make([]byte, 2*chunkSize+123)
	for i := range data {
		data[i] = byte(i * 7 / 5)
	}
	var f chunkFile
	for _, n := range []int{0, 1, chunkSize - 2, 3, chunkSize + 100} { // writes across the bounds
		if k, err := f.Write(data[f.Size() : f.Size()+int64(n)]); k != n || err != nil {
			t.Fatalf("Write %d bytes: %d, %v", n, k, err)
		}
	}
	f.Write(data[f.Size():])
	if f.Size() != int64(len(data)) {
		t.Fatalf("size %d, want %d", f.Size(), len(data))
	}
	tests := []struct {
		name    string
		off, n  int
		wantN   int
		wantEOF bool
	}{
		{"start", 0, 10, 10, false},
		{"across a bound", chunkSize - 5, 10, 10, false},
		{"across two bounds", chunkSize - 1, chunkSize + 2, chunkSize + 2, false},
		{"the whole", 0, len(data), len(data), false},
		{"past the end", len(data) - 4, 10, 4, true},
		{"at the end", len(data), 1, 0, true},
		{"nothing", 5, 0, 0, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := make([]byte, tc.n)
			n, err := f.ReadAt(p, int64(tc.off))
			if n != tc.wantN || (err == io.EOF) != tc.wantEOF || (err != nil && err != io.EOF) {
				t.Fatalf("ReadAt(%d bytes at %d) = %d, %v", tc.n, tc.off, n, err)
			}
			if !bytes.Equal(p[:n], data[tc.off:tc.off+n]) {
				t.Error("other bytes than written")
			}
		})
	}
	if _, err := f.ReadAt(make([]byte, 1), -1); err == nil {
		t.Error("a negative offset read")
	}
}
