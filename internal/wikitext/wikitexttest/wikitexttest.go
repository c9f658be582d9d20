// Package wikitexttest generates wikitext for tests and benchmarks of the code that reads
// page text: ordinary article text, and adversarial pages made of one markup construct
// (or a mix of them) repeated, unclosed or nested, as vandalised or broken pages are.
// Every function that reads wikitext must take time linear in a page's size on all of
// them; the tests compare each adversarial page's time with ordinary text's. Output
// depends only on the arguments.
package wikitexttest

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"time"
)

// A Page is a generated page: its construct's name and its text.
type Page struct {
	Name string
	Text string
}

// Ordinary returns about size bytes of ordinary article text: an infobox, paragraphs
// with links, bold and italic words, references, templates, entities, headings, lists,
// a table, comments, files and categories, as in real articles, with words chosen by a
// fixed seed.
func Ordinary(size int) string {
	r := rand.New(rand.NewPCG(1, 2))
	var b strings.Builder
	b.Grow(size + 4096)
	for n := 0; b.Len() < size; n++ {
		article(&b, r, n)
	}
	return cut(b.String(), size)
}

var words = strings.Fields(`the of and in is a to was by with from for on as at that which
	river town company album station county population district railway church school
	government national season league party village island council member world north
	south history university music film series record language bridge mountain valley`)

func word(r *rand.Rand) string { return words[r.IntN(len(words))] }

func phrase(r *rand.Rand, n int) string {
	w := make([]string, n)
	for i := range w {
		w[i] = word(r)
	}
	return strings.Join(w, " ")
}

func title(r *rand.Rand) string {
	t := phrase(r, 1+r.IntN(3))
	return strings.ToUpper(t[:1]) + t[1:]
}

// sentence writes one sentence with the inline markup of an article's prose.
func sentence(b *strings.Builder, r *rand.Rand) {
	b.WriteString(title(r))
	for k := 3 + r.IntN(12); k > 0; k-- {
		b.WriteByte(' ')
		switch r.IntN(14) {
		case 0, 1:
			fmt.Fprintf(b, "[[%s]]", title(r))
		case 2:
			fmt.Fprintf(b, "[[%s|%s]]", title(r), phrase(r, 2))
		case 3:
			fmt.Fprintf(b, "''%s''", phrase(r, 2))
		case 4:
			fmt.Fprintf(b, "'''%s'''", phrase(r, 1))
		case 5:
			fmt.Fprintf(b, "{{lang|fr|%s}}", phrase(r, 2))
		case 6:
			b.WriteString("&nbsp;")
		case 7:
			fmt.Fprintf(b, "(%d&ndash;%d)", 1800+r.IntN(200), 1900+r.IntN(120))
		default:
			b.WriteString(phrase(r, 1+r.IntN(3)))
		}
	}
	b.WriteByte('.')
	switch r.IntN(6) {
	case 0:
		fmt.Fprintf(b, "<ref>{{cite web|url=https://example.org/%d|title=%s|accessdate=2020-01-01}}</ref>", r.IntN(1000), title(r))
	case 1:
		fmt.Fprintf(b, `<ref name="n%d">[https://example.org/%d %s], p. %d.</ref>`, r.IntN(50), r.IntN(1000), title(r), r.IntN(300))
	case 2:
		fmt.Fprintf(b, `<ref name="n%d" />`, r.IntN(50))
	}
	b.WriteByte(' ')
}

// article writes one article of a few KB.
func article(b *strings.Builder, r *rand.Rand, n int) {
	fmt.Fprintf(b, "{{Infobox settlement\n| name = %s\n| population = %d\n| area = {{convert|%d|km2}}\n| map = [[File:Map %d.svg|220px]]\n}}\n",
		title(r), r.IntN(100000), r.IntN(500), n)
	fmt.Fprintf(b, "'''%s''' is a [[%s]] in [[%s]].", title(r), word(r), title(r))
	for p := 0; p < 3+r.IntN(3); p++ {
		if p > 0 {
			fmt.Fprintf(b, "\n\n== %s ==\n", title(r))
		} else {
			b.WriteString("\n\n")
		}
		for s := 0; s < 3+r.IntN(5); s++ {
			sentence(b, r)
		}
		switch r.IntN(4) {
		case 0:
			b.WriteString("\n")
			for i := 0; i < 3; i++ {
				fmt.Fprintf(b, "\n* [[%s]], %s", title(r), phrase(r, 4))
			}
		case 1:
			b.WriteString("\n\n{| class=\"wikitable\"\n! Year !! Name\n")
			for i := 0; i < 3; i++ {
				fmt.Fprintf(b, "|-\n| %d || [[%s]]\n", 1900+r.IntN(120), title(r))
			}
			b.WriteString("|}")
		case 2:
			fmt.Fprintf(b, "\n\n[[File:Photo %d.jpg|thumb|%s [[%s]].]]", r.IntN(1000), phrase(r, 3), title(r))
		case 3:
			fmt.Fprintf(b, "<!-- %s -->", phrase(r, 4))
		}
	}
	fmt.Fprintf(b, "\n\n== References ==\n{{reflist}}\n\n== External links ==\n* [https://example.org/%d Official site]\n\n[[Category:%s]]\n[[Category:%s]]\n\n",
		n, title(r), title(r))
}

// cut shortens s to at most size bytes, at a character boundary.
func cut(s string, size int) string {
	if len(s) <= size {
		return s
	}
	for size > 0 && s[size]&0xC0 == 0x80 {
		size--
	}
	return s[:size]
}

// repeat returns unit repeated to about size bytes.
func repeat(unit string, size int) string {
	return strings.Repeat(unit, max(1, size/len(unit)))
}

// nest returns open repeated, a middle, and close repeated, to about size bytes: one
// construct nested as deep as the page allows.
func nest(open, middle, close string, size int) string {
	n := max(1, (size-len(middle))/(len(open)+len(close)))
	return strings.Repeat(open, n) + middle + strings.Repeat(close, n)
}

// Adversarial returns pages of about size bytes, one for each construct: every kind of
// markup repeated without ever closing, closed only at the end, stray closers, deep
// nesting, combinations of them, and long lines without line breaks.
func Adversarial(size int) []Page {
	units := []struct{ name, unit string }{
		{"template-open", "{{d "},
		{"template-open-pipe", "{{d|"},
		{"template-open-lines", "{{d\n"},
		{"argument-open", "{{{a|"},
		{"braces-close", "}}x "},
		{"braces-mixed", "{{a}{{b}}}{"},
		{"link-open", "[[a "},
		{"link-open-pipe", "[[a|b "},
		{"link-open-lines", "[[a|\n"},
		{"link-close", "]]x "},
		{"link-open-bracket", "[[[x "},
		{"external-open", "[http://a.b c "},
		{"external-bracket", "[x "},
		{"table-open", "{|\n| a\n"},
		{"table-cells", "{|\n| a || b ''c\n"},
		{"table-close", "|}\n"},
		{"ref-open", "<ref>a "},
		{"ref-open-name", "<ref name=x "},
		{"ref-open-gt", "<ref a "},
		{"ref-close", "</ref>a "},
		{"ref-selfclose", "<ref name=a/>b "},
		{"tag-open", "<span>a "},
		{"tag-open-attr", "<span a=b "},
		{"tag-open-many", "<div>a <span>b <small>c "},
		{"tag-close", "</span>a "},
		{"tag-raw", "<nowiki>a "},
		{"tag-invisible", "<math>a "},
		{"tag-lt", "<a"},
		{"comment-open", "<!-- a "},
		{"comment-close", "--> a "},
		{"italic-open", "''a "},
		{"bold-open", "'''a "},
		{"bold-italic-open", "'''''a "},
		{"quotes-mixed", "''a '''b "},
		{"quotes-lines", "''a\n'''b\n"},
		{"quotes-in-template", "{{t|''x}} a '''b "},
		{"quotes-in-table", "{|\n| ''x'''y''' || z\n|}\n"},
		{"quotes-in-tag", "<span>''a</span> '''b "},
		{"quotes-in-heading", "== ''a ==\n'''b\n"},
		{"heading-open", "== a\n"},
		{"heading-lines", "==a==\n"},
		{"heading-unbalanced", "===== a =\n"},
		{"heading-equals", "=\n"},
		{"heading-long", "= a = b = c = d = e = f = g = h =\n"},
		{"list", "*#:; a : b\n"},
		{"definition", ";a:b:c:d "},
		{"entity-open", "&amp"},
		{"entity-numeric", "&#123"},
		{"entity-long", "&aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa "},
		{"entity-valid", "&amp;&lt;&#x41;"},
		{"bare-url", "http://a.b/c "},
		{"dots", "abc. "},
		{"stops", "abc。"},
		{"cut-marker", "[cut]a "},
		{"apostrophes", "a's 'b' "},
		{"combined-open", "{{a|[[b|''c <ref>d {|\n<!-- e <span>f &amp g '''h\n== i\n"},
		{"combined-close", "}}]]''</ref>|}\n--></span>'''\n"},
	}
	var pages []Page
	for _, u := range units {
		pages = append(pages, Page{u.name, repeat(u.unit, size)})
	}
	for _, n := range []struct{ name, open, middle, close string }{
		{"nested-templates", "{{a|", "x", "}}"},
		{"nested-templates-open", "{{a|", "x", ""},
		{"nested-arguments", "{{{a|", "x", "}}}"},
		{"nested-links", "[[a|", "x", "]]"},
		{"nested-links-open", "[[a|", "x", ""},
		{"nested-tags", "<span>", "x", "</span>"},
		{"nested-tags-open", "<span>", "x", ""},
		{"nested-refs", "<ref>", "x", "</ref>"},
		{"nested-tables", "{|\n|\n", "x\n", "|}\n"},
		{"nested-tables-open", "{|\n|\n", "x\n", ""},
		{"nested-quotes", "''a '''b ", "x", "''' c'' "},
		{"nested-mixed", "{{a|[[b|<span>''", "x", "''</span>]]}}"},
		{"nested-mixed-open", "{{a|[[b|<span>''<ref>{|\n", "x", ""},
	} {
		pages = append(pages, Page{n.name, nest(n.open, n.middle, n.close, size)})
	}
	line := strings.ReplaceAll(Ordinary(size), "\n", " ")
	pages = append(pages,
		Page{"long-line", line},
		Page{"long-word", strings.Repeat("a", size)},
		Page{"long-line-quotes", strings.ReplaceAll(line, "[[", "''[[")},
	)
	return pages
}

// Time returns the CPU time f takes (see CPUTime).
func Time(f func()) time.Duration {
	start := CPUTime()
	f()
	return CPUTime() - start
}
