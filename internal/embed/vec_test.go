package embed

import (
	"math"
	"math/rand/v2"
	"testing"
)

// TestVectorOpsMatchGeneric: dotRows, axpy2Rows and addTo (AVX and SSE on amd64) give
// the plain Go loops' results bit for bit, for every length up to 70, values of mixed
// magnitude, and rows that repeat.
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
			const nrows = 9
			m := vec(n * nrows)
			rows := make([]int32, 1+rng.IntN(7))
			for k := range rows {
				rows[k] = int32(rng.IntN(nrows)) // repeats too
			}
			x := vec(n)
			got, want := make([]float32, len(rows)), make([]float32, len(rows))
			dotRows(x, m, rows, got)
			dotRowsGeneric(x, m, rows, want)
			if !same(got, want) {
				t.Fatalf("n=%d: dotRows %v, generic %v", n, got, want)
			}
			g := vec(len(rows))
			acc := vec(n)
			mb, accb := append([]float32(nil), m...), append([]float32(nil), acc...)
			axpy2Rows(g, x, m, rows, acc)
			axpy2RowsGeneric(g, x, mb, rows, accb)
			if !same(m, mb) || !same(acc, accb) {
				t.Fatalf("n=%d: axpy2Rows differs from the generic loop", n)
			}
			y := vec(n)
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
	const dim = 50
	m := make([]float32, 100*dim)
	l1, acc := make([]float32, dim), make([]float32, dim)
	for i := range m {
		m[i] = float32(i%97) / 1000
	}
	for i := range l1 {
		l1[i] = float32(i) / 100
	}
	rows := []int32{3, 17, 42, 5, 88, 61}
	f, g := make([]float32, len(rows)), make([]float32, len(rows))
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		dotRows(l1, m, rows, f)
		for k := range g {
			g[k] = f[k] * 1e-6
		}
		axpy2Rows(g, l1, m, rows, acc)
		addTo(acc, l1)
	}
}
