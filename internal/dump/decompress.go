package dump

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"strings"
	"sync/atomic"

	"github.com/addlink/addlink/internal/bz2"
	"github.com/addlink/addlink/internal/progress"
	"github.com/klauspost/compress/gzip"
)

// countingReader counts the bytes read from the underlying (compressed) file.
type countingReader struct {
	r io.Reader
	n atomic.Int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n.Add(int64(n))
	return n, err
}

// compression is how a file is compressed, from its first bytes.
type compression int

const (
	plain compression = iota
	bzip2c
	gzipc
)

func sniff(f *os.File) (compression, error) {
	var magic [3]byte
	n, err := io.ReadFull(f, magic[:])
	if _, serr := f.Seek(0, io.SeekStart); serr != nil {
		return plain, serr
	}
	if err != nil && err != io.ErrUnexpectedEOF && err != io.EOF {
		return plain, err
	}
	switch {
	case n >= 3 && string(magic[:3]) == "BZh":
		return bzip2c, nil
	case n >= 2 && magic[0] == 0x1f && magic[1] == 0x8b:
		return gzipc, nil
	}
	return plain, nil
}

// openDecompressed opens a dump file and returns a reader of its XML (decompressed
// according to the file's magic bytes, whatever its name), the counter of compressed
// bytes read, and a close function.
func openDecompressed(ctx context.Context, path string, threads int) (io.Reader, *countingReader, compression, func() error, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, nil, plain, nil, err
	}
	kind, err := sniff(f)
	if err != nil {
		f.Close()
		return nil, nil, plain, nil, fmt.Errorf("dump: %s: %w", path, err)
	}
	cr := &countingReader{r: f}
	switch kind {
	case bzip2c:
		if threads < 1 {
			threads = 1
		}
		// Blocks (also across concatenated multistream streams) are finished in
		// parallel and come out in order, block and stream CRCs checked; on damage,
		// every good block in front of it comes out before the error.
		r := bz2.NewReader(bufio.NewReaderSize(cr, 1<<20), threads)
		return progress.Reader(ctx, r, nil), cr, kind, func() error { r.Close(); return f.Close() }, nil
	case gzipc:
		zr, err := gzip.NewReader(bufio.NewReaderSize(cr, 1<<20))
		if err != nil {
			f.Close()
			return nil, nil, plain, nil, fmt.Errorf("dump: %s: %w", path, err)
		}
		zr.Multistream(true)
		return progress.Reader(ctx, zr, nil), cr, kind, func() error { zr.Close(); return f.Close() }, nil
	}
	return progress.Reader(ctx, cr, nil), cr, kind, f.Close, nil
}

// isIndexFile reports whether a name is a multistream index (offset:pageid:title lines),
// which holds no pages.
func isIndexFile(path string) bool {
	return strings.Contains(path, "-index")
}

// OpenCompressed opens any file, decompressing it according to its first bytes (bzip2
// in parallel on threads goroutines, gzip, or plain). Close releases it.
func OpenCompressed(ctx context.Context, path string, threads int) (io.ReadCloser, error) {
	r, _, _, closeFn, err := openDecompressed(ctx, path, threads)
	if err != nil {
		return nil, err
	}
	return readCloser{r, closeFn}, nil
}

type readCloser struct {
	io.Reader
	close func() error
}

func (r readCloser) Close() error { return r.close() }
