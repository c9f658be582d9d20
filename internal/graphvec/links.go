package graphvec

import (
	"github.com/addlink/addlink/internal/wikitext"
)

// Resolver maps link targets to articles the way the skip-gram corpus does: the target
// normalised (wikitext.NormalizeTitle), through one redirect, kept when it is an
// article. It is safe for concurrent use once built.
type Resolver struct {
	index    map[string]int32
	redirect map[string]string
}

// TitleIndex returns the index of the articles titles: article i is titles[i].
func TitleIndex(titles []string) map[string]int32 {
	index := make(map[string]int32, len(titles))
	for i, t := range titles {
		index[t] = int32(i)
	}
	return index
}

// NewResolver returns a resolver over the articles of index (see TitleIndex) and the
// redirects (from title to target title, both normalised). It keeps both maps, which
// must not be modified after.
func NewResolver(index map[string]int32, redirects map[string]string) *Resolver {
	return &Resolver{index: index, redirect: redirects}
}

// Article returns the index of the article titled t (normalised), if any.
func (r *Resolver) Article(t string) (int32, bool) {
	i, ok := r.index[t]
	return i, ok
}

// Resolve returns the article a link to target (as written) leads to, if any.
func (r *Resolver) Resolve(target string) (int32, bool) {
	t := wikitext.NormalizeTitle(target)
	if to, ok := r.redirect[t]; ok {
		t = to
	}
	i, ok := r.index[t]
	return i, ok
}

// AppendLinks appends to dst an edge from article `from` for each link of text that
// resolves to an article (repeats and self-links included: BuildMatrix drops them).
func (r *Resolver) AppendLinks(dst []Edge, from int32, text string) []Edge {
	wikitext.ScanLinks(text, func(lk wikitext.Link) bool {
		if to, ok := r.Resolve(lk.Target); ok {
			dst = append(dst, Edge{From: from, To: to})
		}
		return true
	})
	return dst
}
