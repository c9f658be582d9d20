package mprof

import (
	"testing"

	"github.com/addlink/addlink/internal/linker"
	"github.com/addlink/addlink/internal/wikitext"
	"github.com/addlink/addlink/internal/wikitext/wikitexttest"
)

func BenchmarkMentions(b *testing.B) {
	pages := map[string]string{"ordinary": wikitexttest.Ordinary(1 << 17)}
	for _, p := range wikitexttest.Adversarial(1 << 17) {
		if p.Name == "bold-open" || p.Name == "tag-open-many" {
			pages[p.Name] = p.Text
		}
	}
	for name, text := range pages {
		b.Run(name, func(b *testing.B) {
			for b.Loop() {
				linker.MentionsLower(text, 10, 1, linker.TokenOptions{}, wikitext.Lower, func(string, string) {})
			}
		})
	}
}
