package wikitext

import (
	"context"
	"html"
	"slices"
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

// wikilink handles "[[title|text]]" at s[i]: its text, or its title without one.
func (m stripMode) wikilink(b *textBuf, s string, i, depth int) int {
	if m.w.spent() {
		return 0
	}
	if m.w.none(s, i+2, "]]") {
		return 0 // no "]]" follows: no link
	}
	d := 0
	for j := i + 2; j < len(s); j++ {
		if j&63 == 0 && !m.w.spend(128) {
			return 0
		}
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
					m.stripInto(b, text, depth+1)
				} else {
					m.stripInto(b, title, depth+1)
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

// schemesFrom lists the URL schemes by their first byte, in either case.
var schemesFrom = func() (t [256][]string) {
	for _, sc := range urlSchemes {
		t[sc[0]] = append(t[sc[0]], sc)
		if u := asciiUpper(sc[0]); u != sc[0] {
			t[u] = append(t[u], sc)
		}
	}
	return t
}()

// hasURLScheme reports whether s starts with one of urlSchemes, in any case (ASCII
// case: a scheme has only ASCII letters, and a multi-byte letter that folds to one of
// them, as "ſ" to "s", could not fill the scheme's bytes rune for rune). Only the
// schemes with s's first byte are compared: a page of "[x " asks at every third byte.
func hasURLScheme(s string) bool {
	if len(s) == 0 {
		return false
	}
	for _, sc := range schemesFrom[s[0]] {
		if hasPrefixASCIIFold(s, sc) {
			return true
		}
	}
	return false
}

func asciiUpper(c byte) byte {
	if 'a' <= c && c <= 'z' {
		return c - ('a' - 'A')
	}
	return c
}

// externalLink handles "[url title]" at s[i] == '['.
func (m stripMode) externalLink(b *textBuf, s string, i, depth int) int {
	rest := s[i+1:]
	if !hasURLScheme(rest) || m.w.spent() {
		return 0
	}
	end, looked := m.w.index(s, i+1, "]\n", true)
	if !m.w.spend(looked) || end < 0 {
		return 0
	}
	end -= i + 1
	// The address ends at a space (dropped), or where markup starts: [ < > " ''.
	u := end
	for k := 0; k < end; k++ {
		if c := rest[k]; c == ' ' || c == '[' || c == '<' || c == '>' || c == '"' ||
			c == '\'' && k+1 < len(rest) && rest[k+1] == '\'' {
			u = k
			break
		}
	}
	// The title ends at the first "]" outside the wikilinks and templates it holds
	// (ukwiki "Слово": [http://... Стаття в [[Енциклопедія|Енциклопедії]], Київ ...]).
	end, ok := m.externalTitleEnd(s, i+1+u, i+1+end, depth)
	if !ok {
		return 0
	}
	end -= i + 1
	inner := rest[:end]
	title := inner[u:]
	if strings.HasPrefix(title, " ") {
		title = title[1:]
	}
	m.stripNode(b, title, depth)
	return i + 1 + end + 1
}

// externalTitleEnd returns the position of the "]" that ends an external link's title
// starting at from, given the first "]" or line break after it at first: wikilinks and
// templates in the title are skipped whole. ok is false when a line break comes first.
func (m stripMode) externalTitleEnd(s string, from, first, depth int) (int, bool) {
	for {
		k := first
		if j := strings.Index(s[from:first], "[["); j >= 0 {
			k = from + j
		}
		if j := strings.Index(s[from:k], "{{"); j >= 0 {
			k = from + j
		}
		if k == first {
			return first, s[first] == ']'
		}
		var n int
		if s[k] == '[' {
			if n = m.wikilink(discard, s, k, depth+1); n > 0 && strings.IndexByte(s[k:n], '\n') >= 0 {
				return 0, false
			}
		} else {
			n = m.braces(discard, s, k, depth+1)
		}
		if n <= 0 {
			n = k + 2 // no node there: its brackets are text
		}
		from = n
		j := strings.IndexAny(s[from:], "]\n")
		if !m.w.spend(scanned(j, len(s)-from)) || j < 0 {
			return 0, false
		}
		first = from + j
	}
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
