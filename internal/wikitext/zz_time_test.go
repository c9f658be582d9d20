package wikitext

import (
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/addlink/addlink/internal/wikitext/wikitexttest"
)

func TestZZTime(t *testing.T) {
	fn := os.Getenv("ZZFUNC")
	if fn == "" {
		t.Skip()
	}
	pages := append([]wikitexttest.Page{{Name: "ordinary", Text: wikitexttest.Ordinary(1 << 20)}}, wikitexttest.Adversarial(1<<20)...)
	for _, r := range readers {
		if r.name != fn {
			continue
		}
		var base time.Duration
		for i, p := range pages {
			d := minTime(func() { r.read(p.Text) })
			if i == 0 {
				base = d
			}
			fmt.Printf("%-22s %-24s %8.1fms %6.1fx\n", r.name, p.Name, float64(d)/1e6, float64(d)/float64(base))
		}
	}
}
