package bz2

import (
	"bytes"
	"compress/bzip2"
	"io"
	"os"
	"testing"

	"github.com/addlink/addlink/internal/testfixtures"
)

// BenchmarkDecode decompresses the viwiki fixture (3.4 MB of bzip2, 900 kB blocks) on 1
// and 2 workers, and with compress/bzip2 (one goroutine) as the baseline: compare
// their MB/s of output.
func BenchmarkDecode(b *testing.B) {
	data, err := os.ReadFile(testfixtures.Path(b, "dumps/viwiki/viwiki-20230501-pages-articles-head.xml.bz2"))
	if err != nil {
		b.Fatal(err)
	}
	out, err := io.ReadAll(bzip2.NewReader(bytes.NewReader(data)))
	if err != nil {
		b.Fatal(err)
	}
	run := func(b *testing.B, open func() io.Reader) {
		b.ReportAllocs()
		b.SetBytes(int64(len(out)))
		for b.Loop() {
			r := open()
			n, err := io.Copy(io.Discard, r)
			if err != nil || n != int64(len(out)) {
				b.Fatalf("%d bytes, %v", n, err)
			}
			if c, ok := r.(io.Closer); ok {
				c.Close()
			}
		}
	}
	b.Run("ours-1", func(b *testing.B) {
		run(b, func() io.Reader { return NewReader(bytes.NewReader(data), 1) })
	})
	b.Run("ours-2", func(b *testing.B) {
		run(b, func() io.Reader { return NewReader(bytes.NewReader(data), 2) })
	})
	b.Run("stdlib", func(b *testing.B) {
		run(b, func() io.Reader { return bzip2.NewReader(bytes.NewReader(data)) })
	})
}
