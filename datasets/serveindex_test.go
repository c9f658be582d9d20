package datasets

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"testing"
)

// writeTestIndex writes an index of n keys per section: key i has the value "v<i>".
func writeTestIndex(t testing.TB, path string, n int) string {
	t.Helper()
	w, err := NewServeIndexWriter(path)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Abort()
	for s := range indexSections {
		for i := range n {
			k := fmt.Sprintf("k%08d", i)
			if err := w.Add(s, k, []byte(fmt.Sprintf("v%d.%d", s, i))); err != nil {
				t.Fatal(err)
			}
		}
	}
	sum, err := w.Commit()
	if err != nil {
		t.Fatal(err)
	}
	return sum
}

func TestServeIndexRoundTrip(t *testing.T) {
	dir := t.TempDir()
	for _, n := range []int{0, 1, 3, 1000} {
		path := filepath.Join(dir, fmt.Sprintf("%d.serve.idx", n))
		sum := writeTestIndex(t, path, n)
		// The bytes depend only on the content.
		again := filepath.Join(dir, fmt.Sprintf("%d.again.idx", n))
		if sum2 := writeTestIndex(t, again, n); sum2 != sum {
			t.Fatalf("n=%d: two writes differ: %s, %s", n, sum, sum2)
		}
		if err := VerifyServeIndex(path); err != nil {
			t.Fatal(err)
		}
		ix, err := OpenServeIndex(path)
		if err != nil {
			t.Fatal(err)
		}
		for s := range indexSections {
			if ix.Count(s) != n {
				t.Fatalf("section %d: %d keys, want %d", s, ix.Count(s), n)
			}
			for i := range n {
				v, ok := ix.LookupString(s, fmt.Sprintf("k%08d", i))
				if want := fmt.Sprintf("v%d.%d", s, i); !ok || string(v) != want {
					t.Fatalf("section %d key %d: %q %v, want %q", s, i, v, ok, want)
				}
			}
			for _, miss := range []string{"", "k", fmt.Sprintf("k%08d", n), "zzz"} {
				if v, ok := ix.LookupString(s, miss); ok {
					t.Fatalf("section %d: %q found: %q", s, miss, v)
				}
			}
		}
		ix.Close()
	}
}

func TestServeIndexWriterOrder(t *testing.T) {
	w, err := NewServeIndexWriter(filepath.Join(t.TempDir(), "x.idx"))
	if err != nil {
		t.Fatal(err)
	}
	defer w.Abort()
	if err := w.Add(IndexPageIDs, "b", nil); err != nil {
		t.Fatal(err)
	}
	if err := w.Add(IndexPageIDs, "a", nil); err == nil {
		t.Error("a key out of order was accepted")
	}
	if err := w.Add(IndexAnchors, "c", nil); err == nil {
		t.Error("a section out of order was accepted")
	}
}

// TestServeIndexDamaged: a truncated or altered index fails its checksum; a truncated
// header or a wrong version is refused when opened.
func TestServeIndexDamaged(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "x.serve.idx")
	writeTestIndex(t, path, 100)
	good, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	flipped := bytes.Clone(good)
	flipped[len(flipped)-3] ^= 1
	version := bytes.Clone(good)
	binary.LittleEndian.PutUint32(version[8:], ServeIndexVersion+1)
	for _, c := range []struct {
		name      string
		data      []byte
		openFails bool
	}{
		{"truncated", good[:len(good)/2], false},
		{"header cut", good[:20], true},
		{"flipped", flipped, false},
		{"version", version, true},
	} {
		if err := os.WriteFile(path, c.data, 0o644); err != nil {
			t.Fatal(err)
		}
		if err := VerifyServeIndex(path); !errors.Is(err, ErrServeIndex) {
			t.Errorf("%s: verify: %v, want ErrServeIndex", c.name, err)
		}
		ix, err := OpenServeIndex(path)
		if c.openFails {
			if !errors.Is(err, ErrServeIndex) {
				t.Errorf("%s: open: %v, want ErrServeIndex", c.name, err)
			}
			continue
		}
		if errors.Is(err, ErrServeIndex) {
			continue // refused: its sections do not fit
		}
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		for i := range 100 {
			ix.LookupString(IndexAnchors, fmt.Sprintf("k%08d", i)) // never panics
		}
		ix.Close()
	}
}

// FuzzServeIndex: any bytes opened as an index are refused or looked up without a
// crash.
func FuzzServeIndex(f *testing.F) {
	dir := f.TempDir()
	path := filepath.Join(dir, "seed.idx")
	writeTestIndex(f, path, 5)
	seed, _ := os.ReadFile(path)
	f.Add(seed, "k00000001")
	f.Add(seed[:indexHeaderSize+10], "k")
	f.Fuzz(func(t *testing.T, data []byte, key string) {
		p := filepath.Join(t.TempDir(), "f.idx")
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
		ix, err := OpenServeIndex(p)
		if err != nil {
			return
		}
		defer ix.Close()
		for s := range indexSections {
			if v, ok := ix.LookupString(s, key); ok {
				DecodeAnchorValue(v, func([]byte, int64) {})
				DecodeVectorValue(v)
			}
		}
	})
}

// BenchmarkServeIndexLookup compares a look-up in the index with one in a Go map of
// the same keys (the service's in-memory datasets).
func BenchmarkServeIndexLookup(b *testing.B) {
	const n = 1 << 20
	path := filepath.Join(b.TempDir(), "b.serve.idx")
	writeTestIndex(b, path, n)
	ix, err := OpenServeIndex(path)
	if err != nil {
		b.Fatal(err)
	}
	defer ix.Close()
	keys := make([][]byte, 4096)
	m := make(map[string][]byte, n)
	for i := range n {
		m[fmt.Sprintf("k%08d", i)] = []byte("v")
	}
	for i := range keys {
		keys[i] = []byte(fmt.Sprintf("k%08d", (i*7919)%n))
	}
	misses := make([][]byte, len(keys))
	for i := range misses {
		misses[i] = []byte(fmt.Sprintf("m%08d", i))
	}
	b.Run("index/hit", func(b *testing.B) {
		b.ReportAllocs()
		for i := 0; b.Loop(); i++ {
			if _, ok := ix.Lookup(IndexAnchors, keys[i%len(keys)]); !ok {
				b.Fatal("miss")
			}
		}
	})
	b.Run("index/miss", func(b *testing.B) {
		b.ReportAllocs()
		for i := 0; b.Loop(); i++ {
			ix.Lookup(IndexAnchors, misses[i%len(misses)])
		}
	})
	b.Run("map/hit", func(b *testing.B) {
		b.ReportAllocs()
		for i := 0; b.Loop(); i++ {
			if _, ok := m[string(keys[i%len(keys)])]; !ok {
				b.Fatal("miss")
			}
		}
	})
	b.Run("map/miss", func(b *testing.B) {
		b.ReportAllocs()
		for i := 0; b.Loop(); i++ {
			_ = m[string(misses[i%len(misses)])]
		}
	})
}
