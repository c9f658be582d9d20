// Command adversarial times every reader of wikitext on ordinary article text and on
// generated adversarial pages of every markup construct (internal/wikitext/wikitexttest),
// and prints seconds per MB (of CPU time, so that other programs on a busy machine count
// for little) for each next to ordinary text's, with the ratio. Each page
// is timed -reps times alternately with the ordinary text, and the ratio is that of the
// two best times (a busy machine slows both alike); the ordinary line is the best of all
// its timings. bench/adversarial.sh runs it.
package main

import (
	"flag"
	"fmt"
	"math"
	"os"
	"strings"

	"github.com/addlink/addlink/internal/linker"
	"github.com/addlink/addlink/internal/wikitext"
	"github.com/addlink/addlink/internal/wikitext/wikitexttest"
)

type reader struct {
	name string
	size int // the pages' size for this reader
	read func(string)
}

func main() {
	size := flag.Int("size", 1<<20, "bytes of each page")
	reps := flag.Int("reps", 3, "runs of each page, each alternating with one of ordinary text; the best counts")
	only := flag.String("readers", "", "comma-separated readers to time (default all)")
	onlyPages := flag.String("pages", "", "comma-separated constructs to time (default all)")
	flag.Parse()
	readers := []reader{
		{"StripCode", *size, func(s string) { wikitext.StripCode(s) }},
		{"PlainText", *size, func(s string) { wikitext.PlainText(s) }},
		{"Sections", *size, func(s string) { wikitext.Sections(s) }},
		{"LinkedSentences", *size, func(s string) { wikitext.LinkedSentences(s, wikitext.SentenceOptions{}, 0) }},
		{"LinkedSentencesGreedy", *size, func(s string) {
			wikitext.LinkedSentences(s, wikitext.SentenceOptions{GreedyRefs: true, OnlyDotStops: true}, 0)
		}},
		{"ScanLinks", *size, func(s string) { wikitext.ScanLinks(s, func(wikitext.Link) bool { return true }) }},
		// The tokenizer reads sentences, not pages; it is slow per byte on any text
		// (NLTK's rules), so its pages are smaller.
		{"Mentions", *size / 8, func(s string) {
			linker.MentionsLower(s, 10, 1, linker.TokenOptions{}, wikitext.Lower, func(string, string) {})
		}},
	}
	worst := map[string]float64{}
	var order []string
	for _, r := range readers {
		if *only != "" && !strings.Contains(","+*only+",", ","+r.name+",") {
			continue
		}
		ordinary := wikitexttest.Ordinary(r.size)
		var pages []wikitexttest.Page
		for _, p := range wikitexttest.Adversarial(r.size) {
			if *onlyPages == "" || strings.Contains(","+*onlyPages+",", ","+p.Name+",") {
				pages = append(pages, p)
			}
		}
		// Each page is timed alternately with the ordinary text, so that both see the
		// same load; the ratio is that of their best times.
		bases := make([]float64, len(pages))
		spms := make([]float64, len(pages))
		base := math.Inf(1)
		for k, p := range pages {
			bases[k], spms[k] = math.Inf(1), math.Inf(1)
			for range max(*reps, 1) {
				bases[k] = min(bases[k], secondsPerMB(r, ordinary))
				spms[k] = min(spms[k], secondsPerMB(r, p.Text))
			}
			base = min(base, bases[k])
		}
		fmt.Printf("%-22s %-24s %9.4f s/MB\n", r.name, "ordinary", base)
		for k, p := range pages {
			ratio := spms[k] / bases[k]
			fmt.Printf("%-22s %-24s %9.4f s/MB %6.2fx\n", r.name, p.Name, spms[k], ratio)
			if ratio > worst[r.name] {
				worst[r.name] = ratio
			}
		}
		order = append(order, r.name)
	}
	fmt.Println()
	over := false
	for _, name := range order {
		fmt.Printf("%-22s worst %.2fx ordinary text\n", name, worst[name])
		over = over || worst[name] > 5
	}
	if over {
		fmt.Println("some construct is more than 5x ordinary text")
		os.Exit(1)
	}
}

// secondsPerMB is one timing of r on text, in CPU seconds per MB.
func secondsPerMB(r reader, text string) float64 {
	d := wikitexttest.Time(func() { r.read(text) })
	return d.Seconds() / (float64(len(text)) / 1e6)
}
