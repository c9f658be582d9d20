package embed

import (
	"math"
	"math/rand/v2"
	"testing"
)

// TestVectorOpsMatchGeneric: dot, axpy2 and addTo (SSE on amd64) give the plain Go
// loops' results bit for bit, for every length up to 70 and values of mixed magnitude.
func TestVectorOpsMatchGeneric(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	vec := func(n int) []float32 {
		v := make([]float32, n)
		for i := range v {
			v[i] = float32(rng.NormFloat64() * math.Pow(10, float64(rng.IntN(9)-4)))
		}
		return v
	}
	same := func(a, b []float32) bool {
		for i := range a {
			if math.Float32bits(a[i]) != math.Float32bits(b[i]) {
				return false
			}
		}
		return len(a) == len(b)
	}
	for n := 0; n <= 70; n++ {
		for rep := 0; rep < 20; rep++ {
			a, b := vec(n), vec(n+rep%3)
			if got, want := dot(a, b), dotGeneric(a, b); math.Float32bits(got) != math.Float32bits(want) {
				t.Fatalf("n=%d: dot %v, generic %v", n, got, want)
			}
			g := float32(rng.NormFloat64())
			l1, l2, acc := vec(n), vec(n), vec(n)
			l2b, accb := append([]float32(nil), l2...), append([]float32(nil), acc...)
			axpy2(g, l1, l2, acc)
			axpy2Generic(g, l1, l2b, accb)
			if !same(l2, l2b) || !same(acc, accb) {
				t.Fatalf("n=%d: axpy2 differs from the generic loop", n)
			}
			x, y := vec(n), vec(n)
			yb := append([]float32(nil), y...)
			addTo(x, y)
			addToGeneric(x, yb)
			if !same(y, yb) {
				t.Fatalf("n=%d: addTo differs from the generic loop", n)
			}
		}
	}
}

func BenchmarkUpdateOps(b *testing.B) {
	l1, l2, acc := make([]float32, 50), make([]float32, 50), make([]float32, 50)
	for i := range l1 {
		l1[i], l2[i] = float32(i)/100, float32(50-i)/100
	}
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		f := dot(l1, l2)
		axpy2(f*1e-6, l1, l2, acc)
		addTo(acc, l1)
	}
}
