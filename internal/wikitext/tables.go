// Wiki tables: "{|" ... "|}", their rows and cells, nested tables.

package wikitext

import (
	"strings"
)

// table handles a wiki table starting at s[i] ("{|" at a line start): cell contents
// are kept, table, row and cell markup and attributes are dropped, and so are the line
// breaks between cells (those inside a cell's content stay: a cell runs until the next
// cell or row marker, so a tag or template may span its lines). Nested tables recurse.
func (m stripMode) table(b *textBuf, s string, i, depth int) int {
	end := m.tableEnd(s, i)
	if end < 0 || depth > maxDepth {
		return 0
	}
	pos := strings.IndexByte(s[i:end], '\n')
	if pos < 0 {
		return end
	}
	pos += i + 1
	cell := cellText{s: s} // the open cell's wikitext
	open := false
	flush := func() {
		if open {
			m.stripNode(b, cellContent(cell.String()), depth)
			cell.Reset()
			open = false
		}
	}
	for pos < end {
		eol := strings.IndexByte(s[pos:end], '\n')
		if eol < 0 {
			eol = end
		} else {
			eol += pos
		}
		line := s[pos:eol]
		m.w.spend(32 + len(line))
		t := trimBlanks(line)
		if ws := line[:len(line)-len(t)]; ws != "" && t != "" && (t[0] == '|' || t[0] == '!') {
			if open {
				// The space before the markup ends the open cell, and stays in it.
				cell.add(pos-1, pos+len(ws)) // s[pos-1] is the line break before
			} else {
				b.WriteString(ws)
			}
		}
		switch {
		case strings.HasPrefix(t, "|}"):
			flush()
		case strings.HasPrefix(t, "{|") && open:
			// A table inside a cell is part of the cell's contents.
			if n := m.tableEnd(s, pos+len(line)-len(t)); n > 0 {
				eol = end
				if nl := strings.IndexByte(s[n:end], '\n'); nl >= 0 {
					eol = n + nl
				}
				cell.add(pos-1, eol)
			} else {
				cell.add(pos-1, eol)
			}
		case strings.HasPrefix(t, "{|"):
			b.WriteByte('\n')
			if n := m.table(b, s, pos+len(line)-len(t), depth+1); n > 0 {
				eol = n
				if nl := strings.IndexByte(s[n:end], '\n'); nl >= 0 {
					eol = n + nl
				} else {
					eol = end
				}
			}
		case strings.HasPrefix(t, "|-"):
			flush()
		case strings.HasPrefix(t, "|") || strings.HasPrefix(t, "!"):
			flush()
			cells := splitCells(t[1:], t[0] == '!')
			for _, c := range cells[:len(cells)-1] {
				m.stripNode(b, cellContent(c), depth)
			}
			cell.add(eol-len(cells[len(cells)-1]), eol)
			open = true
		default:
			if open {
				cell.add(pos-1, eol)
			} else {
				b.WriteByte('\n')
				m.stripInto(b, line, depth+1)
			}
		}
		pos = eol + 1
	}
	flush()
	return end
}

// A cellText is the wikitext of a table's open cell, made of parts of s: a substring
// of s while each part follows the one before there (as the lines of a cell do), so
// that the cell's contents are not copied, and a table nested in them is the same
// bytes of the page at every level (see meter.tableEnd).
type cellText struct {
	s        string
	from, to int // the cell is s[from:to], unless copied
	b        strings.Builder
	copied   bool
}

// add appends s[from:to] to the cell.
func (c *cellText) add(from, to int) {
	switch {
	case c.copied:
		c.b.WriteString(c.s[from:to])
	case c.from == c.to:
		c.from, c.to = from, to
	case c.to == from:
		c.to = to
	default:
		c.copied = true
		c.b.WriteString(c.s[c.from:c.to])
		c.b.WriteString(c.s[from:to])
	}
}

func (c *cellText) String() string {
	if c.copied {
		return c.b.String()
	}
	return c.s[c.from:c.to]
}

func (c *cellText) Reset() {
	c.b.Reset()
	c.from, c.to, c.copied = 0, 0, false
}

// splitCells splits a table line's cells at "||" (and "!!" in a header line), outside
// links and templates.
func splitCells(line string, header bool) []string {
	var cells []string
	depth, last := 0, 0
	for i := 0; i+1 < len(line); i++ {
		switch two := line[i : i+2]; {
		case two == "[[" || two == "{{":
			depth++
			i++
		case two == "]]" || two == "}}":
			if depth > 0 {
				depth--
			}
			i++
		case depth == 0 && (two == "||" || header && two == "!!"):
			cells = append(cells, line[last:i])
			last = i + 2
			i++
		}
	}
	return append(cells, line[last:])
}

// tableEnd returns the position after the "|}" that closes the table at s[i], or -1
// (also once m's budget is spent).
func (m stripMode) tableEnd(s string, i int) int {
	if end, cost, ok := m.w.tableFor(s, i); ok {
		if !m.w.spend(cost) { // as if read again: the budget runs out as before
			return -1
		}
		return end
	}
	left := m.w.left
	end := m.scanTableEnd(s, i)
	if end > 0 {
		m.w.tableRead(s, i, end, left-m.w.left)
	}
	return end
}

func (m stripMode) scanTableEnd(s string, i int) int {
	if m.w.none(s, i, "|}") {
		return -1 // no "|}" follows: the table never closes
	}
	nest := 0
	for pos := i; pos < len(s); {
		eol := strings.IndexByte(s[pos:], '\n')
		line := s[pos:]
		if eol >= 0 {
			line = s[pos : pos+eol]
		}
		if !m.w.spend(16 + len(line)/8) {
			return -1
		}
		t := trimBlanks(line)
		if strings.HasPrefix(t, "{|") {
			nest++
		} else if strings.HasPrefix(t, "|}") {
			nest--
			if nest == 0 {
				return pos + (len(line) - len(t)) + 2
			}
		}
		if eol < 0 {
			break
		}
		pos += eol + 1
	}
	return -1
}

// trimBlanks is strings.TrimLeft(s, " \t") without its set of bytes built at each call
// (tables nested as deep as a page allows are scanned line by line at every level).
func trimBlanks(s string) string {
	i := 0
	for i < len(s) && (s[i] == ' ' || s[i] == '\t') {
		i++
	}
	return s[i:]
}

// cellContent drops the attributes of a table cell ("style=x | content" on its first line).
func cellContent(cell string) string {
	first := cell
	if nl := strings.IndexByte(cell, '\n'); nl >= 0 {
		first = cell[:nl] // attributes end on the cell's first line
	}
	if p := strings.IndexByte(first, '|'); p >= 0 && !strings.Contains(cell[:p], "[[") && !strings.Contains(cell[:p], "{{") && !strings.Contains(cell[:p], "<") {
		return cell[p+1:]
	}
	return cell
}
