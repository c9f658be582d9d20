package dictionaries

import (
	"bytes"
	"context"
	"slices"
	"strings"

	"github.com/addlink/addlink/datasets"
	"github.com/addlink/addlink/internal/dump"
	"github.com/addlink/addlink/internal/wikitext"
)

// The per-page work of the stage, exported so that addlink-beam (the beam/ module: the
// same stage as an Apache Beam pipeline) runs the very same rules. Run uses them too.

// Classify tells what the stage makes of a page: the normalised title of an article
// (main namespace, with text, no redirect); or, for a redirect in the main namespace,
// its normalised title and target. ok is false for every other page.
func Classify(pg *dump.Page) (title, redirectTo string, ok bool) {
	if pg.NS != 0 || pg.Text == "" {
		return "", "", false
	}
	return wikitext.NormalizeTitle(pg.Title), wikitext.NormalizeTitle(pg.Redirect), true
}

// ArticleReader reads the links and the anchor-counting text of one article at a time
// with a wiki's lower-casing rules. Its results share its buffers: they are valid until
// the next call. It is not safe for concurrent use.
type ArticleReader struct {
	lower   func(string) string
	pyLower bool
	pairs   [][2]string
	spans   [][2]int
	bufs    textBuffers
}

// NewArticleReader returns an ArticleReader for wiki (its language decides the
// lower-casing: Python's, except for the Turkic languages).
func NewArticleReader(wiki string) *ArticleReader {
	lang := datasets.Language(wiki)
	return &ArticleReader{lower: wikitext.LowerFor(lang), pyLower: wikitext.PythonLower(lang)}
}

// Links returns the links of an article's wikitext as (anchor, target) pairs sorted by
// anchor, then target: targets normalised as titles, anchors (the target when the link
// has no text) normalised and lower-cased. Links without a target are left out.
func (a *ArticleReader) Links(text string) [][2]string {
	pairs, spans := a.pairs[:0], a.spans[:0]
	wikitext.ScanLinks(text, func(l wikitext.Link) bool {
		spans = append(spans, [2]int{l.Start, l.End}) // replaced in the text
		link := wikitext.NormalizeTitle(l.Target)
		if link == "" {
			return true
		}
		anchor := l.Anchor
		if anchor == "" {
			anchor = link
		}
		pairs = append(pairs, [2]string{wikitext.NormalizeAnchorWith(anchor, a.lower), link})
		return true
	})
	slices.SortFunc(pairs, func(a, b [2]string) int {
		if c := strings.Compare(a[0], b[0]); c != 0 {
			return c
		}
		return strings.Compare(a[1], b[1])
	})
	a.pairs, a.spans = pairs, spans
	return pairs
}

// AppendText appends to dst the text the anchors are counted in of the article last
// given to Links (text must be the same wikitext): lower-cased chunks of its plain
// text, one per line ending in '\n', words separated by single spaces.
func (a *ArticleReader) AppendText(dst []byte, text string) []byte {
	return appendTextChunks(dst, text, a.spans, a.lower, a.pyLower, &a.bufs)
}

// AppendTextContext is AppendText that stops early, with ctx's error, when ctx is done,
// whatever the size of the page.
func (a *ArticleReader) AppendTextContext(ctx context.Context, dst []byte, text string) ([]byte, error) {
	return appendTextChunksContext(ctx, dst, text, a.spans, a.lower, a.pyLower, &a.bufs)
}

// SplitByAnchor goes through an article's sorted pairs (from Links) by anchor: for an
// anchor written with one target it calls single with the number of its links; the
// pairs of an anchor written with several targets, which can only be counted once the
// targets are resolved, are appended to several, which is returned.
func SplitByAnchor(pairs [][2]string, single func(anchor, target string, links int64), several [][2]string) [][2]string {
	for i := 0; i < len(pairs); {
		j := i + 1
		for j < len(pairs) && pairs[j][0] == pairs[i][0] {
			j++
		}
		if pairs[i][1] != pairs[j-1][1] { // sorted: several targets
			several = append(several, pairs[i:j]...)
		} else {
			single(pairs[i][0], pairs[i][1], int64(j-i))
		}
		i = j
	}
	return several
}

// ExcludedAnchor reports the anchors the reference leaves out once the links are
// resolved: empty, all digits, or digits separated by one '/' or '-' (12/3, 1999-2000).
func ExcludedAnchor(a string) bool { return excludedAnchor(a) }

// AnchorStat is the row of the link-probability statistics of an anchor linked aslink
// times and found astext times in the text; it is kept when its link probability is
// at least MinLinkProb.
func AnchorStat(anchor string, aslink, astext int64) datasets.AnchorStat {
	lp := float64(aslink) / float64(astext+aslink)
	st := datasets.AnchorStat{Anchor: anchor, AsLink: aslink, AsText: astext, LinkProb: lp}
	if lp >= MinLinkProb {
		st.Kept = 1
	}
	return st
}

// AnchorCounter counts occurrences of a set of anchors in text from AppendText. It is
// read-only once built: its methods may be called concurrently with their own counts.
type AnchorCounter struct{ t *anchorTrie }

// NewAnchorCounter builds the counter of the anchors in index (anchor -> its index in
// the counts; the anchors counted are those linked more than once).
func NewAnchorCounter(index map[string]int) *AnchorCounter {
	return &AnchorCounter{newAnchorTrie(index)}
}

// Count adds to counts[i] the occurrences of anchor i as an n-gram (n <= 10) of each
// line of text. ids is scratch space, returned for reuse.
func (c *AnchorCounter) Count(text []byte, counts []int64, ids []uint32) []uint32 {
	for len(text) > 0 {
		line := text
		if i := bytes.IndexByte(text, '\n'); i >= 0 {
			line, text = text[:i], text[i+1:]
		} else {
			text = nil
		}
		if len(line) > 0 {
			ids = c.t.countLine(line, counts, ids)
		}
	}
	return ids
}
