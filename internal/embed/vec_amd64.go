package embed

import "golang.org/x/sys/cpu"

// useAVX: the processor and the operating system support AVX (YMM registers).
var useAVX = cpu.X86.HasAVX

// dotRows8 sets out[k] to dotGeneric(x[:n], row) where row is row rows[k] of the matrix
// at m (rows of n floats), for k < nrows; n8 is n&^7. AVX.
//
//go:noescape
func dotRows8(x, m *float32, rows *int32, nrows, n, n8 int, out *float32)

// axpy2Rows8 does axpy2Generic(gs[k], l1[:n], row, acc) for k < nrows in order, where row
// is row rows[k] of the matrix at m (rows of n floats); n8 is n&^7. AVX.
//
//go:noescape
func axpy2Rows8(gs, l1, m *float32, rows *int32, nrows, n, n8 int, acc *float32)

// addTo4 does y[i] += x[i] for i < n (n a multiple of 4).
//
//go:noescape
func addTo4(x, y *float32, n int)

// dotRows is dotRowsGeneric, eight elements at a time with AVX.
func dotRows(x, m []float32, rows []int32, out []float32) {
	dim, n8 := len(x), len(x)&^7
	if !useAVX || n8 == 0 || len(rows) == 0 {
		dotRowsGeneric(x, m, rows, out)
		return
	}
	out = out[:len(rows)]
	for _, row := range rows {
		_ = m[int(row)*dim+dim-1] // bounds, as the assembly does not check them
	}
	dotRows8(&x[0], &m[0], &rows[0], len(rows), dim, n8, &out[0])
}

// axpy2Rows is axpy2RowsGeneric, eight elements at a time with AVX.
func axpy2Rows(g, l1, m []float32, rows []int32, acc []float32) {
	dim, n8 := len(l1), len(l1)&^7
	if !useAVX || n8 == 0 || len(rows) == 0 {
		axpy2RowsGeneric(g, l1, m, rows, acc)
		return
	}
	g, acc = g[:len(rows)], acc[:dim]
	for _, row := range rows {
		_ = m[int(row)*dim+dim-1]
	}
	axpy2Rows8(&g[0], &l1[0], &m[0], &rows[0], len(rows), dim, n8, &acc[0])
}

// addTo is addToGeneric, four elements at a time.
func addTo(x, y []float32) {
	n := len(x)
	y = y[:n]
	n4 := n &^ 3
	if n4 > 0 {
		addTo4(&x[0], &y[0], n4)
	}
	for k := n4; k < n; k++ {
		y[k] += x[k]
	}
}

// prefetchRows asks the processor to bring rows[0..n) of the matrix at base (rows of
// rowBytes bytes) into the cache; it changes no value.
//
//go:noescape
func prefetchRows(base *float32, rows *int32, n int, rowBytes int)

// prefetch brings the given rows of m (rows of dim floats) into the cache.
func prefetch(m []float32, rows []int32, dim int) {
	if len(rows) > 0 && len(m) > 0 {
		prefetchRows(&m[0], &rows[0], len(rows), dim*4)
	}
}
