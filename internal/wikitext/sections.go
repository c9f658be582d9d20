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
	return m.sections(s)
}

func (m stripMode) sections(s string) []Section {
	var q quoteLines
	var out []Section
	cur := Section{Lead: true}
	textStart := -1
	closeText := func(end int) {
		if textStart >= 0 && end > textStart {
			cur.Texts = append(cur.Texts, Span{textStart, end})
		}
		textStart = -1
	}
	var discard strings.Builder
	lineStart := true
	openQuotes := 0
	termColon := -1 // the ':' that ends a definition term on this line
	i := 0
	for i < len(s) {
		if m.w.stopped() {
			break
		}
		discard.Reset()
		c := s[i]
		if i == termColon {
			closeText(i)
			i++
			continue
		}
		if lineStart {
			lineStart = false
			if c == '=' {
				if end, title, ok := heading(s, i); ok {
					closeText(i)
					out = append(out, cur) // the lead may be empty
					cur = Section{Heading: title, Start: i}
					i = end
					openQuotes = 0
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
			if n := m.lineMarkup(&discard, s, i, maxDepth); n > 0 {
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
			if openQuotes > 0 {
				openQuotes = 0
			}
			if textStart < 0 {
				textStart = i
			}
			i++
			lineStart = true
			continue
		case '<':
			n = m.tagOrComment(&discard, s, i, maxDepth)
		case '{':
			if strings.HasPrefix(s[i:], "{{") {
				n = m.braces(&discard, s, i, maxDepth)
			}
		case '[':
			if strings.HasPrefix(s[i:], "[[") {
				n = m.wikilink(&discard, s, i, maxDepth)
			} else {
				n = m.externalLink(&discard, s, i, maxDepth)
			}
		case '&':
			n = entity(&discard, s, i)
		case '\'':
			if end, opens := q.quotes(s, i, openQuotes); end > 0 {
				if opens {
					openQuotes++
				} else {
					openQuotes--
				}
				closeText(i)
				i = end
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
		if openQuotes > 0 {
			closeText(i)
		} else if textStart < 0 {
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

// quoteLines remembers, for the line Sections is on, where its last "”" starts, so
// that a line full of runs is looked through once.
type quoteLines struct {
	eol  int // the end of the line last looked at (its "\n" or len(s)); -1: none yet
	last int // the start of the line's last "''", or -1
	init bool
}

// quotes handles a run of two or more apostrophes (bold/italic) at s[i] for Sections,
// line by line (StripCode follows mwparserfromhell's runs across lines): it closes
// a run opened earlier on the line, or opens one when another run follows on the line;
// otherwise the apostrophes stay as text. It returns the position after the run (0 to
// keep it) and whether it opened.
func (q *quoteLines) quotes(s string, i, open int) (int, bool) {
	n := 0
	for i+n < len(s) && s[i+n] == '\'' {
		n++
	}
	if n < 2 {
		return 0, false
	}
	if open > 0 {
		return i + n, false
	}
	if !q.init || i >= q.eol {
		q.init = true
		q.eol = len(s)
		if eol := strings.IndexByte(s[i:], '\n'); eol >= 0 {
			q.eol = i + eol
		}
		q.last = strings.LastIndex(s[i:q.eol], "''")
		if q.last >= 0 {
			q.last += i
		}
	}
	// Another "''" follows on the line: the last one starts after this run.
	if q.last >= i+n {
		return i + n, true
	}
	return 0, false
}
