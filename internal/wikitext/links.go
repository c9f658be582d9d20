// Wikilinks and external links (bracketed, with a URL scheme).

package wikitext

import (
	"strings"
)

// wikilink handles "[[title|text]]" at s[i]: its text, or its title without one.
func (m stripMode) wikilink(b *textBuf, s string, i, depth int) int {
	if m.w.spent() {
		return 0
	}
	if m.w.none(s, i+2, "]]") {
		return 0 // no "]]" follows: no link
	}
	d := 0
	for j := i + 2; j < len(s); j++ {
		if j&63 == 0 && !m.w.spend(128) {
			return 0
		}
		switch {
		case strings.HasPrefix(s[j:], "[["):
			d++
			j++
		case strings.HasPrefix(s[j:], "]]"):
			if d == 0 {
				inner := s[i+2 : j]
				title, text, hasText := strings.Cut(inner, "|")
				if strings.ContainsAny(title, "\n[]<>") {
					return 0
				}
				if hasText {
					m.stripInto(b, text, depth+1)
				} else {
					m.stripInto(b, title, depth+1)
				}
				return j + 2
			}
			d--
			j++
		}
	}
	return 0
}

var urlSchemes = []string{"http://", "https://", "//", "ftp://", "ftps://", "mailto:", "irc://", "ircs://", "news:", "gopher://", "telnet://", "nntp://", "worldwind://", "svn://", "git://", "mms://", "sftp://", "ssh://", "urn:", "xmpp:", "sip:", "sips:", "tel:", "geo:", "bitcoin:", "magnet:", "redis://", "matrix:"}

// schemesFrom lists the URL schemes by their first byte, in either case.
var schemesFrom = func() (t [256][]string) {
	for _, sc := range urlSchemes {
		t[sc[0]] = append(t[sc[0]], sc)
		if u := asciiUpper(sc[0]); u != sc[0] {
			t[u] = append(t[u], sc)
		}
	}
	return t
}()

// hasURLScheme reports whether s starts with one of urlSchemes, in any case (ASCII
// case: a scheme has only ASCII letters, and a multi-byte letter that folds to one of
// them, as "ſ" to "s", could not fill the scheme's bytes rune for rune). Only the
// schemes with s's first byte are compared: a page of "[x " asks at every third byte.
func hasURLScheme(s string) bool {
	if len(s) == 0 {
		return false
	}
	for _, sc := range schemesFrom[s[0]] {
		if hasPrefixASCIIFold(s, sc) {
			return true
		}
	}
	return false
}

func asciiUpper(c byte) byte {
	if 'a' <= c && c <= 'z' {
		return c - ('a' - 'A')
	}
	return c
}

// externalLink handles "[url title]" at s[i] == '['.
func (m stripMode) externalLink(b *textBuf, s string, i, depth int) int {
	rest := s[i+1:]
	if !hasURLScheme(rest) || m.w.spent() {
		return 0
	}
	end, looked := m.w.index(s, i+1, "]\n", true)
	if !m.w.spend(looked) || end < 0 {
		return 0
	}
	end -= i + 1
	// The address ends at a space (dropped), or where markup starts: [ < > " ''.
	u := end
	for k := 0; k < end; k++ {
		if c := rest[k]; c == ' ' || c == '[' || c == '<' || c == '>' || c == '"' ||
			c == '\'' && k+1 < len(rest) && rest[k+1] == '\'' {
			u = k
			break
		}
	}
	// The title ends at the first "]" outside the wikilinks and templates it holds
	// (ukwiki "Слово": [http://... Стаття в [[Енциклопедія|Енциклопедії]], Київ ...]).
	end, ok := m.externalTitleEnd(s, i+1+u, i+1+end, depth)
	if !ok {
		return 0
	}
	end -= i + 1
	inner := rest[:end]
	title := inner[u:]
	if strings.HasPrefix(title, " ") {
		title = title[1:]
	}
	m.stripNode(b, title, depth)
	return i + 1 + end + 1
}

// externalTitleEnd returns the position of the "]" that ends an external link's title
// starting at from, given the first "]" or line break after it at first: wikilinks and
// templates in the title are skipped whole. ok is false when a line break comes first.
func (m stripMode) externalTitleEnd(s string, from, first, depth int) (int, bool) {
	for {
		k := first
		if j := strings.Index(s[from:first], "[["); j >= 0 {
			k = from + j
		}
		if j := strings.Index(s[from:k], "{{"); j >= 0 {
			k = from + j
		}
		if k == first {
			return first, s[first] == ']'
		}
		var n int
		if s[k] == '[' {
			if n = m.wikilink(discard, s, k, depth+1); n > 0 && strings.IndexByte(s[k:n], '\n') >= 0 {
				return 0, false
			}
		} else {
			n = m.braces(discard, s, k, depth+1)
		}
		if n <= 0 {
			n = k + 2 // no node there: its brackets are text
		}
		from = n
		j := strings.IndexAny(s[from:], "]\n")
		if !m.w.spend(scanned(j, len(s)-from)) || j < 0 {
			return 0, false
		}
		first = from + j
	}
}
