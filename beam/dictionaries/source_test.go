package dictionaries

import (
	"context"
	"reflect"
	"strings"
	"testing"
)

func TestStreamRanges(t *testing.T) {
	for _, c := range []struct {
		name  string
		offs  []int64
		bytes int64
		want  []Split
	}{
		{"one stream each", []int64{10, 20, 30}, 1, []Split{{"f", 0, 10, false}, {"f", 10, 20, false}, {"f", 20, 30, false}, {"f", 30, -1, false}}},
		{"grouped", []int64{10, 20, 30, 40}, 15, []Split{{"f", 0, 20, false}, {"f", 20, 40, false}, {"f", 40, -1, false}}},
		{"all in one", []int64{10, 20}, 1 << 20, []Split{{"f", 0, -1, false}}},
		{"no index lines", nil, 1, []Split{{"f", 0, -1, false}}},
	} {
		t.Run(c.name, func(t *testing.T) {
			if got := streamRanges("f", c.offs, c.bytes); !reflect.DeepEqual(got, c.want) {
				t.Errorf("streamRanges = %v, want %v", got, c.want)
			}
		})
	}
}

func TestIndexedFile(t *testing.T) {
	files := []string{
		"d/elwiki-20260101-pages-articles-multistream.xml.bz2",
		"d/pages-articles-p2566p2583.multistream.xml.bz2",
		"d/pages-articles-p2566p2583.multistream-noheader.xml.bz2",
	}
	for idx, want := range map[string]string{
		"d/elwiki-20260101-pages-articles-multistream-index.txt.bz2":     files[0],
		"d/pages-articles-p2566p2583.multistream-index.xml.bz2":          files[1],
		"d/pages-articles-p2566p2583.multistream-index-noheader.xml.bz2": files[2],
		"d/other-multistream-index.txt.bz2":                              "",
	} {
		got, ok := indexedFile(idx, files)
		if got != want || ok != (want != "") {
			t.Errorf("indexedFile(%s) = %q, %v; want %q", idx, got, ok, want)
		}
	}
}

func TestSplitsErrors(t *testing.T) {
	for _, c := range []struct {
		name  string
		files []string
		err   string
	}{
		{"index without its dump", []string{"d/x-multistream-index.txt.bz2", "d/y.xml.bz2"}, "its dump file is not among"},
		{"only an index", []string{"d/x-multistream-index.txt.bz2"}, "no dump files"},
		{"glob without match", []string{t.TempDir() + "/*.bz2"}, "no file matches"},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := Splits(context.Background(), c.files, 1)
			if err == nil || !strings.Contains(err.Error(), c.err) {
				t.Fatalf("Splits: %v, want an error containing %q", err, c.err)
			}
		})
	}
}

func TestPairKey(t *testing.T) {
	for _, p := range [][2]string{{"", ""}, {"a", ""}, {"", "B"}, {"new york", "New York City"}, {strings.Repeat("x", 300), "Y"}, {"\x00\xff", "\x80"}} {
		a, b := splitPairKey(string(pairKey(nil, p[0], p[1])))
		if a != p[0] || b != p[1] {
			t.Errorf("pairKey(%q, %q) splits into %q, %q", p[0], p[1], a, b)
		}
	}
}
