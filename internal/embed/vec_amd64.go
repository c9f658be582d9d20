package embed

// dot4 adds a[i]*b[i] to s[i%4] for i < n (n a multiple of 4), four lanes at a time.
//
//go:noescape
func dot4(a, b *float32, n int, s *[4]float32)

// axpy2x4 does acc[i] += scale*l2[i]; l2[i] += scale*l1[i] for i < n (n a multiple of 4).
//
//go:noescape
func axpy2x4(scale float32, l1, l2, acc *float32, n int)

// addTo4 does y[i] += x[i] for i < n (n a multiple of 4).
//
//go:noescape
func addTo4(x, y *float32, n int)

// dot is dotGeneric with its first len(a)&^3 elements in SSE lanes.
func dot(a, b []float32) float32 {
	n := len(a)
	b = b[:n]
	n4 := n &^ 3
	var s [4]float32
	if n4 > 0 {
		dot4(&a[0], &b[0], n4, &s)
	}
	for i := n4; i < n; i++ {
		s[0] += float32(a[i] * b[i])
	}
	return (s[0] + s[1]) + (s[2] + s[3])
}

// axpy2 is axpy2Generic, four elements at a time.
func axpy2(g float32, l1, l2, acc []float32) {
	n := len(l1)
	l2 = l2[:n]
	acc = acc[:n]
	n4 := n &^ 3
	if n4 > 0 {
		axpy2x4(g, &l1[0], &l2[0], &acc[0], n4)
	}
	for k := n4; k < n; k++ {
		w := l2[k]
		acc[k] += float32(g * w)
		l2[k] = w + float32(g*l1[k])
	}
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
