package linker

import (
	"math"

	"github.com/addlink/addlink/datasets"
)

// MaxContextLinks is the number of the page's existing links (the first ones) the
// relatedness feature compares a candidate with.
const MaxContextLinks = 30

// LinkGraph is the articles' link graph in compressed rows: for each article (numbered
// densely) its out-links in page order and its in-links sorted.
type LinkGraph struct {
	node     map[int64]int32 // page id -> node
	titles   []string        // node -> title
	outStart []int32
	out      []int32
	inStart  []int32
	in       []int32
	logN     float64 // log of the number of articles
}

// NewLinkGraph builds the graph of the links between the articles pageids names.
// Links whose ends are not among them are dropped.
func NewLinkGraph(pageids []datasets.PageID, links []datasets.Link) *LinkGraph {
	g := &LinkGraph{node: make(map[int64]int32, len(pageids))}
	for _, p := range pageids {
		if _, ok := g.node[p.PageID]; !ok {
			g.node[p.PageID] = int32(len(g.node))
			g.titles = append(g.titles, p.Title)
		}
	}
	n := len(g.node)
	g.logN = math.Log(float64(max(n, 1)))
	type edge struct{ from, to int32 }
	edges := make([]edge, 0, len(links))
	outCount := make([]int32, n+1)
	inCount := make([]int32, n+1)
	for _, l := range links {
		a, ok1 := g.node[l.PageID]
		b, ok2 := g.node[l.TargetID]
		if !ok1 || !ok2 || a == b {
			continue
		}
		edges = append(edges, edge{a, b})
		outCount[a+1]++
		inCount[b+1]++
	}
	for i := 1; i <= n; i++ {
		outCount[i] += outCount[i-1]
		inCount[i] += inCount[i-1]
	}
	g.outStart, g.inStart = outCount, inCount
	g.out = make([]int32, len(edges))
	g.in = make([]int32, len(edges))
	op := append([]int32(nil), outCount[:n]...)
	ip := append([]int32(nil), inCount[:n]...)
	// Edges are filled in input order: out-links keep page order; in-links are sorted
	// because the source articles are visited in increasing node order below.
	for _, e := range edges {
		g.out[op[e.from]] = e.to
		op[e.from]++
	}
	for a := int32(0); int(a) < n; a++ {
		for _, b := range g.out[g.outStart[a]:g.outStart[a+1]] {
			g.in[ip[b]] = a
			ip[b]++
		}
	}
	return g
}

// Node returns the node of a page id.
func (g *LinkGraph) Node(pageID int64) (int32, bool) {
	n, ok := g.node[pageID]
	return n, ok
}

// Title returns the title of a node.
func (g *LinkGraph) Title(n int32) string { return g.titles[n] }

// Out returns the articles a node links, in page order (shared: do not modify).
func (g *LinkGraph) Out(n int32) []int32 { return g.out[g.outStart[n]:g.outStart[n+1]] }

// In returns the articles that link a node, sorted (shared: do not modify).
func (g *LinkGraph) In(n int32) []int32 { return g.in[g.inStart[n]:g.inStart[n+1]] }

// Relatedness is Milne and Witten's (2008) link-based relatedness of two articles from
// their sets of in-links A and B among W articles:
// 1 - (log max(|A|,|B|) - log |A∩B|) / (log W - log min(|A|,|B|)), clamped to [0, 1],
// 0 when they share no in-link.
func (g *LinkGraph) Relatedness(a, b int32) float64 {
	if a == b {
		return 1
	}
	A, B := g.In(a), g.In(b)
	if len(A) == 0 || len(B) == 0 {
		return 0
	}
	common := intersect(A, B)
	if common == 0 {
		return 0
	}
	lo, hi := float64(min(len(A), len(B))), float64(max(len(A), len(B)))
	den := g.logN - math.Log(lo)
	if den <= 0 {
		return 0
	}
	r := 1 - (math.Log(hi)-math.Log(float64(common)))/den
	return min(max(r, 0), 1)
}

// intersect counts the common values of two sorted lists.
func intersect(a, b []int32) int {
	if len(a) > len(b) {
		a, b = b, a
	}
	n := 0
	if len(b) > 16*len(a) {
		// Binary search of the short list's values in the long one.
		lo := 0
		for _, v := range a {
			i, j := lo, len(b)
			for i < j {
				h := int(uint(i+j) >> 1)
				if b[h] < v {
					i = h + 1
				} else {
					j = h
				}
			}
			if i < len(b) && b[i] == v {
				n++
			}
			lo = i
		}
		return n
	}
	i, j := 0, 0
	for i < len(a) && j < len(b) {
		switch {
		case a[i] < b[j]:
			i++
		case a[i] > b[j]:
			j++
		default:
			n++
			i++
			j++
		}
	}
	return n
}

// ContextRelatedness is the relatedness feature: the mean relatedness of the candidate
// node to the context nodes other than itself; NaN when there are none.
func (g *LinkGraph) ContextRelatedness(cand int32, context []int32) float64 {
	sum, n := 0.0, 0
	for _, c := range context {
		if c == cand {
			continue
		}
		sum += g.Relatedness(cand, c)
		n++
	}
	if n == 0 {
		return math.NaN()
	}
	return sum / float64(n)
}
