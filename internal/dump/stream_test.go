package dump

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"io"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/addlink/addlink/internal/testfixtures"
)

func readPages(t *testing.T, r *Reader) []pageSum {
	t.Helper()
	defer r.Close()
	var out []pageSum
	for {
		p, err := r.Next()
		if err == io.EOF {
			return out
		}
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, pageSum{p.ID, p.NS, p.Title, p.Redirect, sha256.Sum256([]byte(p.Text))})
	}
}

// TestNewReaderStreamRanges reads a real multistream file stream range by stream range,
// as its index gives them, and gets the pages that Open reads from the whole file.
func TestNewReaderStreamRanges(t *testing.T) {
	const dir = "dumps/elwikivoyage/multistream/"
	for _, variant := range []string{"", "-noheader"} {
		t.Run("multistream"+variant, func(t *testing.T) {
			file := testfixtures.Path(t, dir+"pages-articles-p2566p2583.multistream"+variant+".xml.bz2")
			want, _, err := readAll(t, file)
			if err != nil {
				t.Fatal(err)
			}
			idx := testfixtures.Path(t, dir+"pages-articles-p2566p2583.multistream-index"+map[string]string{"-noheader": "-noheader"}[variant]+".xml.bz2")
			zr, err := OpenCompressed(context.Background(), idx, 1)
			if err != nil {
				t.Fatal(err)
			}
			offs, err := StreamOffsets(idx, zr)
			zr.Close()
			if err != nil {
				t.Fatal(err)
			}
			if len(offs) != 4 {
				t.Fatalf("%d stream offsets, want 4", len(offs))
			}
			data, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			// Each page stream alone, the header stream first, the footer with the last.
			var got []pageSum
			bounds := append(append([]int64{0}, offs[1:]...), int64(len(data)))
			rooted := variant != "-noheader"
			for i := range len(bounds) - 1 {
				rng := Range{Partial: true, More: i < len(bounds)-2, Rooted: rooted && i > 0}
				r, err := NewReader(context.Background(), file, bytes.NewReader(data[bounds[i]:bounds[i+1]]), rng, Options{Threads: 2})
				if err != nil {
					t.Fatal(err)
				}
				got = append(got, readPages(t, r)...)
			}
			if len(got) != len(want) || len(got) == 0 {
				t.Fatalf("%d pages by stream ranges, %d from the whole file", len(got), len(want))
			}
			for i := range got {
				if got[i] != want[i] {
					t.Errorf("page %d: %v, want %v", i, got[i], want[i])
				}
			}
		})
	}
}

// TestNewReaderNoFooter: a multistream file without its footer stream (cut between two
// streams) is truncated, read whole or by ranges (the last range, after a range that
// opened <mediawiki>, must close it).
func TestNewReaderNoFooter(t *testing.T) {
	file := testfixtures.Path(t, "dumps/elwikivoyage/multistream/pages-articles-p2566p2583.multistream-nofooter.xml.bz2")
	if _, _, err := readAll(t, file); !errors.Is(err, ErrTruncated) {
		t.Fatalf("whole file: %v, want ErrTruncated", err)
	}
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	r, err := NewReader(context.Background(), file, bytes.NewReader(data[4735:]), Range{Partial: true, Rooted: true}, Options{Threads: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	for err == nil {
		_, err = r.Next()
	}
	if !errors.Is(err, ErrTruncated) {
		t.Fatalf("last range: %v, want ErrTruncated", err)
	}
}

func TestNewReaderTruncatedRange(t *testing.T) {
	file := testfixtures.Path(t, "dumps/elwikivoyage/multistream/pages-articles-p2566p2583.multistream.xml.bz2")
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	r, err := NewReader(context.Background(), file, bytes.NewReader(data[:len(data)/2]), Range{}, Options{Threads: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	for {
		_, err = r.Next()
		if err != nil {
			break
		}
	}
	var de *Error
	if err == io.EOF || !errors.As(err, &de) || de.File != file {
		t.Fatalf("half a multistream file: %v, want a dump error naming the file", err)
	}
}

func TestStreamOffsets(t *testing.T) {
	for _, c := range []struct {
		name, in string
		want     []int64
		err      string
	}{
		{"repeats", "10:1:A\n10:2:B\n25:3:C:D\n", []int64{10, 25}, ""},
		{"empty", "", nil, ""},
		{"no colon", "10\n", nil, "expected offset:pageid:title"},
		{"bad offset", "x:1:A\n", nil, "bad offset"},
		{"backwards", "25:1:A\n10:2:B\n", nil, "before the previous one"},
	} {
		t.Run(c.name, func(t *testing.T) {
			got, err := StreamOffsets("idx", strings.NewReader(c.in))
			if c.err != "" {
				if err == nil || !strings.Contains(err.Error(), c.err) {
					t.Fatalf("error %v, want one containing %q", err, c.err)
				}
				return
			}
			if err != nil || !slices.Equal(got, c.want) {
				t.Fatalf("StreamOffsets = %v, %v; want %v", got, err, c.want)
			}
		})
	}
}

// FuzzStreamOffsets feeds arbitrary bytes to the index reader: it must not panic, and
// the offsets it returns ascend strictly.
func FuzzStreamOffsets(f *testing.F) {
	f.Add([]byte("10:1:A\n10:2:B\n25:3:C:D\n"))
	f.Add([]byte("x:1:A\n"))
	f.Add([]byte("25:1:A\n10:2:B\n"))
	f.Add([]byte("\n\n-1:2:3\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		offs, err := StreamOffsets("idx", bytes.NewReader(data))
		if err != nil {
			return
		}
		for i := 1; i < len(offs); i++ {
			if offs[i] <= offs[i-1] {
				t.Fatalf("offsets %v do not ascend", offs)
			}
		}
	})
}
