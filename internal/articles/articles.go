// Package articles keeps the articles of a dump (namespace 0, not redirects, with
// text) in an s2-compressed file (s2 rather than zstd: it costs the dictionaries stage,
// which writes it while decompressing the dump, a third of the time), so that the stages after the first read them without
// decompressing the bz2 dump again. The dictionaries stage writes the file while it
// reads the dump; the embeddings, sentences and linkgraph stages read it when it was
// made from the same dump files (same paths, sizes and modification times) and the dump
// otherwise.
//
// Format: a header line "addlink-articles 3\n", one line per dump file
// "<size> <mtime ns> <absolute path>\n" and an empty line, then frames: uvarint length
// of the block, the CRC-32C of the block's decoded bytes (4 bytes, little-endian), an
// s2 block (s2.Encode) of whole articles, each a uvarint id, uvarint length + title and
// uvarint length + text (the title as in the dump); a frame is about frameSize bytes
// decoded, or one article when that is longer. A block length of 0 ends the frames and
// is followed by the uvarint count of the articles. Frames decode independently, so
// Each reads them on as many goroutines as it is given.
package articles

import (
	"bufio"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"unsafe"

	"github.com/klauspost/compress/s2"
	"golang.org/x/sync/errgroup"

	"github.com/addlink/addlink/atomicfile"
	"github.com/addlink/addlink/internal/dump"
)

const magic = "addlink-articles 3"

// frameSize is how many decoded bytes of articles a frame holds (at least one
// article): small enough that a wiki has many frames to share among goroutines, large
// enough that s2 compresses as well as its stream format's default block.
const frameSize = 1 << 20

// maxFrame bounds a frame's decoded length: a corrupt length is refused rather than
// allocated.
const maxFrame = 1 << 30

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

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
	f     *atomicfile.File
	frame []byte // the articles of the frame being filled
	out   []byte // a frame's bytes as written
	n     uint64
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
	w := &Writer{f: f}
	if _, err := io.WriteString(f, magic+"\n"+id+"\n"); err != nil {
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
	b := w.frame
	b = binary.AppendUvarint(b, uint64(pg.ID))
	b = binary.AppendUvarint(b, uint64(len(pg.Title)))
	b = append(b, pg.Title...)
	b = binary.AppendUvarint(b, uint64(len(pg.Text)))
	b = append(b, pg.Text...)
	w.frame = b
	w.n++
	if len(w.frame) >= frameSize {
		return w.flush()
	}
	return nil
}

// head is room for a frame's head: the block's length and the CRC.
const head = binary.MaxVarintLen64 + 4

// flush writes the frame being filled, if it holds any article.
func (w *Writer) flush() error {
	if len(w.frame) == 0 {
		return nil
	}
	if len(w.frame) > maxFrame {
		return fmt.Errorf("articles: an article of %d bytes is too long for the cache", len(w.frame))
	}
	need := head + s2.MaxEncodedLen(len(w.frame))
	if cap(w.out) < need {
		w.out = make([]byte, need)
	}
	block := s2.Encode(w.out[head:need], w.frame) // in place: the room is MaxEncodedLen
	var h [head]byte
	n := binary.PutUvarint(h[:], uint64(len(block)))
	binary.LittleEndian.PutUint32(h[n:], crc32.Checksum(w.frame, castagnoli))
	start := head - n - 4 // the head right before the block: one write a frame
	copy(w.out[start:], h[:n+4])
	w.frame = w.frame[:0]
	_, err := w.f.Write(w.out[start : head+len(block)])
	return err
}

// Close finishes the file and gives it its final name.
func (w *Writer) Close() error {
	err := w.flush()
	if err == nil {
		_, err = w.f.Write(binary.AppendUvarint([]byte{0}, w.n))
	}
	if err != nil {
		w.Abort()
		return err
	}
	return w.f.Commit()
}

// Abort removes the unfinished file (and its directory when that is then empty).
func (w *Writer) Abort() {
	w.f.Abort()
	os.Remove(filepath.Dir(w.f.Name()))
}

// ErrStale says a cache was made from other dump files (or is unreadable).
var ErrStale = errors.New("articles: the cache was made from other dump files")

// Reader reads a cache file: its articles in order with Next, or all of them on many
// goroutines with Each.
type Reader struct {
	f    *os.File
	br   *bufio.Reader
	left int64 // the file's bytes not yet read from br

	// Next's frame: its decoded bytes and how far they are read.
	frame []byte
	at    int
	block []byte

	n     uint64 // articles read by Next
	done  bool   // the end of the frames was read
	count uint64 // the count of articles that follows it
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
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, err
	}
	r := &Reader{f: f, br: bufio.NewReaderSize(f, 1<<20), left: st.Size()}
	header := make([]byte, len(magic)+1+len(want)+1)
	if _, err := io.ReadFull(r.br, header); err != nil || string(header) != magic+"\n"+want+"\n" {
		r.Close()
		return nil, ErrStale
	}
	r.left -= int64(len(header))
	return r, nil
}

var errCorrupt = errors.New("articles: corrupt cache")

// readFrame reads the next frame's block into buf and returns it and its CRC, or
// io.EOF after the end of the frames (and r.count, the count of articles written).
func (r *Reader) readFrame(buf []byte) ([]byte, uint32, error) {
	if r.done {
		return nil, 0, io.EOF
	}
	size, err := r.uvarint()
	if err != nil {
		return nil, 0, err
	}
	if size == 0 {
		count, err := r.uvarint()
		if err != nil {
			return nil, 0, err
		}
		if _, err := r.br.ReadByte(); err != io.EOF {
			return nil, 0, fmt.Errorf("%w: bytes after the end", errCorrupt)
		}
		r.done, r.count = true, count
		return nil, 0, io.EOF
	}
	if size > uint64(r.left) {
		return nil, 0, fmt.Errorf("articles: truncated cache (a frame of %d bytes, %d left)", size, r.left)
	}
	var crc [4]byte
	if _, err := io.ReadFull(r.br, crc[:]); err != nil {
		return nil, 0, truncated(err)
	}
	if cap(buf) < int(size) {
		buf = make([]byte, size)
	}
	buf = buf[:size]
	if _, err := io.ReadFull(r.br, buf); err != nil {
		return nil, 0, truncated(err)
	}
	r.left -= 4 + int64(size)
	return buf, binary.LittleEndian.Uint32(crc[:]), nil
}

func (r *Reader) uvarint() (uint64, error) {
	v, err := binary.ReadUvarint(r.br)
	if err != nil {
		return 0, truncated(err)
	}
	r.left -= int64(uvarintLen(v))
	return v, nil
}

func uvarintLen(v uint64) int {
	n := 1
	for ; v >= 0x80; v >>= 7 {
		n++
	}
	return n
}

func truncated(err error) error {
	if err == io.EOF {
		err = io.ErrUnexpectedEOF
	}
	return fmt.Errorf("articles: truncated cache: %w", err)
}

// decode decodes a frame's block into dst and checks it against its CRC.
func decode(dst, block []byte, crc uint32) ([]byte, error) {
	n, err := s2.DecodedLen(block)
	if err != nil || n > maxFrame {
		return nil, errCorrupt
	}
	if cap(dst) < n {
		dst = make([]byte, n)
	}
	dst, err = s2.Decode(dst[:n], block)
	if err != nil || crc32.Checksum(dst, castagnoli) != crc {
		return nil, errCorrupt
	}
	return dst, nil
}

// article is a frame's next article: its id, title and text as slices of the frame.
func article(frame []byte) (id uint64, title, text []byte, rest []byte, err error) {
	id, n := binary.Uvarint(frame)
	if n <= 0 {
		return 0, nil, nil, nil, errCorrupt
	}
	frame = frame[n:]
	if title, frame, err = field(frame); err != nil {
		return 0, nil, nil, nil, err
	}
	if text, frame, err = field(frame); err != nil {
		return 0, nil, nil, nil, err
	}
	return id, title, text, frame, nil
}

func field(b []byte) ([]byte, []byte, error) {
	l, n := binary.Uvarint(b)
	if n <= 0 || l > uint64(len(b)-n) {
		return nil, nil, errCorrupt
	}
	return b[n : n+int(l)], b[n+int(l):], nil
}

// damaged says which file err was met in, and what to do about it.
func (r *Reader) damaged(err error) error {
	if err == nil || err == io.EOF {
		return err
	}
	return fmt.Errorf("%w (in %s: delete it, and the stages read the dump instead)", err, r.f.Name())
}

// Next returns the next article, or io.EOF.
func (r *Reader) Next() (*dump.Page, error) {
	pg, err := r.next()
	return pg, r.damaged(err)
}

func (r *Reader) next() (*dump.Page, error) {
	for r.at == len(r.frame) {
		block, crc, err := r.readFrame(r.block)
		if err == io.EOF && r.count != r.n {
			return nil, fmt.Errorf("%w: %d articles read, %d written", errCorrupt, r.n, r.count)
		}
		if err != nil {
			return nil, err
		}
		r.block = block
		// The frame's buffer is reused: the articles' strings are copied from it.
		if r.frame, err = decode(r.frame, block, crc); err != nil {
			return nil, err
		}
		r.at = 0
	}
	id, title, text, rest, err := article(r.frame[r.at:])
	if err != nil {
		return nil, err
	}
	r.at = len(r.frame) - len(rest)
	r.n++
	return &dump.Page{ID: int64(id), NS: 0, Title: string(title), Text: string(text)}, nil
}

// Each calls fn for every article of src (namespace 0, not a redirect, with text) on
// `threads` goroutines, in no particular order; worker is the calling goroutine's
// number, from 0 to threads-1. fn must not keep pg, or its title or text, after it
// returns. A cache's frames are read and decoded by those goroutines themselves, so
// nothing else runs beside them; a dump's pages are read by one more goroutine and
// handed out in batches. Each stops at fn's first error, and returns ctx.Err() when
// cancelled.
func Each(ctx context.Context, src Source, threads int, fn func(worker int, pg *dump.Page) error) error {
	threads = max(1, threads)
	var err error
	if r, ok := src.(*Reader); ok {
		err = r.each(ctx, threads, fn)
	} else {
		err = eachPage(ctx, src, threads, fn)
	}
	if err == nil {
		err = ctx.Err()
	}
	return err
}

func (r *Reader) each(ctx context.Context, threads int, fn func(worker int, pg *dump.Page) error) error {
	if r.n > 0 || r.done {
		return errors.New("articles: Each on a reader that Next has read from")
	}
	g, gctx := errgroup.WithContext(ctx)
	var mu sync.Mutex // guards r's file and the count
	var n uint64
	for w := range threads {
		g.Go(func() error {
			var block, frame []byte
			var pg dump.Page
			for gctx.Err() == nil {
				mu.Lock()
				b, crc, err := r.readFrame(block)
				mu.Unlock()
				if err == io.EOF {
					return nil
				}
				if err != nil {
					return r.damaged(err)
				}
				block = b
				if frame, err = decode(frame, block, crc); err != nil {
					return r.damaged(err)
				}
				k := uint64(0)
				for rest := frame; len(rest) > 0; k++ {
					var id uint64
					var title, text []byte
					if id, title, text, rest, err = article(rest); err != nil {
						return r.damaged(err)
					}
					// The strings are the frame's bytes, not copies: fn does not keep
					// them, and the frame is not written until fn has returned.
					pg = dump.Page{ID: int64(id), Title: unsafe.String(unsafe.SliceData(title), len(title)),
						Text: unsafe.String(unsafe.SliceData(text), len(text))}
					if err := fn(w, &pg); err != nil {
						return err
					}
				}
				mu.Lock()
				n += k
				mu.Unlock()
			}
			return nil
		})
	}
	if err := g.Wait(); err != nil || ctx.Err() != nil {
		return err
	}
	if n != r.count {
		return r.damaged(fmt.Errorf("%w: %d articles read, %d written", errCorrupt, n, r.count))
	}
	return nil
}

// pageBatch is how many pages of a dump eachPage hands out at a time.
const pageBatch = 64

// eachPage is Each for a source read in order: one goroutine reads it, threads call fn.
func eachPage(ctx context.Context, src Source, threads int, fn func(worker int, pg *dump.Page) error) error {
	g, gctx := errgroup.WithContext(ctx)
	batches := make(chan []*dump.Page, threads)
	for w := range threads {
		g.Go(func() error {
			for b := range batches {
				for _, pg := range b {
					if err := fn(w, pg); err != nil {
						return err
					}
				}
				if err := gctx.Err(); err != nil {
					return err
				}
			}
			return nil
		})
	}
	g.Go(func() error {
		defer close(batches)
		var b []*dump.Page
		for {
			pg, err := src.Next()
			if err == io.EOF {
				break
			}
			if err != nil {
				return err
			}
			if pg.NS != 0 || pg.IsRedirect() || pg.Text == "" {
				continue
			}
			if b = append(b, pg); len(b) == pageBatch {
				select {
				case batches <- b:
				case <-gctx.Done():
					return gctx.Err()
				}
				b = nil
			}
		}
		if len(b) > 0 {
			select {
			case batches <- b:
			case <-gctx.Done():
				return gctx.Err()
			}
		}
		return nil
	})
	return g.Wait()
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
