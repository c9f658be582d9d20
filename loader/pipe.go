package loader

import (
	"errors"
	"io"
	"sync"
)

// blockPipe passes blocks of bytes from a writing goroutine to a reader with room for
// depth blocks in between, so that the writer runs ahead while the reader is busy
// (io.Pipe hands each write over and waits until it is read to the end). The reader
// gives the blocks it has read back for the writer to fill again.
type blockPipe struct {
	ch   chan []byte
	free chan []byte
	stop chan struct{} // closed by closeRead
	once sync.Once
	err  error  // the writer's error, set before ch is closed
	blk  []byte // the block being read
	cur  []byte // its unread rest
}

// errReaderGone is what send returns once the reader has stopped.
var errReaderGone = errors.New("loader: the reader stopped")

func newBlockPipe(depth int) *blockPipe {
	return &blockPipe{ch: make(chan []byte, depth), free: make(chan []byte, depth+2), stop: make(chan struct{})}
}

// block returns an empty buffer of capacity at least n, one the reader gave back when
// there is one.
func (p *blockPipe) block(n int) []byte {
	select {
	case b := <-p.free:
		if cap(b) >= n {
			return b[:0]
		}
	default:
	}
	return make([]byte, 0, n)
}

// send passes b to the reader, which owns it from then on; it fails once the reader
// has stopped.
func (p *blockPipe) send(b []byte) error {
	select {
	case <-p.stop:
		return errReaderGone
	default:
	}
	select {
	case p.ch <- b:
		return nil
	case <-p.stop:
		return errReaderGone
	}
}

// closeWrite ends the stream: after the blocks sent, the reader gets err, or io.EOF
// when err is nil. The writer calls it once, last.
func (p *blockPipe) closeWrite(err error) {
	p.err = err
	close(p.ch)
}

// closeRead says the reader stops: a send waiting for room, and every later one, fails.
func (p *blockPipe) closeRead() { p.once.Do(func() { close(p.stop) }) }

func (p *blockPipe) Read(b []byte) (int, error) {
	for len(p.cur) == 0 {
		if p.blk != nil {
			select {
			case p.free <- p.blk:
			default:
			}
			p.blk = nil
		}
		blk, ok := <-p.ch
		if !ok {
			if p.err != nil {
				return 0, p.err
			}
			return 0, io.EOF
		}
		p.blk, p.cur = blk, blk
	}
	n := copy(b, p.cur)
	p.cur = p.cur[n:]
	return n, nil
}

// readAhead returns a reader of r's bytes that a goroutine reads in blocks of size,
// up to depth blocks ahead (gzip decompression beside the parsing of what it gave),
// and stop, which ends that goroutine and waits for it; r is not read after stop.
func readAhead(r io.Reader, size, depth int) (io.Reader, func()) {
	p := newBlockPipe(depth)
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			b := p.block(size)[:size]
			n := 0
			var err error
			for n < size && err == nil {
				var m int
				m, err = r.Read(b[n:])
				n += m
			}
			if n > 0 {
				if serr := p.send(b[:n]); serr != nil {
					p.closeWrite(serr)
					return
				}
			}
			if err != nil {
				if err == io.EOF {
					err = nil
				}
				p.closeWrite(err)
				return
			}
		}
	}()
	return p, func() {
		p.closeRead()
		<-done
	}
}
