package wikitext

import (
	"encoding/json"
	"os"
	"regexp"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"
)

func TestLower(t *testing.T) {
	// Expected values are Python 3.11's str.lower().
	for _, tt := range []struct{ in, want string }{
		{"ABC", "abc"},
		{"İstanbul", "i̇stanbul"},
		{"ΟΔΟΣ", "οδος"[:len("οδο")] + "ς"},
		{"ΣΑΣ ΣΑΣ", "σας σας"},
		{"Σ", "σ"},
		{"ΑΣ.", "ας."},
		{"ΑΣΑ", "ασα"},
		{"Ⅻ", "ⅻ"},
		{"ǅ", "ǆ"},
		{"KELVIN K", "kelvin k"},
	} {
		if got := Lower(tt.in); got != tt.want {
			t.Errorf("Lower(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestNormalizeTitle(t *testing.T) {
	// Expected values follow the reference's normalise_title in Python.
	for _, tt := range []struct{ in, want string }{
		{"foo_bar", "Foo bar"},
		{"  foo bar ", "Foo bar"},
		{"_foo", " foo"},
		{"foo#Section", "Foo"},
		{"#Section", ""},
		{"ßtraße", "SStraße"},
		{"ǆemal", "Ǆemal"},
		{"%C3%A9t%C3%A9", "Été"},
		{"100%", "100%"},
		{"%zz", "%zz"},
		{"%E2%82", "\uFFFD"}, {"%E2%82x%FF%C3%A9", "\uFFFDx\uFFFDé"},
		{"élan", "Élan"},
		{"ﬁsh", "FIsh"},
		{"\u00a0x", "X"},
	} {
		if got := NormalizeTitle(tt.in); got != tt.want {
			t.Errorf("NormalizeTitle(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
	if got := NormalizeAnchor("  Foo BAR\n"); got != "foo bar" {
		t.Errorf("NormalizeAnchor = %q", got)
	}
}

var linkRegexp = regexp.MustCompile(`\[\[([^\n\|\]\[\<\>\{\}]{0,256})(?:\|([^\[]*?))?\]\]`)

func regexpLinks(s string) []Link {
	var out []Link
	for _, m := range linkRegexp.FindAllStringSubmatchIndex(s, -1) {
		l := Link{Start: m[0], End: m[1], Target: s[m[2]:m[3]]}
		if m[4] >= 0 {
			l.Anchor, l.HasPipe = s[m[4]:m[5]], true
		}
		out = append(out, l)
	}
	return out
}

func TestLinksMatchRegexp(t *testing.T) {
	for _, s := range []string{
		"[[a]] [[b|c]] [[d|]] [[e|f|g]]",
		"[[[a]]", "[[a[b]]", "[[a|b[c]]", "[[a|b]c]]", "[[a\nb]]", "[[a|b\nc]]",
		"[[<x>]]", "[[{{x}}]]", "[[a]", "[[a|b", "[[File:x.jpg|thumb|a [[b]] c]]",
		"[[" + string(make([]byte, 0)) + "]]",
		"[[é" + repeat("x", 255) + "]]", "[[" + repeat("x", 257) + "]]",
	} {
		got, want := Links(s), regexpLinks(s)
		if len(got) != len(want) {
			t.Errorf("%q: %v, want %v", s, got, want)
			continue
		}
		for i := range got {
			if got[i] != want[i] {
				t.Errorf("%q: link %d = %+v, want %+v", s, i, got[i], want[i])
			}
		}
	}
}

func repeat(s string, n int) string {
	out := ""
	for i := 0; i < n; i++ {
		out += s
	}
	return out
}

func FuzzLinks(f *testing.F) {
	for _, s := range []string{"[[a|b]]", "x [[a]] [[b|c]]", "[[[a|]]]", "[[a|b[c]]]]", "[[é|ü]]"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if !utf8.ValidString(s) {
			return // the regexp package reads invalid UTF-8 differently
		}
		got, want := Links(s), regexpLinks(s)
		if len(got) != len(want) {
			t.Fatalf("%q: %v, want %v", s, got, want)
		}
		for i := range got {
			if got[i] != want[i] {
				t.Fatalf("%q: link %d = %+v, want %+v", s, i, got[i], want[i])
			}
		}
	})
}

func TestStripCode(t *testing.T) {
	// Expected values are mwparserfromhell 0.6.4's strip_code().
	for _, tt := range []struct{ in, want string }{
		{"a {{t|x}} b", "a  b"},
		{"a {{unclosed b", "a {{unclosed b"},
		{"a <!-- c --> b", "a  b"},
		{"{{{arg|def}}} x", "def x"},
		{"{{{arg}}} y", " y"},
		{"[http://x.org title here] z", "title here z"},
		{"http://x.org/a b", "http://x.org/a b"},
		{"[http://x.org] w", " w"},
		{"<ref>r</ref> q", "r q"},
		{"<math>x</math> m", " m"},
		{"<gallery>g</gallery> h", " h"},
		{"== Head ==\ntext", " Head \ntext"},
		{"'''bold''' and ''it''", "bold and it"},
		{"'''unbalanced text", "'''unbalanced text"},
		{"* item\n# num\n: ind\n; term : def", " item\n num\n ind\n term  def"},
		{"a&amp;b&nbsp;c&#65;", "a&b\u00a0cA"},
		{"<div class=x>in</div> <span>s</span> <br> <br/> x<foo>bar</foo>", "in s   xbar"},
		{"[[File:x.jpg|thumb|cap .]] t", "thumb|cap . t"},
		{"[[{{x}}]] y", " y"},
		{"<nowiki>[[a]]</nowiki>", "[[a]]"},
		{"a\n----\nb", "a\n\nb"},
		{"<ref name=a/> t", " t"},
		{"[[a|b]]", "b"},
		{"==Αξιοθέατα==.", "Αξιοθέατα."},
		{"{|\n| a\n|-\n| b || c\n|}\nafter", " a b  c\nafter"},
	} {
		if got := StripCode(tt.in); got != tt.want {
			t.Errorf("StripCode(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func FuzzStripCode(f *testing.F) {
	for _, s := range []string{"{{a|{{b}}}}", "[[a|[[b]]]]", "<ref>x</ref>", "{|\n|a\n|}", "'''x''", "== a ==", "&amp;&#x1F600;", "<div><div>x</div></div>",
		"{{T|x ''y}} ''z", "{|\n| ''x\n|}\n''", "'''''a''' b'' c"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		out := StripCode(s)
		if utf8.ValidString(s) && !utf8.ValidString(out) {
			t.Fatalf("StripCode(%q) = %q: invalid UTF-8", s, out)
		}
		if out := PlainText(s); utf8.ValidString(s) && !utf8.ValidString(out) {
			t.Fatalf("PlainText(%q) = %q: invalid UTF-8", s, out)
		}
	})
}

func TestLowerFor(t *testing.T) {
	for _, c := range []struct{ lang, in, want string }{
		{"az", "İngiliscə IŞIQ", "ingiliscə ışıq"},
		{"tr", "İSTANBUL", "istanbul"},
		{"en", "İstanbul", "i̇stanbul"},
		{"el", "ΟΔΟΣ", "οδος"[:len("οδο")] + "ς"},
	} {
		if got := LowerFor(c.lang)(c.in); got != c.want {
			t.Errorf("%s %q: got %q, want %q", c.lang, c.in, got, c.want)
		}
	}
}

// TestIsPyWordASCII: the ASCII table agrees with the Unicode definition.
func TestIsPyWordASCII(t *testing.T) {
	for r := rune(0); r < 0x80; r++ {
		if want := r == '_' || unicode.IsLetter(r) || unicode.IsNumber(r); isPyWord(r) != want {
			t.Errorf("isPyWord(%q) = %v", r, !want)
		}
	}
}

// TestStripCodeGolden compares StripCode with mwparserfromhell 0.6's strip_code() on the
// cases of testdata/strip_cases.txt (testdata/strip.golden, made by gen_strip.py): bold
// and italic runs across lines and out of templates, collapsed node contents, external
// link titles, table captions and cells.
func TestStripCodeGolden(t *testing.T) {
	b, err := os.ReadFile("testdata/strip.golden")
	if err != nil {
		t.Fatal(err)
	}
	var golden []struct{ In, Want string }
	if err := json.Unmarshal(b, &golden); err != nil {
		t.Fatal(err)
	}
	cases, err := os.ReadFile("testdata/strip_cases.txt")
	if err != nil {
		t.Fatal(err)
	}
	if n := len(strings.Split(string(cases), "\n=====CASE=====\n")); n != len(golden) {
		t.Fatalf("%d cases, %d golden: run gen_strip.py", n, len(golden))
	}
	for _, g := range golden {
		if got := StripCode(g.In); got != g.Want {
			t.Errorf("StripCode(%q)\n got %q\nwant %q", g.In, got, g.Want)
		}
	}
}

// TestPlainText checks where PlainText differs from StripCode: a bold or italic run
// does not leave the template, table, tag or heading it opens in.
func TestPlainText(t *testing.T) {
	for _, tt := range []struct{ in, strip, plain string }{
		{"{{T|a=x ''y}}\n(p: ''", "{{T|a=x y}}\n(p: ", "(p: ''"},
		{"{|\n| ''x'''y''' || z\n|}\nafter ''z'' end", "{|\n| xy || z\n|}\nafter z'' end", " ''xy  z\nafter z end"},
		{"<div>a ''b</div> c '' d", "<div>a b</div> c  d", "a ''b c '' d"},
		{"== Heading with ''open ==\nnext ''line'' x", "== Heading with open ==\nnext line'' x", " Heading with ''open \nnext line x"},
		{"''A x\nb''", "A x\nb", "A x\nb"},
	} {
		if got := StripCode(tt.in); got != tt.strip {
			t.Errorf("StripCode(%q) = %q, want %q", tt.in, got, tt.strip)
		}
		if got := PlainText(tt.in); got != tt.plain {
			t.Errorf("PlainText(%q) = %q, want %q", tt.in, got, tt.plain)
		}
	}
}

// TestCollapse: one pass gives what replacing "\n\n\n" by "\n\n" until none is left
// gives.
func TestCollapse(t *testing.T) {
	slow := func(s string) string {
		s = strings.Trim(s, "\n")
		for strings.Contains(s, "\n\n\n") {
			s = strings.ReplaceAll(s, "\n\n\n", "\n\n")
		}
		return s
	}
	for _, s := range []string{"", "\n", "a", "\na\n", "a\n\nb", "a\n\n\nb", "a\n\n\n\n\n\nb\n\n\nc\n\n\n", "\n\n\n\nx\n\n\n\n\ny", "a\n\n\n"} {
		if got, want := collapse(s), slow(s); got != want {
			t.Errorf("collapse(%q) = %q, want %q", s, got, want)
		}
	}
}
