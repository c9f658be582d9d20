package embed

// The vector operations of the trainer's inner loop, in plain Go. On amd64 with AVX,
// dotRows and axpy2Rows run eight elements at a time in YMM registers (vec_amd64.s) with
// exactly the arithmetic written here: a product and a sum rounded to float32 each (the
// explicit conversions keep compilers for other platforms from fusing them, and the
// assembly uses no fused multiply-add), the eight partial sums of a dot product kept
// lane by lane and added in the same order. So the vectors are the same bytes on every
// machine.

// dotGeneric returns the dot product of a and b (len(b) >= len(a)): eight partial sums
// s[i%8] over the first len(a)&^7 elements, added as ((s0+s4)+(s2+s6))+((s1+s5)+(s3+s7)),
// then the other elements' products one by one.
func dotGeneric(a, b []float32) float32 {
	b = b[:len(a)]
	var s [8]float32
	n8 := len(a) &^ 7
	for i := 0; i < n8; i += 8 {
		s[0] += float32(a[i] * b[i])
		s[1] += float32(a[i+1] * b[i+1])
		s[2] += float32(a[i+2] * b[i+2])
		s[3] += float32(a[i+3] * b[i+3])
		s[4] += float32(a[i+4] * b[i+4])
		s[5] += float32(a[i+5] * b[i+5])
		s[6] += float32(a[i+6] * b[i+6])
		s[7] += float32(a[i+7] * b[i+7])
	}
	return dotTail(s, a, b, n8)
}

// dotTail adds up the partial sums s of a dot product and the products of a and b from
// element n8 on.
func dotTail(s [8]float32, a, b []float32, n8 int) float32 {
	t0, t1, t2, t3 := s[0]+s[4], s[1]+s[5], s[2]+s[6], s[3]+s[7]
	r := (t0 + t2) + (t1 + t3)
	return addProducts(r, a, b, n8)
}

// addProducts returns r plus the products a[i]*b[i] for i >= from, one by one.
func addProducts(r float32, a, b []float32, from int) float32 {
	for i := from; i < len(a); i++ {
		r += float32(a[i] * b[i])
	}
	return r
}

// dotRowsGeneric sets out[k] to the dot product of x with row rows[k] of m (rows of
// len(x) floats).
func dotRowsGeneric(x, m []float32, rows []int32, out []float32) {
	dim := len(x)
	for k, row := range rows {
		out[k] = dotGeneric(x, m[int(row)*dim:int(row)*dim+dim])
	}
}

// axpy2Generic does acc += g*l2 and then l2 += g*l1, element by element (len(l2) and
// len(acc) >= len(l1)).
func axpy2Generic(g float32, l1, l2, acc []float32) {
	l2 = l2[:len(l1)]
	acc = acc[:len(l1)]
	for k, v := range l1 {
		w := l2[k]
		acc[k] += float32(g * w)
		l2[k] = w + float32(g*v)
	}
}

// axpy2RowsGeneric does axpy2Generic(g[k], l1, row rows[k] of m, acc) for every k in
// order (rows of len(l1) floats).
func axpy2RowsGeneric(g, l1, m []float32, rows []int32, acc []float32) {
	dim := len(l1)
	for k, row := range rows {
		axpy2Generic(g[k], l1, m[int(row)*dim:int(row)*dim+dim], acc)
	}
}

// addToGeneric does y += x (len(y) >= len(x)).
func addToGeneric(x, y []float32) {
	y = y[:len(x)]
	for k, v := range x {
		y[k] += v
	}
}
