package synth

import (
	"bytes"
	"context"
	"encoding/xml"
	"flag"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/addlink/addlink/datasets"
	"github.com/addlink/addlink/internal/dump"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

func TestDeterministicAndWellFormed(t *testing.T) {
	var a, b bytes.Buffer
	o := Options{Articles: 120, Seed: 7, Vocabulary: 800}
	if err := Write(&a, o); err != nil {
		t.Fatal(err)
	}
	if err := Write(&b, o); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(a.Bytes(), b.Bytes()) {
		t.Fatal("two runs with the same options differ")
	}
	d := xml.NewDecoder(bytes.NewReader(a.Bytes()))
	for {
		_, err := d.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("not well-formed XML: %v", err)
		}
	}
	var c bytes.Buffer
	o.Seed = 8
	Write(&c, o)
	if bytes.Equal(a.Bytes(), c.Bytes()) {
		t.Error("another seed gave the same dump")
	}
}

func TestShape(t *testing.T) {
	path := filepath.Join(t.TempDir(), "s.xml.gz")
	o := Options{Articles: 300, Seed: 3, RedirectShare: 0.3}
	if err := WriteFile(path, o); err != nil {
		t.Fatal(err)
	}
	r, err := dump.Open(context.Background(), []string{path}, dump.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	ns := map[int]int{}
	articles, redirects, links := 0, 0, 0
	for {
		p, err := r.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		ns[p.NS]++
		if p.NS == 0 && p.IsRedirect() {
			redirects++
		} else if p.NS == 0 && p.Text != "" {
			articles++
			links += bytes.Count([]byte(p.Text), []byte("[["))
		}
	}
	if articles != 300 {
		t.Errorf("%d articles, want 300", articles)
	}
	share := float64(redirects) / float64(redirects+ns[0]-redirects)
	if share < 0.25 || share > 0.35 {
		t.Errorf("redirect share %.2f, want about 0.3", share)
	}
	for _, n := range []int{1, 2, 4, 6, 10, 14, 828} {
		if ns[n] == 0 {
			t.Errorf("no page in namespace %d", n)
		}
	}
	if links < 5*articles {
		t.Errorf("%d links in %d articles: too few", links, articles)
	}
	if r.SiteInfo().DBName != datasets.SampleWiki {
		t.Errorf("dbname %q", r.SiteInfo().DBName)
	}
}

func TestTargetBytes(t *testing.T) {
	var buf bytes.Buffer
	if err := Write(&buf, Options{TargetBytes: 2 << 20, Seed: 1}); err != nil {
		t.Fatal(err)
	}
	if n := buf.Len(); n < 2<<20 || n > 3<<20 {
		t.Errorf("%d bytes for a 2 MiB target", n)
	}
}

// The golden file pins the generator's output: a change to it changes the sample wiki
// and every artifact made from it, so it must be deliberate (go test -update).
func TestGolden(t *testing.T) {
	var buf bytes.Buffer
	if err := Write(&buf, Options{Articles: 6, Seed: 42, Vocabulary: 60, RedirectShare: 0.3}); err != nil {
		t.Fatal(err)
	}
	golden := filepath.Join("testdata", "tiny.xml")
	if *update {
		if err := os.WriteFile(golden, buf.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(buf.Bytes(), want) {
		t.Errorf("output differs from %s (run go test -update if the change is intended)", golden)
	}
}

func BenchmarkWrite(b *testing.B) {
	b.ReportAllocs()
	var n int64
	for b.Loop() {
		cw := &countWriter{w: io.Discard}
		if err := Write(cw, Options{Articles: 2000, Seed: 1}); err != nil {
			b.Fatal(err)
		}
		n = cw.n
	}
	b.SetBytes(n)
}
