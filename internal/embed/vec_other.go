//go:build !amd64

package embed

func dot(a, b []float32) float32             { return dotGeneric(a, b) }
func axpy2(g float32, l1, l2, acc []float32) { axpy2Generic(g, l1, l2, acc) }
func addTo(x, y []float32)                   { addToGeneric(x, y) }

func prefetch(m []float32, rows []int32, dim int) {}
