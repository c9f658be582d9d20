package wikitext

import (
	"html"
	"strings"
)

// StripCode returns the plain text of wikitext with the semantics of mwparserfromhell
// 0.6's Wikicode.strip_code() (normalize and collapse on), which the reference
// pipeline uses: templates, comments, arguments without default and invisible tags
// (math, gallery, ...) are dropped; links become their text (or title); external
// links their title; tags their contents; headings their title; entities are decoded;
// list markers, bold and italic quotes and table markup are removed. Markup that does
// not close is kept as text, as mwparserfromhell does.
func StripCode(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	stripInto(&b, s, 0)
	out := strings.Trim(b.String(), "\n")
	for strings.Contains(out, "\n\n\n") {
		out = strings.ReplaceAll(out, "\n\n\n", "\n\n")
	}
	return out
}

// maxDepth bounds recursion on deeply nested markup.
const maxDepth = 40

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

func stripInto(b *strings.Builder, s string, depth int) {
	if depth > maxDepth {
		b.WriteString(s)
		return
	}
	lineStart := true
	openQuotes := 0 // bold/italic runs opened on this line
	i := 0
	for i < len(s) {
		c := s[i]
		if lineStart {
			lineStart = false
			if n := lineMarkup(b, s, i, depth); n > 0 {
				i = n
				if i < len(s) && s[i-1] == '\n' {
					lineStart = true
				}
				continue
			}
		}
		switch c {
		case '\n':
			b.WriteByte('\n')
			i++
			lineStart = true
			openQuotes = 0
			continue
		case '<':
			if n := tagOrComment(b, s, i, depth); n > 0 {
				i = n
				continue
			}
		case '{':
			if strings.HasPrefix(s[i:], "{{") {
				if n := braces(b, s, i, depth); n > 0 {
					i = n
					continue
				}
			}
		case '[':
			if strings.HasPrefix(s[i:], "[[") {
				if n := wikilink(b, s, i, depth); n > 0 {
					i = n
					continue
				}
			} else if n := externalLink(b, s, i, depth); n > 0 {
				i = n
				continue
			}
		case '&':
			if n := entity(b, s, i); n > 0 {
				i = n
				continue
			}
		case '\'':
			if n, opens := quotes(s, i, openQuotes); n > 0 {
				if opens {
					openQuotes++
				} else {
					openQuotes--
				}
				i = n
				continue
			}
		}
		b.WriteByte(c)
		i++
	}
}

// lineMarkup handles markup at the start of a line: headings, list markers,
// horizontal rules and tables. It returns the position after what it consumed, or 0.
func lineMarkup(b *strings.Builder, s string, i, depth int) int {
	eol := strings.IndexByte(s[i:], '\n')
	if eol < 0 {
		eol = len(s)
	} else {
		eol += i
	}
	line := s[i:eol]
	switch {
	case strings.HasPrefix(line, "{|"):
		if n := table(b, s, i, depth); n > 0 {
			return n
		}
	case strings.HasPrefix(line, "="):
		lead := len(line) - len(strings.TrimLeft(line, "="))
		last := strings.LastIndexByte(line, '=')
		if last >= lead {
			runStart := last
			for runStart > lead && line[runStart-1] == '=' {
				runStart--
			}
			trail := last + 1 - runStart
			if runStart > lead {
				lv := min(lead, trail, 6)
				stripInto(b, line[lv:last+1-lv], depth+1)
				return i + last + 1
			}
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
				stripInto(b, rest[:k], depth+1)
				stripInto(b, rest[k+1:], depth+1)
				return eol
			}
		}
		return j
	}
	return 0
}

// tagOrComment handles "<!--...-->" and HTML-like tags at s[i] == '<'.
func tagOrComment(b *strings.Builder, s string, i, depth int) int {
	if strings.HasPrefix(s[i:], "<!--") {
		if k := strings.Index(s[i+4:], "-->"); k >= 0 {
			return i + 4 + k + 3
		}
		return 0
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
		return 0
	}
	name := asciiLower(s[j:k])
	end := strings.IndexByte(s[k:], '>')
	if end < 0 {
		return 0
	}
	end += k
	attrs := s[k:end]
	if strings.ContainsAny(attrs, "<\n") && !strings.Contains(attrs, "=") {
		return 0
	}
	if k < len(s) && s[k] != '>' && s[k] != '/' && s[k] != ' ' && s[k] != '\t' && s[k] != '\n' {
		return 0
	}
	if closing {
		// A stray closing tag of a single-only element (</br>) is dropped; others are text.
		if singleTags[name] {
			return end + 1
		}
		return 0
	}
	if strings.HasSuffix(attrs, "/") || singleTags[name] {
		return end + 1
	}
	body, after, ok := findClose(s, end+1, name)
	if !ok {
		return 0
	}
	switch {
	case invisibleTags[name]:
	case rawTags[name]:
		b.WriteString(body)
	default:
		stripInto(b, body, depth+1)
	}
	return after
}

// findClose finds the </name> that closes a tag whose contents start at from,
// counting nested tags of the same name.
func findClose(s string, from int, name string) (body string, after int, ok bool) {
	lower := asciiLower(s[from:]) // same byte offsets as s
	open, close := "<"+name, "</"+name
	nest := 0
	pos := 0
	for {
		c := strings.Index(lower[pos:], close)
		if c < 0 {
			return "", 0, false
		}
		c += pos
		if o := strings.Index(lower[pos:c], open); o >= 0 && !rawTags[name] {
			next := pos + o + len(open)
			if next < len(lower) && (lower[next] == '>' || lower[next] == ' ' || lower[next] == '/') {
				nest++
			}
			pos = next
			continue
		}
		gt := strings.IndexByte(lower[c:], '>')
		if gt < 0 {
			return "", 0, false
		}
		if strings.TrimSpace(lower[c+len(close):c+gt]) != "" {
			// "</font color=x>" is no closing tag; look further.
			pos = c + len(close)
			continue
		}
		if nest > 0 {
			nest--
			pos = c + gt + 1
			continue
		}
		return s[from : from+c], from + c + gt + 1, true
	}
}

func isASCIILetter(c byte) bool { return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' }

// braces handles templates "{{...}}" and arguments "{{{...}}}" at s[i].
func braces(b *strings.Builder, s string, i, depth int) int {
	if strings.HasPrefix(s[i:], "{{{") {
		if end, ok := matchBraces(s, i+3, "{{{", "}}}"); ok {
			inner := s[i+3 : end]
			if p := topLevelPipe(inner); p >= 0 {
				stripInto(b, inner[p+1:], depth+1)
			}
			return end + 3
		}
	}
	if end, ok := matchBraces(s, i+2, "{{", "}}"); ok {
		return end + 2
	}
	return 0
}

// matchBraces finds the closing delimiter for an opening one before from, skipping
// nested templates and links. It returns the index of the closing delimiter.
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
				return 0, false
			}
			depth--
			i += 2
		default:
			i++
		}
	}
	return 0, false
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

// wikilink handles "[[title|text]]" at s[i]: its text, or its title without one.
func wikilink(b *strings.Builder, s string, i, depth int) int {
	d := 0
	for j := i + 2; j < len(s); j++ {
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
					stripInto(b, text, depth+1)
				} else {
					stripInto(b, title, depth+1)
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

// externalLink handles "[url title]" at s[i] == '['.
func externalLink(b *strings.Builder, s string, i, depth int) int {
	rest := s[i+1:]
	ok := false
	for _, sc := range urlSchemes {
		if len(rest) >= len(sc) && strings.EqualFold(rest[:len(sc)], sc) {
			ok = true
			break
		}
	}
	if !ok {
		return 0
	}
	end := strings.IndexAny(rest, "]\n")
	if end < 0 || rest[end] != ']' {
		return 0
	}
	inner := rest[:end]
	if sp := strings.IndexAny(inner, " \t"); sp >= 0 {
		stripInto(b, strings.TrimLeft(inner[sp:], " \t"), depth+1)
	}
	return i + 1 + end + 1
}

// entity decodes "&name;", "&#N;" or "&#xH;" at s[i].
func entity(b *strings.Builder, s string, i int) int {
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

// quotes handles a run of two or more apostrophes (bold/italic) at s[i]: it closes
// a run opened earlier on the line, or opens one when another run follows on the line;
// otherwise the apostrophes stay as text. It returns the position after the run (0 to
// keep it) and whether it opened.
func quotes(s string, i, open int) (int, bool) {
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
	line := s[i+n:]
	if eol := strings.IndexByte(line, '\n'); eol >= 0 {
		line = line[:eol]
	}
	if strings.Contains(line, "''") {
		return i + n, true
	}
	return 0, false
}

// table handles a wiki table starting at s[i] ("{|" at a line start): cell contents
// are kept, table, row and cell markup and attributes are dropped, and so are the line
// breaks between cells (those inside a cell's content stay: a cell runs until the next
// cell or row marker, so a tag or template may span its lines). Nested tables recurse.
func table(b *strings.Builder, s string, i, depth int) int {
	end := tableEnd(s, i)
	if end < 0 || depth > maxDepth {
		return 0
	}
	pos := strings.IndexByte(s[i:end], '\n')
	if pos < 0 {
		return end
	}
	pos += i + 1
	var cell strings.Builder // the open cell's wikitext
	open := false
	flush := func() {
		if open {
			stripInto(b, cellContent(cell.String()), depth+1)
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
		t := strings.TrimLeft(line, " \t")
		switch {
		case strings.HasPrefix(t, "|}"):
			flush()
		case strings.HasPrefix(t, "{|"):
			flush()
			b.WriteByte('\n')
			if n := table(b, s, pos+len(line)-len(t), depth+1); n > 0 {
				eol = n
				if nl := strings.IndexByte(s[n:end], '\n'); nl >= 0 {
					eol = n + nl
				} else {
					eol = end
				}
			}
		case strings.HasPrefix(t, "|-"):
			flush()
		case strings.HasPrefix(t, "|+"):
			flush()
			b.WriteString("+")
			cell.WriteString(t[2:])
			open = true
		case strings.HasPrefix(t, "|") || strings.HasPrefix(t, "!"):
			flush()
			cells := splitCells(t[1:], t[0] == '!')
			for _, c := range cells[:len(cells)-1] {
				stripInto(b, cellContent(c), depth+1)
			}
			cell.WriteString(cells[len(cells)-1])
			open = true
		default:
			if open {
				cell.WriteByte('\n')
				cell.WriteString(line)
			} else {
				b.WriteByte('\n')
				stripInto(b, line, depth+1)
			}
		}
		pos = eol + 1
	}
	flush()
	return end
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

// tableEnd returns the position after the "|}" that closes the table at s[i], or -1.
func tableEnd(s string, i int) int {
	nest := 0
	for pos := i; pos < len(s); {
		eol := strings.IndexByte(s[pos:], '\n')
		line := s[pos:]
		if eol >= 0 {
			line = s[pos : pos+eol]
		}
		t := strings.TrimLeft(line, " \t")
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

// cellContent drops the attributes of a table cell ("style=x | content").
func cellContent(cell string) string {
	if p := strings.IndexByte(cell, '|'); p >= 0 && !strings.Contains(cell[:p], "[[") && !strings.Contains(cell[:p], "{{") {
		return cell[p+1:]
	}
	return cell
}

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
