package wikitext

import (
	"context"
	"strings"
)

// Span is a byte range [Start, End) of a text.
type Span struct{ Start, End int }

// Section is one section of a page as mwparserfromhell's
// get_sections(include_lead=True, include_headings=True, flat=True) returns it: the lead
// (the part before the first heading) or a heading and the text up to the next
// heading of any level.
type Section struct {
	Lead    bool
	Heading string // the heading's title, stripped; "" for the lead
	// Texts are the section's top-level text nodes: text that is not inside a link,
	// template, tag, comment, entity, bold or italic run, list marker, table or heading.
	Texts []Span
	Start int // byte offset of the section (its heading) in the page
}

// Sections splits wikitext into sections and finds their top-level text nodes.
//
// Bold and italic runs are those of ReadTopNodes: a run that mwparserfromhell closes
// lines or sections later hides all the text up to its end, headings included.
func Sections(s string) []Section { return sections(s, nil) }

// SectionsContext is Sections that stops early, with ctx's error, when ctx is done.
func SectionsContext(ctx context.Context, s string) ([]Section, error) {
	out := sections(s, ctx.Done())
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	return out, nil
}

func sections(s string, done <-chan struct{}) []Section {
	m := faithful
	m.w = newMeter(len(s), sectionsPerByte, done)
	return m.sections(s, readTopNodes(s, done))
}

// sections splits s; top is how StripCode reads its top level.
func (m stripMode) sections(s string, top TopNodes) []Section {
	styles := top.Styles
	ends := endsFrom{ends: top.Ends}
	var out []Section
	cur := Section{Lead: true}
	textStart := -1
	closeText := func(end int) {
		if textStart >= 0 && end > textStart {
			cur.Texts = append(cur.Texts, Span{textStart, end})
		}
		textStart = -1
	}
	lineStart := true
	nextStyle := 0  // styles[nextStyle:] start at or after i
	termColon := -1 // the ':' that ends a definition term on this line
	i := 0
	for i < len(s) {
		if m.w.stopped() {
			break
		}
		c := s[i]
		if i == termColon {
			closeText(i)
			i++
			continue
		}
		// A table or heading that a bold or italic run makes fail is text.
		if lineStart {
			if e, ok := ends.at(i); ok && e == 0 {
				lineStart = false
			}
		}
		if lineStart {
			lineStart = false
			if c == '=' {
				if end, title, ok := heading(s, i); ok {
					closeText(i)
					out = append(out, cur) // the lead may be empty
					cur = Section{Heading: title, Start: i}
					i = end
					continue
				}
			}
			if c == ';' {
				// A definition term: the markers, and the first ':' of the line, are nodes.
				closeText(i)
				for i < len(s) && strings.IndexByte("*#:;", s[i]) >= 0 {
					i++
				}
				if eol := strings.IndexByte(s[i:], '\n'); true {
					line := s[i:]
					if eol >= 0 {
						line = s[i : i+eol]
					}
					if k := strings.IndexByte(line, ':'); k >= 0 {
						termColon = i + k
					}
				}
				continue
			}
			if n := m.lineMarkup(discard, s, i, maxDepth); n > 0 {
				closeText(i)
				i = n
				if i < len(s) && s[i-1] == '\n' {
					lineStart = true
				}
				continue
			}
		}
		n := 0
		switch c {
		case '\n':
			if textStart < 0 {
				textStart = i
			}
			i++
			lineStart = true
			continue
		case '<':
			if e, ok := ends.at(i); ok {
				n = e
			} else {
				n = m.tagOrComment(discard, s, i, maxDepth)
			}
		case '{':
			if e, ok := ends.at(i); ok {
				n = e
			} else if strings.HasPrefix(s[i:], "{{") {
				n = m.braces(discard, s, i, maxDepth)
			}
		case '[':
			if strings.HasPrefix(s[i:], "[[") {
				n = m.wikilink(discard, s, i, maxDepth)
			} else {
				n = m.externalLink(discard, s, i, maxDepth)
			}
		case '&':
			n = entity(discard, s, i)
		case '\'':
			for nextStyle < len(styles) && styles[nextStyle].Start < i {
				nextStyle++
			}
			if nextStyle < len(styles) && styles[nextStyle].Start == i {
				closeText(i)
				i = styles[nextStyle].End
				nextStyle++
				continue
			}
		case 'h', 'H', 'f', 'F':
			if bareURLAt(s, i) && (i == 0 || !isWordByte(s[i-1])) {
				n = bareURLEnd(s, i)
			}
		}
		if n > 0 {
			closeText(i)
			i = n
			continue
		}
		if textStart < 0 {
			textStart = i
		}
		i++
	}
	closeText(len(s))
	out = append(out, cur)
	return out
}

func isWordByte(c byte) bool {
	return c >= 0x80 || c == '_' || isASCIILetter(c) || c >= '0' && c <= '9'
}

// bareURLEnd returns the end of a free external link starting at s[i].
func bareURLEnd(s string, i int) int {
	j := i
	for j < len(s) && !strings.ContainsRune(" \t\n<>[]{}|\"", rune(s[j])) {
		j++
	}
	// Trailing punctuation is not part of a free link.
	for j > i && strings.ContainsRune(".,;:!?)'", rune(s[j-1])) {
		j--
	}
	return j
}

// heading recognises a heading line at s[i] ("== Title ==", trailing spaces
// allowed) and returns the position after its line and its stripped title.
func heading(s string, i int) (int, string, bool) {
	eol := strings.IndexByte(s[i:], '\n')
	if eol < 0 {
		eol = len(s)
	} else {
		eol += i
	}
	line := strings.TrimRight(s[i:eol], " \t")
	lead := len(line) - len(strings.TrimLeft(line, "="))
	trail := len(line) - len(strings.TrimRight(line, "="))
	if lead == 0 || trail == 0 || lead+trail >= len(line) {
		return 0, "", false
	}
	lv := min(lead, trail, 6)
	title := strings.TrimSpace(line[lv : len(line)-lv])
	// The heading ends at its last "="; what follows on the line is text.
	return i + len(line), title, true
}
