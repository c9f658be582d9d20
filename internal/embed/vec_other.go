//go:build !amd64

package embed

func dotRows(x, m []float32, rows []int32, out []float32) { dotRowsGeneric(x, m, rows, out) }
func axpy2Rows(g, l1, m []float32, rows []int32, acc []float32) {
	axpy2RowsGeneric(g, l1, m, rows, acc)
}
func addTo(x, y []float32) { addToGeneric(x, y) }

func prefetch(m []float32, rows []int32, dim int) {}
