package graphvec

import (
	"context"
	"math"
	"math/rand/v2"
	"slices"
	"sync"
	"sync/atomic"
)

// blockRows is the number of rows of a block of work: fixed, so that sums over rows
// add the same partial sums in the same order for any number of threads.
const blockRows = 4096

// dense is a row-major matrix of float32 (the tall matrices: one row per article).
type dense struct {
	rows, cols int
	a          []float32
}

func newDense(rows, cols int) dense {
	return dense{rows: rows, cols: cols, a: make([]float32, rows*cols)}
}

func (d dense) row(i int) []float32 { return d.a[i*d.cols : (i+1)*d.cols] }

// scratch keeps the arrays of tall matrices no longer needed for the next ones: the
// products write every entry of their output, so a reused array needs no zeroing
// (which, done by make, is work on one thread).
type scratch struct{ free [][]float32 }

// get returns a rows x cols matrix of unspecified contents.
func (s *scratch) get(rows, cols int) dense {
	n := rows * cols
	for i, a := range s.free {
		if cap(a) >= n {
			s.free = slices.Delete(s.free, i, i+1)
			return dense{rows: rows, cols: cols, a: a[:n]}
		}
	}
	return newDense(rows, cols)
}

// put gives d's array back; d must not be used after.
func (s *scratch) put(d dense) {
	if d.a != nil {
		s.free = append(s.free, d.a[:cap(d.a)])
	}
}

// forBlocks calls fn for every block of rows [lo, hi) of n rows, on up to threads
// goroutines. Each call must write only what belongs to its block. It returns
// ctx.Err() when cancelled (blocks not yet started are skipped).
func forBlocks(ctx context.Context, n, threads int, fn func(b, lo, hi int)) error {
	blocks := (n + blockRows - 1) / blockRows
	if threads < 1 {
		threads = 1
	}
	threads = min(threads, blocks)
	var next atomic.Int64
	work := func() {
		for {
			b := int(next.Add(1) - 1)
			if b >= blocks || ctx.Err() != nil {
				return
			}
			fn(b, b*blockRows, min(n, (b+1)*blockRows))
		}
	}
	if threads <= 1 {
		work()
		return ctx.Err()
	}
	var wg sync.WaitGroup
	for range threads {
		wg.Add(1)
		go func() {
			defer wg.Done()
			work()
		}()
	}
	wg.Wait()
	return ctx.Err()
}

// mulSparse returns m times x, written to a matrix from s. Each row's sum takes the row's entries four at a time
// (fewer passes over the accumulator, and four rows of x fetched at once).
func mulSparse(ctx context.Context, m *Matrix, x dense, s *scratch, threads int) (dense, error) {
	out := s.get(m.Rows, x.cols)
	if x.cols == 0 {
		return out, nil
	}
	err := forBlocks(ctx, m.Rows, threads, func(_, lo, hi int) {
		acc := make([]float64, x.cols)
		for i := lo; i < hi; i++ {
			clear(acc)
			cols, vals := m.Row(i)
			k := 0
			for ; k+4 <= len(cols); k += 4 {
				v0, v1, v2, v3 := float64(vals[k]), float64(vals[k+1]), float64(vals[k+2]), float64(vals[k+3])
				x0 := x.row(int(cols[k]))
				x1 := x.row(int(cols[k+1]))[:len(x0)]
				x2 := x.row(int(cols[k+2]))[:len(x0)]
				x3 := x.row(int(cols[k+3]))[:len(x0)]
				acc := acc[:len(x0)]
				for j := range acc {
					acc[j] += v0*float64(x0[j]) + v1*float64(x1[j]) + v2*float64(x2[j]) + v3*float64(x3[j])
				}
			}
			for ; k < len(cols); k++ {
				v := float64(vals[k])
				for j, xv := range x.row(int(cols[k])) {
					acc[j] += v * float64(xv)
				}
			}
			o := out.row(i)
			for j, s := range acc {
				o[j] = float32(s)
			}
		}
	})
	return out, err
}

// gram returns y's transpose times y (cols x cols, row-major), the blocks' partial
// sums added in block order. Within a block, the nonzero rows are taken four at a
// time (a fixed grouping: the same sums for any number of threads).
func gram(ctx context.Context, y dense, threads int) ([]float64, error) {
	c := y.cols
	blocks := (y.rows + blockRows - 1) / blockRows
	parts := make([][]float64, blocks)
	err := forBlocks(ctx, y.rows, threads, func(b, lo, hi int) {
		g := make([]float64, c*c)
		var r [4][]float64
		for k := range r {
			r[k] = make([]float64, c)
		}
		n := 0 // rows gathered in r
		flush := func() {
			r0, r1, r2, r3 := r[0], r[1][:len(r[0])], r[2][:len(r[0])], r[3][:len(r[0])]
			if n < 4 { // the last group of the block: zeros stand for the missing rows
				for k := n; k < 4; k++ {
					clear(r[k])
				}
			}
			for a := 0; a < c; a++ {
				a0, a1, a2, a3 := r0[a], r1[a], r2[a], r3[a]
				ga := g[a*c+a : a*c+c]
				x0, x1, x2, x3 := r0[a:c], r1[a:c], r2[a:c], r3[a:c]
				x0, x1, x2, x3 = x0[:len(ga)], x1[:len(ga)], x2[:len(ga)], x3[:len(ga)]
				for k := range ga {
					ga[k] += a0*x0[k] + a1*x1[k] + a2*x2[k] + a3*x3[k]
				}
			}
			n = 0
		}
		for i := lo; i < hi; i++ {
			row := y.row(i)
			zero := true
			for _, v := range row {
				if v != 0 {
					zero = false
					break
				}
			}
			if zero {
				continue
			}
			for j, v := range row {
				r[n][j] = float64(v)
			}
			if n++; n == 4 {
				flush()
			}
		}
		if n > 0 {
			flush()
		}
		parts[b] = g
	})
	if err != nil {
		return nil, err
	}
	g := make([]float64, c*c)
	for _, p := range parts {
		for k, v := range p {
			g[k] += v
		}
	}
	for a := 0; a < c; a++ {
		for k := 0; k < a; k++ {
			g[a*c+k] = g[k*c+a]
		}
	}
	return g, nil
}

// mulSmall writes y times t (y.cols x tcols, row-major) to the first tcols columns
// of out (y.rows rows, at least tcols columns; the others are left as they are). Each
// row's sum takes y's columns four at a time.
func mulSmall(ctx context.Context, y dense, t []float64, tcols int, out dense, threads int) error {
	if tcols == 0 {
		return nil
	}
	return forBlocks(ctx, y.rows, threads, func(_, lo, hi int) {
		acc := make([]float64, tcols)
		for i := lo; i < hi; i++ {
			clear(acc)
			row := y.row(i)
			a := 0
			for ; a+4 <= len(row); a += 4 {
				v0, v1, v2, v3 := float64(row[a]), float64(row[a+1]), float64(row[a+2]), float64(row[a+3])
				if v0 == 0 && v1 == 0 && v2 == 0 && v3 == 0 {
					continue
				}
				t0 := t[a*tcols : (a+1)*tcols]
				t1 := t[(a+1)*tcols : (a+2)*tcols][:len(t0)]
				t2 := t[(a+2)*tcols : (a+3)*tcols][:len(t0)]
				t3 := t[(a+3)*tcols : (a+4)*tcols][:len(t0)]
				acc := acc[:len(t0)]
				for k := range acc {
					acc[k] += v0*t0[k] + v1*t1[k] + v2*t2[k] + v3*t3[k]
				}
			}
			for ; a < len(row); a++ {
				if v := float64(row[a]); v != 0 {
					for k, tv := range t[a*tcols : (a+1)*tcols] {
						acc[k] += v * tv
					}
				}
			}
			o := out.row(i)
			for k, s := range acc {
				o[k] = float32(s)
			}
		}
	})
}

// rankTolerance is the smallest eigenvalue of a Gram matrix, relative to its largest,
// whose direction orth keeps: below it the direction is rounding noise of float32 rows.
const rankTolerance = 1e-9

// orth returns a basis of y's column space: y times the Gram matrix's eigenvectors
// scaled by their eigenvalues' inverse square roots, `passes` times. One pass gives a
// well-conditioned basis (what a power iteration needs); a second restores the
// orthogonality the first loses to rounding (what Rayleigh-Ritz needs). Directions of
// (relative) eigenvalue below rankTolerance are dropped, so the result may have fewer
// columns than y, none for a zero y. y's array goes back to s.
func orth(ctx context.Context, y dense, passes int, s *scratch, threads int) (dense, error) {
	for pass := 0; pass < passes && y.cols > 0; pass++ {
		g, err := gram(ctx, y, threads)
		if err != nil {
			return dense{}, err
		}
		vecs, vals := eigSym(g, y.cols)
		keep := 0
		for _, v := range vals {
			if v > 0 && v > vals[0]*rankTolerance {
				keep++
			}
		}
		t := make([]float64, y.cols*keep)
		for a := 0; a < y.cols; a++ {
			for k := 0; k < keep; k++ {
				t[a*keep+k] = vecs[a*y.cols+k] / math.Sqrt(vals[k])
			}
		}
		out := s.get(y.rows, keep)
		if err := mulSmall(ctx, y, t, keep, out, threads); err != nil {
			return dense{}, err
		}
		s.put(y)
		y = out
	}
	return y, nil
}

// eigSym returns the eigenvectors (as the columns of a row-major n x n matrix) and
// eigenvalues of the symmetric matrix a, by decreasing eigenvalue, by cyclic Jacobi
// rotations (a fixed order of operations: the same bytes on every run).
func eigSym(a []float64, n int) (vecs, vals []float64) {
	a = slices.Clone(a)
	v := make([]float64, n*n)
	for i := 0; i < n; i++ {
		v[i*n+i] = 1
	}
	for sweep := 0; sweep < 100; sweep++ {
		var off, diag float64
		for p := 0; p < n; p++ {
			diag += a[p*n+p] * a[p*n+p]
			for q := p + 1; q < n; q++ {
				off += a[p*n+q] * a[p*n+q]
			}
		}
		if off == 0 || off <= 1e-30*diag {
			break
		}
		for p := 0; p < n; p++ {
			for q := p + 1; q < n; q++ {
				apq := a[p*n+q]
				if apq == 0 {
					continue
				}
				// The rotation that zeroes a[p][q]: t = tan(theta), the smaller root of
				// t^2 + 2*theta*t - 1 = 0 with theta = (a_qq - a_pp) / (2 a_pq).
				theta := (a[q*n+q] - a[p*n+p]) / (2 * apq)
				t := 1 / (math.Abs(theta) + math.Sqrt(theta*theta+1))
				if theta < 0 {
					t = -t
				}
				c := 1 / math.Sqrt(t*t+1)
				s := t * c
				for k := 0; k < n; k++ { // columns p and q
					akp, akq := a[k*n+p], a[k*n+q]
					a[k*n+p] = c*akp - s*akq
					a[k*n+q] = s*akp + c*akq
				}
				for k := 0; k < n; k++ { // rows p and q
					apk, aqk := a[p*n+k], a[q*n+k]
					a[p*n+k] = c*apk - s*aqk
					a[q*n+k] = s*apk + c*aqk
				}
				for k := 0; k < n; k++ {
					vkp, vkq := v[k*n+p], v[k*n+q]
					v[k*n+p] = c*vkp - s*vkq
					v[k*n+q] = s*vkp + c*vkq
				}
			}
		}
	}
	order := make([]int, n)
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(x, y int) int {
		switch dx, dy := a[x*n+x], a[y*n+y]; {
		case dx > dy:
			return -1
		case dx < dy:
			return 1
		}
		return 0
	})
	vecs = make([]float64, n*n)
	vals = make([]float64, n)
	for k, o := range order {
		vals[k] = a[o*n+o]
		// Each vector's sign: its largest entry positive (the first of equal ones).
		big, sign := 0.0, 1.0
		for i := 0; i < n; i++ {
			if x := v[i*n+o]; math.Abs(x) > big {
				big = math.Abs(x)
				sign = math.Copysign(1, x)
			}
		}
		for i := 0; i < n; i++ {
			vecs[i*n+k] = sign * v[i*n+o]
		}
	}
	return vecs, vals
}

// Vectors returns the articles' vectors, n*p.Dim float32 (article i's are
// [i*Dim, (i+1)*Dim)), of the matrix m (rows: articles) by a randomized truncated SVD
// (Halko, Martinsson and Tropp's subspace iteration): U_k times the square roots of the
// k leading singular values. It returns ctx.Err() when cancelled.
func Vectors(ctx context.Context, m *Matrix, p Params) ([]float32, error) {
	return vectors(ctx, m, nil, p)
}

// vectors is Vectors with m's transpose mt (nil: computed here).
func vectors(ctx context.Context, m, mt *Matrix, p Params) ([]float32, error) {
	if err := p.Validate(); err != nil {
		return nil, err
	}
	out := make([]float32, m.Rows*p.Dim)
	if m.NNZ() == 0 {
		return out, nil
	}
	if mt == nil {
		mt = m.Transpose(p.Threads)
	}
	l := p.Dim + p.Oversample
	// The starting directions: row j of a Cols x l Gaussian matrix drawn from a stream
	// of its own, so that it does not depend on the threads either.
	var s scratch
	omega := s.get(m.Cols, l)
	if err := forBlocks(ctx, m.Cols, p.Threads, func(_, lo, hi int) {
		src := new(rand.PCG)
		r := rand.New(src)
		for j := lo; j < hi; j++ {
			src.Seed(p.Seed, uint64(j))
			row := omega.row(j)
			for k := range row {
				row[k] = float32(r.NormFloat64())
			}
		}
	}); err != nil {
		return nil, err
	}
	y, err := mulSparse(ctx, m, omega, &s, p.Threads)
	if err != nil {
		return nil, err
	}
	s.put(omega)
	// One orthonormalisation per power iteration, of M M^T Q (the span is the same as
	// with one after each product), with the second pass only for the last basis.
	passes := func(it int) int {
		if it == p.Iterations {
			return 2
		}
		return 1
	}
	q, err := orth(ctx, y, passes(0), &s, p.Threads)
	if err != nil {
		return nil, err
	}
	for it := 1; it <= p.Iterations; it++ {
		z, err := mulSparse(ctx, mt, q, &s, p.Threads)
		if err != nil {
			return nil, err
		}
		s.put(q)
		if y, err = mulSparse(ctx, m, z, &s, p.Threads); err != nil {
			return nil, err
		}
		s.put(z)
		if q, err = orth(ctx, y, passes(it), &s, p.Threads); err != nil {
			return nil, err
		}
	}
	// Rayleigh-Ritz: with B = Q^T M, B B^T = W S^2 W^T, and U = Q W.
	bt, err := mulSparse(ctx, mt, q, &s, p.Threads)
	if err != nil {
		return nil, err
	}
	c, err := gram(ctx, bt, p.Threads)
	if err != nil {
		return nil, err
	}
	r := q.cols
	w, lam := eigSym(c, r)
	k := 0
	for k < min(p.Dim, r) && lam[k] > 0 && lam[k] > lam[0]*rankTolerance {
		k++
	}
	t := make([]float64, r*k)
	for a := 0; a < r; a++ {
		for j := 0; j < k; j++ {
			// U's column j scaled by sqrt(sigma_j) = lambda_j^(1/4).
			t[a*k+j] = w[a*r+j] * math.Sqrt(math.Sqrt(lam[j]))
		}
	}
	// Written to the first k of each vector's Dim (the others stay 0).
	if err := mulSmall(ctx, q, t, k, dense{rows: m.Rows, cols: p.Dim, a: out}, p.Threads); err != nil {
		return nil, err
	}
	return out, nil
}

// Embed builds the matrix of n articles' links and returns their vectors (see
// BuildMatrix and Vectors) and the matrix's number of entries.
func Embed(ctx context.Context, n int, edges []Edge, p Params) ([]float32, int, error) {
	return EmbedParts(ctx, n, [][]Edge{edges}, p)
}

// EmbedParts is Embed of the edges of all the parts (as gathered by several
// goroutines: they need not be copied into one slice).
func EmbedParts(ctx context.Context, n int, parts [][]Edge, p Params) ([]float32, int, error) {
	if err := p.Validate(); err != nil {
		return nil, 0, err
	}
	m, col, val, err := buildMatrix(n, parts, p)
	if err != nil {
		return nil, 0, err
	}
	// The transpose in the arrays the matrix was built in: no second allocation (and
	// zeroing, on one thread) of the matrix's size.
	mt := m.transpose(p.Threads, col, val)
	v, err := vectors(ctx, m, mt, p)
	return v, m.NNZ(), err
}
