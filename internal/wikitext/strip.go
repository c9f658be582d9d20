// Plain text from wikitext (StripCode, PlainText). This file holds the entry points, the
// line-start markup (headings, lists, rules), templates and entities; the stripper that
// walks the text and follows bold and italic runs is in style.go, and the nodes it meets
// in tags.go, links.go and tables.go.

package wikitext

import (
	"context"
	"html"
	"strings"
)

// StripCode returns the plain text of wikitext with the semantics of mwparserfromhell
// 0.6's Wikicode.strip_code() (normalize and collapse on), which the reference
// pipeline uses: templates, comments, arguments without default and invisible tags
// (math, gallery, ...) are dropped; links become their text (or title); external
// links their title; tags their contents; headings their title; entities are decoded;
// list markers, bold and italic quotes and table markup are removed. Markup that does
// not close is kept as text, as mwparserfromhell does, and so is a template, table,
// tag or heading that a bold or italic run opened inside it runs out of (the run
// closes after the node's end; see stripper).
func StripCode(s string) string { return faithful.strip(s, nil) }

// StripCodeContext is StripCode that stops early, with ctx's error, when ctx is done.
func StripCodeContext(ctx context.Context, s string) (string, error) {
	out := faithful.strip(s, ctx.Done())
	if err := ctx.Err(); err != nil {
		return "", err
	}
	return out, nil
}

// PlainText is StripCode, except that a bold or italic run opened inside a template,
// table, tag or heading ends with it: those nodes are read (and dropped, or reduced to
// their text) even when an apostrophe inside is unbalanced, where mwparserfromhell
// leaves their whole markup as text. For text that is not compared with the
// reference's counts: the words of the embeddings.
func PlainText(s string) string { return contained.strip(s, nil) }

// PlainTextContext is PlainText that stops early, with ctx's error, when ctx is done.
func PlainTextContext(ctx context.Context, s string) (string, error) {
	out := contained.strip(s, ctx.Done())
	if err := ctx.Err(); err != nil {
		return "", err
	}
	return out, nil
}

// A stripMode is how StripCode or PlainText reads nodes (see PlainText), with the
// meter of the page being read.
type stripMode struct {
	contained bool
	w         *meter
}

// metered returns m reading a page of size bytes with a new meter.
func (m stripMode) metered(size int, done <-chan struct{}) stripMode {
	m.w = newMeter(size, budgetPerByte, done)
	return m
}

var (
	faithful  = stripMode{}
	contained = stripMode{contained: true}
)

func (m stripMode) strip(s string, done <-chan struct{}) string {
	m = m.metered(len(s), done)
	var b textBuf
	b.Grow(len(s))
	m.stripInto(&b, s, 0)
	return collapse(b.String())
}

// maxDepth bounds recursion on deeply nested markup.
const maxDepth = 40

// ReadTopNodes reads the top level of s as StripCode does (TopNodes).
func ReadTopNodes(s string) TopNodes { return readTopNodes(s, nil) }

// readTopNodes is ReadTopNodes that stops early (returning what it has) when done is
// closed.
func readTopNodes(s string, done <-chan struct{}) TopNodes {
	return faithful.metered(len(s), done).readTopNodes(s)
}

func (m stripMode) readTopNodes(s string) TopNodes {
	var t TopNodes
	if !m.w.spend(64 + 2*len(s)) {
		return t
	}
	budget := 16*len(s) + min(1<<16, 16*len(s))
	st := stripper{s: s, m: m, budget: budget, tops: &t}
	st.run(discarding(), 0, 0, 0, true) // the structure, not the text
	return t
}

func (m stripMode) stripInto(b *textBuf, s string, depth int) {
	if !m.w.spend(64+2*len(s)) || depth > maxDepth {
		b.WriteString(s)
		return
	}
	budget := 16*len(s) + min(1<<16, 16*len(s))
	st := stripper{s: s, m: m, budget: budget}
	st.run(b, 0, depth, 0, true)
	m.w.style += budget - st.budget
}

// collapse is what mwparserfromhell's strip_code does to the text of every node with
// contents (tags, bold, italics, links, headings) and to the whole: line breaks trimmed
// from both ends and runs of blank lines shortened to one.
func collapse(s string) string {
	s = strings.Trim(s, "\n")
	i := strings.Index(s, "\n\n\n")
	if i < 0 {
		return s
	}
	// Every run of three or more line breaks becomes two, in one pass.
	var b strings.Builder
	b.Grow(len(s))
	for i >= 0 {
		b.WriteString(s[:i+2])
		s = strings.TrimLeft(s[i:], "\n")
		i = strings.Index(s, "\n\n\n")
	}
	b.WriteString(s)
	return b.String()
}

// lineMarkup handles markup at the start of a line: headings, list markers,
// horizontal rules and tables. It returns the position after what it consumed, or 0.
func (m stripMode) lineMarkup(b *textBuf, s string, i, depth int) int {
	eol := strings.IndexByte(s[i:], '\n')
	if eol < 0 {
		eol = len(s)
	} else {
		eol += i
	}
	if !m.w.spend(16 + (eol-i)/8) {
		return 0
	}
	line := s[i:eol]
	switch {
	case strings.HasPrefix(line, "{|"):
		if n := m.table(b, s, i, depth); n > 0 {
			return n
		}
	case strings.HasPrefix(line, "="):
		if lv, last, ok := headingLine(line); ok {
			m.stripInto(b, line[lv:last+1-lv], depth+1)
			return i + last + 1
		}
	case strings.HasPrefix(line, "----"):
		j := i + len(line) - len(strings.TrimLeft(line, "-"))
		return j
	case len(line) > 0 && strings.IndexByte("*#:;", line[0]) >= 0:
		j := i
		for j < eol && strings.IndexByte("*#:;", s[j]) >= 0 {
			j++
		}
		if line[0] == ';' {
			// A definition term: the first ':' on the line starts the definition.
			rest := s[j:eol]
			if k := strings.IndexByte(rest, ':'); k >= 0 {
				m.stripInto(b, rest[:k], depth+1)
				m.stripInto(b, rest[k+1:], depth+1)
				return eol
			}
		}
		return j
	}
	return 0
}

// headingLine reports whether a line that starts with "=" is a heading: its level lv (the
// "=" dropped at both ends of its title) and the index of its last "=".
func headingLine(line string) (lv, last int, ok bool) {
	lead := len(line) - len(strings.TrimLeft(line, "="))
	last = strings.LastIndexByte(line, '=')
	if last < lead {
		return 0, 0, false
	}
	runStart := last
	for runStart > lead && line[runStart-1] == '=' {
		runStart--
	}
	if runStart <= lead {
		return 0, 0, false
	}
	return min(lead, last+1-runStart, 6), last, true
}

// braces handles templates "{{...}}" and arguments "{{{...}}}" at s[i].
func (m stripMode) braces(b *textBuf, s string, i, depth int) int {
	if strings.HasPrefix(s[i:], "{{{") {
		if end, ok := m.matchBraces(s, i+3, "{{{", "}}}"); ok {
			inner := s[i+3 : end]
			if p := topLevelPipe(inner); m.w.spend(len(inner)) && p >= 0 {
				m.stripInto(b, inner[p+1:], depth+1)
			}
			return end + 3
		}
	}
	if end, ok := m.matchBraces(s, i+2, "{{", "}}"); ok {
		return end + 2
	}
	return 0
}

// matchBraces is matchBraces on m's meter: false once the budget is spent.
func (m stripMode) matchBraces(s string, from int, open, close string) (int, bool) {
	if m.w.spent() || m.w.none(s, from, close) {
		return 0, false
	}
	end, ok := matchBraces(s, from, open, close)
	if !m.w.spend(8+2*(end-from)) || !ok {
		return 0, false
	}
	return end, true
}

// matchBraces finds the closing delimiter for an opening one before from, skipping
// nested templates and links. It returns the index of the closing delimiter, or where
// it stopped looking and false.
func matchBraces(s string, from int, open, close string) (int, bool) {
	depth := 0
	for i := from; i < len(s); {
		switch {
		case strings.HasPrefix(s[i:], "{{"):
			depth++
			i += 2
		case strings.HasPrefix(s[i:], "}}"):
			if depth == 0 {
				if strings.HasPrefix(s[i:], close) {
					return i, true
				}
				return i, false
			}
			depth--
			i += 2
		default:
			i++
		}
	}
	return len(s), false
}

func topLevelPipe(s string) int {
	depth := 0
	for i := 0; i < len(s); i++ {
		switch {
		case strings.HasPrefix(s[i:], "{{") || strings.HasPrefix(s[i:], "[["):
			depth++
			i++
		case strings.HasPrefix(s[i:], "}}") || strings.HasPrefix(s[i:], "]]"):
			depth--
			i++
		case s[i] == '|' && depth == 0:
			return i
		}
	}
	return -1
}

// entity decodes "&name;", "&#N;" or "&#xH;" at s[i].
func entity(b *textBuf, s string, i int) int {
	end := strings.IndexByte(s[i:min(len(s), i+40)], ';')
	if end < 2 {
		return 0
	}
	ent := s[i : i+end+1]
	for _, c := range ent[1 : len(ent)-1] {
		if !(c == '#' || c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z') {
			return 0
		}
	}
	dec := html.UnescapeString(ent)
	if dec == ent {
		return 0
	}
	b.WriteString(dec)
	return i + len(ent)
}

// stripNode writes the plain text of a node's contents (a table cell, a tag's body, an
// external link's title) as for every node with contents: without line breaks at its
// ends.
func (m stripMode) stripNode(b *textBuf, contents string, depth int) {
	if b.discarding {
		m.stripInto(b, contents, depth+1)
		return
	}
	var c textBuf
	m.stripInto(&c, contents, depth+1)
	b.WriteString(collapse(c.String()))
}
