package dictionaries

// The plain specification of pass one's text, the reference's steps one by one, which the
// tests hold the fast path (appendTextChunks) to.

import (
	"strings"

	"github.com/addlink/addlink/internal/wikitext"
)

// replaceRefs replaces what the reference's pattern <ref[^>]*>[^<]+</ref> matches with
// "." (Python re.sub semantics: leftmost, non-overlapping).
func replaceRefs(s string) string {
	b, ok := appendRefsReplaced(nil, s)
	if !ok {
		return s
	}
	return string(b)
}

// replaceLinks replaces every match of the reference's link pattern with ".".
func replaceLinks(s string) string {
	var b strings.Builder
	last := 0
	wikitext.ScanLinks(s, func(l wikitext.Link) bool {
		if b.Len() == 0 {
			b.Grow(len(s))
		}
		b.WriteString(s[last:l.Start])
		b.WriteByte('.')
		last = l.End
		return true
	})
	if last == 0 {
		return s
	}
	b.WriteString(s[last:])
	return b.String()
}

// TextForAnchors is the lower-cased plain text the reference counts anchors in: links
// and simple refs replaced by ".", markup stripped (mwparserfromhell strip_code
// semantics), lower-cased (Python's rules).
func TextForAnchors(wt string) string { return TextForAnchorsWith(wt, wikitext.Lower) }

// TextForAnchorsWith is TextForAnchors with the given lower-casing.
func TextForAnchorsWith(wt string, lower func(string) string) string {
	return lower(wikitext.StripCode(replaceRefs(replaceLinks(wt))))
}

// Chunks splits text into the reference's chunks: split at [\n.,;:()!"], each
// whitespace-split into words; chunks without words are dropped.
func Chunks(text string, fn func(words []string)) {
	for _, block := range strings.FieldsFunc(text, isChunkSep) {
		if w := wikitext.PyFields(block); len(w) > 0 {
			fn(w)
		}
	}
}

// AppendChunks is appendChunks without lower-casing.
func AppendChunks(dst []byte, text string) []byte { return appendChunks(dst, text, false) }

// linkSpans returns the spans of the links ScanLinks finds in wt.
func linkSpans(wt string) [][2]int {
	var spans [][2]int
	wikitext.ScanLinks(wt, func(l wikitext.Link) bool {
		spans = append(spans, [2]int{l.Start, l.End})
		return true
	})
	return spans
}
