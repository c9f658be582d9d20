package loader

import (
	"bytes"
	"errors"
	"io"
	"math/rand/v2"
	"testing"
	"testing/iotest"
	"time"
)

// readAhead gives r's bytes in order, whatever the sizes of r's reads and of the blocks,
// and then r's error (io.EOF as the end).
func TestReadAhead(t *testing.T) {
	data := make([]byte, 300_000)
	rng := rand.New(rand.NewPCG(1, 2))
	for i := range data {
		data[i] = byte(rng.Uint32())
	}
	bad := errors.New("read failed")
	for _, tc := range []struct {
		name        string
		src         io.Reader
		size, depth int
		n           int   // bytes expected before the error
		err         error // after the bytes
	}{
		{"whole", bytes.NewReader(data), 256 << 10, 4, len(data), nil},
		{"small blocks", bytes.NewReader(data), 1000, 1, len(data), nil},
		{"one byte reads", iotest.OneByteReader(bytes.NewReader(data[:5000])), 777, 2, 5000, nil},
		{"half reads", iotest.HalfReader(bytes.NewReader(data)), 4096, 3, len(data), nil},
		{"empty", bytes.NewReader(nil), 4096, 2, 0, nil},
		{"error after data", io.MultiReader(bytes.NewReader(data[:12345]), iotest.ErrReader(bad)), 4096, 2, 12345, bad},
		{"cut short", io.MultiReader(bytes.NewReader(data[:100]), iotest.ErrReader(io.ErrUnexpectedEOF)), 64, 2, 100, io.ErrUnexpectedEOF},
		{"data with EOF", iotest.DataErrReader(bytes.NewReader(data[:9000])), 4096, 2, 9000, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r, stop := readAhead(tc.src, tc.size, tc.depth)
			defer stop()
			got, err := io.ReadAll(iotest.OneByteReader(io.LimitReader(r, 1<<30)))
			if tc.size > 1000 { // and in large reads too
				r2, stop2 := readAhead(bytes.NewReader(data[:tc.n]), tc.size, tc.depth)
				all, err2 := io.ReadAll(r2)
				stop2()
				if err2 != nil || !bytes.Equal(all, data[:tc.n]) {
					t.Fatalf("large reads: %d bytes, %v", len(all), err2)
				}
			}
			if !errors.Is(err, tc.err) {
				t.Fatalf("error %v, want %v", err, tc.err)
			}
			if !bytes.Equal(got, data[:tc.n]) {
				t.Fatalf("%d bytes, want the first %d of the source", len(got), tc.n)
			}
		})
	}
}

// stop ends the read-ahead goroutine while it waits for room, and the source is not read
// after stop returns.
func TestReadAheadStop(t *testing.T) {
	src := &countingReader{}
	r, stop := readAhead(src, 100, 2)
	buf := make([]byte, 10)
	if _, err := io.ReadFull(r, buf); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() {
		stop()
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("stop did not return")
	}
	n := src.n
	time.Sleep(10 * time.Millisecond)
	if src.n != n {
		t.Fatal("the source was read after stop")
	}
}

// countingReader is an endless source of zeros that counts the bytes it gave.
type countingReader struct{ n int }

func (c *countingReader) Read(p []byte) (int, error) {
	clear(p)
	c.n += len(p)
	return len(p), nil
}

// Once the reader has stopped, send fails at once, full pipe or not.
func TestBlockPipeReaderGone(t *testing.T) {
	p := newBlockPipe(1)
	if err := p.send([]byte("a")); err != nil {
		t.Fatal(err)
	}
	sent := make(chan error, 1)
	go func() { sent <- p.send([]byte("b")) }() // waits: the pipe holds one block
	p.closeRead()
	select {
	case err := <-sent:
		if !errors.Is(err, errReaderGone) {
			t.Fatalf("send after closeRead: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("send did not return after closeRead")
	}
	if err := p.send(nil); !errors.Is(err, errReaderGone) {
		t.Fatalf("later send: %v", err)
	}
}

// Blocks the reader has read are filled again rather than allocated.
func BenchmarkReadAhead(b *testing.B) {
	data := make([]byte, 8<<20)
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	buf := make([]byte, 16<<10)
	for b.Loop() {
		r, stop := readAhead(bytes.NewReader(data), 256<<10, 4)
		if _, err := io.CopyBuffer(io.Discard, struct{ io.Reader }{r}, buf); err != nil {
			b.Fatal(err)
		}
		stop()
	}
}
