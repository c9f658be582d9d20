package wikitext

import "strings"

// Link is one [[...]] link found by the reference's link pattern
// \[\[(?P<link>[^\n\|\]\[\<\>\{\}]{0,256})(?:\|(?P<anchor>[^\[]*?))?\]\]
// (Python re semantics: leftmost, non-overlapping, the anchor as short as possible).
type Link struct {
	Start, End int    // byte range of the whole match in the text
	Target     string // the link group, as written
	Anchor     string // the anchor group, "" when absent or empty
	HasPipe    bool   // the anchor group took part in the match
}

// maxLinkTarget is the {0,256} bound of the link group, in code points.
const maxLinkTarget = 256

// ScanLinks calls fn for every link of text in order; fn returns false to stop.
func ScanLinks(text string, fn func(Link) bool) {
	var ahead linkAhead
	for i := 0; ; {
		j := strings.Index(text[i:], "[[")
		if j < 0 {
			return
		}
		start := i + j
		if ahead.close.index(text, start+2, "]]") < 0 {
			return // every link ends with "]]": none follows
		}
		if l, ok := matchLink(text, start, &ahead); ok {
			if !fn(l) {
				return
			}
			i = l.End
			continue
		}
		i = start + 1
	}
}

// Links returns all links of text.
func Links(text string) []Link {
	var out []Link
	ScanLinks(text, func(l Link) bool { out = append(out, l); return true })
	return out
}

// linkAhead remembers, for ScanLinks, the next "]]" and the next "[" found after a
// position: the positions it is asked about only grow, so each is found once and the
// text is looked through once however many links never close.
type linkAhead struct {
	close, open next
}

// A next is the next occurrence of a string at or after the position last asked for.
type next struct {
	from, at int // at: where it starts, -1 when there is none after from
	used     bool
}

// index is strings.Index(s[from:], sub) + from (or -1), for from that never decrease.
func (n *next) index(s string, from int, sub string) int {
	if n.used && from >= n.from && (n.at < 0 || n.at >= from) {
		return n.at
	}
	n.used, n.from, n.at = true, from, strings.Index(s[from:], sub)
	if n.at >= 0 {
		n.at += from
	}
	return n.at
}

// matchLink tries the pattern at text[start:], which begins with "[[".
func matchLink(text string, start int, ahead *linkAhead) (Link, bool) {
	p := start + 2
	n := 0
	for p < len(text) {
		c := text[p]
		if c == '\n' || c == '|' || c == ']' || c == '[' || c == '<' || c == '>' || c == '{' || c == '}' {
			break
		}
		// Count code points: continuation bytes do not start one.
		if c&0xC0 != 0x80 {
			n++
			if n > maxLinkTarget {
				return Link{}, false
			}
		}
		p++
	}
	if p >= len(text) {
		return Link{}, false
	}
	target := text[start+2 : p]
	switch text[p] {
	case ']':
		if p+1 < len(text) && text[p+1] == ']' {
			return Link{Start: start, End: p + 2, Target: target}, true
		}
		return Link{}, false
	case '|':
		// The anchor runs to the first "]]" after the "|", with no "[" before it.
		if p+1 < len(text) && text[p+1] == '[' {
			return Link{}, false
		}
		k := ahead.close.index(text, p+1, "]]")
		if k < 0 {
			return Link{}, false
		}
		if o := ahead.open.index(text, p+1, "["); o >= 0 && o < k {
			return Link{}, false
		}
		return Link{Start: start, End: k + 2, Target: target, Anchor: text[p+1 : k], HasPipe: true}, true
	}
	return Link{}, false
}
