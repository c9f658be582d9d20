// HTML-like tags and comments: which tags are dropped, kept raw or have no contents,
// and how a tag is parsed and its closing tag found.

package wikitext

import (
	"strings"
)

// invisibleTags are dropped with their contents.
var invisibleTags = map[string]bool{
	"categorytree": true, "gallery": true, "graph": true, "imagemap": true, "inputbox": true,
	"math": true, "score": true, "section": true, "templatedata": true, "timeline": true,
}

// rawTags keep their contents as text without parsing them.
var rawTags = map[string]bool{
	"nowiki": true, "pre": true, "source": true, "syntaxhighlight": true, "chem": true, "ce": true, "hiero": true,
}

// singleTags never have contents.
var singleTags = map[string]bool{"br": true, "wbr": true, "hr": true, "meta": true, "link": true, "img": true}

// tagOrComment handles "<!--...-->" and HTML-like tags at s[i] == '<'.
func (m stripMode) tagOrComment(b *textBuf, s string, i, depth int) int {
	return m.tagOrCommentEsc(b, s, i, depth, nil)
}

// tagOrCommentEsc is tagOrComment where a tag whose parsed contents s[from:to] escape
// (esc reports true; see stripper.escapes) is no tag.
func (m stripMode) tagOrCommentEsc(b *textBuf, s string, i, depth int, esc func(from, to, depth int) bool) int {
	if m.w.spent() {
		return 0
	}
	return m.readTag(b, s, m.parseTag(s, i), depth, esc, true)
}

// A tagParse is what starts at a '<': nothing (after 0), a comment or a node without
// contents to skip, or a tag of a kind whose contents are s[body:bodyEnd].
type tagParse struct {
	kind          uint8
	body, bodyEnd int32
	after         int32 // the position after the tag or comment; 0: none
	cost          int32 // the steps reading it took
}

const (
	tagSkip      uint8 = iota // a comment, a tag without contents, a stray </br>
	tagInvisible              // dropped with its contents
	tagRaw                    // its contents kept as text
	tagNode                   // its contents read as wikitext
)

// parseTag reads what starts at s[i] == '<' (see tagParse); it depends on s and i
// alone, and on the meter's budget.
func (m stripMode) parseTag(s string, i int) tagParse {
	if strings.HasPrefix(s[i:], "<!--") {
		k, looked := m.w.index(s, i+4, "-->", false)
		if m.w.spend(looked / 8); k >= 0 {
			return tagParse{kind: tagSkip, after: int32(k + 3)}
		}
		return tagParse{}
	}
	j := i + 1
	closing := false
	if j < len(s) && s[j] == '/' {
		closing = true
		j++
	}
	k := j
	for k < len(s) && (isASCIILetter(s[k]) || (k > j && (s[k] >= '0' && s[k] <= '9'))) {
		k++
	}
	if k == j {
		return tagParse{}
	}
	name := asciiLower(s[j:k])
	end, looked := m.w.index(s, k, ">", false)
	if !m.w.spend(looked / 8) {
		return tagParse{}
	}
	if end < 0 {
		return tagParse{}
	}
	attrs := s[k:end]
	if strings.ContainsAny(attrs, "<\n") && !strings.Contains(attrs, "=") {
		return tagParse{}
	}
	if k < len(s) && s[k] != '>' && s[k] != '/' && s[k] != ' ' && s[k] != '\t' && s[k] != '\n' {
		return tagParse{}
	}
	if closing {
		// A stray closing tag of a single-only element (</br>) is dropped; others are text.
		if singleTags[name] {
			return tagParse{kind: tagSkip, after: int32(end + 1)}
		}
		return tagParse{}
	}
	if strings.HasSuffix(attrs, "/") || singleTags[name] {
		return tagParse{kind: tagSkip, after: int32(end + 1)}
	}
	body, after, ok := m.findClose(s, end+1, name)
	if !ok {
		return tagParse{}
	}
	t := tagParse{kind: tagNode, body: int32(end + 1), bodyEnd: int32(end + 1 + len(body)), after: int32(after)}
	switch {
	case invisibleTags[name]:
		t.kind = tagInvisible
	case rawTags[name]:
		t.kind = tagRaw
	}
	return t
}

// readTag writes the text of the tag or comment t at s[i] and returns the position
// after it, or 0 when it is none; a tag's contents are read only when text is set (else
// the text is not wanted).
func (m stripMode) readTag(b *textBuf, s string, t tagParse, depth int, esc func(from, to, depth int) bool, text bool) int {
	switch t.kind {
	case tagRaw:
		if text {
			b.WriteString(collapse(s[t.body:t.bodyEnd]))
		}
	case tagNode:
		if t.after == 0 {
			break
		}
		if esc != nil && esc(int(t.body), int(t.bodyEnd), depth) {
			return 0
		}
		if text {
			m.stripNode(b, s[t.body:t.bodyEnd], depth)
		} else {
			m.w.spend(64 + 2*int(t.bodyEnd-t.body)) // what reading them would take at least
		}
	}
	return int(t.after)
}

// findClose finds the </name> that closes a tag whose contents start at from,
// counting nested tags of the same name (name is lower-case; tags match in any case).
func (m stripMode) findClose(s string, from int, name string) (body string, after int, ok bool) {
	nest, raw := 0, rawTags[name]
	if m.w.none(s, from, "</") {
		return "", 0, false // no closing tag follows
	}
	for pos := from; ; {
		k := strings.IndexByte(s[pos:], '<')
		if !m.w.spend(24+scanned(k, len(s)-pos)/8) || k < 0 {
			return "", 0, false
		}
		k += pos
		pos = k + 1
		rest := s[k+1:]
		if strings.HasPrefix(rest, "/") && hasPrefixASCIIFold(rest[1:], name) {
			gt, looked := m.w.index(s, k, ">", false)
			if !m.w.spend(looked/8) || gt < 0 {
				return "", 0, false
			}
			gt -= k
			if strings.TrimSpace(s[k+2+len(name):k+gt]) != "" {
				continue // "</font color=x>" is no closing tag
			}
			if nest > 0 {
				nest--
				continue
			}
			return s[from:k], k + gt + 1, true
		}
		if !raw && hasPrefixASCIIFold(rest, name) {
			if next := k + 1 + len(name); next < len(s) && (s[next] == '>' || s[next] == ' ' || s[next] == '/') {
				nest++
			}
		}
	}
}

// hasPrefixASCIIFold reports whether s starts with the lower-case ASCII prefix, in any
// case.
func hasPrefixASCIIFold(s, prefix string) bool {
	if len(s) < len(prefix) {
		return false
	}
	for i := 0; i < len(prefix); i++ {
		c := s[i]
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		if c != prefix[i] {
			return false
		}
	}
	return true
}

func isASCIILetter(c byte) bool { return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' }

// asciiLower lower-cases ASCII letters only, so byte offsets stay those of s.
func asciiLower(s string) string {
	for i := 0; i < len(s); i++ {
		if 'A' <= s[i] && s[i] <= 'Z' {
			b := []byte(s)
			for j := i; j < len(b); j++ {
				if 'A' <= b[j] && b[j] <= 'Z' {
					b[j] += 'a' - 'A'
				}
			}
			return string(b)
		}
	}
	return s
}
