package embed

import (
	"context"
	"math"
	"testing"
)

// TestAVXSameVectors: training with the AVX kernels gives the vectors that the plain Go
// loops give (a machine without AVX), bit for bit.
func TestAVXSameVectors(t *testing.T) {
	if !useAVX {
		t.Skip("no AVX on this machine")
	}
	c := testCorpus(300)
	p := DefaultParams()
	p.Epochs = 2
	train := func(avx bool) []float32 {
		defer func(v bool) { useAVX = v }(useAVX)
		useAVX = avx
		m, err := Train(context.Background(), c, p, nil)
		if err != nil {
			t.Fatal(err)
		}
		return m.Vectors
	}
	want, got := train(false), train(true)
	for i := range want {
		if math.Float32bits(got[i]) != math.Float32bits(want[i]) {
			t.Fatalf("vector element %d: %v with AVX, %v without", i, got[i], want[i])
		}
	}
}
