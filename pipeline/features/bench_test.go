package features

import (
	"context"
	"testing"

	"github.com/addlink/addlink/datasets"
)

// BenchmarkRun measures the features stage on elwikivoyage (dictionaries and
// sentences made once, outside the timing; no embeddings).
func BenchmarkRun(b *testing.B) {
	t := &testing.T{}
	dir := prepare(t, "elwikivoyage", 1, 1)
	l := datasets.Layout{DataDir: dir, Wiki: "elwikivoyage"}
	if _, err := datasets.WriteParquet[datasets.Embedding](l.Embeddings(), nil); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := Run(context.Background(), Options{Wiki: "elwikivoyage", DataDir: dir, Threads: 2}, nil); err != nil {
			b.Fatal(err)
		}
	}
}
