// Package bz2 decompresses bzip2 data (one stream or several concatenated, as in
// Wikimedia's multistream dumps), finishing its blocks on several goroutines.
//
// One goroutine reads the bit stream in order: block headers, Huffman codes, the
// move-to-front and run-length coding of the symbols. The workers do the rest of each
// block: the inverse Burrows-Wheeler transform, the run-length decoding of the bytes
// and the block's CRC. A worker takes two consecutive blocks at a time and walks their
// inverse transforms side by side (each a chain of dependent cache misses).
//
// Blocks come out in order, and an error comes out after every block in front of it:
// a truncated or damaged file gives all its good data, then the error, every time.
package bz2

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math/bits"
	"sync"
)

// A StructuralError reports data that is not valid bzip2.
type StructuralError string

func (e StructuralError) Error() string { return "bz2: invalid data: " + string(e) }

// ErrChecksum reports a block or stream whose CRC does not match its contents.
var ErrChecksum = errors.New("bz2: checksum mismatch")

const (
	blockMagic = 0x314159265359
	eosMagic   = 0x177245385090
	// maxSelectors is how many selectors bzip2 1.0.8 keeps; a block may announce more.
	maxSelectors = 18002
	groupSize    = 50
	maxCodeLen   = 20
)

// block is one block on its way from the reading goroutine to the output.
type block struct {
	tt      []uint32 // the symbols (low byte), then the inverse-BWT links
	n       int
	origPtr int
	crc     uint32 // expected CRC of the output
	bwt     []byte // the output of the inverse BWT
	rle     []byte // its run-length decoding, when it has runs
	out     []byte // the block's output: bwt or rle
	err     error
	done    chan struct{}
}

// Reader decompresses bzip2 data. It must be closed to release its goroutines.
type Reader struct {
	order chan *block // blocks in stream order, for Read
	cur   *block
	off   int
	err   error
	stop  chan struct{}
	once  sync.Once
	wg    sync.WaitGroup
	free  chan *block // blocks to reuse: their tables are 3.6 MB (a sync.Pool loses them at every GC)
}

// NewReader returns a Reader of the data decompressed from r, finishing blocks on
// threads goroutines besides the one reading r.
func NewReader(r io.Reader, threads int) *Reader {
	threads = max(threads, 1)
	// In flight at most: threads+1 in the output channel, a pair with each worker and
	// one being read.
	z := &Reader{order: make(chan *block, threads+1), stop: make(chan struct{}), free: make(chan *block, 3*threads+3)}
	work := make(chan pair, threads+1)
	z.wg.Add(1 + threads)
	go func() {
		defer z.wg.Done()
		defer close(work)
		defer close(z.order)
		d := decoder{br: bitReader{r: r, buf: make([]byte, 1<<16)}, z: z}
		d.run(work)
		d.flush(work)
	}()
	for i := 0; i < threads; i++ {
		go func() {
			defer z.wg.Done()
			worker(work)
		}()
	}
	return z
}

// Read implements io.Reader.
func (z *Reader) Read(p []byte) (int, error) {
	for {
		if z.err != nil {
			return 0, z.err
		}
		if z.cur != nil && z.off < len(z.cur.out) {
			n := copy(p, z.cur.out[z.off:])
			z.off += n
			return n, nil
		}
		if z.cur != nil {
			z.release(z.cur)
			z.cur = nil
		}
		b, ok := <-z.order
		if !ok {
			z.err = io.EOF
			continue
		}
		<-b.done
		if b.err != nil {
			z.err = b.err
			continue
		}
		z.cur, z.off = b, 0
	}
}

// Close stops the goroutines. It does not close the underlying reader.
func (z *Reader) Close() error {
	z.once.Do(func() { close(z.stop) })
	// Drain so that the reading goroutine, blocked on a full channel, sees stop.
	for b := range z.order {
		<-b.done
	}
	z.wg.Wait()
	if z.err == nil {
		z.err = errors.New("bz2: reader closed")
	}
	return nil
}

func (z *Reader) newBlock() *block {
	select {
	case b := <-z.free:
		b.err, b.done = nil, make(chan struct{})
		return b
	default:
		return &block{done: make(chan struct{})}
	}
}

func (z *Reader) release(b *block) {
	select {
	case z.free <- b:
	default:
	}
}

// worker finishes blocks, two at a time: the inverse BWT of a block is a chain of
// dependent reads, each a cache miss, and walking two chains side by side keeps two
// misses in flight with the tables the two blocks need anyway (walking one block from
// both ends would need a second table).
func worker(work <-chan pair) {
	for pr := range work {
		a, b := pr[0], pr[1]
		if a.err != nil { // an error comes alone
			close(a.done)
			continue
		}
		if b != nil && b.err != nil {
			inverseBWT(a, nil)
			finish(a)
			close(b.done)
			continue
		}
		inverseBWT(a, b)
		finish(a)
		if b != nil {
			finish(b)
		}
	}
}

// finish run-length decodes a block's bytes, checks its CRC and marks it done.
func finish(b *block) {
	b.out = b.bwt
	if findRun4(b.bwt, 0) >= 0 {
		b.rle = unRLE(b.rle[:0], b.bwt)
		b.out = b.rle
	}
	if crc := blockCRC(b.out); crc != b.crc {
		b.err = fmt.Errorf("%w (block: computed %08x, stored %08x)", ErrChecksum, crc, b.crc)
	}
	close(b.done)
}

// inverseBWT writes the BWT-decoded bytes of a into a.bwt, and those of b (if not nil)
// into b.bwt: for each a chain of dependent reads through its table, one per byte,
// walked side by side.
func inverseBWT(a, b *block) {
	links(a)
	a.bwt = grow(a.bwt, a.n)
	tt, out := a.tt[:a.n], a.bwt[:a.n]
	p := tt[a.origPtr] >> 8
	k := 0
	if b != nil {
		links(b)
		b.bwt = grow(b.bwt, b.n)
		tt2, out2 := b.tt[:b.n], b.bwt[:b.n]
		q := tt2[b.origPtr] >> 8
		n := min(len(out), len(out2))
		x, y := out[:n], out2[:n]
		for ; k < len(x); k++ {
			v, w := tt[p], tt2[q]
			x[k], y[k] = byte(v), byte(w)
			p, q = v>>8, w>>8
		}
		for j := n; j < len(out2); j++ {
			w := tt2[q]
			out2[j] = byte(w)
			q = w >> 8
		}
	}
	for ; k < len(out); k++ {
		v := tt[p]
		out[k] = byte(v)
		p = v >> 8
	}
}

// links turns the symbols in the low bytes of tt into the inverse-BWT table: the j-th
// occurrence of byte c (in position order) sorts to row j+C(c), where C(c) counts the
// bytes below c, and tt at that row gets the position in its high 24 bits.
func links(b *block) {
	var count [256]uint32
	tt := b.tt[:b.n]
	for _, v := range tt {
		count[byte(v)]++
	}
	var next [256]uint32
	sum := uint32(0)
	for c, n := range count {
		next[c] = sum
		sum += n
	}
	for i, v := range tt {
		c := byte(v)
		tt[next[c]] |= uint32(i) << 8
		next[c]++
	}
}

func grow(b []byte, n int) []byte {
	if cap(b) < n {
		return make([]byte, n, n+n/4)
	}
	return b[:n]
}

// unRLE appends to dst the run-length decoding of src, bzip2's first coding: after
// four equal bytes, the next byte is the number of further copies.
func unRLE(dst, src []byte) []byte {
	i := 0
	for {
		j := findRun4(src, i)
		if j < 0 {
			return append(dst, src[i:]...)
		}
		dst = append(dst, src[i:j+4]...)
		if j+4 == len(src) { // a run with its count cut off: nothing follows
			return dst
		}
		c, n := src[j], int(src[j+4])
		for k := 0; k < n; k++ {
			dst = append(dst, c)
		}
		i = j + 5
	}
}

const lo7 = 0x7f7f7f7f7f7f7f7f

// findRun4 returns the first j >= i where src[j:j+4] are four equal bytes, or -1.
func findRun4(src []byte, i int) int {
	// Eight bytes at a time: x has a zero byte k where src[j+k] == src[j+k+1] (k < 7),
	// and a run starts at j+k when bytes k, k+1 and k+2 of x are all zero (k < 5).
	for ; i+8 <= len(src); i += 5 {
		w := binary.LittleEndian.Uint64(src[i:])
		x := w ^ w>>8
		z := ^((x&lo7 + lo7) | x | lo7) // exactly the high bits of the zero bytes
		m := z & (z >> 8) & (z >> 16) & 0x8080808080
		if m != 0 {
			return i + bits.TrailingZeros64(m)/8
		}
	}
	for ; i+4 <= len(src); i++ {
		c := src[i]
		if src[i+1] == c && src[i+2] == c && src[i+3] == c {
			return i
		}
	}
	return -1
}
