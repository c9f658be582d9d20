package embed

// The vector operations of the trainer's inner loop, in plain Go. On amd64 dot, axpy2
// and addTo run four elements at a time in SSE registers (vec_amd64.s) with exactly
// the arithmetic written here: a product and a sum rounded to float32 each (the
// explicit conversions keep compilers for other platforms from fusing them), the four
// partial sums of dot kept lane by lane.

// dotGeneric returns the dot product of a and b (len(b) >= len(a)): four partial sums
// over the elements i%4 == 0..3 of the first len(a)&^3 elements, the rest added to the
// first, then (s0+s1)+(s2+s3).
func dotGeneric(a, b []float32) float32 {
	b = b[:len(a)]
	var s0, s1, s2, s3 float32
	i := 0
	for ; i+4 <= len(a); i += 4 {
		s0 += float32(a[i] * b[i])
		s1 += float32(a[i+1] * b[i+1])
		s2 += float32(a[i+2] * b[i+2])
		s3 += float32(a[i+3] * b[i+3])
	}
	for ; i < len(a); i++ {
		s0 += float32(a[i] * b[i])
	}
	return (s0 + s1) + (s2 + s3)
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

// addToGeneric does y += x (len(y) >= len(x)).
func addToGeneric(x, y []float32) {
	y = y[:len(x)]
	for k, v := range x {
		y[k] += v
	}
}
