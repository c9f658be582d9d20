package dump

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"strconv"

	"github.com/addlink/addlink/internal/bz2"
	"github.com/addlink/addlink/internal/progress"
	"github.com/klauspost/compress/gzip"
)

// Range says which part of a file a Reader made by NewReader reads, for the checks at
// its ends. The zero Range is a whole file.
type Range struct {
	Partial bool // a range of whole streams of a multistream file: it may hold no XML
	More    bool // more of the file follows: its end needs no </mediawiki>
	Rooted  bool // an earlier range opened <mediawiki>: unless More, the end must close it
}

// NewReader returns a Reader of the pages in src, which is one dump file or a byte
// range of a multistream file that starts at a stream (as its index gives): bzip2
// (decompressed on opts.Threads goroutines, the ranges' concatenated streams too),
// gzip or plain XML according to its first bytes. name stands for src in errors; rng
// says which part of the file src is. Close releases the decompressor; the caller
// closes src afterwards.
func NewReader(ctx context.Context, name string, src io.Reader, rng Range, opts Options) (*Reader, error) {
	opts.Progress = progress.OrNop(opts.Progress)
	cr := &countingReader{r: src}
	br := bufio.NewReaderSize(cr, 1<<20)
	magic, err := br.Peek(3)
	if err != nil && err != io.EOF {
		return nil, fmt.Errorf("dump: %s: %w", name, err)
	}
	kind := kindOf(magic)
	var xml io.Reader
	closeFn := func() error { return nil }
	switch kind {
	case bzip2c:
		zr := bz2.NewReader(br, max(opts.Threads, 1))
		xml, closeFn = zr, func() error { zr.Close(); return nil }
	case gzipc:
		zr, err := gzip.NewReader(br)
		if err != nil {
			return nil, fmt.Errorf("dump: %s: %w", name, err)
		}
		zr.Multistream(true)
		xml, closeFn = zr, zr.Close
	default:
		xml = br
	}
	r := &Reader{ctx: ctx, files: []string{name}, next: 1, opts: opts, buf: make([]byte, 0, 4<<20)}
	r.name, r.src, r.counted, r.closeFile = name, progress.Reader(ctx, xml, nil), cr, closeFn
	r.rng = rng
	r.stats.Files = 1
	return r, nil
}

// kindOf tells the compression of a file from its first (up to three) bytes.
func kindOf(magic []byte) compression {
	switch {
	case len(magic) >= 3 && string(magic[:3]) == "BZh":
		return bzip2c
	case len(magic) >= 2 && magic[0] == 0x1f && magic[1] == 0x8b:
		return gzipc
	}
	return plain
}

// StreamOffsets reads a multistream index (decompressed: lines offset:pageid:title) and
// returns the byte offsets of its page streams, ascending and without repeats. name
// stands for r in errors.
func StreamOffsets(name string, r io.Reader) ([]int64, error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64<<10), 1<<20)
	var offs []int64
	for line := 1; sc.Scan(); line++ {
		b := sc.Bytes()
		if len(b) == 0 {
			continue
		}
		i := bytes.IndexByte(b, ':')
		if i <= 0 {
			return nil, fmt.Errorf("dump: index %s line %d: expected offset:pageid:title, found %q", name, line, b[:min(len(b), 40)])
		}
		off, err := strconv.ParseInt(string(b[:i]), 10, 64)
		if err != nil || off < 0 {
			return nil, fmt.Errorf("dump: index %s line %d: bad offset %q", name, line, b[:i])
		}
		switch {
		case len(offs) > 0 && off == offs[len(offs)-1]:
		case len(offs) > 0 && off < offs[len(offs)-1]:
			return nil, fmt.Errorf("dump: index %s line %d: offset %d before the previous one (%d)", name, line, off, offs[len(offs)-1])
		default:
			offs = append(offs, off)
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("dump: index %s: %w", name, err)
	}
	return offs, nil
}
