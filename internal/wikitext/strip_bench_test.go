package wikitext

import (
	"os"
	"strings"
	"testing"
)

// BenchmarkStripCode strips an article-like text (the golden cases, repeated to about
// 200 kB) and adversarial texts full of bold and italic runs that never close, where
// every run scans to the end of the text: the failed-route memo and the budgets keep
// those linear (BenchmarkAdversarial covers every construct).
func BenchmarkStripCode(b *testing.B) {
	cases, err := os.ReadFile("testdata/strip_cases.txt")
	if err != nil {
		b.Fatal(err)
	}
	article := strings.ReplaceAll(string(cases), "\n=====CASE=====\n", "\n\n")
	article = strings.Repeat(article+"\n\n", 200000/len(article)+1)
	for _, bc := range []struct{ name, text string }{
		{"article", article},
		{"unclosed", strings.Repeat("a ''b '''c {{t|''x}} d\n", 10000)},
		{"tables", strings.Repeat("{|\n| ''x'''y''' || z\n|}\n", 10000)},
	} {
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(bc.text)))
			for b.Loop() {
				StripCode(bc.text)
			}
		})
	}
}
