// Package articles keeps the articles of a dump (namespace 0, not redirects, with
// text) in an s2-compressed file (s2 rather than zstd: it costs the dictionaries stage,
// which writes it while decompressing the dump, a third of the time), so that the stages after the first read them without
// decompressing the bz2 dump again. The dictionaries stage writes the file while it
// reads the dump; the embeddings and sentences stages read it when it was made from the
// same dump files (same paths, sizes and modification times) and the dump otherwise.
//
// Format: an s2 stream of a header line "addlink-articles 1\n", one line per dump file
// "<size> <mtime ns> <absolute path>\n", an empty line, then per article: uvarint id,
// uvarint length + title, uvarint length + text. The title is as in the dump.
package articles

import (
	"bufio"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"unsafe"

	"github.com/klauspost/compress/s2"

	"github.com/addlink/addlink/atomicfile"
	"github.com/addlink/addlink/internal/dump"
)

const magic = "addlink-articles 2"

// identity describes the dump files a cache was made from.
func identity(dumps []string) (string, error) {
	var b strings.Builder
	for _, d := range dumps {
		abs, err := filepath.Abs(d)
		if err != nil {
			return "", err
		}
		st, err := os.Stat(abs)
		if err != nil {
			return "", err
		}
		fmt.Fprintf(&b, "%d %d %s\n", st.Size(), st.ModTime().UnixNano(), abs)
	}
	return b.String(), nil
}

// Writer writes a cache file.
type Writer struct {
	f   *atomicfile.File
	enc *s2.Writer
	buf []byte
	n   int64
}

// Create starts a cache for the given dump files at path; nothing appears under path
// before Close succeeds.
func Create(path string, dumps []string) (*Writer, error) {
	id, err := identity(dumps)
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return nil, err
	}
	f, err := atomicfile.CreateUnhashed(path) // a cache: its checksum is never asked for
	if err != nil {
		return nil, err
	}
	enc := s2.NewWriter(f, s2.WriterConcurrency(1))
	w := &Writer{f: f, enc: enc}
	if _, err := io.WriteString(enc, magic+"\n"+id+"\n"); err != nil {
		w.Abort()
		return nil, err
	}
	return w, nil
}

// Add appends a page if it is an article (namespace 0, not a redirect, with text).
func (w *Writer) Add(pg *dump.Page) error {
	if pg.NS != 0 || pg.IsRedirect() || pg.Text == "" {
		return nil
	}
	b := w.buf[:0]
	b = binary.AppendUvarint(b, uint64(pg.ID))
	b = binary.AppendUvarint(b, uint64(len(pg.Title)))
	b = append(b, pg.Title...)
	b = binary.AppendUvarint(b, uint64(len(pg.Text)))
	b = append(b, pg.Text...) // one reused buffer, where io.WriteString would copy the text to a new one
	w.buf = b
	_, err := w.enc.Write(b)
	w.n++
	return err
}

// Close finishes the file and gives it its final name.
func (w *Writer) Close() error {
	if err := w.enc.Close(); err != nil {
		w.f.Abort()
		return err
	}
	return w.f.Commit()
}

// Abort removes the unfinished file (and its directory when that is then empty).
func (w *Writer) Abort() {
	w.enc.Close()
	w.f.Abort()
	os.Remove(filepath.Dir(w.f.Name()))
}

// ErrStale says a cache was made from other dump files (or is unreadable).
var ErrStale = errors.New("articles: the cache was made from other dump files")

// Reader reads a cache file.
type Reader struct {
	f  *os.File
	br *bufio.Reader
}

// Open opens the cache at path if it was made from exactly these dump files.
func Open(path string, dumps []string) (*Reader, error) {
	want, err := identity(dumps)
	if err != nil {
		return nil, err
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	r := &Reader{f: f, br: bufio.NewReaderSize(s2.NewReader(f), 1<<20)}
	var header strings.Builder
	for {
		line, err := r.br.ReadString('\n')
		if err != nil {
			r.Close()
			return nil, ErrStale
		}
		if line == "\n" {
			break
		}
		header.WriteString(line)
	}
	if header.String() != magic+"\n"+want {
		r.Close()
		return nil, ErrStale
	}
	return r, nil
}

// Next returns the next article, or io.EOF.
func (r *Reader) Next() (*dump.Page, error) {
	id, err := binary.ReadUvarint(r.br)
	if err == io.EOF {
		return nil, io.EOF
	}
	if err != nil {
		return nil, fmt.Errorf("articles: %w", err)
	}
	title, err := r.str()
	if err != nil {
		return nil, err
	}
	text, err := r.str()
	if err != nil {
		return nil, err
	}
	return &dump.Page{ID: int64(id), NS: 0, Title: title, Text: text}, nil
}

func (r *Reader) str() (string, error) {
	n, err := binary.ReadUvarint(r.br)
	if err != nil {
		return "", fmt.Errorf("articles: truncated cache: %w", noEOF(err))
	}
	if n > 1<<31 {
		return "", errors.New("articles: corrupt cache (length " + strconv.FormatUint(n, 10) + ")")
	}
	b := make([]byte, n)
	if _, err := io.ReadFull(r.br, b); err != nil {
		return "", fmt.Errorf("articles: truncated cache: %w", noEOF(err))
	}
	// The string takes b's bytes without a second copy (of every article's text): b is
	// not kept or written after this.
	return unsafe.String(unsafe.SliceData(b), len(b)), nil
}

func noEOF(err error) error {
	if err == io.EOF {
		return io.ErrUnexpectedEOF
	}
	return err
}

// Close releases the reader.
func (r *Reader) Close() error { return r.f.Close() }

// Source is a stream of pages: a dump or a cache.
type Source interface {
	Next() (*dump.Page, error)
	Close() error
}

// OpenSource opens the cache at cachePath when it matches the dump files, and the
// dump files otherwise. fromCache says which.
func OpenSource(ctx context.Context, cachePath string, dumps []string, opts dump.Options) (src Source, fromCache bool, err error) {
	if cachePath != "" {
		if r, err := Open(cachePath, dumps); err == nil {
			return r, true, nil
		}
	}
	r, err := dump.Open(ctx, dumps, opts)
	if err != nil {
		return nil, false, err
	}
	return r, false, nil
}
