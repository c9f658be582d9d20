// Package synth generates synthetic MediaWiki pages-articles dumps: the built-in sample
// wiki that lets every stage run on a fresh clone, and large dumps for benchmarks. The
// text is made up (pseudo-words from syllables) but shaped like Wikipedia's: articles
// that mention other articles and link their first mention, ambiguous anchors, words
// that are titles and also plain text, redirects, templates, refs, tables, files,
// categories and pages in other namespaces. Output depends only on the Options.
package synth

import (
	"bufio"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"strings"

	"github.com/addlink/addlink/datasets"
)

// Options configures a dump.
type Options struct {
	Wiki          string  // database name in <siteinfo>, default "samplewiki"
	Articles      int     // number of ns-0 articles (0: derived from TargetBytes)
	TargetBytes   int64   // stop after about this many bytes of XML (0: Articles decides)
	RedirectShare float64 // share of ns-0 pages that are redirects, default 0.3
	Seed          uint64
	// Vocabulary is the number of distinct content words, default 5000.
	Vocabulary int
}

// SampleOptions are the options of the built-in sample wiki: 400 articles.
func SampleOptions() Options {
	return Options{Wiki: datasets.SampleWiki, Articles: 400, RedirectShare: 0.15, Seed: 1, Vocabulary: 1500}
}

func (o *Options) defaults() {
	if o.Wiki == "" {
		o.Wiki = datasets.SampleWiki
	}
	if o.RedirectShare <= 0 || o.RedirectShare >= 1 {
		o.RedirectShare = 0.3
	}
	if o.Vocabulary <= 0 {
		o.Vocabulary = 5000
	}
	if o.Articles <= 0 {
		// Articles average about 2.5 KB of XML: leave room, the byte target stops first.
		o.Articles = int(max(o.TargetBytes/1200, 10))
	}
}

var syllables = strings.Fields("ka lo mi ren tas vel dor an is ul bra che fin gol hur jas kel lum nor pra quo ris sen tor ub vin wex yar zel el ar on sa te ri mo na de la po si gu ve ba tra ste lin mar cor")

var functionWords = strings.Fields("the of and in is a to was by with from for on as at that which it its an also are were has had this into after")

var sectionNames = []string{"History", "Geography", "Economy", "Culture", "Transport", "See also", "Notes", "People", "Climate", "Landmarks"}

var templateNames = []string{"Infobox settlement", "Infobox person", "Infobox river", "Infobox company"}

// world is the deterministic content of a dump: vocabulary and article titles.
type world struct {
	o       Options
	words   []string
	titles  []string
	aliases []string // a shorter, often shared, surface form of each title
	zipf    []float64
	zipfSum float64
}

func newWorld(o Options) *world {
	r := rand.New(rand.NewPCG(o.Seed, 0x5eed))
	w := &world{o: o}
	seen := map[string]bool{}
	for len(w.words) < o.Vocabulary {
		n := 1 + r.IntN(3)
		var b strings.Builder
		for i := 0; i < n; i++ {
			b.WriteString(syllables[r.IntN(len(syllables))])
		}
		s := b.String()
		if len(s) < 3 || seen[s] {
			continue
		}
		seen[s] = true
		w.words = append(w.words, s)
	}
	titleSeen := map[string]bool{}
	for i := 0; len(w.titles) < o.Articles; i++ {
		n := 1 + r.IntN(3)
		if n == 3 && r.IntN(2) == 0 {
			n = 2
		}
		parts := make([]string, n)
		for j := range parts {
			// Titles draw on the first part of the vocabulary so that some title words
			// also occur as plain words.
			parts[j] = capitalize(w.words[r.IntN(min(len(w.words), 2*o.Articles+50))])
		}
		t := strings.Join(parts, " ")
		if titleSeen[t] {
			continue
		}
		titleSeen[t] = true
		w.titles = append(w.titles, t)
		alias := strings.ToLower(parts[0])
		if n == 1 || r.IntN(3) > 0 {
			alias = strings.ToLower(t)
		}
		w.aliases = append(w.aliases, alias)
	}
	// Zipf-like popularity of articles as link targets.
	w.zipf = make([]float64, len(w.titles))
	for i := range w.zipf {
		w.zipfSum += 1 / math.Pow(float64(i+1), 0.8)
		w.zipf[i] = w.zipfSum
	}
	return w
}

func capitalize(s string) string { return strings.ToUpper(s[:1]) + s[1:] }

func (w *world) popular(r *rand.Rand) int {
	x := r.Float64() * w.zipfSum
	lo, hi := 0, len(w.zipf)-1
	for lo < hi {
		mid := (lo + hi) / 2
		if w.zipf[mid] < x {
			lo = mid + 1
		} else {
			hi = mid
		}
	}
	return lo
}

func (w *world) word(r *rand.Rand) string {
	// Zipf over the vocabulary via a squared uniform.
	u := r.Float64()
	return w.words[int(u*u*float64(len(w.words)))]
}

// Write writes the dump's XML to out.
func Write(out io.Writer, o Options) error {
	o.defaults()
	w := newWorld(o)
	bw := bufio.NewWriterSize(out, 1<<20)
	cw := &countWriter{w: bw}
	fmt.Fprintf(cw, `<mediawiki xmlns="http://www.mediawiki.org/xml/export-0.11/" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:schemaLocation="http://www.mediawiki.org/xml/export-0.11/ http://www.mediawiki.org/xml/export-0.11.xsd" version="0.11" xml:lang="en">
  <siteinfo>
    <sitename>Sample Wiki</sitename>
    <dbname>%s</dbname>
    <base>https://sample.invalid/wiki/Main_Page</base>
    <generator>addlink synth</generator>
    <case>first-letter</case>
    <namespaces>
      <namespace key="-2" case="first-letter">Media</namespace>
      <namespace key="-1" case="first-letter">Special</namespace>
      <namespace key="0" case="first-letter" />
      <namespace key="1" case="first-letter">Talk</namespace>
      <namespace key="2" case="first-letter">User</namespace>
      <namespace key="4" case="first-letter">Project</namespace>
      <namespace key="6" case="first-letter">File</namespace>
      <namespace key="10" case="first-letter">Template</namespace>
      <namespace key="14" case="first-letter">Category</namespace>
      <namespace key="828" case="first-letter">Module</namespace>
    </namespaces>
  </siteinfo>
`, xmlEscape(o.Wiki))
	id := int64(1)
	rev := int64(1000)
	page := func(title string, ns int, redirect, model, text string) {
		fmt.Fprintf(cw, "  <page>\n    <title>%s</title>\n    <ns>%d</ns>\n    <id>%d</id>\n", xmlEscape(title), ns, id)
		if redirect != "" {
			fmt.Fprintf(cw, "    <redirect title=\"%s\" />\n", xmlEscape(redirect))
		}
		format := "text/x-wiki"
		if model == "Scribunto" {
			format = "text/plain"
		}
		fmt.Fprintf(cw, "    <revision>\n      <id>%d</id>\n      <timestamp>2026-01-01T00:00:00Z</timestamp>\n      <contributor>\n        <username>Synth</username>\n        <id>1</id>\n      </contributor>\n      <model>%s</model>\n      <format>%s</format>\n      <text bytes=\"%d\" xml:space=\"preserve\">%s</text>\n      <sha1>0</sha1>\n    </revision>\n  </page>\n",
			rev, model, format, len(text), xmlEscape(text))
		id++
		rev++
	}
	r := rand.New(rand.NewPCG(o.Seed, 0xa11ce))
	redirectEvery := 1 / o.RedirectShare
	redirectDebt := 0.0
	var redirects []string
	for i, t := range w.titles {
		if o.TargetBytes > 0 && cw.n >= o.TargetBytes {
			break
		}
		page(t, 0, "", "wikitext", w.article(r, i, redirects))
		// Redirects to this article, so that ns-0 pages are RedirectShare redirects.
		redirectDebt += 1 / (redirectEvery - 1)
		for redirectDebt >= 1 {
			redirectDebt--
			from := w.redirectTitle(r, i)
			page(from, 0, t, "wikitext", fmt.Sprintf("#REDIRECT [[%s]]\n\n{{R from alternative name}}", t))
			if len(redirects) < 5000 {
				redirects = append(redirects, from)
			}
		}
		if i%40 == 0 {
			w.otherNamespaces(r, i, page)
		}
		if i%97 == 0 {
			page(fmt.Sprintf("%s (stub)", t), 0, "", "wikitext", "") // an empty article
		}
	}
	fmt.Fprint(cw, "</mediawiki>\n")
	return bw.Flush()
}

type countWriter struct {
	w io.Writer
	n int64
}

func (c *countWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}

func (w *world) redirectTitle(r *rand.Rand, i int) string {
	t := w.titles[i]
	switch r.IntN(3) {
	case 0:
		return t + " " + capitalize(w.word(r))
	case 1:
		return capitalize(w.word(r)) + " " + t
	}
	return t + " (" + w.word(r) + ")"
}

func (w *world) otherNamespaces(r *rand.Rand, i int, page func(string, int, string, string, string)) {
	t := w.titles[i]
	page("Talk:"+t, 1, "", "wikitext", fmt.Sprintf("== %s ==\nI think [[%s]] needs a source. ~~~~\n", capitalize(w.word(r)), t))
	page("User:Synth"+fmt.Sprint(i), 2, "", "wikitext", "I write about [["+t+"]].")
	page("Project:About "+t, 4, "", "wikitext", "This page is about the [["+t+"]] project.")
	page("File:"+t+".jpg", 6, "", "wikitext", "== Summary ==\nA picture of [["+t+"]].\n[[Category:Images]]")
	page("Template:"+templateNames[i%len(templateNames)]+fmt.Sprint(i), 10, "", "wikitext", "{| class=\"infobox\"\n| {{{name|}}}\n|}<noinclude>[[Category:Templates]]</noinclude>")
	page("Category:"+capitalize(w.word(r)), 14, "", "wikitext", "Pages about "+w.word(r)+".")
	page("Module:Sample"+fmt.Sprint(i), 828, "", "Scribunto", "local p = {}\nfunction p.main(frame)\n  return '[[x]]' .. 'y'\nend\nreturn p\n")
}

// article writes the wikitext of article i.
func (w *world) article(r *rand.Rand, i int, redirects []string) string {
	var b strings.Builder
	t := w.titles[i]
	linked := map[int]bool{i: true}
	// Mentions: other articles this one talks about.
	n := 4 + r.IntN(10)
	if r.IntN(20) == 0 {
		n += 40 // a long article
	}
	mentions := make([]int, 0, n)
	for len(mentions) < n {
		if j := w.popular(r); j != i {
			mentions = append(mentions, j)
		}
	}
	if r.IntN(2) == 0 {
		fmt.Fprintf(&b, "{{%s\n| name = %s\n| population = %d\n| area = {{convert|%d|km2}}\n}}\n",
			templateNames[r.IntN(len(templateNames))], t, 1000+r.IntN(900000), 1+r.IntN(5000))
	}
	fmt.Fprintf(&b, "'''%s''' is a %s %s in [[%s]].", t, w.word(r), w.word(r), w.titles[mentions[0]])
	linked[mentions[0]] = true
	refs := 0
	section := 0
	for k, j := range mentions {
		if k > 0 && k%4 == 0 {
			fmt.Fprintf(&b, "\n\n== %s ==\n", sectionNames[(section+i)%len(sectionNames)])
			section++
		}
		b.WriteString(" ")
		w.sentence(r, &b, j, linked, redirects)
		if r.IntN(4) == 0 {
			refs++
			if refs > 1 && r.IntN(3) == 0 {
				b.WriteString(`<ref name="r1" />`)
			} else {
				fmt.Fprintf(&b, `<ref name="r%d">{{cite web |url=https://example.invalid/%d |title=%s %s}}</ref>`, refs, r.IntN(1000), capitalize(w.word(r)), w.word(r))
			}
		}
		if r.IntN(12) == 0 {
			fmt.Fprintf(&b, "<!-- %s %s -->", w.word(r), w.word(r))
		}
	}
	if r.IntN(4) == 0 {
		fmt.Fprintf(&b, "\n\n[[File:%s.jpg|thumb|The %s of [[%s]]]]\n", t, w.word(r), w.titles[w.popular(r)])
	}
	if r.IntN(5) == 0 {
		b.WriteString("\n\n{| class=\"wikitable\"\n! Year !! Value\n")
		for y := 0; y < 3; y++ {
			fmt.Fprintf(&b, "|-\n| %d || %s %s\n", 1900+r.IntN(120), w.word(r), w.word(r))
		}
		b.WriteString("|}\n")
	}
	if r.IntN(3) == 0 {
		b.WriteString("\n\n== See also ==\n")
		for k := 0; k < 3; k++ {
			fmt.Fprintf(&b, "* [[%s]]\n", w.titles[w.popular(r)])
		}
	}
	if refs > 0 {
		b.WriteString("\n\n== References ==\n<references />\n")
	}
	fmt.Fprintf(&b, "\n* [https://example.invalid/%s Official site of %s]\n", strings.ToLower(strings.ReplaceAll(t, " ", "_")), t)
	fmt.Fprintf(&b, "\n[[Category:%s]]\n[[de:%s]]", capitalize(w.word(r)), t)
	return b.String()
}

// sentence writes one sentence mentioning article j: linked on its first mention in the
// article, plain afterwards; sometimes through its alias, a redirect, or underscores.
func (w *world) sentence(r *rand.Rand, b *strings.Builder, j int, linked map[int]bool, redirects []string) {
	words := 6 + r.IntN(14)
	at := r.IntN(words)
	for k := 0; k < words; k++ {
		if k > 0 {
			b.WriteByte(' ')
		}
		if k == at {
			w.mention(r, b, j, linked, redirects)
			continue
		}
		if r.IntN(3) == 0 {
			b.WriteString(functionWords[r.IntN(len(functionWords))])
		} else {
			word := w.word(r)
			if r.IntN(30) == 0 {
				word = "''" + word + "''"
			}
			b.WriteString(word)
		}
	}
	b.WriteString([]string{".", ".", ".", ".", "!", "?", ";"}[r.IntN(7)])
}

func (w *world) mention(r *rand.Rand, b *strings.Builder, j int, linked map[int]bool, redirects []string) {
	t, alias := w.titles[j], w.aliases[j]
	if linked[j] {
		if r.IntN(2) == 0 {
			b.WriteString(alias)
		} else {
			b.WriteString(t)
		}
		return
	}
	linked[j] = true
	switch x := r.IntN(10); {
	case x < 4:
		fmt.Fprintf(b, "[[%s]]", t)
	case x < 7:
		fmt.Fprintf(b, "[[%s|%s]]", t, alias)
	case x < 8:
		fmt.Fprintf(b, "[[%s]]", strings.ReplaceAll(t, " ", "_"))
	case x < 9 && len(redirects) > 0:
		red := redirects[r.IntN(len(redirects))]
		fmt.Fprintf(b, "[[%s|%s]]", red, strings.ToLower(red))
	default:
		fmt.Fprintf(b, "[[%s|%s]]", strings.ToLower(t[:1])+t[1:], alias)
	}
}

var xmlEscaper = strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;", `"`, "&quot;")

func xmlEscape(s string) string { return xmlEscaper.Replace(s) }

// WriteFile writes a dump to path atomically: gzip-compressed (deterministic header) when
// path ends in ".gz", plain XML otherwise.
func WriteFile(path string, o Options) error {
	return writeFile(path, o)
}
