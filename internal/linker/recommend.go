package linker

import (
	"context"
	"errors"
	"fmt"
	"math"
	"sort"
	"strings"
	"sync"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/addlink/addlink/internal/wikitext"
)

// Scorer gives the probability that a candidate with these features is a link.
// Recommend gives a *gbdt.Model the features its JSON names (ModelFeatures) and any
// other Scorer the reference's six, unless it is a FeatureScorer: a wrapper of a model
// with extended features must implement FeatureScorer.
type Scorer interface {
	Predict(features []float32) float32
}

// RecommendOptions configures Recommend.
type RecommendOptions struct {
	Threshold float64 // minimum probability (the service's default is 0.5)
	// MaxRecommendations stops after this many links; 0 or less means no limit.
	MaxRecommendations int
	// SectionsToExclude are section titles (compared case-insensitively) whose text
	// gets no links; "%LEAD%" is the lead.
	SectionsToExclude []string
	// Deadline, when not zero, stops the work when it passes.
	Deadline time.Time
	// Ctx, when not nil, stops the work once it is done (a request or run that was
	// given up).
	Ctx     context.Context
	Tokens  TokenOptions
	Context int // characters of context on each side (default 10)
	// ContextLinks are further existing links of the page (titles) that its text does
	// not show, for the relatedness feature: the backtest, which recommends into a
	// sentence stripped of its links, passes the page's other links (Dict.OtherLinks).
	ContextLinks []string
}

// MaxCandidates is the number of most linked candidates scored per mention.
const MaxCandidates = 10

// MaxRecommendGram is the longest mention, in words, looked for in a page.
const MaxRecommendGram = 5

// Recommendation is one link the model would add. Its JSON form has the service's
// keys, in the service's (sorted) order.
type Recommendation struct {
	ContextAfter  string  `json:"context_after"`
	ContextBefore string  `json:"context_before"`
	LinkIndex     int     `json:"link_index"`
	LinkTarget    string  `json:"link_target"`
	LinkText      string  `json:"link_text"`
	MatchIndex    int     `json:"match_index"`
	Score         float64 `json:"score"`
	// WikitextOffset is where the link text starts in the page's wikitext, in
	// characters (code points), as the service reports it; ByteOffset in bytes.
	WikitextOffset int `json:"wikitext_offset"`
	ByteOffset     int `json:"-"`
}

// Result is what Recommend returns.
type Result struct {
	Links []Recommendation
	Info  string // why the work stopped early, if it did
}

// Recommend returns the links the model would add to a page (docs/reference.md
// "Recommending links in a page"): it walks the page's sections and their top-level
// text nodes; every n-gram of 5..1 words is a mention; mentions that are already linked
// (or part of a linked anchor), whose candidates include an already linked target, or
// that were tested before are skipped; for the others the 10 most linked candidates are
// scored and the best is kept if its probability reaches the threshold; the link goes
// at the first whole-word occurrence of the mention's text in the node that is not
// inside a link. The page's own title counts as linked. A model trained with other
// CandidateRules (ModelCandidates) gets its mentions and candidates by those rules.
//
// Where the reference differs: offsets are exact byte positions of the link text
// (the reference searches the first occurrence in the page of the node's text and
// lower-cases before matching), and match_index counts occurrences in the original
// text of the preceding nodes (the reference counts in nodes where links were already
// inserted).
func Recommend(d *Dict, model Scorer, page, text string, o RecommendOptions) Result {
	if o.Context <= 0 {
		o.Context = 10
	}
	var res Result
	set, err := featureSetOf(model)
	if err == nil {
		err = d.Supports(set)
	}
	var rules CandidateRules
	if err == nil {
		rules, err = candidateRulesOf(model)
	}
	if err != nil {
		res.Info = "no recommendations: " + err.Error()
		return res
	}
	extended := set.Extended()
	v2 := set.IsV2()
	find := findWholeWord
	if v2 {
		// v2 models: the multilingual tokens, and mentions matched anywhere.
		o.Tokens = V2Tokens
		find = findAnywhere
	}
	lookup := d.mentions(rules)
	gold, goldOrder := d.Gold(text, false)
	linkedMentions := newSubstrings()
	linkedLinks := map[string]bool{}
	for a, l := range gold {
		linkedMentions.add(a)
		linkedLinks[l] = true
	}
	pageMention := NormalizeMention(page, d.Lower)
	if !rules.ExactTitle {
		linkedMentions.add(pageMention) // every mention it contains is blocked
	}
	linkedLinks[wikitext.NormalizeTitle(page)] = true
	tested := map[string]bool{}
	var pctx *PageContext
	if extended {
		links := make([]string, 0, len(goldOrder)+len(o.ContextLinks))
		for _, a := range goldOrder {
			links = append(links, gold[a])
		}
		pctx = d.NewPageContext(page, append(links, o.ContextLinks...))
	}

	exclude := map[string]bool{}
	excludeLead := false
	for _, s := range o.SectionsToExclude {
		if s == "%LEAD%" {
			excludeLead = true
		}
		exclude[casefold(s)] = true
	}
	ctx := o.Ctx
	if ctx == nil {
		ctx = context.Background()
	}
	if !o.Deadline.IsZero() {
		var cancel context.CancelFunc
		ctx, cancel = context.WithDeadline(ctx, o.Deadline)
		defer cancel()
	}
	sections, err := wikitext.SectionsContext(ctx, text)
	if err != nil {
		res.Info = stoppedBy(err)
		return res
	}
	// All top-level text nodes of the page in order, for match_index.
	var allNodes []wikitext.Span
	for _, s := range sections {
		allNodes = append(allNodes, s.Texts...)
	}
	nodeIndex := 0
	runes := newRuneCounter(text)
	var cands []scored
	grams := 0
	sc := scratchPool.Get().(*scratch)
	defer scratchPool.Put(sc)
	sc.grams.Reset()
	for _, sec := range sections {
		skip := (sec.Lead && excludeLead) || (!sec.Lead && exclude[casefold(sec.Heading)])
		for _, node := range sec.Texts {
			ni := nodeIndex
			nodeIndex++
			if skip {
				continue
			}
			nodeText := text[node.Start:node.End]
			var taken []wikitext.Span // inserted links, relative to the node
			// The node's mentions that are anchors, in the order first found, each
			// with the text of its last occurrence (the reference's dict of grams).
			mentions := sc.mentions[:0]
			pos := sc.pos
			clear(pos)
			stop := false
			sc.grams.Each(nodeText, MaxRecommendGram, 1, o.Tokens, d.Lower, func(g, m []byte) {
				if stop {
					return
				}
				grams++
				if grams%1024 == 0 && ctx.Err() != nil {
					stop = true
					return
				}
				// Grams that are no mention under the rules are never linked: looked
				// up without allocating, they cost nothing more.
				mm := lookup.find(m)
				if mm == nil {
					return
				}
				if i, ok := pos[string(m)]; ok {
					if mentions[i].original != string(g) {
						mentions[i].original = string(g)
					}
					return
				}
				low := string(m)
				pos[low] = len(mentions)
				p := math.NaN()
				if extended {
					if i := strings.Index(nodeText, string(g)); i >= 0 {
						p = float64(node.Start+i) / float64(len(text))
					}
				}
				mentions = append(mentions, mention{lower: low, original: string(g), mm: mm, position: p})
			})
			sc.mentions = mentions
			if stop {
				res.Info = stoppedBy(ctx.Err())
				return res
			}
			for _, mt := range mentions {
				mm := mt.mm
				if tested[mt.lower] || linkedMentions.contains(mt.lower) || anyLinked(mm, linkedLinks) ||
					(rules.ExactTitle && mt.lower == pageMention) {
					continue
				}
				best, ok := bestCandidate(d, model, set, pctx, page, mt.lower, mt.position, mm, o.Threshold, &cands, v2)
				tested[mt.lower] = true
				if !ok {
					continue
				}
				linkedMentions.add(mt.lower)
				linkedLinks[best.title] = true
				at := find(nodeText, mt.original, taken)
				if at < 0 {
					continue
				}
				taken = append(taken, wikitext.Span{Start: at, End: at + len(mt.original)})
				off := node.Start + at
				matchIndex := strings.Count(nodeText[:at], mt.original)
				for _, prev := range allNodes[:ni] {
					matchIndex += strings.Count(text[prev.Start:prev.End], mt.original)
				}
				res.Links = append(res.Links, Recommendation{
					LinkTarget:     best.title,
					LinkText:       mt.original,
					Score:          float64(best.p),
					WikitextOffset: runes.at(off),
					ByteOffset:     off,
					MatchIndex:     matchIndex,
					ContextBefore:  lastRunes(nodeText[:at], o.Context),
					ContextAfter:   firstRunes(nodeText[at+len(mt.original):], o.Context),
					LinkIndex:      len(res.Links),
				})
				if o.MaxRecommendations > 0 && len(res.Links) >= o.MaxRecommendations {
					res.Info = fmt.Sprintf("stopped: %d recommendations reached", o.MaxRecommendations)
					return res
				}
			}
		}
	}
	return res
}

// mention is a gram of a text node that is an anchor: lower-cased (the anchor), as in
// the text, its candidates and its relative position (extended models).
type mention struct {
	lower, original string
	mm              *Mention
	position        float64
}

// scratch holds what Recommend reuses from one text node and one request to the next.
type scratch struct {
	grams    Grams
	mentions []mention
	pos      map[string]int
}

var scratchPool = sync.Pool{New: func() any { return &scratch{pos: map[string]int{}} }}

type scored struct {
	title string
	p     float32
}

// bestCandidate scores the most linked candidates of a mention and returns the most
// probable one if it reaches the threshold (the first of equal ones).
// A v2 model's ngram input is NGramTokens of the mention, and its wiki input 0.
func bestCandidate(d *Dict, model Scorer, set FeatureSet, pctx *PageContext, page, mention string, pos float64, mm *Mention, threshold float64, buf *[]scored, v2 bool) (scored, bool) {
	cands := mm.Candidates
	if len(cands) > MaxCandidates {
		cands = cands[:MaxCandidates]
	}
	ngram := -1
	if v2 {
		ngram = NGramTokens(mention)
	}
	*buf = (*buf)[:0]
	for _, c := range cands {
		var f Features
		var ok bool
		if pctx != nil {
			f, ok = d.featuresAt(mm, pctx, mention, c.Title, pos)
		} else {
			f, ok = d.featuresOf(mm, page, mention, c.Title)
		}
		if !ok {
			continue
		}
		if ngram >= 0 {
			f.NGram = ngram
		}
		*buf = append(*buf, scored{c.Title, model.Predict(f.AppendVector(make([]float32, 0, len(set)), set))})
	}
	if len(*buf) == 0 {
		return scored{}, false
	}
	best := (*buf)[0]
	for _, s := range (*buf)[1:] {
		if s.p > best.p {
			best = s
		}
	}
	if float64(best.p) < threshold {
		return scored{}, false
	}
	return best, true
}

func anyLinked(m *Mention, linked map[string]bool) bool {
	for _, c := range m.Candidates {
		if linked[c.Title] {
			return true
		}
	}
	return false
}

// findWholeWord returns the byte offset of the first occurrence of w in s that starts
// and ends at word boundaries (Python's \b), is not preceded by "[[" or "-->", is not
// followed by word characters and spaces and then "]" (inside a link's text), and
// does not overlap a taken span; -1 if there is none.
func findWholeWord(s, w string, taken []wikitext.Span) int { return findMention(s, w, taken, true) }

// findMention is findWholeWord, or findAnywhere when boundaries is false.
func findMention(s, w string, taken []wikitext.Span, boundaries bool) int {
	if w == "" {
		return -1
	}
	from := 0
	for from <= len(s)-len(w) {
		k := strings.Index(s[from:], w)
		if k < 0 {
			return -1
		}
		at := from + k
		end := at + len(w)
		from = at + 1
		for from < len(s) && !utf8.RuneStart(s[from]) {
			from++
		}
		if boundaries && (!boundary(s, at) || !boundary(s, end)) {
			continue
		}
		if strings.HasSuffix(s[:at], "[[") || strings.HasSuffix(s[:at], "-->") {
			continue
		}
		if insideLinkText(s[end:]) {
			continue
		}
		overlap := false
		for _, t := range taken {
			if at < t.End && end > t.Start {
				overlap = true
				break
			}
		}
		if !overlap {
			return at
		}
	}
	return -1
}

// boundary is Python's \b at byte i of s, except that next to a character of a script
// written without spaces every position is a boundary (words there are not delimited).
func boundary(s string, i int) bool {
	before, after := false, false
	if i > 0 {
		r, _ := utf8.DecodeLastRuneInString(s[:i])
		before = isWord(r)
		if unspacedRune(r) {
			return true
		}
	}
	if i < len(s) {
		r, _ := utf8.DecodeRuneInString(s[i:])
		after = isWord(r)
		if unspacedRune(r) && !unicode.IsMark(r) {
			return true
		}
	}
	return before != after
}

// insideLinkText is the lookahead (?=[\w\s]*\]).
func insideLinkText(rest string) bool {
	for _, r := range rest {
		switch {
		case r == ']':
			return true
		case isWord(r) || wikitext.IsPySpace(r):
		default:
			return false
		}
	}
	return false
}

func casefold(s string) string { return strings.ToLower(strings.TrimSpace(s)) }

func lastRunes(s string, n int) string {
	i := len(s)
	for k := 0; k < n && i > 0; k++ {
		_, size := utf8.DecodeLastRuneInString(s[:i])
		i -= size
	}
	return s[i:]
}

func firstRunes(s string, n int) string {
	i := 0
	for k := 0; k < n && i < len(s); k++ {
		_, size := utf8.DecodeRuneInString(s[i:])
		i += size
	}
	return s[:i]
}

// substrings answers "is m a substring of one of the added strings" quickly by
// searching one joined string.
type substrings struct {
	joined strings.Builder
	cache  map[string]bool
}

func newSubstrings() *substrings { return &substrings{cache: map[string]bool{}} }

func (s *substrings) add(m string) {
	s.joined.WriteString(m)
	s.joined.WriteByte(0)
	for k, v := range s.cache {
		if !v {
			delete(s.cache, k)
		}
	}
}

func (s *substrings) contains(m string) bool {
	if v, ok := s.cache[m]; ok {
		return v
	}
	v := strings.Contains(s.joined.String(), m)
	s.cache[m] = v
	return v
}

// runeCounter converts byte offsets of a text to code-point offsets, for offsets
// asked in increasing order mostly.
type runeCounter struct {
	text        string
	byteAt, rAt int
}

func newRuneCounter(s string) *runeCounter { return &runeCounter{text: s} }

func (c *runeCounter) at(b int) int {
	if b < c.byteAt {
		c.byteAt, c.rAt = 0, 0
	}
	c.rAt += utf8.RuneCountInString(c.text[c.byteAt:b])
	c.byteAt = b
	return c.rAt
}

// SortedTitles is a helper for deterministic output of title sets.
func SortedTitles(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// stoppedBy is Result.Info for work stopped by err, a context's error.
func stoppedBy(err error) string {
	if errors.Is(err, context.DeadlineExceeded) {
		return "stopped: the time budget was reached"
	}
	return "stopped: " + err.Error()
}
