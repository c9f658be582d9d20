package backtest_test

import (
	"context"
	"io"
	"os"
	"strings"
	"sync"
	"testing"

	"github.com/addlink/addlink/datasets"
	"github.com/addlink/addlink/internal/dump"
	"github.com/addlink/addlink/internal/linker"
	"github.com/addlink/addlink/internal/testfixtures"
	"github.com/addlink/addlink/internal/wikitext"
	"github.com/addlink/addlink/pipeline"
)

var (
	queryOnce sync.Once
	queryDir  string
	queryErr  error
)

// BenchmarkQuery measures one recommendation query on a 100 KB article (the plain
// text of elwikivoyage articles put together, so that nothing is linked yet) with elwikivoyage's datasets and model, loaded once
// beforehand (the service keeps them loaded). Target: under 50 ms per query.
func BenchmarkQuery(b *testing.B) {
	dumpFile := testfixtures.Path(b, fixtureDumps["elwikivoyage"])
	queryOnce.Do(func() {
		if queryDir, queryErr = os.MkdirTemp("", "addlink-query-"); queryErr != nil {
			return
		}
		cfg := &pipeline.Config{Wiki: "elwikivoyage", DataDir: queryDir, Dumps: []string{dumpFile}, Threads: 2, Version: "bench"}
		_, queryErr = pipeline.Run(context.Background(), cfg, pipeline.Stages(), pipeline.RunOptions{To: "train"}, nil)
	})
	if queryErr != nil {
		b.Fatal(queryErr)
	}
	q, err := linker.OpenWiki(datasets.Layout{DataDir: queryDir, Wiki: "elwikivoyage"}, linker.Parquet)
	if err != nil {
		b.Fatal(err)
	}
	r, err := dump.Open(context.Background(), []string{dumpFile}, dump.Options{Threads: 2})
	if err != nil {
		b.Fatal(err)
	}
	var page strings.Builder
	for page.Len() < 100_000 {
		pg, err := r.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			b.Fatal(err)
		}
		if pg.NS == 0 && !pg.IsRedirect() {
			page.WriteString(wikitext.StripCode(pg.Text))
			page.WriteString("\n")
		}
	}
	r.Close()
	text := page.String()[:100_000]
	for !strings.HasSuffix(text, "\n") && len(text) > 0 && text[len(text)-1]&0xC0 == 0x80 {
		text = text[:len(text)-1]
	}
	b.SetBytes(int64(len(text)))
	b.ReportAllocs()
	b.ResetTimer()
	links := 0
	for i := 0; i < b.N; i++ {
		res := linker.Recommend(q.Dict, q.Model, "Αθήνα", text, linker.RecommendOptions{Threshold: 0.5})
		links = len(res.Links)
	}
	b.ReportMetric(float64(links), "links")
}

func TestMain(m *testing.M) {
	code := m.Run()
	if queryDir != "" {
		os.RemoveAll(queryDir)
	}
	os.Exit(code)
}
