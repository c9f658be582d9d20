package embeddings

import (
	"bufio"
	"encoding/binary"
	"fmt"
	"io"
	"os"

	"github.com/klauspost/compress/s2"

	"github.com/addlink/addlink/atomicfile"
	"github.com/addlink/addlink/internal/embed"
)

// docFile keeps the corpus's documents in an s2-compressed temporary file, so that
// memory holds the vocabulary, not the text: each document is its entity, its words (as
// ids given while reading the dump, mapped to the final vocabulary when read back: rare
// words are dropped and link positions shift with them) and its links.
type docFile struct {
	path  string
	n     int
	remap []int32 // id while reading -> final word id, or -1
	f     *os.File
	w     *bufio.Writer
	s2w   *s2.Writer
	buf   []byte
}

// newDocFile creates the file in dir; files left there by killed runs are removed first.
func newDocFile(dir string) (*docFile, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	// Only files whose owner is gone: another run's corpus file is not ours to remove.
	if _, err := atomicfile.RemoveStale(dir, false); err != nil {
		return nil, err
	}
	f, err := os.CreateTemp(dir, atomicfile.TempPrefix("corpus")+"*.s2")
	if err != nil {
		return nil, err
	}
	d := &docFile{path: f.Name(), f: f}
	d.s2w = s2.NewWriter(f, s2.WriterConcurrency(1))
	d.w = bufio.NewWriterSize(d.s2w, 1<<16)
	return d, nil
}

func (d *docFile) add(doc *embed.Doc) error {
	b := d.buf[:0]
	b = binary.AppendUvarint(b, uint64(doc.Entity))
	b = binary.AppendUvarint(b, uint64(len(doc.Words)))
	for _, w := range doc.Words {
		b = binary.AppendUvarint(b, uint64(w))
	}
	b = binary.AppendUvarint(b, uint64(len(doc.Links)))
	for _, l := range doc.Links {
		b = binary.AppendUvarint(b, uint64(l.Entity))
		b = binary.AppendUvarint(b, uint64(l.Pos))
	}
	d.buf = b
	d.n++
	_, err := d.w.Write(b)
	return err
}

// finish closes the writing side; remap maps the ids used in add to the final ones.
func (d *docFile) finish(remap []int32) error {
	d.remap = remap
	if err := d.w.Flush(); err != nil {
		return err
	}
	if err := d.s2w.Close(); err != nil {
		return err
	}
	return d.f.Close()
}

func (d *docFile) remove() { os.Remove(d.path) }

// Len returns the number of documents.
func (d *docFile) Len() int { return d.n }

// Open starts a pass over the documents.
func (d *docFile) Open() (embed.DocReader, error) {
	f, err := os.Open(d.path)
	if err != nil {
		return nil, err
	}
	return &docReader{f: f, r: bufio.NewReaderSize(s2.NewReader(f), 1<<16), remap: d.remap}, nil
}

type docReader struct {
	f      *os.File
	r      *bufio.Reader
	remap  []int32
	newPos []int32
}

func (r *docReader) uv() (uint64, error) {
	v, err := binary.ReadUvarint(r.r)
	if err == io.EOF {
		return 0, io.ErrUnexpectedEOF
	}
	return v, err
}

func (r *docReader) Next(d *embed.Doc) error {
	e, err := binary.ReadUvarint(r.r)
	if err != nil {
		return err // io.EOF at the end
	}
	d.Entity = int32(e)
	n, err := r.uv()
	if err != nil {
		return fmt.Errorf("embeddings: corpus file: %w", err)
	}
	d.Words = d.Words[:0]
	r.newPos = r.newPos[:0]
	for i := uint64(0); i < n; i++ {
		w, err := r.uv()
		if err != nil {
			return fmt.Errorf("embeddings: corpus file: %w", err)
		}
		r.newPos = append(r.newPos, int32(len(d.Words)))
		if w < uint64(len(r.remap)) && r.remap[w] >= 0 {
			d.Words = append(d.Words, r.remap[w])
		}
	}
	r.newPos = append(r.newPos, int32(len(d.Words)))
	nl, err := r.uv()
	if err != nil {
		return fmt.Errorf("embeddings: corpus file: %w", err)
	}
	d.Links = d.Links[:0]
	for i := uint64(0); i < nl; i++ {
		le, err := r.uv()
		if err != nil {
			return fmt.Errorf("embeddings: corpus file: %w", err)
		}
		pos, err := r.uv()
		if err != nil {
			return fmt.Errorf("embeddings: corpus file: %w", err)
		}
		d.Links = append(d.Links, embed.Link{Entity: int32(le), Pos: r.newPos[min(int(pos), len(r.newPos)-1)]})
	}
	return nil
}

func (r *docReader) Close() error { return r.f.Close() }
