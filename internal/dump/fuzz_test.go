package dump

import (
	"context"
	"io"
	"os"
	"path/filepath"
	"testing"
	"unicode/utf8"
)

// FuzzReader feeds arbitrary bytes to the reader as a plain XML file: it must not
// panic, and every page it returns has valid UTF-8 title and text.
func FuzzReader(f *testing.F) {
	f.Add([]byte(header + page(1, "A", "", "t &amp; x") + "</mediawiki>\n"))
	f.Add([]byte(page(1, "A", `<redirect title="B"/>`, "#REDIRECT [[B]]")))
	f.Add([]byte("<page><title>x</title><revision><text>a</text></revision></page>"))
	f.Add([]byte("<page><title>x\xff</title><id>9</id><revision><text bytes='1'/></revision></page>"))
	f.Add([]byte("<mediawiki><page><title>"))
	dir := f.TempDir()
	f.Fuzz(func(t *testing.T, data []byte) {
		p := filepath.Join(dir, "f.xml")
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
		r, err := Open(context.Background(), []string{p}, Options{})
		if err != nil {
			t.Fatal(err)
		}
		defer r.Close()
		for i := 0; i < 1000; i++ {
			pg, err := r.Next()
			if err != nil {
				if err != io.EOF {
					if _, ok := err.(*Error); !ok {
						t.Fatalf("error %v is not a *Error", err)
					}
				}
				return
			}
			if !utf8.ValidString(pg.Title) || !utf8.ValidString(pg.Text) || !utf8.ValidString(pg.Redirect) {
				t.Fatalf("invalid UTF-8 in page %+v", pg)
			}
		}
	})
}

// FuzzUnescape checks entity decoding: valid UTF-8 out, and text without '&' unchanged.
func FuzzUnescape(f *testing.F) {
	for _, s := range []string{"a &amp; b", "&#233;&#x20AC;", "&#xD800;", "&#99999999;", "&", "&;", "x\xffy", "&lt;&gt;&quot;&apos;"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		s, n := unescape(b)
		if !utf8.ValidString(s) {
			t.Fatalf("unescape(%q) = %q: invalid UTF-8", b, s)
		}
		if n < 0 || (n == 0 && !utf8.Valid(b) && len(b) > 0 && !containsAmp(b)) {
			t.Fatalf("unescape(%q) replaced %d", b, n)
		}
		if !containsAmp(b) && utf8.Valid(b) && s != string(b) {
			t.Fatalf("unescape(%q) = %q changed text without entities", b, s)
		}
	})
}

func containsAmp(b []byte) bool {
	for _, c := range b {
		if c == '&' {
			return true
		}
	}
	return false
}
