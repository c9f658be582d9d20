package dictionaries

import (
	"context"
	"strings"
	"unicode/utf8"
	"unsafe"

	"github.com/addlink/addlink/internal/wikitext"
)

// appendRefsReplaced appends to dst s with every match of the reference's pattern
// <ref[^>]*>[^<]+</ref> replaced by "." (Python re.sub semantics: leftmost,
// non-overlapping); false, and dst as it was, when nothing matches.
func appendRefsReplaced(dst []byte, s string) ([]byte, bool) {
	if !strings.Contains(s, "<ref") {
		return dst, false
	}
	last := 0
	var gt, lt next
	for i := 0; ; {
		j := strings.Index(s[i:], "<ref")
		if j < 0 {
			break
		}
		start := i + j
		if end, ok := matchRef(s, start, &gt, &lt); ok {
			dst = append(dst, s[last:start]...)
			dst = append(dst, '.')
			last, i = end, end
			continue
		}
		i = start + 1
	}
	if last == 0 {
		return dst, false
	}
	return append(dst, s[last:]...), true
}

// matchRef matches <ref[^>]*>[^<]+</ref> at s[start:], for starts that only grow:
// gt and lt remember the '>' and '<' found last, so that text full of "<ref" without
// an end is looked through once.
func matchRef(s string, start int, gt, lt *next) (int, bool) {
	g := gt.index(s, start+4, '>')
	if g < 0 {
		return 0, false
	}
	body := g + 1
	l := lt.index(s, body, '<')
	if l <= body {
		return 0, false
	}
	if !strings.HasPrefix(s[l:], "</ref>") {
		return 0, false
	}
	return l + len("</ref>"), true
}

// A next is the next occurrence of a byte at or after the position last asked for.
type next struct {
	from, at int // at: its index, -1 when there is none after from
	used     bool
}

// index is strings.IndexByte(s[from:], c) + from (or -1), for from that never
// decrease.
func (n *next) index(s string, from int, c byte) int {
	if n.used && from >= n.from && (n.at < 0 || n.at >= from) {
		return n.at
	}
	n.used, n.from, n.at = true, from, strings.IndexByte(s[from:], c)
	if n.at >= 0 {
		n.at += from
	}
	return n.at
}

// isChunkSep reports the characters the reference splits text into chunks at.
func isChunkSep(r rune) bool {
	switch r {
	case '\n', '.', ',', ';', ':', '(', ')', '!', '"':
		return true
	}
	return false
}

// Byte classes of ASCII for appendChunks.
const (
	classWord = iota
	classSep
	classSpace
)

var asciiClass = func() (t [utf8.RuneSelf]uint8) {
	for c := range t {
		switch {
		case isChunkSep(rune(c)):
			t[c] = classSep
		case wikitext.IsPySpace(rune(c)):
			t[c] = classSpace
		}
	}
	return t
}()

// textBuffers are a pass-one worker's buffers for the text of the article it is on:
// the strings made from them (without copying) are dead before the next article.
type textBuffers struct{ links, refs []byte }

func bufString(b []byte) string { return unsafe.String(unsafe.SliceData(b), len(b)) }

// appendTextChunks appends to dst the chunks of the lower-cased plain text the reference
// counts anchors in (links and simple refs replaced by ".", markup stripped as
// mwparserfromhell's strip_code does, lower-cased), one per line with its words
// separated by single spaces, given the spans of wt's links (as wikitext.ScanLinks
// finds them). When lower is Python's lower-casing (pyLower) and the plain text is
// ASCII, its letters are lower-cased as the chunks are copied, without an intermediate
// string.
func appendTextChunks(dst []byte, wt string, spans [][2]int, lower func(string) string, pyLower bool, tb *textBuffers) []byte {
	dst, _ = appendTextChunksContext(context.Background(), dst, wt, spans, lower, pyLower, tb)
	return dst
}

// appendTextChunksContext is appendTextChunks that stops early, with ctx's error, when
// ctx is done, whatever the size of the page.
func appendTextChunksContext(ctx context.Context, dst []byte, wt string, spans [][2]int, lower func(string) string, pyLower bool, tb *textBuffers) ([]byte, error) {
	text := wt
	if len(spans) > 0 {
		b, last := tb.links[:0], 0
		for _, sp := range spans {
			b = append(append(b, wt[last:sp[0]]...), '.')
			last = sp[1]
		}
		tb.links = append(b, wt[last:]...)
		text = bufString(tb.links)
	}
	if b, ok := appendRefsReplaced(tb.refs[:0], text); ok {
		tb.refs = b
		text = bufString(b)
	}
	plain, err := wikitext.StripCodeContext(ctx, text)
	if err != nil {
		return dst, err
	}
	if pyLower && isASCII(plain) {
		return appendChunks(dst, plain, true), nil
	}
	return appendChunks(dst, lower(plain), false), nil
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

// appendChunks appends text's chunks to dst (split at [\n.,;:()!"], each split into
// words at Python's whitespace, chunks without words dropped), one per line with its
// words separated by single spaces. Runs of ASCII word bytes are copied at once, and
// their letters lower-cased when fold is set; other characters are classified one by
// one.
func appendChunks(dst []byte, text string, fold bool) []byte {
	inWord, wordsInChunk := false, 0
	for i := 0; i < len(text); {
		c := text[i]
		class, size := classWord, 1
		if c < utf8.RuneSelf {
			class = int(asciiClass[c])
		} else {
			var r rune
			r, size = utf8.DecodeRuneInString(text[i:])
			switch {
			case isChunkSep(r):
				class = classSep
			case wikitext.IsPySpace(r):
				class = classSpace
			}
		}
		switch class {
		case classSep:
			if wordsInChunk > 0 {
				dst = append(dst, '\n')
			}
			inWord, wordsInChunk = false, 0
		case classSpace:
			inWord = false
		default:
			if !inWord {
				if wordsInChunk > 0 {
					dst = append(dst, ' ')
				}
				inWord = true
				wordsInChunk++
			}
			if c < utf8.RuneSelf {
				j := i + 1
				for j < len(text) && text[j] < utf8.RuneSelf && asciiClass[text[j]] == classWord {
					j++
				}
				if fold {
					n := len(dst)
					dst = append(dst, text[i:j]...)
					for k, c := range dst[n:] {
						if 'A' <= c && c <= 'Z' {
							dst[n+k] = c + 'a' - 'A'
						}
					}
				} else {
					dst = append(dst, text[i:j]...)
				}
				size = j - i
			} else if size == 1 { // invalid UTF-8, as a range loop reads it
				dst = utf8.AppendRune(dst, utf8.RuneError)
			} else {
				dst = append(dst, text[i:i+size]...)
			}
		}
		i += size
	}
	if wordsInChunk > 0 {
		dst = append(dst, '\n')
	}
	return dst
}
