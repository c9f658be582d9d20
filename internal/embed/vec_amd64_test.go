package embed

import "testing"

// TestAVXSameVectors: training with the AVX kernels gives the vectors that the plain Go
// loops give (a machine without AVX), bit for bit.
func TestAVXSameVectors(t *testing.T) {
	if !useAVX {
		t.Skip("no AVX on this machine")
	}
	p := DefaultParams()
	p.Epochs = 2
	sameVectorsEitherWay(t, &useAVX, p, "with AVX", "without")
}
