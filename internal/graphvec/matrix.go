// Package graphvec computes one vector per article from a wiki's link graph: the
// articles' links become a sparse article-by-feature matrix weighted by positive
// pointwise mutual information (PPMI), and a truncated randomized singular value
// decomposition of it gives each article the coordinates of its row in the leading
// singular directions, scaled by the square roots of the singular values.
//
// The work is split into blocks of rows of a fixed size, whatever the number of
// threads, and every sum over rows adds the blocks' partial sums in block order, so
// the vectors are the same bytes for any Params.Threads. Memory is the graph (the
// matrix and its transpose) and a few tall matrices of Dim+Oversample float32 columns
// per article; no text is read.
package graphvec

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"sync"
)

// Edge is a link from article From to article To, both indices into the article list.
type Edge struct{ From, To int32 }

// Params configures the vectors.
type Params struct {
	// Dim is the vectors' dimension (50, the skip-gram vectors' own). Articles of a
	// graph of lower rank get zeros in the dimensions beyond it.
	Dim int
	// Oversample is how many directions beyond Dim the randomized decomposition
	// follows (10).
	Oversample int
	// Iterations is the number of power iterations (4): more follow the leading
	// singular directions more closely.
	Iterations int
	// Smoothing raises the features' counts to this power in the PPMI's feature
	// distribution (0.75), which keeps rare features from dominating.
	Smoothing float64
	// Inlinks adds an article's inlinks to its features (a link a->b is then a feature
	// of b too): an article is described by the articles it links and that link it.
	Inlinks bool
	// Self adds each article with a link as a feature of itself, so that an article
	// and the articles it links share a feature.
	Self bool
	// Seed seeds the random starting directions.
	Seed uint64
	// Threads is how many goroutines work at once; the vectors do not depend on it.
	Threads int
}

// DefaultParams returns the stage's defaults.
func DefaultParams() Params {
	return Params{Dim: 50, Oversample: 10, Iterations: 4, Smoothing: 0.75, Inlinks: true, Self: true, Seed: 1, Threads: 1}
}

// Validate checks the parameters.
func (p Params) Validate() error {
	switch {
	case p.Dim <= 0:
		return errors.New("graphvec: the dimension must be positive")
	case p.Oversample < 0 || p.Iterations < 0:
		return errors.New("graphvec: oversampling and iterations must not be negative")
	case !(p.Smoothing > 0 && p.Smoothing <= 1):
		return fmt.Errorf("graphvec: smoothing %v is not in (0, 1]", p.Smoothing)
	}
	return nil
}

// Matrix is a sparse matrix in compressed rows: row i's entries are Col[Start[i]:Start[i+1]]
// (increasing) and Val at the same places.
type Matrix struct {
	Rows, Cols int
	Start      []int64
	Col        []int32
	Val        []float32
}

// NNZ returns the number of stored entries.
func (m *Matrix) NNZ() int { return len(m.Col) }

// Row returns row i's columns and values.
func (m *Matrix) Row(i int) ([]int32, []float32) {
	a, b := m.Start[i], m.Start[i+1]
	return m.Col[a:b], m.Val[a:b]
}

// Transpose returns m's transpose, built on up to threads goroutines, each taking the
// entries of a span of m's rows: the result does not depend on their number. Each
// span counts its entries per column (4 bytes a column), so there are at most as many
// spans as entries per column on average: that memory stays within the matrix's.
func (m *Matrix) Transpose(threads int) *Matrix {
	return m.transpose(threads, nil, nil)
}

// transpose is Transpose writing the entries to col and val when they have room for
// them (their contents do not matter: every entry is written).
func (m *Matrix) transpose(threads int, col []int32, val []float32) *Matrix {
	nnz := len(m.Col)
	if cap(col) < nnz || cap(val) < nnz {
		col, val = make([]int32, nnz), make([]float32, nnz)
	}
	t := &Matrix{Rows: m.Cols, Cols: m.Rows, Start: make([]int64, m.Cols+1), Col: col[:nnz:nnz], Val: val[:nnz:nnz]}
	if m.Cols > 0 {
		threads = min(threads, max(1, nnz/m.Cols))
	}
	rows := spans(m.Rows, threads, m.Start)
	// at[s][c] is first the number of entries of span s in column c, then where in
	// the transpose's row c the span writes its next one: after those of the spans
	// before it, so that each transposed row's columns (m's rows) increase.
	at := make([][]int32, len(rows)-1)
	onSpans(rows, func(s, lo, hi int) {
		at[s] = make([]int32, m.Cols)
		for _, c := range m.Col[m.Start[lo]:m.Start[hi]] {
			at[s][c]++
		}
	})
	for c := 0; c < m.Cols; c++ {
		var n int32
		for _, a := range at {
			a[c], n = n, n+a[c]
		}
		t.Start[c+1] = t.Start[c] + int64(n)
	}
	onSpans(rows, func(s, lo, hi int) {
		next := at[s]
		for i := lo; i < hi; i++ {
			cols, vals := m.Row(i)
			for k, c := range cols {
				j := t.Start[c] + int64(next[c])
				t.Col[j], t.Val[j] = int32(i), vals[k]
				next[c]++
			}
		}
	})
	return t
}

// spans splits [0, n) into up to threads contiguous spans and returns their bounds
// (spans i is [b[i], b[i+1])): of about equal weight when cum is given (cum[i] is the
// weight of [0, i), n+1 of them, non-decreasing), of equal length otherwise.
func spans(n, threads int, cum []int64) []int {
	threads = max(1, min(threads, n))
	b := make([]int, 1, threads+1)
	for k := 1; k < threads; k++ {
		var at int
		if cum == nil {
			at = int(int64(n) * int64(k) / int64(threads))
		} else {
			target := cum[0] + (cum[n]-cum[0])*int64(k)/int64(threads)
			at, _ = slices.BinarySearch(cum, target)
			at = min(at, n)
		}
		if at > b[len(b)-1] {
			b = append(b, at)
		}
	}
	if len(b) == 1 || b[len(b)-1] < n {
		b = append(b, n)
	}
	return b
}

// splitEdges cuts the total edges of all the parts, in order, into up to k pieces of
// about equal numbers of edges (each piece a list of slices of the parts).
func splitEdges(parts [][]Edge, total int64, k int) [][][]Edge {
	k = max(1, k)
	size := (total + int64(k) - 1) / int64(k)
	pieces := make([][][]Edge, 0, k)
	var cur [][]Edge
	var have int64
	for _, e := range parts {
		for len(e) > 0 {
			take := min(int64(len(e)), size-have)
			cur = append(cur, e[:take])
			e = e[take:]
			if have += take; have == size {
				pieces = append(pieces, cur)
				cur, have = nil, 0
			}
		}
	}
	if len(cur) > 0 || len(pieces) == 0 {
		pieces = append(pieces, cur)
	}
	return pieces
}

// onSpans calls fn(s, lo, hi) for each span s of bounds (see spans), on the caller's
// goroutine when there is one span, on a goroutine each otherwise, and returns when
// all have.
func onSpans(bounds []int, fn func(s, lo, hi int)) {
	if len(bounds) == 2 {
		fn(0, bounds[0], bounds[1])
		return
	}
	var wg sync.WaitGroup
	for s := 0; s+1 < len(bounds); s++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			fn(s, bounds[s], bounds[s+1])
		}()
	}
	wg.Wait()
}

// BuildMatrix returns the PPMI-weighted article-by-feature matrix of n articles and
// their links: row i has a feature j for each article j that i links (and that links
// i with p.Inlinks; i itself with p.Self when i has any link). Repeated links count
// once, self-links are dropped. The weight of feature j in row i is
// max(0, log(1 / (r_i * q_j))), where r_i is row i's number of features and q_j is
// feature j's number of rows raised to p.Smoothing over the sum of those over all
// features; entries of weight 0 are not stored. An edge naming an article outside
// [0, n) is an error. The edges' order does not matter and the slice is not modified.
// The work is split into pieces of the edges, then spans of rows (or of features), on
// p.Threads goroutines: the matrix does not depend on their number.
func BuildMatrix(n int, edges []Edge, p Params) (*Matrix, error) {
	m, _, _, err := buildMatrix(n, [][]Edge{edges}, p)
	return m, err
}

// buildMatrix is BuildMatrix of the edges of all the parts, and also returns the
// arrays of columns and values it built the matrix in (at least the matrix's number of
// entries each), now free.
func buildMatrix(n int, parts [][]Edge, p Params) (*Matrix, []int32, []float32, error) {
	if n < 0 || n > math.MaxInt32 {
		return nil, nil, nil, fmt.Errorf("graphvec: %d articles", n)
	}
	threads := max(1, p.Threads)
	// perRow caps the goroutines of a step that keeps an array of n counts each at
	// the entries per row of what it counts, so that the counts take no more memory
	// than that does.
	perRow := func(entries int64) int { return min(threads, max(1, int(entries/int64(max(1, n))))) }
	// The edges in pieces of about equal size, one a goroutine; each piece first
	// counts the features it gives each row (repeats included; a bucket sort by row),
	// checking its edges on the way.
	var edgeCount int64
	for _, edges := range parts {
		edgeCount += int64(len(edges))
	}
	pieces := splitEdges(parts, edgeCount, perRow(edgeCount))
	at := make([][]int64, len(pieces))
	bad := make([]error, len(pieces))
	onSpans(spans(len(pieces), len(pieces), nil), func(s, _, _ int) {
		cnt := make([]int64, n)
		for _, edges := range pieces[s] {
			for _, e := range edges {
				if e.From < 0 || int(e.From) >= n || e.To < 0 || int(e.To) >= n {
					bad[s] = fmt.Errorf("graphvec: link %d -> %d outside the %d articles", e.From, e.To, n)
					return
				}
				if e.From == e.To {
					continue
				}
				cnt[e.From]++
				if p.Inlinks {
					cnt[e.To]++
				}
			}
		}
		at[s] = cnt
	})
	for _, err := range bad {
		if err != nil {
			return nil, nil, nil, err
		}
	}
	// Each row's bucket: the pieces' features, then itself (with p.Self, for a row
	// with any); at[s][i] becomes where piece s writes row i's next feature.
	start := make([]int64, n+1)
	for i := 0; i < n; i++ {
		k := start[i]
		for _, cnt := range at {
			cnt[i], k = k, k+cnt[i]
		}
		if p.Self && k > start[i] {
			k++
		}
		start[i+1] = k
	}
	col := make([]int32, start[n])
	onSpans(spans(len(pieces), len(pieces), nil), func(s, _, _ int) {
		next := at[s]
		for _, edges := range pieces[s] {
			for _, e := range edges {
				if e.From == e.To {
					continue
				}
				col[next[e.From]] = e.To
				next[e.From]++
				if p.Inlinks {
					col[next[e.To]] = e.From
					next[e.To]++
				}
			}
		}
	})
	at = nil
	// Each row sorted, its repeats dropped: rowCount[i] features at the bucket's head.
	// Then the features' numbers of rows, counted by every span of rows for its rows
	// and added up by spans of features.
	rowSpans := spans(n, perRow(start[n]), start)
	rowCount := make([]int64, n)
	colCounts := make([][]int32, len(rowSpans)-1)
	onSpans(rowSpans, func(s, lo, hi int) {
		cc := make([]int32, n)
		for i := lo; i < hi; i++ {
			if p.Self && start[i+1] > start[i] {
				col[start[i+1]-1] = int32(i)
			}
			r := col[start[i]:start[i+1]]
			slices.Sort(r)
			r = slices.Compact(r)
			rowCount[i] = int64(len(r))
			for _, c := range r {
				cc[c]++
			}
		}
		colCounts[s] = cc
	})
	colCount := make([]int64, n)
	onSpans(spans(n, threads, nil), func(_, lo, hi int) {
		for _, cc := range colCounts {
			for j, c := range cc[lo:hi] {
				colCount[lo+j] += int64(c)
			}
		}
	})
	colCounts = nil
	alpha := p.Smoothing
	if alpha == 0 {
		alpha = 1
	}
	colW := make([]float64, n)
	onSpans(spans(n, threads, nil), func(_, lo, hi int) {
		for j := lo; j < hi; j++ {
			if c := colCount[j]; c > 0 {
				colW[j] = math.Pow(float64(c), alpha)
			}
		}
	})
	var total float64 // in the features' order, whatever the threads
	for _, w := range colW {
		total += w
	}
	// The weights, log(1 / (r_i * q_j)) with q_j = colW[j] / total; the positive ones
	// kept at the bucket's head, kept[i] of them.
	val := make([]float32, len(col))
	kept := make([]int64, n+1)
	onSpans(spans(n, threads, start), func(_, lo, hi int) {
		for i := lo; i < hi; i++ {
			a, k := start[i], start[i]
			for _, c := range col[a : a+rowCount[i]] {
				w := math.Log(total / (float64(rowCount[i]) * colW[c]))
				if !(w > 0) {
					continue
				}
				col[k], val[k] = c, float32(w)
				k++
			}
			kept[i+1] = k - a
		}
	})
	m := &Matrix{Rows: n, Cols: n, Start: kept}
	for i := 0; i < n; i++ {
		m.Start[i+1] += m.Start[i]
	}
	m.Col = make([]int32, m.Start[n])
	m.Val = make([]float32, m.Start[n])
	onSpans(spans(n, threads, m.Start), func(_, lo, hi int) {
		for i := lo; i < hi; i++ {
			a, b := m.Start[i], m.Start[i+1]
			copy(m.Col[a:b], col[start[i]:])
			copy(m.Val[a:b], val[start[i]:])
		}
	})
	return m, col, val, nil
}
