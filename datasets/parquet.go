// Package datasets holds addlink's on-disk formats. This file: Parquet tables written
// with fixed settings (zstd, one row group per 128k rows, no time stamps) so that the
// same rows always give the same bytes, and read back generically.
package datasets

import (
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/compress/zstd"

	"github.com/addlink/addlink/atomicfile"
)

// rowGroupRows is the number of rows per Parquet row group, but for the vectors'
// (groupRowsOf).
const rowGroupRows = 128 * 1024

// embeddingGroupRows is the number of rows per row group of <wiki>.w2vfiltered.parquet:
// its rows are wide (a title and 50 floats). In groups of 32,768 rows (about 7 MB) a
// wiki of 160,000 articles has five, which WriteParquetThreads encodes as many at a
// time as it has threads; in groups of rowGroupRows it would have one of 131,072 rows
// and one of the rest, the first encoded alone for most of the time.
const embeddingGroupRows = 32 * 1024

// groupRowsOf returns the number of rows per row group of T's files.
func groupRowsOf[T any]() int {
	var row T
	if _, ok := any(row).(Embedding); ok {
		return embeddingGroupRows
	}
	return rowGroupRows
}

// WriteParquet writes rows (already in their final, sorted order) to path atomically.
// T is a struct whose fields carry `parquet:"name"` tags. It returns the hex SHA-256 of
// the file.
func WriteParquet[T any](path string, rows []T) (string, error) {
	return WriteParquetThreads(path, rows, 1)
}

// WriteParquetThreads is WriteParquet with the row groups encoded on up to threads
// goroutines (see WriteParquetToThreads): the same bytes for any threads.
func WriteParquetThreads[T any](path string, rows []T, threads int) (string, error) {
	f, err := atomicfile.Create(path)
	if err != nil {
		return "", err
	}
	if err := WriteParquetToThreads(f, rows, threads); err != nil {
		f.Abort()
		return "", fmt.Errorf("datasets: write %s: %w", path, err)
	}
	sum := f.SHA256()
	return sum, f.Commit()
}

// EncodeParquet writes rows as WriteParquet does, to a temporary file that the caller
// commits (to path) or aborts; on error nothing is left.
func EncodeParquet[T any](path string, rows []T) (*atomicfile.File, error) {
	f, err := atomicfile.Create(path)
	if err != nil {
		return nil, err
	}
	if err := WriteParquetTo(f, rows); err != nil {
		f.Abort()
		return nil, fmt.Errorf("datasets: write %s: %w", path, err)
	}
	return f, nil
}

// parquetCodec compresses the pages of every file written: one codec, whose pool of
// encoders (each safe for one goroutine at a time, and the same bytes for the same
// page whatever encoder compresses it) is shared, so that a writer does not allocate
// new ones (their history buffers, zeroed on allocation).
var parquetCodec = &zstd.Codec{Level: zstd.SpeedDefault}

// newParquetWriter returns a writer to w with the fixed settings of WriteParquet.
func newParquetWriter[T any](w io.Writer) *parquet.GenericWriter[T] {
	return parquet.NewGenericWriter[T](w,
		parquet.Compression(parquetCodec),
		parquet.CreatedBy("addlink", "", ""),
		parquet.PageBufferSize(1<<20),
	)
}

// WriteParquetTo writes rows to w in the format of WriteParquet (the same rows give the
// same bytes); it does not close w.
func WriteParquetTo[T any](w io.Writer, rows []T) error {
	pw := newParquetWriter[T](w)
	size := groupRowsOf[T]()
	for start := 0; start < len(rows); start += size {
		end := min(start+size, len(rows))
		if _, err := pw.Write(rows[start:end]); err != nil {
			return err
		}
		if err := pw.Flush(); err != nil {
			return err
		}
	}
	return pw.Close()
}

// WriteParquetToThreads is WriteParquetTo with the row groups encoded on up to threads
// goroutines: each row group is written as a file of its own in memory, and the file's
// row group copied into w in order, its pages as they are (parquet-go's verbatim copy
// of a row group whose settings match the writer's), which gives the bytes
// WriteParquetTo writes. At most threads row groups are held encoded and not yet
// copied. On an error, the goroutines still encoding finish in the background.
func WriteParquetToThreads[T any](w io.Writer, rows []T, threads int) error {
	size := groupRowsOf[T]()
	groups := (len(rows) + size - 1) / size
	if threads <= 1 || groups <= 1 {
		return WriteParquetTo(w, rows)
	}
	type encoded struct {
		b   *chunkFile
		err error
	}
	done := make([]chan encoded, groups)
	for k := range done {
		done[k] = make(chan encoded, 1)
	}
	slots := make(chan struct{}, threads) // a group taken while encoded and not copied
	stop := make(chan struct{})
	defer close(stop)
	go func() {
		for k := range groups {
			select {
			case slots <- struct{}{}:
			case <-stop:
				return
			}
			go func() {
				b := new(chunkFile)
				err := WriteParquetTo(b, rows[k*size:min(len(rows), (k+1)*size)])
				done[k] <- encoded{b, err}
			}()
		}
	}()
	pw := newParquetWriter[T](w)
	for k := range groups {
		e := <-done[k]
		if e.err != nil {
			return e.err
		}
		f, err := parquet.OpenFile(e.b, e.b.Size())
		if err != nil {
			return err
		}
		if rgs := f.RowGroups(); len(rgs) != 1 {
			return fmt.Errorf("datasets: row group %d encoded as %d", k, len(rgs))
		}
		if _, err := pw.WriteRowGroup(f.RowGroups()[0]); err != nil {
			return err
		}
		<-slots
	}
	return pw.Close()
}

// chunkSize is the size of a chunkFile's chunks.
const chunkSize = 1 << 20

// chunkFile is a file in memory, written once from start to end and read back in any
// order: its bytes in chunks of chunkSize, so that growing copies nothing.
type chunkFile struct {
	chunks [][]byte
	size   int64
}

// Write appends p.
func (f *chunkFile) Write(p []byte) (int, error) {
	n := len(p)
	for len(p) > 0 {
		if f.size == int64(len(f.chunks))*chunkSize {
			f.chunks = append(f.chunks, make([]byte, chunkSize))
		}
		off := int(f.size % chunkSize)
		k := copy(f.chunks[len(f.chunks)-1][off:], p)
		p = p[k:]
		f.size += int64(k)
	}
	return n, nil
}

// ReadAt reads len(p) bytes at off, or those up to the end and io.EOF.
func (f *chunkFile) ReadAt(p []byte, off int64) (int, error) {
	if off < 0 {
		return 0, errors.New("datasets: negative offset")
	}
	n := 0
	for n < len(p) && off < f.size {
		c := f.chunks[off/chunkSize][off%chunkSize:]
		k := copy(p[n:], c[:min(int64(len(c)), f.size-off)])
		n += k
		off += int64(k)
	}
	if n < len(p) {
		return n, io.EOF
	}
	return n, nil
}

// Size returns the number of bytes written.
func (f *chunkFile) Size() int64 { return f.size }

// ReadParquet reads all rows of a Parquet file written by WriteParquet with the same T.
func ReadParquet[T any](path string) ([]T, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, err
	}
	return ReadParquetFrom[T](path, f, st.Size())
}

// ReadParquetFrom reads all rows of Parquet data of size bytes written by WriteParquet or
// WriteParquetTo with the same T; name stands for r in errors.
func ReadParquetFrom[T any](name string, r io.ReaderAt, size int64) ([]T, error) {
	pf, err := parquet.OpenFile(r, size)
	if err != nil {
		return nil, fmt.Errorf("datasets: %s: %w", name, err)
	}
	pr := parquet.NewGenericReader[T](pf)
	defer pr.Close()
	out := make([]T, 0, pf.NumRows())
	buf := make([]T, 4096)
	for {
		n, err := pr.Read(buf)
		out = append(out, buf[:n]...)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("datasets: %s: %w", name, err)
		}
	}
	return out, nil
}
