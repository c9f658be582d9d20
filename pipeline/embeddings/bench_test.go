package embeddings

import (
	"context"
	"testing"

	"github.com/addlink/addlink/internal/embed"
)

// BenchmarkRun measures the whole stage on elwikivoyage with the pipeline's settings
// (2 shards, 2 threads).
func BenchmarkRun(b *testing.B) {
	l, dumps := prepare(b, "elwikivoyage", "dumps/elwikivoyage/elwikivoyage-pages-articles.xml.bz2")
	p := embed.DefaultParams()
	p.Threads = 2
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := Run(context.Background(), Options{Wiki: l.Wiki, DataDir: l.DataDir, Dumps: dumps, Params: p}, nil); err != nil {
			b.Fatal(err)
		}
	}
}
