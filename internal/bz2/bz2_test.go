package bz2

import (
	"bytes"
	"compress/bzip2"
	"crypto/sha256"
	"errors"
	"io"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/addlink/addlink/internal/testfixtures"
)

// crcBitwise is the bzip2 CRC one bit at a time, the definition blockCRC must equal.
func crcBitwise(p []byte) uint32 {
	c := ^uint32(0)
	for _, b := range p {
		c ^= uint32(b) << 24
		for k := 0; k < 8; k++ {
			if c&0x80000000 != 0 {
				c = c<<1 ^ 0x04c11db7
			} else {
				c <<= 1
			}
		}
	}
	return ^c
}

func TestCRC(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for _, n := range []int{0, 1, 7, 8, 9, 15, 16, 17, 100, 1000, 4097} {
		p := make([]byte, n)
		for i := range p {
			p[i] = byte(rng.Uint32())
		}
		if got, want := blockCRC(p), crcBitwise(p); got != want {
			t.Errorf("length %d: crc %08x, want %08x", n, got, want)
		}
	}
	// The check value of this CRC (CRC-32/BZIP2) for "123456789".
	if got := blockCRC([]byte("123456789")); got != 0xfc891918 {
		t.Errorf("check value %08x, want fc891918", got)
	}
}

// decodeAll decompresses with our reader on threads workers.
func decodeAll(data []byte, threads int) ([]byte, error) {
	z := NewReader(bytes.NewReader(data), threads)
	defer z.Close()
	return io.ReadAll(z)
}

// compress runs the bzip2 program (Debian's bzip2, installed by .ci/run).
func compress(t *testing.T, data []byte, level string) []byte {
	t.Helper()
	testfixtures.Require(t, "the bzip2 program", func() error { _, err := exec.LookPath("bzip2"); return err })
	cmd := exec.Command("bzip2", "-c", level)
	cmd.Stdin = bytes.NewReader(data)
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("bzip2 %s: %v", level, err)
	}
	return out
}

// samples are inputs that exercise the block format's corners: runs around the
// run-length coding's limit of 4+255, a single symbol, all 256 bytes, random data that
// needs long Huffman codes, and text.
func samples() map[string][]byte {
	rng := rand.New(rand.NewPCG(3, 4))
	random := make([]byte, 300000)
	for i := range random {
		random[i] = byte(rng.Uint32())
	}
	skewed := make([]byte, 400000)
	for i := range skewed {
		// A geometric distribution gives codes of many lengths.
		b := 0
		for rng.Uint32()&1 == 0 && b < 255 {
			b++
		}
		skewed[i] = byte(b)
	}
	var runs bytes.Buffer
	for n := 1; n < 600; n++ {
		runs.Write(bytes.Repeat([]byte{byte(n)}, n))
		runs.WriteByte('x')
	}
	all := make([]byte, 256*3)
	for i := range all {
		all[i] = byte(i)
	}
	text := strings.Repeat("Η Αθήνα είναι η πρωτεύουσα της Ελλάδας. [[Link|text]] {{template}}\n", 30000)
	return map[string][]byte{
		"empty":  {},
		"one":    {'a'},
		"four":   []byte("aaaa"),
		"five":   []byte("aaaaa"),
		"259":    bytes.Repeat([]byte{'z'}, 259),
		"260":    bytes.Repeat([]byte{'z'}, 260),
		"long":   bytes.Repeat([]byte{0}, 1500000),
		"runs":   runs.Bytes(),
		"all":    all,
		"random": random,
		"skewed": skewed,
		"text":   []byte(text),
	}
}

func TestSamples(t *testing.T) {
	for name, data := range samples() {
		for _, level := range []string{"-1", "-9"} {
			z := compress(t, data, level)
			for _, threads := range []int{1, 2, 3} {
				got, err := decodeAll(z, threads)
				if err != nil {
					t.Fatalf("%s %s threads %d: %v", name, level, threads, err)
				}
				if !bytes.Equal(got, data) {
					t.Fatalf("%s %s threads %d: %d bytes out, want %d (differ)", name, level, threads, len(got), len(data))
				}
			}
		}
	}
}

// TestConcatenated checks several streams one after another, as in multistream dumps,
// including an empty stream between two others.
func TestConcatenated(t *testing.T) {
	s := samples()
	parts := [][]byte{s["text"], s["empty"], s["runs"], s["one"], s["random"]}
	var z, want []byte
	for _, p := range parts {
		z = append(z, compress(t, p, "-1")...)
		want = append(want, p...)
	}
	for _, threads := range []int{1, 2, 4} {
		got, err := decodeAll(z, threads)
		if err != nil {
			t.Fatalf("threads %d: %v", threads, err)
		}
		if !bytes.Equal(got, want) {
			t.Fatalf("threads %d: output differs", threads)
		}
	}
	// Trailing garbage after a complete stream is an error, as in compress/bzip2.
	if _, err := decodeAll(append(z, "junk"...), 2); err == nil {
		t.Error("trailing garbage: no error")
	}
}

// TestFixtures decodes every bzip2 fixture (real dumps, multistream files, part files,
// the truncated and odd ones) and compares with the standard library's decoder.
func TestFixtures(t *testing.T) {
	dir := testfixtures.Path(t, "dumps")
	var files []string
	filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err == nil && strings.HasSuffix(p, ".bz2") {
			files = append(files, p)
		}
		return nil
	})
	if len(files) < 10 {
		t.Fatalf("only %d bzip2 fixtures under %s", len(files), dir)
	}
	for _, p := range files {
		data, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		want, wantErr := io.ReadAll(bzip2.NewReader(bytes.NewReader(data)))
		got, err := decodeAll(data, 2)
		name, _ := filepath.Rel(dir, p)
		if (err != nil) != (wantErr != nil) {
			t.Errorf("%s: error %v, compress/bzip2 %v", name, err, wantErr)
			continue
		}
		// Up to an error both give the same bytes; ours stops at the last good block.
		if wantErr != nil {
			if !bytes.HasPrefix(want, got) {
				t.Errorf("%s: output before the error is not a prefix of compress/bzip2's", name)
			}
			continue
		}
		if sha256.Sum256(got) != sha256.Sum256(want) {
			t.Errorf("%s: output differs from compress/bzip2 (%d vs %d bytes)", name, len(got), len(want))
		}
	}
}

// TestCorrupt checks that damaged data is an error, never a panic or wrong output: every
// truncation point of a small stream and single flipped bits throughout.
func TestCorrupt(t *testing.T) {
	data := samples()["text"][:200000]
	z := compress(t, data, "-1")
	for cut := 0; cut < len(z); cut += 1 + len(z)/300 {
		got, err := decodeAll(z[:cut], 2)
		if err == nil {
			t.Fatalf("cut at %d of %d: no error", cut, len(z))
		}
		if !bytes.HasPrefix(data, got) {
			t.Fatalf("cut at %d: output is not a prefix of the data", cut)
		}
	}
	sawChecksum := false
	for i := 10; i < len(z); i += 1 + len(z)/200 {
		bad := bytes.Clone(z)
		bad[i] ^= 0x10
		got, err := decodeAll(bad, 2)
		if err == nil && !bytes.Equal(got, data) {
			t.Fatalf("bit flip at %d: wrong output and no error", i)
		}
		sawChecksum = sawChecksum || errors.Is(err, ErrChecksum)
	}
	if !sawChecksum {
		t.Error("no bit flip was reported as a checksum error")
	}
}

// TestCloseEarly stops reading in the middle: Close must return and leave no goroutine
// blocked.
func TestCloseEarly(t *testing.T) {
	z := compress(t, samples()["random"], "-1")
	for _, n := range []int{0, 1, 150000} {
		r := NewReader(bytes.NewReader(z), 2)
		if _, err := io.ReadFull(r, make([]byte, n)); err != nil {
			t.Fatal(err)
		}
		r.Close()
		if _, err := r.Read(make([]byte, 1)); err == nil {
			t.Error("read after Close: no error")
		}
	}
}

// TestFindRun4 compares the eight-bytes-at-a-time search with a plain loop on strings
// over small alphabets, where runs are frequent and fall at every offset.
func TestFindRun4(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	naive := func(s []byte, i int) int {
		for ; i+4 <= len(s); i++ {
			if s[i] == s[i+1] && s[i] == s[i+2] && s[i] == s[i+3] {
				return i
			}
		}
		return -1
	}
	for trial := 0; trial < 20000; trial++ {
		s := make([]byte, rng.IntN(40))
		alpha := 1 + rng.IntN(3)
		for i := range s {
			s[i] = byte(rng.IntN(alpha)) * 0x81 // 0x00, 0x81, 0x02: equal high bits must not matter
		}
		i := rng.IntN(len(s) + 1)
		if got, want := findRun4(s, i), naive(s, i); got != want {
			t.Fatalf("findRun4(%x, %d) = %d, want %d", s, i, got, want)
		}
	}
}

func FuzzReader(f *testing.F) {
	f.Add([]byte("BZh91AY&SY"))
	f.Add([]byte{})
	for _, name := range []string{"one", "five", "all", "runs"} {
		cmd := exec.Command("bzip2", "-c", "-1")
		cmd.Stdin = bytes.NewReader(samples()[name])
		if z, err := cmd.Output(); err == nil {
			f.Add(z)
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		got, err := decodeAll(data, 2)
		want, wantErr := io.ReadAll(bzip2.NewReader(bytes.NewReader(data)))
		if err == nil && wantErr == nil && !bytes.Equal(got, want) {
			t.Fatalf("output differs from compress/bzip2")
		}
		if err == nil && wantErr != nil && !strings.Contains(wantErr.Error(), "randomised") {
			t.Fatalf("accepted data that compress/bzip2 rejects: %v", wantErr)
		}
	})
}
