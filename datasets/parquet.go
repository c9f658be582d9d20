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

// rowGroupRows is the number of rows per Parquet row group.
const rowGroupRows = 128 * 1024

// WriteParquet writes rows (already in their final, sorted order) to path atomically.
// T is a struct whose fields carry `parquet:"name"` tags. It returns the hex SHA-256 of
// the file.
func WriteParquet[T any](path string, rows []T) (string, error) {
	f, err := EncodeParquet(path, rows)
	if err != nil {
		return "", err
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

// WriteParquetTo writes rows to w in the format of WriteParquet (the same rows give the
// same bytes); it does not close w.
func WriteParquetTo[T any](w io.Writer, rows []T) error {
	pw := parquet.NewGenericWriter[T](w,
		parquet.Compression(&zstd.Codec{Level: zstd.SpeedDefault}),
		parquet.CreatedBy("addlink", "", ""),
		parquet.PageBufferSize(1<<20),
	)
	for start := 0; start < len(rows); start += rowGroupRows {
		end := min(start+rowGroupRows, len(rows))
		if _, err := pw.Write(rows[start:end]); err != nil {
			return err
		}
		if err := pw.Flush(); err != nil {
			return err
		}
	}
	return pw.Close()
}

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
