package linker

import (
	"bytes"
	"regexp"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/addlink/addlink/internal/wikitext"
)

// TokenOptions selects how text is cut into sentences, words and n-grams where the
// reference has a known defect. The zero value is the fixed behaviour.
type TokenOptions struct {
	// Backquotes turns `"` into the tokens `` and '' as NLTK's word tokenizer does, so
	// that mentions with quotes never match the dictionary.
	Backquotes bool
	// LastTokenQuirk reproduces the reference's n-gram loop, in which the last token of
	// a sentence never ends an n-gram (and a one-token sentence has no n-grams).
	LastTokenQuirk bool
	// NoAbbreviations ends a sentence at every "." followed by a space, as the
	// reference's sentence splitter does, even after initials and abbreviations.
	NoAbbreviations bool
	// SpaceOnly splits words only at " ", as the reference does; other whitespace
	// inside a word (tab, no-break space) is then dropped by the word tokenizer and the
	// parts are joined in grams. By default every whitespace character separates words
	// and stays in the grams, so that grams are substrings of the text.
	SpaceOnly bool
}

// ReferenceTokens reproduces the reference's tokenisation, defects included.
var ReferenceTokens = TokenOptions{Backquotes: true, LastTokenQuirk: true, NoAbbreviations: true, SpaceOnly: true}

// space is the token between two words.
const space = " "

// Mentions calls fn with every n-gram of text, longest first within each sentence, as
// the reference's ngram_iterator does: text is cut into lines and sentences, each
// sentence into tokens, and for n = nmax..nmin every run of n word tokens (with the
// spaces between them) is one gram. Runs of scripts written without spaces (Han,
// kana, Thai, Lao, Khmer, Myanmar, Tibetan) are cut into characters, each a token, so
// that grams are substrings there too; for such grams up to CharGramMax tokens are
// used when nmax is smaller.
func Mentions(text string, nmax, nmin int, o TokenOptions, fn func(gram string)) {
	for _, line := range strings.Split(text, "\n") {
		if line == "" {
			continue
		}
		for _, sent := range SplitSentences(line, o) {
			tokens := WordTokens(sent, o)
			unspaced := false
			for _, t := range tokens {
				if isUnspacedToken(t) {
					unspaced = true
					break
				}
			}
			if unspaced && nmax < CharGramMax {
				for n := CharGramMax; n > nmax; n-- {
					NGrams(tokens, n, o, func(g string, allUnspaced bool) {
						if allUnspaced {
							fn(g)
						}
					})
				}
			}
			for n := nmax; n >= nmin; n-- {
				NGrams(tokens, n, o, func(g string, _ bool) { fn(g) })
			}
		}
	}
}

// CharGramMax is the longest gram, in characters, looked up in text written without
// spaces.
const CharGramMax = 10

// NGrams calls fn with every run of n non-space tokens and whether all of them are
// characters of a script written without spaces.
func NGrams(tokens []string, n int, o TokenOptions, fn func(gram string, allUnspaced bool)) {
	ngramSpans(tokens, n, o, func(i, j int, all bool) { fn(strings.Join(tokens[i:j+1], ""), all) })
}

// ngramSpans calls fn(i, j, all) for every gram tokens[i..j] of n non-space tokens.
func ngramSpans(tokens []string, n int, o TokenOptions, fn func(i, j int, allUnspaced bool)) {
	if n <= 0 {
		return
	}
	for i, t := range tokens {
		if isSpaceToken(t) {
			continue
		}
		count := 0
		all := true
		for j := i; j < len(tokens); j++ {
			w := tokens[j]
			if !isSpaceToken(w) {
				count++
				all = all && isUnspacedToken(w)
			}
			if count == n {
				// The reference checks the count before appending the next token, so
				// a gram that ends at the last token is never produced.
				if !(o.LastTokenQuirk && j == len(tokens)-1) {
					fn(i, j, all)
				}
				break
			}
		}
	}
}

// MentionsLower is Mentions that also gives each gram lower-cased with lower, which is
// applied once per token rather than once per gram.
func MentionsLower(text string, nmax, nmin int, o TokenOptions, lower func(string) string, fn func(gram, low string)) {
	var g Grams
	g.Each(text, nmax, nmin, o, lower, func(b, lb []byte) {
		s := string(b)
		if bytes.Equal(b, lb) {
			fn(s, s)
			return
		}
		fn(s, string(lb))
	})
}

// Grams generates the grams of texts, as MentionsLower does, with buffers it keeps
// from one text to the next: a caller going through many texts (the text nodes of a
// page, the pages of a service) allocates nothing per gram. The zero value is ready
// to use; a Grams is not safe for concurrent use. It remembers each token's
// lower-casing: give every call the same lower function, or Reset it in between.
type Grams struct {
	b, lb  []byte
	low    []string
	sigma  []bool // whether each token holds a Σ
	tokens []string
	sents  []string
	lowers map[string]string // token -> lower(token), kept from one text to the next (Reset)
	words  wordCache         // the words the Treebank rules cut, for one text
}

// maxLowers bounds the tokens whose lower-casing a Grams remembers.
const maxLowers = 1 << 16

// Each calls fn with every gram of text (as Mentions gives them) and the gram
// lower-cased with lower. Both slices are valid only during the call.
func (s *Grams) Each(text string, nmax, nmin int, o TokenOptions, lower func(string) string, fn func(gram, low []byte)) {
	if s.lowers == nil || len(s.lowers) > maxLowers {
		s.lowers = make(map[string]string)
	}
	// The word cache's keys are pieces of text: emptied for each text, so that a
	// Grams kept by a service holds no page after it is done with it.
	if s.words == nil {
		s.words = wordCache{}
	}
	defer clear(s.words)
	emit := func(tokens []string, i, j int) {
		b, lb := s.b[:0], s.lb[:0]
		sigma := false
		for k := i; k <= j; k++ {
			b = append(b, tokens[k]...)
			lb = append(lb, s.low[k]...)
			sigma = sigma || s.sigma[k]
		}
		s.b, s.lb = b, lb
		if sigma {
			// Σ lower-cases by its context (final sigma): lower the whole gram.
			fn(b, []byte(lower(string(b))))
			return
		}
		fn(b, lb)
	}
	for len(text) > 0 {
		line := text
		if k := strings.IndexByte(text, '\n'); k >= 0 {
			line, text = text[:k], text[k+1:]
		} else {
			text = ""
		}
		if line == "" {
			continue
		}
		s.sents = appendSentences(s.sents[:0], line, o)
		for _, sent := range s.sents {
			s.tokens = appendTokens(s.tokens[:0], sent, o, s.words)
			tokens := s.tokens
			s.low, s.sigma = s.low[:0], s.sigma[:0]
			unspaced := false
			for _, t := range tokens {
				l, ok := s.lowers[t]
				if !ok {
					l = lower(t)
					s.lowers[t] = l
				}
				s.low = append(s.low, l)
				s.sigma = append(s.sigma, strings.Contains(t, "Σ"))
				unspaced = unspaced || isUnspacedToken(t)
			}
			if unspaced && nmax < CharGramMax {
				for n := CharGramMax; n > nmax; n-- {
					ngramSpans(tokens, n, o, func(i, j int, all bool) {
						if all {
							emit(tokens, i, j)
						}
					})
				}
			}
			for n := nmax; n >= nmin; n-- {
				ngramSpans(tokens, n, o, func(i, j int, _ bool) { emit(tokens, i, j) })
			}
		}
	}
}

// Reset forgets the lower-casings remembered, for use with another lower function.
func (s *Grams) Reset() { clear(s.lowers) }

func isSpaceToken(t string) bool {
	if t == space {
		return true
	}
	if len(t) == 0 || (t[0] > ' ' && t[0] < 0x80) {
		return false
	}
	for _, r := range t {
		if !wikitext.IsPySpace(r) {
			return false
		}
	}
	return t != ""
}

// SplitSentences cuts a line into sentences after runs of ".", "!" and "?" (and the
// full stops of other scripts) followed by optional closing quotes and whitespace.
// Unless o.NoAbbreviations, a "." after a single letter or a common abbreviation
// does not end a sentence.
func SplitSentences(line string, o TokenOptions) []string {
	return appendSentences(nil, line, o)
}

// appendSentences appends the sentences of line (SplitSentences) to out.
func appendSentences(out []string, line string, o TokenOptions) []string {
	start := 0
	i := 0
	for i < len(line) {
		r, size := utf8.DecodeRuneInString(line[i:])
		if r == '.' || r == '!' || r == '?' || isFullStop(r) {
			j := i + size
			for j < len(line) {
				r2, s2 := utf8.DecodeRuneInString(line[j:])
				if r2 == '.' || r2 == '!' || r2 == '?' || isFullStop(r2) {
					j += s2
					continue
				}
				break
			}
			for j < len(line) {
				r2, s2 := utf8.DecodeRuneInString(line[j:])
				if strings.ContainsRune(`"'»”’)`, r2) {
					j += s2
					continue
				}
				break
			}
			k := j
			for k < len(line) {
				r2, s2 := utf8.DecodeRuneInString(line[k:])
				if !wikitext.IsPySpace(r2) {
					break
				}
				k += s2
			}
			wide := !o.NoAbbreviations && isFullStop(r)
			if (k > j || wide) && k < len(line) {
				if r == '.' && !o.NoAbbreviations && abbreviationBefore(line[start:i]) {
					i = k
					continue
				}
				if s := line[start:j]; strings.TrimSpace(s) != "" {
					out = append(out, strings.TrimRightFunc(s, wikitext.IsPySpace))
				}
				start, i = k, k
				continue
			}
			i = j
			continue
		}
		i += size
	}
	if s := strings.TrimRightFunc(line[start:], wikitext.IsPySpace); s != "" {
		out = append(out, s)
	}
	return out
}

// isFullStop reports full stops of scripts other than Latin.
func isFullStop(r rune) bool {
	switch r {
	case '。', '．', '｡', '！', '？', '।', '॥', '։', '۔', '؟', '።', '။', '។', '།':
		return true
	}
	return false
}

var abbreviations = map[string]bool{
	"mr": true, "mrs": true, "ms": true, "dr": true, "prof": true, "st": true, "jr": true, "sr": true,
	"vs": true, "etc": true, "no": true, "nr": true, "inc": true, "ltd": true, "co": true, "mt": true,
	"fig": true, "vol": true, "pp": true, "ca": true, "approx": true, "gen": true, "col": true,
	"bzw": true, "usw": true, "ggf": true, "bzgl": true, "z.b": true, "e.g": true, "i.e": true, "u.a": true,
	"т": true, "д": true, "г": true, "гг": true, "см": true, "им": true, "св": true, "ул": true,
	"κ": true, "π.χ": true, "δηλ": true, "μ.χ": true, "π.χ.χ": true,
}

// abbreviationBefore reports whether the text before a "." ends with an initial or an
// abbreviation.
func abbreviationBefore(s string) bool {
	k := strings.LastIndexFunc(s, wikitext.IsPySpace)
	w := s[k+1:]
	w = strings.TrimLeft(w, "([\"'«“")
	if w == "" {
		return false
	}
	if utf8.RuneCountInString(w) == 1 {
		r, _ := utf8.DecodeRuneInString(w)
		return unicode.IsLetter(r)
	}
	return abbreviations[wikitext.Lower(w)]
}

// WordTokens cuts a sentence into tokens as the reference's get_tokens does: the
// sentence is split at spaces, each word tokenised like NLTK's Treebank word
// tokenizer, and a " " token is put between the words' tokens.
func WordTokens(sent string, o TokenOptions) []string {
	return appendTokens(nil, sent, o, nil)
}

// appendTokens appends the tokens of sent (WordTokens) to tokens, with the tokens of
// words the Treebank rules cut remembered in words (when not nil).
func appendTokens(tokens []string, sent string, o TokenOptions, words wordCache) []string {
	if o.SpaceOnly {
		for wi, w := range strings.Split(sent, " ") {
			if wi > 0 {
				tokens = append(tokens, space)
			}
			tokens = words.appendWordTokens(tokens, w, o)
		}
		return tokens
	}
	start := 0
	for i, r := range sent {
		if wikitext.IsPySpace(r) {
			tokens = words.appendWordTokens(tokens, sent[start:i], o)
			start = i + utf8.RuneLen(r)
			tokens = append(tokens, sent[i:start]) // the text's own bytes: no allocation
		}
	}
	return words.appendWordTokens(tokens, sent[start:], o)
}

// A wordCache remembers the tokens of words that the Treebank rules (regular
// expressions, slow) cut, for one text: a page repeats its punctuated words.
type wordCache map[string][]string

// wordCacheMax bounds a wordCache: it is emptied when it holds that many words.
const wordCacheMax = 1 << 14

// appendWordTokens is appendWordTokens, remembering the words cut by the Treebank
// rules in c.
func (c wordCache) appendWordTokens(tokens []string, w string, o TokenOptions) []string {
	if c == nil || w == "" || plainWord(w) {
		return appendWordTokens(tokens, w, o)
	}
	if ts, ok := c[w]; ok {
		return append(tokens, ts...)
	}
	n := len(tokens)
	tokens = appendWordTokens(tokens, w, o)
	if len(c) >= wordCacheMax {
		clear(c)
	}
	c[w] = slices.Clone(tokens[n:])
	return tokens
}

func appendWordTokens(tokens []string, w string, o TokenOptions) []string {
	if w == "" {
		return tokens
	}
	if plainWord(w) {
		if a, b, ok := contraction(w); ok {
			return append(tokens, a, b)
		}
		return appendUnspaced(tokens, w)
	}
	if out, ok := appendBracketed(tokens, w); ok {
		return out
	}
	for _, t := range treebank(w, o) {
		tokens = appendUnspaced(tokens, t)
	}
	return tokens
}

// appendBracketed is the Treebank rules' result, without the regular expressions, for
// the commonest words with punctuation: a plain word after opening brackets "([{" and
// before closing brackets ")]}" and one of ",;:!?." (each its own token). It reports
// false for any other shape.
func appendBracketed(tokens []string, w string) ([]string, bool) {
	i := 0
	for i < len(w) && (w[i] == '(' || w[i] == '[' || w[i] == '{') {
		i++
	}
	j := len(w)
	if j > i && strings.IndexByte(",;:!?.", w[j-1]) >= 0 {
		j--
	}
	k := j
	for k > i && (w[k-1] == ')' || w[k-1] == ']' || w[k-1] == '}') {
		k--
	}
	core := w[i:k]
	if core == "" || !plainWord(core) {
		return tokens, false
	}
	for p := 0; p < i; p++ {
		tokens = append(tokens, w[p:p+1])
	}
	if a, b, ok := contraction(core); ok {
		tokens = append(tokens, a, b)
	} else {
		tokens = appendUnspaced(tokens, core)
	}
	for p := k; p < len(w); p++ {
		tokens = append(tokens, w[p:p+1])
	}
	return tokens, true
}

// plainWord reports whether no Treebank rule can apply to w: letters, digits and
// marks only.
func plainWord(w string) bool {
	for _, r := range w {
		if !(unicode.IsLetter(r) || unicode.IsDigit(r) || unicode.IsMark(r)) {
			return false
		}
	}
	return true
}

var contractionSplits = map[string]int{"cannot": 3, "gimme": 3, "gonna": 3, "gotta": 3, "lemme": 3, "wanna": 3}

func contraction(w string) (string, string, bool) {
	if len(w) > 6 {
		return "", "", false
	}
	if k, ok := contractionSplits[strings.ToLower(w)]; ok {
		return w[:k], w[k:], true
	}
	return "", "", false
}

// appendUnspaced appends t, cut into characters where it is written in a script
// without spaces (a character keeps its combining marks).
func appendUnspaced(tokens []string, t string) []string {
	start := 0
	for i, r := range t {
		if unspacedRune(r) {
			if i > start && !unicode.IsMark(r) {
				tokens = append(tokens, t[start:i])
				start = i
			}
			continue
		}
		if unicode.IsMark(r) {
			continue
		}
		if i > start {
			if prev, _ := utf8.DecodeRuneInString(t[start:]); unspacedRune(prev) {
				tokens = append(tokens, t[start:i])
				start = i
			}
		}
	}
	if start < len(t) {
		tokens = append(tokens, t[start:])
	}
	return tokens
}

// unspacedRune reports characters of scripts written without spaces between words.
func unspacedRune(r rune) bool {
	if r < 0x0e00 {
		return false
	}
	return unicode.In(r, unicode.Han, unicode.Hiragana, unicode.Katakana, unicode.Thai, unicode.Lao,
		unicode.Khmer, unicode.Myanmar, unicode.Tibetan) || r == 'ー' || r == '々' || r == '〆'
}

func isUnspacedToken(t string) bool {
	r, _ := utf8.DecodeRuneInString(t)
	return unspacedRune(r)
}

// A rule is a Treebank rule: a pattern, its replacement, and the characters one of
// which every match contains (the pattern is not run on a word without any of them).
type rule struct {
	re   *regexp.Regexp
	repl string
	// need holds characters of which a text must contain one for re to match; the
	// rule is skipped (no allocation, no matching) on texts without any.
	need string
}

// rules takes triples: pattern, replacement, the characters one of which every
// match contains.
func rules(triples ...string) []rule {
	out := make([]rule, 0, len(triples)/3)
	for i := 0; i < len(triples); i += 3 {
		out = append(out, rule{regexp.MustCompile(triples[i]), triples[i+1], triples[i+2]})
	}
	return out
}

// The Treebank rules of NLTK 3.8's NLTKWordTokenizer, with Python's Unicode classes.
// The third string of each rule lists the characters one of which any match holds
// (TestRuleNeeds checks them against the patterns).
var (
	startingQuotes = rules(
		"([«“‘„]|`+)", " $1 ", "«“‘„`",
	)
	startingQuotesBackquote = rules(
		`^"`, "``", `"`,
		"(``)", " $1 ", "`",
		`([ \(\[{<])("|'')`, "$1 `` ", `"'`,
	)
	punctuation = rules(
		`([^\.])(\.)([\]\)}>"'»”’ ]*)[\s\x{a0}\x{2000}-\x{200a}\x{3000}]*$`, "$1 $2 $3 ", ".",
		`([:,])([^\p{Nd}])`, " $1 $2", ":,",
		`([:,])$`, " $1 ", ":,",
		`\.\.+`, " $0 ", ".",
		`[;@#$%&]`, " $0 ", ";@#$%&",
		`[?!]`, " $0 ", "?!",
		`([^'])' `, "$1 ' ", "'",
		`\*`, " $0 ", "*",
		`[\]\[\(\)\{\}<>]`, " $0 ", "][(){}<>",
		`--`, " -- ", "-",
	)
	endingQuotes = rules(
		`([»”’])`, " $1 ", "»”’",
		`''`, " '' ", "'",
	)
	endingQuotesBackquote = rules(`"`, " '' ", `"`)
	endingQuotesKeep      = rules(`"`, ` " `, `"`)
	endingClitics         = rules(
		`([^' ])('[sS]|'[mM]|'[dD]|') `, "$1 $2 ", "'",
		`([^' ])('ll|'LL|'re|'RE|'ve|'VE|n't|N'T) `, "$1 $2 ", "'",
		`(?i)\b(can)(not)\b`, " $1 $2 ", "cC",
		`(?i)\b(d)('ye)\b`, " $1 $2 ", "'",
		`(?i)\b(gim)(me)\b`, " $1 $2 ", "gG",
		`(?i)\b(gon)(na)\b`, " $1 $2 ", "gG",
		`(?i)\b(got)(ta)\b`, " $1 $2 ", "gG",
		`(?i)\b(lem)(me)\b`, " $1 $2 ", "lL",
		`(?i)\b(more)('n)\b`, " $1 $2 ", "'",
		`(?i)\b(wan)(na)\s`, " $1 $2 ", "wW",
		`(?i) ('t)(is)\b`, " $1 $2 ", "'",
		`(?i) ('t)(was)\b`, " $1 $2 ", "'",
	)
)

func apply(s string, rs []rule) string {
	for _, r := range rs {
		if strings.ContainsAny(s, r.need) {
			s = r.re.ReplaceAllString(s, r.repl)
		}
	}
	return s
}

// treebank tokenises one word like NLTKWordTokenizer.tokenize.
func treebank(w string, o TokenOptions) []string { return treebankWith(w, o, apply) }

// treebankWith is treebank with the rules applied by apply.
func treebankWith(w string, o TokenOptions, apply func(string, []rule) string) []string {
	s := apply(w, startingQuotes)
	if o.Backquotes {
		s = apply(s, startingQuotesBackquote)
	}
	s = apostropheLetter(s)
	s = apply(s, punctuation)
	s = " " + s + " "
	s = apply(s, endingQuotes)
	if o.Backquotes {
		s = apply(s, endingQuotesBackquote)
	} else {
		s = apply(s, endingQuotesKeep)
	}
	s = apply(s, endingClitics)
	return strings.FieldsFunc(s, wikitext.IsPySpace)
}

// apostropheLetter is `(?i)(\')(?!re|ve|ll|m|t|s|d|n)(\w)\b` -> `\1 \2`: an
// apostrophe before a single word character (other than m, t, s, d, n) is split off.
func apostropheLetter(s string) string {
	if !strings.Contains(s, "'") {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		b.WriteByte(s[i])
		if s[i] != '\'' || i+1 >= len(s) {
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i+1:])
		if !isWord(r) || strings.ContainsRune("mtsdnMTSDN", r) {
			continue
		}
		if i+1+size < len(s) {
			if r2, _ := utf8.DecodeRuneInString(s[i+1+size:]); isWord(r2) {
				continue
			}
		}
		b.WriteByte(' ')
	}
	return b.String()
}

func isWord(r rune) bool { return r == '_' || unicode.IsLetter(r) || unicode.IsNumber(r) }
