package graphvec

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

func TestEigSym(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for _, n := range []int{1, 2, 7, 30} {
		a := make([]float64, n*n)
		for i := 0; i < n; i++ {
			for j := 0; j <= i; j++ {
				v := r.NormFloat64()
				a[i*n+j], a[j*n+i] = v, v
			}
		}
		vecs, vals := eigSym(a, n)
		for k := 0; k < n; k++ {
			if k > 0 && vals[k] > vals[k-1] {
				t.Errorf("n=%d: eigenvalues not decreasing: %v", n, vals)
			}
			for i := 0; i < n; i++ {
				var av float64
				for j := 0; j < n; j++ {
					av += a[i*n+j] * vecs[j*n+k]
				}
				if d := math.Abs(av - vals[k]*vecs[i*n+k]); d > 1e-9 {
					t.Fatalf("n=%d: (A v - lambda v)[%d] of vector %d = %g", n, i, k, d)
				}
			}
			for l := 0; l < n; l++ {
				var dot float64
				for i := 0; i < n; i++ {
					dot += vecs[i*n+k] * vecs[i*n+l]
				}
				want := 0.0
				if k == l {
					want = 1
				}
				if math.Abs(dot-want) > 1e-9 {
					t.Fatalf("n=%d: vectors %d and %d: dot %g", n, k, l, dot)
				}
			}
		}
	}
}

// randomGraph returns n articles' links, about deg per article, with preferential
// targets (as wikis have hubs).
func randomGraph(n, deg int, seed uint64) []Edge {
	r := rand.New(rand.NewPCG(seed, 7))
	var edges []Edge
	for i := 0; i < n; i++ {
		for k := 0; k < r.IntN(2*deg+1); k++ {
			var to int
			if r.IntN(3) == 0 {
				to = r.IntN(max(1, n/50))
			} else {
				to = (i + 1 + r.IntN(20)) % n // a neighbourhood: a community structure
			}
			edges = append(edges, Edge{int32(i), int32(to)})
		}
	}
	return edges
}

func denseOf(m *Matrix) []float64 {
	d := make([]float64, m.Rows*m.Cols)
	for i := 0; i < m.Rows; i++ {
		cols, vals := m.Row(i)
		for k, c := range cols {
			d[i*m.Cols+int(c)] = float64(vals[k])
		}
	}
	return d
}

// The randomized SVD against the exact one (eigenvectors of M M^T): the vectors' Gram
// matrix is U_k S_k U_k^T.
func TestVectorsMatchExactSVD(t *testing.T) {
	const n = 120
	p := DefaultParams()
	p.Iterations = 6
	m, err := BuildMatrix(n, randomGraph(n, 4, 3), p)
	if err != nil {
		t.Fatal(err)
	}
	d := denseOf(m)
	mmt := make([]float64, n*n)
	for i := 0; i < n; i++ {
		for j := 0; j < n; j++ {
			var s float64
			for k := 0; k < n; k++ {
				s += d[i*n+k] * d[j*n+k]
			}
			mmt[i*n+j] = s
		}
	}
	u, lam := eigSym(mmt, n)
	// A dimension after which the spectrum has a gap (the subspace is then well defined).
	p.Dim = 0
	for k := 12; k >= 3 && p.Dim == 0; k-- {
		if lam[k-1] > lam[k]*1.1 {
			p.Dim = k
		}
	}
	if p.Dim == 0 {
		t.Fatalf("no gap in the spectrum %v: pick another graph", lam[:13])
	}
	v, err := Vectors(context.Background(), m, p)
	if err != nil {
		t.Fatal(err)
	}
	// The singular values (the squared norms of the vectors' columns) to 1e-3; the
	// subspace, whose convergence depends on the spectrum's gaps, more loosely.
	var worstSV float64
	for k := 0; k < p.Dim; k++ {
		var got float64
		for i := 0; i < n; i++ {
			got += float64(v[i*p.Dim+k]) * float64(v[i*p.Dim+k])
		}
		want := math.Sqrt(lam[k])
		worstSV = max(worstSV, math.Abs(got-want)/want)
		if math.Abs(got-want) > 1e-3*want {
			t.Errorf("singular value %d: %g, want %g", k, got, want)
		}
	}
	var worst, scale float64
	for i := 0; i < n; i++ {
		for j := 0; j < n; j++ {
			var got, want float64
			for k := 0; k < p.Dim; k++ {
				got += float64(v[i*p.Dim+k]) * float64(v[j*p.Dim+k])
				want += u[i*n+k] * u[j*n+k] * math.Sqrt(lam[k])
			}
			worst = max(worst, math.Abs(got-want))
			scale = max(scale, math.Abs(want))
		}
	}
	t.Logf("dimension %d: singular values within %.2g (relative), U S U^T within %.2g of its largest entry", p.Dim, worstSV, worst/scale)
	if worst > 0.1*scale {
		t.Errorf("vectors' Gram differs from the exact U S U^T by %g (largest entry %g)", worst, scale)
	}
}

func vectorBytes(v []float32) []byte {
	b := make([]byte, 4*len(v))
	for i, x := range v {
		binary.LittleEndian.PutUint32(b[4*i:], math.Float32bits(x))
	}
	return b
}

// Several blocks of rows, so that the threads split the work differently; Embed gives
// the vectors of BuildMatrix then Vectors.
func TestThreadsDoNotChangeVectors(t *testing.T) {
	n := 3*blockRows + 17
	edges := randomGraph(n, 5, 11)
	for _, inlinks := range []bool{false, true} {
		t.Run(fmt.Sprint("inlinks=", inlinks), func(t *testing.T) {
			var first []byte
			for _, threads := range []int{1, 2, 4} {
				p := DefaultParams()
				p.Dim, p.Iterations, p.Inlinks, p.Threads = 16, 2, inlinks, threads
				v, nnz, err := Embed(context.Background(), n, append([]Edge(nil), edges...), p)
				if err != nil {
					t.Fatal(err)
				}
				if nnz == 0 || len(v) != n*p.Dim {
					t.Fatalf("%d entries, %d floats", nnz, len(v))
				}
				b := vectorBytes(v)
				if threads == 1 {
					first = b
					if bytes.Equal(b, make([]byte, len(b))) {
						t.Fatal("all vectors are zero")
					}
				} else if !bytes.Equal(b, first) {
					t.Errorf("threads=%d: other vectors than threads=1", threads)
				}
				// Embed (the transpose in the matrix's spare arrays) as BuildMatrix
				// then Vectors.
				m, err := BuildMatrix(n, edges, p)
				if err != nil {
					t.Fatal(err)
				}
				if v2, err := Vectors(context.Background(), m, p); err != nil || !bytes.Equal(vectorBytes(v2), b) {
					t.Errorf("threads=%d: BuildMatrix and Vectors give other vectors than Embed (%v)", threads, err)
				}
			}
		})
	}
}

func TestBuildMatrix(t *testing.T) {
	p := DefaultParams()
	noSelf := p
	noSelf.Self, noSelf.Inlinks = false, false
	tests := []struct {
		name  string
		n     int
		edges []Edge
		p     Params
		want  string // rows as "i:j,j;" of stored entries
	}{
		{"no articles", 0, nil, p, ""},
		{"no links", 3, nil, p, "0:;1:;2:;"},
		{"one article", 1, nil, p, "0:;"},
		{"self-links only", 2, []Edge{{0, 0}, {1, 1}}, p, "0:;1:;"},
		{"a pair both ways", 2, []Edge{{0, 1}, {1, 0}, {0, 1}}, noSelf, "0:1;1:0;"},
		// Two articles with the same features: every PMI is log(1) = 0.
		{"a pair with inlinks and self", 3, []Edge{{0, 1}}, p, "0:;1:;2:;"},
		{"a chain", 3, []Edge{{0, 1}, {1, 2}}, p, "0:0,1;1:0,2;2:1,2;"},
		// One link alone: the only feature of the only row has PMI log(1) = 0.
		{"one link", 2, []Edge{{0, 1}}, noSelf, "0:;1:;"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m, err := BuildMatrix(tc.n, tc.edges, tc.p)
			if err != nil {
				t.Fatal(err)
			}
			var b strings.Builder
			for i := 0; i < m.Rows; i++ {
				cols, _ := m.Row(i)
				fmt.Fprintf(&b, "%d:", i)
				for k, c := range cols {
					if k > 0 {
						b.WriteByte(',')
					}
					fmt.Fprint(&b, c)
				}
				b.WriteByte(';')
			}
			if b.String() != tc.want {
				t.Errorf("entries %q, want %q", b.String(), tc.want)
			}
			checkMatrix(t, m)
			v, err := Vectors(context.Background(), m, p)
			if err != nil {
				t.Fatal(err)
			}
			checkVectors(t, m, v, p.Dim)
		})
	}
	if _, err := BuildMatrix(2, []Edge{{0, 2}}, p); err == nil {
		t.Error("a link to article 2 of 2: no error")
	}
}

// BuildMatrix against the definition computed the plain way (a set of pairs), on a
// graph with repeated links, self-links and hubs, for each option and thread count.
func TestBuildMatrixMatchesDefinition(t *testing.T) {
	n := blockRows + 300 // two blocks
	edges := randomGraph(n, 4, 9)
	for i := 0; i < n; i += 7 {
		edges = append(edges, Edge{int32(i), int32(i)}, Edge{int32(i), int32((i * 31) % n)}, Edge{int32(i), int32((i * 31) % n)})
	}
	for _, opt := range []struct{ inlinks, self bool }{{false, false}, {true, false}, {false, true}, {true, true}} {
		p := DefaultParams()
		p.Inlinks, p.Self = opt.inlinks, opt.self
		type pair struct{ i, j int32 }
		set := map[pair]bool{}
		linked := map[int32]bool{}
		for _, e := range edges {
			if e.From == e.To {
				continue
			}
			set[pair{e.From, e.To}] = true
			linked[e.From] = true
			if p.Inlinks {
				set[pair{e.To, e.From}] = true
				linked[e.To] = true
			}
		}
		if p.Self {
			for i := range linked {
				set[pair{i, i}] = true
			}
		}
		rows, cols := make([]int, n), make([]int, n)
		for pr := range set {
			rows[pr.i]++
			cols[pr.j]++
		}
		var total float64
		for _, c := range cols { // in column order, as BuildMatrix adds them
			if c > 0 {
				total += math.Pow(float64(c), p.Smoothing)
			}
		}
		want := map[pair]float32{}
		for pr := range set {
			if w := math.Log(total / (float64(rows[pr.i]) * math.Pow(float64(cols[pr.j]), p.Smoothing))); w > 0 {
				want[pair{pr.i, pr.j}] = float32(w)
			}
		}
		for _, threads := range []int{1, 2, 3} {
			p.Threads = threads
			orig := append([]Edge(nil), edges...)
			m, err := BuildMatrix(n, edges, p)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(orig, edges) {
				t.Fatal("the edges were modified")
			}
			checkMatrix(t, m)
			// The same edges as a goroutine each gathers them: uneven parts, one empty.
			k := len(edges) / 3
			mp, _, _, err := buildMatrix(n, [][]Edge{edges[:10], nil, edges[10:k], edges[k:]}, p)
			if err != nil {
				t.Fatal(err)
			}
			if fmt.Sprint(mp) != fmt.Sprint(m) {
				t.Fatalf("%+v, %d threads: another matrix from the edges in parts", opt, threads)
			}
			if m.NNZ() != len(want) {
				t.Fatalf("%+v, %d threads: %d entries, want %d", opt, threads, m.NNZ(), len(want))
			}
			for i := 0; i < n; i++ {
				cs, vs := m.Row(i)
				for k, c := range cs {
					if w, ok := want[pair{int32(i), c}]; !ok || w != vs[k] {
						t.Fatalf("%+v, %d threads: entry (%d, %d) = %v, want %v (stored: %v)", opt, threads, i, c, vs[k], w, ok)
					}
				}
			}
		}
	}
}

// checkMatrix checks m's structure and that its transpose's transpose is m, and the
// same matrix on one thread and on several.
func checkMatrix(t *testing.T, m *Matrix) {
	t.Helper()
	if len(m.Start) != m.Rows+1 || m.Start[0] != 0 || m.Start[m.Rows] != int64(len(m.Col)) || len(m.Col) != len(m.Val) {
		t.Fatalf("bad row starts %v for %d entries", m.Start, len(m.Col))
	}
	for i := 0; i < m.Rows; i++ {
		cols, vals := m.Row(i)
		for k, c := range cols {
			if c < 0 || int(c) >= m.Cols || (k > 0 && c <= cols[k-1]) {
				t.Fatalf("row %d: columns %v", i, cols)
			}
			if !(vals[k] > 0) || math.IsInf(float64(vals[k]), 0) {
				t.Fatalf("row %d: value %v", i, vals[k])
			}
		}
	}
	t1 := m.Transpose(1)
	if t1.Rows != m.Cols || t1.Cols != m.Rows {
		t.Fatalf("transpose of %dx%d is %dx%d", m.Rows, m.Cols, t1.Rows, t1.Cols)
	}
	tt := t1.Transpose(1)
	if fmt.Sprint(tt.Start, tt.Col, tt.Val) != fmt.Sprint(m.Start, m.Col, m.Val) {
		t.Fatal("the transpose's transpose differs")
	}
	for _, threads := range []int{2, 3, 7} {
		if tn := m.Transpose(threads); fmt.Sprint(tn.Start, tn.Col, tn.Val) != fmt.Sprint(t1.Start, t1.Col, t1.Val) {
			t.Fatalf("the transpose on %d threads differs from one thread's", threads)
		}
	}
	// Into arrays of other contents, longer than needed (as Embed gives it).
	col, val := make([]int32, m.NNZ()+3), make([]float32, m.NNZ()+3)
	for k := range col {
		col[k], val[k] = -1, float32(math.NaN())
	}
	if tn := m.transpose(2, col, val); fmt.Sprint(tn.Start, tn.Col, tn.Val) != fmt.Sprint(t1.Start, t1.Col, t1.Val) {
		t.Fatal("the transpose into given arrays differs")
	}
}

func TestSpans(t *testing.T) {
	hub := []int64{0, 1, 2, 102, 103, 104, 105} // row 2 has 100 entries
	tests := []struct {
		name    string
		n       int
		threads int
		cum     []int64
		want    []int
	}{
		{"empty", 0, 4, nil, []int{0, 0}},
		{"empty weighted", 0, 2, []int64{0}, []int{0, 0}},
		{"one thread", 5, 1, nil, []int{0, 5}},
		{"no threads", 5, 0, nil, []int{0, 5}},
		{"even", 6, 3, nil, []int{0, 2, 4, 6}},
		{"more threads than items", 2, 8, nil, []int{0, 1, 2}},
		{"uneven", 7, 2, nil, []int{0, 3, 7}},
		// A span ends after the item that brings it to its share of the weight.
		{"a hub", 6, 2, hub, []int{0, 3, 6}},
		{"a hub, three spans", 6, 3, hub, []int{0, 3, 6}},
		{"even weights", 4, 2, []int64{0, 2, 4, 6, 8}, []int{0, 2, 4}},
		{"all weight at the end", 4, 2, []int64{0, 0, 0, 0, 9}, []int{0, 4}},
		{"no weight", 4, 2, []int64{0, 0, 0, 0, 0}, []int{0, 4}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := spans(tc.n, tc.threads, tc.cum); !slices.Equal(got, tc.want) {
				t.Errorf("spans(%d, %d, %v) = %v, want %v", tc.n, tc.threads, tc.cum, got, tc.want)
			}
		})
	}
}

// The spans of onSpans are each called once.
// splitEdges gives every edge once, in order, in up to k pieces whose sizes differ by
// at most one piece's rounding.
func TestSplitEdges(t *testing.T) {
	edges := make([]Edge, 10)
	for i := range edges {
		edges[i] = Edge{int32(i), int32(i + 1)}
	}
	tests := []struct {
		name  string
		parts [][]Edge
		k     int
		sizes []int
	}{
		{"no parts", nil, 2, []int{0}},
		{"empty parts", [][]Edge{nil, {}}, 3, []int{0}},
		{"one part, one piece", [][]Edge{edges}, 1, []int{10}},
		{"one part, two pieces", [][]Edge{edges}, 2, []int{5, 5}},
		{"one part, three pieces", [][]Edge{edges}, 3, []int{4, 4, 2}},
		{"pieces across parts", [][]Edge{edges[:1], nil, edges[1:7], edges[7:]}, 2, []int{5, 5}},
		{"more pieces than edges", [][]Edge{edges[:3]}, 8, []int{1, 1, 1}},
		{"k below one", [][]Edge{edges}, 0, []int{10}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var total int64
			var want []Edge
			for _, p := range tc.parts {
				total += int64(len(p))
				want = append(want, p...)
			}
			pieces := splitEdges(tc.parts, total, tc.k)
			var got []Edge
			var sizes []int
			for _, piece := range pieces {
				n := 0
				for _, e := range piece {
					got = append(got, e...)
					n += len(e)
				}
				sizes = append(sizes, n)
			}
			if !slices.Equal(got, want) || !slices.Equal(sizes, tc.sizes) {
				t.Errorf("pieces of %v edges, %v in all; want %v, %v", sizes, got, tc.sizes, want)
			}
		})
	}
}

func TestOnSpans(t *testing.T) {
	for _, threads := range []int{1, 2, 5} {
		seen := make([]int, 23)
		onSpans(spans(len(seen), threads, nil), func(_, lo, hi int) {
			for i := lo; i < hi; i++ {
				seen[i]++
			}
		})
		for i, c := range seen {
			if c != 1 {
				t.Fatalf("%d threads: item %d seen %d times", threads, i, c)
			}
		}
	}
}

// checkVectors checks that the vectors are finite and zero for the rows without
// entries.
func checkVectors(t *testing.T, m *Matrix, v []float32, dim int) {
	t.Helper()
	if len(v) != m.Rows*dim {
		t.Fatalf("%d floats for %d rows of %d", len(v), m.Rows, dim)
	}
	for i := 0; i < m.Rows; i++ {
		cols, _ := m.Row(i)
		for _, x := range v[i*dim : (i+1)*dim] {
			if math.IsNaN(float64(x)) || math.IsInf(float64(x), 0) {
				t.Fatalf("row %d: %v", i, v[i*dim:(i+1)*dim])
			}
			if len(cols) == 0 && x != 0 {
				t.Fatalf("row %d has no entry but a vector %v", i, v[i*dim:(i+1)*dim])
			}
		}
	}
}

// FuzzBuildMatrix builds tiny wikis: up to 6 articles T0..T5 whose texts are the lines
// of text (links to articles, to themselves, to redirects R0..R2 and to missing pages),
// redirects given as "Ri>Tj" pairs; the matrix must be well formed, the vectors finite,
// zero for articles without an entry, and the matrix and the vectors the same on 1
// and 3 threads.
func FuzzBuildMatrix(f *testing.F) {
	f.Add(uint8(0), "", "")
	f.Add(uint8(1), "", "plain text without links")
	f.Add(uint8(1), "", "[[T0]] links itself")
	f.Add(uint8(3), "R0>T1", "[[R0]] [[t1|x]] [[Missing]]\n[[T0]]\n")
	f.Add(uint8(4), "R0>T1 R1>Nowhere R2>R0", "[[R1]] [[R2]]\n[[T2]][[T3]]\n[[T0]] [[T1]]\n[[T2]] [[T2]]")
	f.Add(uint8(6), "", "[[T1]]\n[[T2]]\n[[T3]]\n[[T4]]\n[[T5]]\n[[T0]]")
	f.Fuzz(func(t *testing.T, n uint8, redirects, text string) {
		n %= 7
		titles := make([]string, n)
		for i := range titles {
			titles[i] = fmt.Sprintf("T%d", i)
		}
		reds := map[string]string{}
		for _, pair := range strings.Fields(redirects) {
			if from, to, ok := strings.Cut(pair, ">"); ok {
				reds[from] = to
			}
		}
		r := NewResolver(TitleIndex(titles), reds)
		lines := strings.Split(text, "\n")
		var edges []Edge
		for i := 0; i < int(n) && i < len(lines); i++ {
			edges = r.AppendLinks(edges, int32(i), lines[i])
		}
		for _, e := range edges {
			if e.From < 0 || int(e.From) >= int(n) || e.To < 0 || int(e.To) >= int(n) {
				t.Fatalf("edge %v outside %d articles", e, n)
			}
		}
		for _, inlinks := range []bool{false, true} {
			p := DefaultParams()
			p.Dim, p.Inlinks = 4, inlinks
			m, err := BuildMatrix(int(n), append([]Edge(nil), edges...), p)
			if err != nil {
				t.Fatal(err)
			}
			checkMatrix(t, m)
			p3 := p
			p3.Threads = 3
			m3, err := BuildMatrix(int(n), edges, p3)
			if err != nil {
				t.Fatal(err)
			}
			if fmt.Sprint(m3) != fmt.Sprint(m) {
				t.Fatal("another matrix on 3 threads")
			}
			half := len(edges) / 2
			if mp, _, _, err := buildMatrix(int(n), [][]Edge{edges[half:], edges[:half]}, p3); err != nil || fmt.Sprint(mp) != fmt.Sprint(m) {
				t.Fatalf("another matrix from the edges in two parts (%v)", err)
			}
			v1, err := Vectors(context.Background(), m, p)
			if err != nil {
				t.Fatal(err)
			}
			checkVectors(t, m, v1, p.Dim)
			p.Threads = 3
			v3, err := Vectors(context.Background(), m, p)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(vectorBytes(v1), vectorBytes(v3)) {
				t.Fatal("other vectors on 3 threads")
			}
		}
	})
}

func TestCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	n := 2 * blockRows
	p := DefaultParams()
	if _, _, err := Embed(ctx, n, randomGraph(n, 3, 1), p); err != context.Canceled {
		t.Errorf("err %v, want context.Canceled", err)
	}
}

// BenchmarkEmbed decomposes a graph of 50,000 articles on one thread and on two.
func BenchmarkEmbed(b *testing.B) {
	n := 50000
	edges := randomGraph(n, 10, 5)
	for _, threads := range []int{1, 2} {
		b.Run(fmt.Sprint("threads=", threads), func(b *testing.B) {
			p := DefaultParams()
			p.Threads = threads
			b.ReportAllocs()
			for b.Loop() {
				if _, _, err := Embed(context.Background(), n, append([]Edge(nil), edges...), p); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkBuildMatrix builds the matrix of 100,000 articles, and its transpose, on
// one thread and on two.
func BenchmarkBuildMatrix(b *testing.B) {
	n := 100000
	edges := randomGraph(n, 10, 5)
	for _, threads := range []int{1, 2} {
		p := DefaultParams()
		p.Threads = threads
		b.Run(fmt.Sprint("threads=", threads), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := BuildMatrix(n, edges, p); err != nil {
					b.Fatal(err)
				}
			}
		})
		m, err := BuildMatrix(n, edges, p)
		if err != nil {
			b.Fatal(err)
		}
		b.Run(fmt.Sprint("transpose/threads=", threads), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				m.Transpose(threads)
			}
		})
	}
}

// BenchmarkThreads decomposes a graph of 100,000 articles on one thread and then on
// two in every iteration, so that both see the same load, and reports the wall and
// CPU seconds of each (the process's user and system time: the garbage collector's
// too), the ratio of their wall times (the target: two threads at most 0.6x one's),
// each one's CPU seconds per wall second (how many cores it had: under a load of other
// work a second thread may find no core free), and the one-minute load average when
// the benchmark started (from /proc/loadavg, when there is one).
func BenchmarkThreads(b *testing.B) {
	n := 100000
	edges := randomGraph(n, 10, 5)
	load := -1.0
	if s, err := os.ReadFile("/proc/loadavg"); err == nil {
		if f := strings.Fields(string(s)); len(f) > 0 {
			if v, err := strconv.ParseFloat(f[0], 64); err == nil {
				load = v
			}
		}
	}
	var wall, cpu [3]time.Duration
	b.ReportAllocs()
	for b.Loop() {
		for _, threads := range []int{1, 2} {
			p := DefaultParams()
			p.Threads = threads
			w0, c0 := time.Now(), cpuTime()
			if _, _, err := Embed(context.Background(), n, append([]Edge(nil), edges...), p); err != nil {
				b.Fatal(err)
			}
			wall[threads] += time.Since(w0)
			cpu[threads] += cpuTime() - c0
		}
	}
	for _, t := range []int{1, 2} {
		b.ReportMetric(wall[t].Seconds()/float64(b.N), fmt.Sprintf("wall-s/op-t%d", t))
		b.ReportMetric(cpu[t].Seconds()/float64(b.N), fmt.Sprintf("cpu-s/op-t%d", t))
		b.ReportMetric(cpu[t].Seconds()/wall[t].Seconds(), fmt.Sprintf("cpu/wall-t%d", t))
	}
	b.ReportMetric(wall[2].Seconds()/wall[1].Seconds(), "wall-t2/t1")
	if load >= 0 { // after the loop: b.Loop's start clears the metrics reported before
		b.ReportMetric(load, "load1")
	}
}

// cpuTime returns the process's user and system CPU time so far.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
