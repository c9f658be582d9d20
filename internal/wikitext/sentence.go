package wikitext

import (
	"context"
	"html"
	"strings"
	"unicode"
	"unicode/utf8"
)

// SentenceOptions selects how FirstLinkedSentence behaves where the reference has a
// known defect. The zero value is the fixed behaviour.
type SentenceOptions struct {
	// GreedyRefs removes references with the reference's greedy pattern
	// `<\s*ref.*(<\s*/ref\s*>|/\s*>)`, which deletes everything from the first <ref on a
	// line to the last </ref> or "/>" of that line, text between references included.
	GreedyRefs bool
	// OnlyDotStops ends sentences only at "." (and at । and ։, which the reference
	// turns into "."), as the reference does. By default the full stops of other scripts
	// (。 ． ｡ ॥ ۔ ። ။ ។ །) end sentences too, and need no space after them, so that
	// wikis written in those scripts have sentences at all.
	OnlyDotStops bool
}

// isExtraStop reports whether r is a full stop of a script other than Latin.
func isExtraStop(r rune) bool {
	switch r {
	case '。', '．', '｡', '॥', '۔', '።', '။', '។', '།':
		return true
	}
	return false
}

// countStops counts the sentence-ending full stops in a.
func countStops(a string, o SentenceOptions) int {
	n := strings.Count(a, ".")
	if !o.OnlyDotStops {
		for _, r := range a {
			if isExtraStop(r) {
				n++
			}
		}
	}
	return n
}

// FirstLinkedSentence returns the first sentence of an article's wikitext that the
// reference's sentence extractor accepts (docs/reference.md "Stage 4"): after references
// are removed and markup other than links and templates is reduced to text, the text
// is cut after "word. " and at newlines; a sentence qualifies when it has exactly one
// ".", none of the reference's excluded patterns (a leading "|" or "!", "{{", "}}",
// "<ref", "png", "jpg|"), and consists only of text and at least one wikilink, with
// more than two such parts.
func FirstLinkedSentence(text string, o SentenceOptions) (string, bool) {
	s := LinkedSentences(text, o, 1)
	if len(s) == 0 {
		return "", false
	}
	return s[0], true
}

// LinkedSentences returns up to max sentences that FirstLinkedSentence would accept,
// in text order (all of them when max <= 0).
func LinkedSentences(text string, o SentenceOptions, max int) []string {
	return linkedSentences(text, o, max, nil)
}

// LinkedSentencesContext is LinkedSentences that stops early, with ctx's error, when
// ctx is done.
func LinkedSentencesContext(ctx context.Context, text string, o SentenceOptions, max int) ([]string, error) {
	found := linkedSentences(text, o, max, ctx.Done())
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	return found, nil
}

func linkedSentences(text string, o SentenceOptions, max int, done <-chan struct{}) []string {
	m := faithful
	m.w = newMeter(len(text), sentencesPerByte, done)
	return linkedSentencesMeter(text, o, max, m)
}

func linkedSentencesMeter(text string, o SentenceOptions, max int, m stripMode) []string {
	text = strings.ReplaceAll(text, "।", ".\n")
	text = strings.ReplaceAll(text, "։", ".\n")
	if o.GreedyRefs {
		text = removeRefsGreedy(text, m.w)
	} else {
		text = removeRefs(text, m.w)
	}
	if m.w.stopped() {
		return nil
	}
	text = m.plainKeepLinks(removeComments(text))
	var found []string
	cutSentences(text, !o.OnlyDotStops, m.w, func(piece string) bool {
		a := PyStrip(piece)
		if excludedPiece(a) || countStops(a, o) != 1 {
			return true
		}
		if m.onlyTextAndLinks(a) {
			found = append(found, a)
			return max <= 0 || len(found) < max
		}
		return true
	})
	return found
}

// isPyWord reports whether r matches Python's \w in a str pattern.
func isPyWord(r rune) bool {
	if r < 0x80 {
		return asciiWord[r]
	}
	return unicode.IsLetter(r) || unicode.IsNumber(r)
}

// asciiWord is isPyWord for ASCII: letters, digits and '_'.
var asciiWord = func() (t [0x80]bool) {
	for r := range t {
		t[r] = r == '_' || ('0' <= r && r <= '9') || ('a' <= r && r <= 'z') || ('A' <= r && r <= 'Z')
	}
	return t
}()

// cutSentences emulates re.sub(r"(\w{3,}[\]\]]*\s*\.\s)|()\n", r"\1[cut]", text)
// followed by split("[cut]"), calling fn with each piece until fn returns false. With
// extra, the full stops of other scripts count as "." and need no space after them.
// It stops early once w's reading is cancelled.
func cutSentences(text string, extra bool, w *meter, fn func(string) bool) {
	start := 0
	emit := func(end int) bool {
		piece := text[start:end]
		// A literal "[cut]" in the text splits too.
		for {
			k := strings.Index(piece, "[cut]")
			if k < 0 {
				break
			}
			if w.stopped() || !fn(piece[:k]) {
				return false
			}
			piece = piece[k+5:]
		}
		return !w.stopped() && fn(piece)
	}
	i := 0
	for i < len(text) && !w.stopped() {
		r, size := utf8.DecodeRuneInString(text[i:])
		if isPyWord(r) {
			// A run of word characters; only its end decides whether it matches.
			j, n := i, 0
			for j < len(text) && !w.stopped() {
				r2, s2 := utf8.DecodeRuneInString(text[j:])
				if !isPyWord(r2) {
					break
				}
				j += s2
				n++
			}
			if n >= 3 {
				k := j
				for k < len(text) && text[k] == ']' {
					k++
				}
				for k < len(text) {
					r3, s3 := utf8.DecodeRuneInString(text[k:])
					if !IsPySpace(r3) {
						break
					}
					k += s3
				}
				if k < len(text) && extra {
					if r5, s5 := utf8.DecodeRuneInString(text[k:]); isExtraStop(r5) {
						end := k + s5
						for end < len(text) {
							r6, s6 := utf8.DecodeRuneInString(text[end:])
							if !IsPySpace(r6) {
								break
							}
							end += s6
						}
						if !emit(end) {
							return
						}
						start, i = end, end
						continue
					}
				}
				if k < len(text) && text[k] == '.' {
					if r4, s4 := utf8.DecodeRuneInString(text[k+1:]); k+1 < len(text) && IsPySpace(r4) {
						end := k + 1 + s4
						if !emit(end) {
							return
						}
						start, i = end, end
						continue
					}
				}
			}
			i = j
			continue
		}
		if r == '\n' {
			if !emit(i) {
				return
			}
			start = i + 1
		}
		i += size
	}
	emit(len(text))
}

// excludedPiece is re.match of the reference's combined exclusion pattern.
func excludedPiece(a string) bool {
	if a == "" {
		return true // an empty piece has no "." anyway
	}
	if a[0] == '|' || a[0] == '!' {
		return true
	}
	r, _ := utf8.DecodeRuneInString(a)
	if IsPySpace(r) {
		return true
	}
	line := a
	if k := strings.IndexByte(line, '\n'); k >= 0 {
		line = line[:k] // "." does not match a newline
	}
	for _, p := range []string{"JPG|", "jpg|", "}}", "{{", "<ref", "png"} {
		if strings.Contains(line, p) {
			return true
		}
	}
	return false
}

// onlyTextAndLinks reports whether mwparserfromhell would parse s into more than two
// nodes, all of them Text or Wikilink, at least one a Wikilink.
func (m stripMode) onlyTextAndLinks(s string) bool {
	nodes, links := 0, 0
	inText := false
	lineStart := true
	for i := 0; i < len(s); {
		if m.w.stopped() {
			return false
		}
		c := s[i]
		if lineStart {
			lineStart = false
			if strings.ContainsRune("*#:;=", rune(c)) || strings.HasPrefix(s[i:], "----") || strings.HasPrefix(s[i:], "{|") {
				return false
			}
		}
		switch {
		case c == '\n':
			lineStart = true
		case strings.HasPrefix(s[i:], "[["):
			if end := m.linkEnd(s, i); end > 0 {
				nodes++
				links++
				inText = false
				i = end
				continue
			}
		case c == '[' && externalLinkAt(s, i+1):
			return false
		case c == '<':
			if i+1 < len(s) && (isASCIILetter(s[i+1]) || s[i+1] == '/' || s[i+1] == '!') {
				if m.tagOrComment(discard, s, i, 0) > 0 {
					return false
				}
			}
		case c == '&':
			if entity(discard, s, i) > 0 {
				return false
			}
		case c == '\'' && strings.HasPrefix(s[i:], "''"):
			return false
		case c == '{' && strings.HasPrefix(s[i:], "{{"):
			return false
		case (c == 'h' || c == 'f' || c == 'H' || c == 'F') && bareURLAt(s, i):
			return false
		}
		if !inText {
			nodes++
			inText = true
		}
		i++
	}
	return nodes > 2 && links > 0
}

// linkEnd returns the position after a well-formed "[[title|...]]" at s[i], or 0
// (also once m's budget is spent). Titles may not contain the characters MediaWiki
// forbids in them; the text after the first "|" may contain nested links (file
// captions do).
func (m stripMode) linkEnd(s string, i int) int {
	if m.w.spent() || m.w.none(s, i+2, "]]") {
		return 0
	}
	j := i + 2
	for j < len(s) {
		if j&63 == 0 && !m.w.spend(64) {
			return 0
		}
		switch s[j] {
		case '|':
			depth := 0
			for k := j + 1; k < len(s)-1; k++ {
				if k&63 == 0 && !m.w.spend(64) {
					return 0
				}
				switch {
				case s[k] == '[' && s[k+1] == '[':
					depth++
					k++
				case s[k] == ']' && s[k+1] == ']':
					if depth == 0 {
						return k + 2
					}
					depth--
					k++
				}
			}
			return 0
		case ']':
			if strings.HasPrefix(s[j:], "]]") {
				return j + 2
			}
			return 0
		case '[', '{', '}', '<', '>', '\n':
			return 0
		}
		j++
	}
	return 0
}

// removeComments removes "<!--...-->"; an unclosed comment runs to the end.
func removeComments(s string) string {
	if !strings.Contains(s, "<!--") {
		return s
	}
	var b strings.Builder
	for {
		i := strings.Index(s, "<!--")
		if i < 0 {
			b.WriteString(s)
			return b.String()
		}
		b.WriteString(s[:i])
		k := strings.Index(s[i+4:], "-->")
		if k < 0 {
			return b.String()
		}
		s = s[i+4+k+3:]
	}
}

func externalLinkAt(s string, i int) bool { return hasURLScheme(s[i:]) }

func bareURLAt(s string, i int) bool {
	rest := strings.ToLower(s[i:min(len(s), i+10)])
	return strings.HasPrefix(rest, "http://") || strings.HasPrefix(rest, "https://") || strings.HasPrefix(rest, "ftp://")
}

// removeRefsGreedy is re.sub(r"<\s*ref.*(<\s*/ref\s*>|/\s*>)", "", text), or "" once
// w's reading is cancelled.
func removeRefsGreedy(text string, w *meter) string {
	var b strings.Builder
	for len(text) > 0 {
		if w.stopped() {
			return ""
		}
		line, rest, nl := strings.Cut(text, "\n")
		for !w.stopped() {
			st := refOpen(line, 0)
			if st < 0 {
				break
			}
			end := lastRefEnd(line, st)
			if end < 0 {
				break
			}
			line = line[:st] + line[end:]
		}
		b.WriteString(line)
		if nl {
			b.WriteByte('\n')
		}
		text = rest
	}
	return b.String()
}

// refOpen finds `<\s*ref` at or after from, or -1.
func refOpen(s string, from int) int {
	for i := from; i < len(s); i++ {
		if s[i] != '<' {
			continue
		}
		j := i + 1
		for j < len(s) && isASCIISpace(s[j]) {
			j++
		}
		if strings.HasPrefix(s[j:], "ref") {
			return i
		}
	}
	return -1
}

func isASCIISpace(c byte) bool { return c == ' ' || c == '\t' || c == '\r' || c == '\f' || c == '\v' }

// lastRefEnd returns the end of the last `<\s*/ref\s*>` or `/\s*>` after the "<ref" at st.
func lastRefEnd(line string, st int) int {
	best := -1
	for i := st + 4; i < len(line); i++ {
		switch line[i] {
		case '<':
			j := i + 1
			for j < len(line) && isASCIISpace(line[j]) {
				j++
			}
			if strings.HasPrefix(line[j:], "/ref") {
				k := j + 4
				for k < len(line) && isASCIISpace(line[k]) {
					k++
				}
				if k < len(line) && line[k] == '>' {
					best = k + 1
				}
			}
		case '/':
			k := i + 1
			for k < len(line) && isASCIISpace(line[k]) {
				k++
			}
			if k < len(line) && line[k] == '>' {
				best = k + 1
			}
		}
	}
	return best
}

// removeRefs removes each <ref ...>...</ref> and <ref .../> on its own: the text
// between two references stays. It returns "" once w's reading is cancelled.
func removeRefs(text string, w *meter) string {
	var b strings.Builder
	var closes refCloses
	i := 0
	for {
		if w.stopped() {
			return ""
		}
		st := refOpen(text, i)
		if st < 0 {
			break
		}
		j := st + 1
		for j < len(text) && isASCIISpace(text[j]) {
			j++
		}
		j += 3
		if j < len(text) && isASCIILetter(text[j]) { // <references/>, <refname>: not a ref
			b.WriteString(text[i : st+1])
			i = st + 1
			continue
		}
		gt := strings.IndexByte(text[j:], '>')
		if gt < 0 {
			break
		}
		gt += j
		end := gt + 1
		if !strings.HasSuffix(strings.TrimRight(text[j:gt], " \t"), "/") {
			if c := closes.after(text, end); c > 0 {
				end = c
			}
		}
		b.WriteString(text[i:st])
		i = end
	}
	b.WriteString(text[i:])
	return b.String()
}

// refCloses finds the `</ref>` after a position for removeRefs, whose positions only
// grow: the one found last (or that there is none) holds until a later position passes
// it, so the text is looked through once.
type refCloses struct {
	from, start, end int // the last search: from where, the "<" it found (-1: none), the end
	used             bool
}

// after is closeRef(text, from) for positions from that never decrease.
func (c *refCloses) after(text string, from int) int {
	if c.used && from >= c.from && (c.start < 0 || c.start >= from) {
		return c.end
	}
	c.used, c.from = true, from
	c.end = closeRef(text, from)
	c.start = -1
	if c.end > 0 {
		c.start = strings.LastIndexByte(text[:c.end], '<')
	}
	return c.end
}

// closeRef returns the position after the `</ref>` that closes a reference whose
// content starts at from, or 0.
func closeRef(text string, from int) int {
	for i := from; i < len(text); i++ {
		if text[i] != '<' {
			continue
		}
		j := i + 1
		for j < len(text) && isASCIISpace(text[j]) {
			j++
		}
		if j < len(text) && text[j] == '/' {
			j++
			for j < len(text) && isASCIISpace(text[j]) {
				j++
			}
			if strings.HasPrefix(text[j:], "ref") {
				k := j + 3
				for k < len(text) && isASCIISpace(text[k]) {
					k++
				}
				if k < len(text) && text[k] == '>' {
					return k + 1
				}
			}
		}
	}
	return 0
}

// plainKeepLinks reduces wikitext to text the way wikitextparser's
// plain_text(replace_wikilinks=False, replace_templates=False) does: comments,
// parser functions and template parameters are removed, tags are replaced by their
// contents, external links by their text, bold and italic quotes are dropped and
// character references decoded; wikilinks and templates stay as they are.
func (m stripMode) plainKeepLinks(s string) string {
	if !m.w.spend(len(s)) {
		return s
	}
	var b strings.Builder
	b.Grow(len(s))
	i := 0
	for i < len(s) {
		if m.w.stopped() {
			return b.String()
		}
		c := s[i]
		switch c {
		case '<':
			if strings.HasPrefix(s[i:], "<!--") {
				k := strings.Index(s[i+4:], "-->")
				if k < 0 {
					return b.String()
				}
				i += 4 + k + 3
				continue
			}
			if end := tagMarkupEnd(s, i); end > 0 {
				i = end
				continue
			}
		case '{':
			if strings.HasPrefix(s[i:], "{{{") {
				if end, ok := m.matchBraces(s, i+3, "{{{", "}}}"); ok {
					i = end + 3
					continue
				}
			}
			if strings.HasPrefix(s[i:], "{{") {
				if end, ok := m.matchBraces(s, i+2, "{{", "}}"); ok {
					if parserFunction(s[i+2 : end]) {
						i = end + 2
						continue
					}
					b.WriteString("{{")
					b.WriteString(m.plainKeepLinks(s[i+2 : end]))
					b.WriteString("}}")
					i = end + 2
					continue
				}
			}
		case '[':
			if strings.HasPrefix(s[i:], "[[") {
				if end := m.linkEnd(s, i); end > 0 {
					b.WriteString("[[")
					b.WriteString(m.plainKeepLinks(s[i+2 : end-2]))
					b.WriteString("]]")
					i = end
					continue
				}
			} else if externalLinkAt(s, i+1) && !m.w.spent() {
				k, looked := m.w.index(s, i, "]\n", true)
				if k >= 0 {
					k -= i
				}
				if m.w.spend(looked); k > 0 && s[i+k] == ']' {
					inner := s[i+1 : i+k]
					if sp := strings.IndexAny(inner, " \t"); sp >= 0 {
						b.WriteString(strings.TrimLeft(inner[sp:], " \t"))
					}
					i += k + 1
					continue
				}
			}
		case '\'':
			if strings.HasPrefix(s[i:], "''") {
				j := i
				for j < len(s) && s[j] == '\'' {
					j++
				}
				switch n := j - i; {
				case n == 4:
					b.WriteByte('\'')
				case n > 5:
					b.WriteString(s[i : j-5])
				}
				i = j
				continue
			}
		case '&':
			if k := strings.IndexByte(s[i:min(len(s), i+12)], ';'); k > 1 {
				if u := html.UnescapeString(s[i : i+k+1]); u != s[i:i+k+1] {
					b.WriteString(u)
					i += k + 1
					continue
				}
			}
		}
		b.WriteByte(c)
		i++
	}
	return b.String()
}

// tagMarkupEnd returns the end of an HTML or extension tag's markup (opening,
// closing or self-closing) at s[i] == '<', or 0.
func tagMarkupEnd(s string, i int) int {
	j := i + 1
	if j < len(s) && s[j] == '/' {
		j++
	}
	k := j
	for k < len(s) && (isASCIILetter(s[k]) || (k > j && s[k] >= '0' && s[k] <= '9')) {
		k++
	}
	if name := asciiLower(s[j:k]); k == j || !knownTags[name] || singleTags[name] {
		// Void elements such as <br> stay, as wikitextparser leaves them.
		return 0
	}
	if k < len(s) && s[k] != '>' && s[k] != '/' && s[k] != ' ' && s[k] != '\t' {
		return 0
	}
	end := strings.IndexAny(s[k:], "<>\n")
	if end < 0 || s[k+end] != '>' {
		return 0
	}
	return k + end + 1
}

var knownTags = func() map[string]bool {
	m := map[string]bool{}
	for _, t := range strings.Fields(`abbr b bdi bdo big blockquote br caption center cite code
		data dd del dfn div dl dt em font h1 h2 h3 h4 h5 h6 hr i ins kbd li mark ol p pre q rb rp rt
		rtc ruby s samp small span strike strong sub sup table td th time tr tt u ul var wbr
		nowiki ref references gallery math poem source syntaxhighlight timeline score chem ce
		includeonly noinclude onlyinclude section templatestyles indicator mapframe maplink
		graph categorytree inputbox imagemap hiero charinsert langconvert`) {
		m[t] = true
	}
	return m
}()

// parserFunction reports whether a template body is a parser function or magic
// word ({{#if:...}}, {{DEFAULTSORT:...}}, {{lc:...}}), which plain_text removes.
func parserFunction(body string) bool {
	body = strings.TrimLeft(body, " \t\n")
	if strings.HasPrefix(body, "#") || magicVariables[strings.TrimSpace(body)] {
		return true
	}
	name, _, ok := strings.Cut(body, ":")
	if !ok || strings.ContainsAny(name, "|{}[]\n") {
		return false
	}
	return magicWords[strings.ToLower(strings.TrimSpace(name))]
}

var magicWords = func() map[string]bool {
	m := map[string]bool{}
	for _, w := range strings.Fields(`defaultsort defaultsortkey defaultcategorysort displaytitle
		lc uc lcfirst ucfirst formatnum urlencode anchorencode fullurl localurl canonicalurl
		ns nse padleft padright plural grammar gender int filepath tag language
		subst safesubst msg msgnw raw`) {
		m[w] = true
	}
	return m
}()

// magicVariables are the variables wikitextparser treats as parser functions.
var magicVariables = func() map[string]bool {
	m := map[string]bool{}
	for _, w := range strings.Fields(`PAGENAME PAGENAMEE FULLPAGENAME FULLPAGENAMEE BASEPAGENAME
		ROOTPAGENAME SUBPAGENAME TALKPAGENAME ARTICLEPAGENAME NAMESPACE NAMESPACEE SITENAME SERVER
		SERVERNAME CURRENTYEAR CURRENTMONTH CURRENTMONTHNAME CURRENTDAY CURRENTDAY2 CURRENTDAYNAME
		CURRENTTIME CURRENTHOUR CURRENTWEEK CURRENTTIMESTAMP LOCALYEAR LOCALMONTH LOCALDAY
		LOCALTIME NUMBEROFARTICLES NUMBEROFPAGES NUMBEROFUSERS REVISIONID REVISIONYEAR PAGEID ! =`) {
		m[w] = true
	}
	return m
}()
