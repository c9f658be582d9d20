package wikitext

import (
	"strings"
	"unicode/utf8"
)

// NormalizeTitle normalises a link target or page title as the reference pipeline's
// normalise_title: percent-decoding (Python urllib.parse.unquote), strip, upper-case
// first character, '_' to ' ', cut at the first '#', in that order.
func NormalizeTitle(t string) string {
	t = Unquote(t)
	t = PyStrip(t)
	t = UpperFirst(t)
	t = strings.ReplaceAll(t, "_", " ")
	if i := strings.IndexByte(t, '#'); i >= 0 {
		t = t[:i]
	}
	return t
}

// NormalizeAnchor normalises anchor text as the reference's normalise_anchor: strip,
// then Python lower-casing.
func NormalizeAnchor(a string) string { return Lower(PyStrip(a)) }

// Unquote decodes %XX escapes like Python's urllib.parse.unquote: runs of escapes are
// decoded as UTF-8 with invalid sequences replaced by U+FFFD; a '%' not followed by
// two hex digits stays as it is.
func Unquote(s string) string {
	if strings.IndexByte(s, '%') < 0 {
		return s
	}
	var b strings.Builder
	b.Grow(len(s))
	var run []byte
	flush := func() {
		for len(run) > 0 {
			r, size := utf8.DecodeRune(run)
			if r == utf8.RuneError && size == 1 {
				// Like Python's decoder, one U+FFFD for a maximal invalid subpart.
				size = invalidPrefix(run)
			}
			b.WriteRune(r)
			run = run[size:]
		}
	}
	for i := 0; i < len(s); {
		if s[i] == '%' && i+2 < len(s) && isHex(s[i+1]) && isHex(s[i+2]) {
			run = append(run, unhex(s[i+1])<<4|unhex(s[i+2]))
			i += 3
			continue
		}
		flush()
		b.WriteByte(s[i])
		i++
	}
	flush()
	return b.String()
}

func isHex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

func unhex(c byte) byte {
	switch {
	case '0' <= c && c <= '9':
		return c - '0'
	case 'a' <= c && c <= 'f':
		return c - 'a' + 10
	}
	return c - 'A' + 10
}

// invalidPrefix returns the length of the maximal subpart of an ill-formed UTF-8
// sequence at the start of b: a lead byte followed by the continuation bytes that are
// valid for it (at least 1).
func invalidPrefix(b []byte) int {
	need, lo, hi := 0, byte(0x80), byte(0xBF)
	switch c := b[0]; {
	case c >= 0xC2 && c <= 0xDF:
		need = 1
	case c == 0xE0:
		need, lo = 2, 0xA0
	case c == 0xED:
		need, hi = 2, 0x9F
	case c >= 0xE1 && c <= 0xEF:
		need = 2
	case c == 0xF0:
		need, lo = 3, 0x90
	case c == 0xF4:
		need, hi = 3, 0x8F
	case c >= 0xF1 && c <= 0xF3:
		need = 3
	default:
		return 1
	}
	n := 1
	for n <= need && n < len(b) {
		c := b[n]
		if n == 1 && (c < lo || c > hi) || n > 1 && (c < 0x80 || c > 0xBF) {
			break
		}
		n++
	}
	return n
}
