// Bold and italic runs: the stripper follows mwparserfromhell's style parser
// (including its second passes and the nodes a run may not cross), and records the top-level
// nodes of a page (TopNodes) on the way.

package wikitext

import (
	"slices"
	"strings"
)

// A styleCtx is the formatting a part of the text is parsed in, with mwparserfromhell's
// two flags for a bold run that failed inside italics (parse the italics again, and then
// read that run as an apostrophe and the end of the italics).
type styleCtx uint8

const (
	ctxItalic styleCtx = 1 << iota
	ctxBold
	ctxPassAgain
	ctxSecondPass
)

// A stripper strips one string. Bold and italic runs follow mwparserfromhell: an
// opening run is closed by the next run of its kind anywhere after it, across lines,
// and a run that never closes stays as text. Runs are remembered by position and
// context, and templates by position, so that each is read once; a budget of steps for
// reading ahead bounds the work on text full of runs that never close.
type stripper struct {
	s         string
	m         stripMode
	routes    routeTable
	templates []int32      // template ends + 1 by position (0: not read yet, 1: none)
	escaped   map[int]bool // escapes by the start of the node's contents
	tagAt     []int32      // by position: 1 + the index in tags of the tag read there
	tags      []tagParse
	tagReads  int // tags parsed whose closing tag was looked for
	probing   int // > 0 while looking ahead: style runs need no text
	budget    int // steps that scans ahead may still take; then runs stay text
	// tops, when not nil, receives what the top level (depth 0, outside any run) is
	// read as (TopNodes).
	tops *TopNodes
}

// TopNodes is how mwparserfromhell reads the top level of a page where reading it
// takes more than the markup at hand: bold and italic runs (which close anywhere
// later), and the tables, headings, tags and templates that such a run opened inside
// them makes fail or reach further.
type TopNodes struct {
	// Styles are the bold and italic nodes (Tag nodes), from their opening run to
	// after their closing one, in order.
	Styles []Span
	// Ends holds, for each table, heading, tag or template the top level came to, its
	// position and the position after it, or 0 when its markup is text there, in
	// order of position (a page of "<a" has one at every other byte: a map of them
	// took most of Sections' time).
	Ends []Span
}

// endsFrom looks up TopNodes.Ends at positions that never decrease.
type endsFrom struct {
	ends []Span
	next int // ends[next:] are at or after the last position asked about
}

// at returns the end recorded for the node at i, and whether one is.
func (e *endsFrom) at(i int) (int, bool) {
	for e.next < len(e.ends) && e.ends[e.next].Start < i {
		e.next++
	}
	if e.next < len(e.ends) && e.ends[e.next].Start == i {
		return e.ends[e.next].End, true
	}
	return 0, false
}

// topAt reports whether the stripper is at the top level and records it.
func (st *stripper) topAt(depth int) bool { return st.tops != nil && depth == 0 && st.probing == 0 }

// end records what the node at i ends at (0: text), at the top level.
func (st *stripper) end(i, end, depth int) {
	if st.topAt(depth) {
		ends := st.tops.Ends
		k := len(ends) // the top level moves forward: i is at or after the last one
		for k > 0 && ends[k-1].Start > i {
			k--
		}
		switch {
		case k > 0 && ends[k-1].Start == i:
			ends[k-1].End = end
		case k == len(ends):
			st.tops.Ends = append(ends, Span{i, end})
		default:
			st.tops.Ends = slices.Insert(ends, k, Span{i, end})
		}
	}
}

// A styleResult is the outcome of a style run from a position in a context, and its
// text once a caller needed it (looking ahead for where runs end needs none).
type styleResult struct {
	text    string
	end     int32 // 24 bytes, not 40: a page full of runs has hundreds of thousands
	hasText bool
	ok      bool
	ctx     styleCtx
}

type styleRoute struct {
	pos int
	ctx styleCtx
}

// run strips s[i:] in ctx into b. In a style context it returns at the run that closes
// it (the position after it, true); at the end of s it returns true only outside styles.
func (st *stripper) run(b *textBuf, i, depth int, ctx styleCtx, lineStart bool) (int, bool, styleCtx) {
	s := st.s
	for i < len(s) {
		if st.m.w.stopped() {
			return len(s), ctx&(ctxItalic|ctxBold) == 0, ctx
		}
		c := s[i]
		if ctx != 0 {
			st.budget--
			if st.m.w.spent() { // a run that reads on to no end: it fails
				return len(s), false, ctx
			}
		}
		if lineStart {
			lineStart = false
			if strings.HasPrefix(s[i:], "{|") && (depth >= maxDepth || st.tableEscaped(i, depth)) {
				st.end(i, 0, depth)
				b.WriteByte('{') // no table: the rest is read as text
				i++
				continue
			}
			if c == '=' {
				line := s[i:]
				if eol := strings.IndexByte(line, '\n'); eol >= 0 {
					line = line[:eol]
				}
				st.m.w.spend(len(line))
				if lv, last, ok := headingLine(line); ok && st.escapes(i+lv, i+last+1-lv, depth) {
					st.end(i, 0, depth)
					lead := len(line) - len(strings.TrimLeft(line, "="))
					b.WriteString(line[:lead]) // no heading: its "=" are text
					i += lead
					continue
				}
			}
			if n := st.m.lineMarkup(b, s, i, depth); n > 0 {
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
			continue
		case '<':
			n := st.tag(b, i, depth)
			st.end(i, n, depth)
			if n > 0 {
				i = n
				continue
			}
		case '{':
			if strings.HasPrefix(s[i:], "{{{") {
				if n := st.m.braces(b, s, i, depth); n > 0 {
					i = n
					continue
				}
			}
			if strings.HasPrefix(s[i:], "{{") {
				n := st.template(i, depth)
				st.end(i, n, depth)
				if n > 0 {
					i = n
					continue
				}
				b.WriteString("{{")
				i += 2
				continue
			}
		case '[':
			if strings.HasPrefix(s[i:], "[[") {
				if n := st.m.wikilink(b, s, i, depth); n > 0 {
					i = n
					continue
				}
			} else if n := st.m.externalLink(b, s, i, depth); n > 0 {
				i = n
				continue
			}
		case '&':
			if n := entity(b, s, i); n > 0 {
				i = n
				continue
			}
		case '\'':
			if i+1 < len(s) && s[i+1] == '\'' {
				end, closes, c := st.style(b, i, depth, ctx)
				if closes {
					return end, true, c
				}
				i, ctx = end, c
				continue
			}
		}
		// c is text: copy it with the text after it up to the next byte that may start
		// markup (the budget counts each byte, as one by one).
		j := i + 1
		for j < len(s) && !markupByte[s[j]] {
			j++
		}
		if ctx != 0 {
			st.budget -= j - i - 1
		}
		b.WriteString(s[i:j])
		i = j
	}
	return i, ctx&(ctxItalic|ctxBold) == 0, ctx
}

// markupByte marks the bytes at which run looks for markup.
var markupByte = [256]bool{'\n': true, '<': true, '{': true, '[': true, '&': true, '\'': true}

// style handles the run of apostrophes at s[i]: it closes the current context (the
// position after what it used, true), or opens bold or italics, or stays text.
func (st *stripper) style(b *textBuf, i, depth int, ctx styleCtx) (int, bool, styleCtx) {
	s := st.s
	n := 0
	for i+n < len(s) && s[i+n] == '\'' {
		n++
	}
	after := i + n
	if n > 5 {
		b.WriteString(s[i : i+n-5])
		n = 5
	} else if n == 4 {
		b.WriteByte('\'')
		n = 3
	}
	italic, bold := ctx&ctxItalic != 0, ctx&ctxBold != 0
	if italic && (n == 2 || n == 5) || bold && (n == 3 || n == 5) {
		if n == 5 { // close with two or three, leave the rest
			if italic {
				after -= 3
			} else {
				after -= 2
			}
		}
		return after, true, ctx
	}
	if st.budget <= 0 || st.m.w.spent() { // out of steps: no more runs open
		st.m.w.styleOut = st.m.w.styleOut || st.budget <= 0
		b.WriteString(s[after-n : after])
		return after, false, ctx
	}
	if depth >= maxDepth {
		if n == 3 {
			if ctx&ctxSecondPass != 0 {
				b.WriteByte('\'')
				return after, true, ctx
			}
			if italic {
				ctx |= ctxPassAgain
			}
		}
		b.WriteString(s[after-n : after])
		return after, false, ctx
	}
	top := st.topAt(depth) && ctx == 0
	switch n {
	case 2:
		end := st.italics(b, after, depth)
		if top && end != after {
			st.top(after-2, end)
		}
		return end, false, ctx
	case 3:
		return st.bold(b, after, depth, ctx, top)
	}
	return st.italicsAndBold(b, after, depth, top), false, ctx
}

// top records a top-level bold or italic node (stripper.tops).
func (st *stripper) top(start, end int) { st.tops.Styles = append(st.tops.Styles, Span{start, end}) }

// template returns the position after the template at s[i] ("{{"), or 0 when
// mwparserfromhell reads none there. Its end is the first "}}" outside nested templates
// and comments, but a bold or italic run opened inside the template and closed after
// it (anywhere later) carries the template's end along: past a later "}}", or to no
// end at all, when the "{{" stays text.
func (st *stripper) template(i, depth int) int {
	if depth >= maxDepth || st.m.w.spent() {
		return 0 // too deep to read one, as mwparserfromhell
	}
	if st.budget <= 0 {
		if end, ok := st.m.matchBraces(st.s, i+2, "{{", "}}"); ok {
			return end + 2
		}
		return 0
	}
	if st.templates == nil {
		st.templates = make([]int32, len(st.s)+1)
	}
	if e := st.templates[i]; e > 0 {
		return int(e) - 1
	}
	if st.m.w.none(st.s, i+2, "}}") {
		st.templates[i] = 1
		return 0 // no "}}" follows: no template
	}
	st.probing++
	end := st.scanTemplate(i, depth)
	st.probing--
	st.templates[i] = int32(end) + 1
	return end
}

func (st *stripper) scanTemplate(i, depth int) int {
	s := st.s
	for p := i + 2; p < len(s); {
		if q := st.skipPlain(p, len(s), '}'); q > p {
			p = q
			continue
		}
		if strings.HasPrefix(s[p:], "}}") {
			return p + 2
		}
		next, _, ok := st.ahead(p, depth, !st.m.contained)
		if !ok || !st.m.w.spend(32) { // what ahead skips is charged where it is read
			return 0
		}
		p = next
	}
	return 0
}

// ahead moves past what starts at s[p] when looking ahead through a node's contents: a
// template, a comment, a bold or italic run (to where it closes, when runs is set;
// style reports that), or one byte. ok is false for a comment that never closes.
func (st *stripper) ahead(p, depth int, runs bool) (next int, style, ok bool) {
	s := st.s
	st.budget--
	switch c := s[p]; {
	case c == '{' && strings.HasPrefix(s[p:], "{{"):
		if n := st.template(p, depth+1); n > 0 {
			return n, false, true
		}
		return p + 2, false, true
	case c == '<' && strings.HasPrefix(s[p:], "<!--"):
		k, looked := st.m.w.index(s, p+4, "-->", false)
		if !st.m.w.spend(looked) || k < 0 {
			return p, false, false
		}
		return k + 3, false, true
	case runs && c == '\'' && p+1 < len(s) && s[p+1] == '\'':
		end, _, _ := st.style(discard, p, depth+1, 0)
		return end, true, true
	}
	return p + 1, false, true
}

// skipPlain returns the position of the first byte in s[p:to] that ahead may read as
// more than one byte ('{', '<', '\” or stop), taking the steps that ahead would have
// taken one byte at a time.
func (st *stripper) skipPlain(p, to int, stop byte) int {
	q := p
	for q < to {
		if c := st.s[q]; c == '{' || c == '<' || c == '\'' || c == stop {
			break
		}
		q++
	}
	st.budget -= q - p
	st.m.w.spend((q - p) / 4)
	return q
}

// tag is tagOrCommentEsc with the escapes of st, and each tag's parse remembered by
// its position: runs that nest through the same tags (one level in every run open
// there) find each of them once. While looking ahead, no contents are read: their text
// is not wanted.
func (st *stripper) tag(b *textBuf, i, depth int) int {
	if st.m.w.spent() {
		return 0
	}
	var t tagParse
	if k := st.at(i); k > 0 {
		t = st.tags[k-1]
		st.m.w.spend(int(t.cost)) // as if read again: the budget runs out as before
	} else {
		left := st.m.w.left
		t = st.m.parseTag(st.s, i)
		t.cost = int32(min(left-st.m.w.left, 1<<30))
		// Only tags whose closing tag was looked for are worth remembering: a '<' that
		// starts no tag is found so at once (a page of "<a" has one at every other byte).
		if t.cost < 24 {
			return st.m.readTag(b, st.s, t, depth, st.escapes, st.probing == 0)
		}
		if st.tagReads++; !st.m.w.fresh && st.tagReads > 64+len(st.s)/256 {
			// Read that often, tags are read again: remembering them is worth a table
			// of the string's size (a node's contents read at each nesting level read
			// one tag each, and ordinary text few per KB).
			if st.tagAt == nil {
				st.tagAt = make([]int32, len(st.s))
			}
			st.tags = append(st.tags, t)
			st.tagAt[i] = int32(len(st.tags))
		}
	}
	return st.m.readTag(b, st.s, t, depth, st.escapes, st.probing == 0)
}

// at returns 1 + the index in st.tags of the tag read at i, or 0.
func (st *stripper) at(i int) int32 {
	if st.tagAt == nil {
		return 0
	}
	return st.tagAt[i]
}

// tableEscaped reports whether the table at s[i] is no table for mwparserfromhell
// because a bold or italic run inside it closes after its end (see escapes).
func (st *stripper) tableEscaped(i, depth int) bool {
	end := st.m.tableEnd(st.s, i)
	return end > 0 && st.escapes(i+2, end, depth)
}

// escapes reports whether a bold or italic run opened in s[from:to], the contents of a
// table, tag or heading, closes after to. mwparserfromhell reads such a run through
// the end of the node, which then fails and stays text.
func (st *stripper) escapes(from, to, depth int) bool {
	if st.m.contained {
		return false
	}
	if depth >= maxDepth || st.budget <= 0 || st.m.w.spent() {
		return false
	}
	if e, ok := st.escaped[from]; ok {
		return e
	}
	st.probing++
	e := st.scanEscapes(from, to, depth)
	st.probing--
	if st.escaped == nil {
		st.escaped = map[int]bool{}
	}
	st.escaped[from] = e
	return e
}

func (st *stripper) scanEscapes(from, to, depth int) bool {
	if !strings.Contains(st.s[from:to], "''") {
		return false
	}
	for p := from; p < to; {
		if q := st.skipPlain(p, to, 0); q > p {
			p = q
			continue
		}
		next, style, ok := st.ahead(p, depth, true)
		if !ok || !st.m.w.spend(32) {
			return false
		}
		if style && next > to {
			return true
		}
		p = next
	}
	return false
}

// discard is where looking ahead writes its unused text: nowhere. Every goroutine
// shares it: a discarding textBuf never changes.
var discard = discarding()

// sub strips from pos in a new style context into a string: its text, the position
// after its closing run, whether it closed, and the context it ended in.
func (st *stripper) sub(pos, depth int, ctx styleCtx) (string, int, bool, styleCtx) {
	key := styleRoute{pos, ctx}
	r, seen := st.routes.get(key)
	if seen && (r.hasText || !r.ok || st.probing > 0) {
		return r.text, int(r.end), r.ok, r.ctx
	}
	b := discard
	if st.probing == 0 {
		b = new(textBuf)
	}
	end, closed, c := st.run(b, pos, depth+1, ctx, false)
	r = styleResult{end: int32(pos), ok: closed, ctx: c}
	if closed {
		r.end = int32(end)
		if st.probing == 0 {
			r.text, r.hasText = b.String(), true
		}
	}
	st.routes.put(key, r)
	return r.text, int(r.end), r.ok, r.ctx
}

// italics parses an italic run whose opening ends at after.
func (st *stripper) italics(b *textBuf, after, depth int) int {
	text, end, ok, c := st.sub(after, depth, ctxItalic)
	if !ok && c&ctxPassAgain != 0 {
		text, end, ok, _ = st.sub(after, depth, ctxItalic|ctxSecondPass)
	}
	if !ok {
		b.WriteString("''")
		return after
	}
	b.WriteString(collapse(text))
	return end
}

// bold parses a bold run whose opening ends at after, in ctx. When it never closes it
// stays text: inside italics as three apostrophes (and the italics are parsed again if
// they fail too), in that second pass as one apostrophe that also ends the italics
// (true), elsewhere as one apostrophe before an attempt at italics.
func (st *stripper) bold(b *textBuf, after, depth int, ctx styleCtx, top bool) (int, bool, styleCtx) {
	text, end, ok, _ := st.sub(after, depth, ctxBold)
	if ok {
		b.WriteString(collapse(text))
		if top {
			st.top(after-3, end)
		}
		return end, false, ctx
	}
	switch {
	case ctx&ctxSecondPass != 0:
		b.WriteByte('\'')
		return after, true, ctx
	case ctx&ctxItalic != 0:
		b.WriteString("'''")
		return after, false, ctx | ctxPassAgain
	}
	b.WriteByte('\'')
	end = st.italics(b, after, depth)
	if top && end != after {
		st.top(after-2, end)
	}
	return end, false, ctx
}

// italicsAndBold parses a run of five: bold with italics after it inside, or italics
// with bold, or whichever of the two closes.
func (st *stripper) italicsAndBold(b *textBuf, after, depth int, top bool) int {
	first, second := ctxBold, ctxItalic
	t1, e1, ok, _ := st.sub(after, depth, first)
	if !ok {
		first, second = ctxItalic, ctxBold
		if t1, e1, ok, _ = st.sub(after, depth, first); !ok {
			b.WriteString("'''''")
			return after
		}
	}
	t2, e2, ok2, _ := st.sub(e1, depth, second)
	if !ok2 {
		// The first apostrophes are text, the rest opens the run that closed.
		if second == ctxBold {
			b.WriteString("'''")
			if top {
				st.top(after-2, e1)
			}
		} else {
			b.WriteString("''")
			if top {
				st.top(after-3, e1)
			}
		}
		b.WriteString(collapse(t1))
		return e1
	}
	if top {
		st.top(after-5, e2)
	}
	b.WriteString(collapse(collapse(t1) + t2))
	return e2
}
