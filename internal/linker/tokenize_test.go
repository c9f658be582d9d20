package linker

import (
	"bufio"
	"os"
	"reflect"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"

	"github.com/addlink/addlink/internal/wikitext"
)

// TestTreebankMatchesNLTK compares our word tokenizer, in the reference's mode, with
// NLTK 3.8 on the words of testdata/words.txt (expected tokens from gen_tokens.py).
func TestTreebankMatchesNLTK(t *testing.T) {
	f, err := os.Open("testdata/tokens.tsv")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	n := 0
	for sc.Scan() {
		w, toks, _ := strings.Cut(sc.Text(), "\t")
		want := strings.Split(toks, "\x1f")
		if toks == "" {
			want = nil
		}
		got := appendWordTokens(nil, w, ReferenceTokens)
		if strings.IndexFunc(w, unspacedRune) >= 0 {
			// Our tokens cut scripts without spaces into characters; NLTK does not.
			if strings.Join(got, "") != strings.Join(want, "") {
				t.Errorf("%q: got %q, want the characters of %q", w, got, want)
			}
		} else if !reflect.DeepEqual(got, want) {
			t.Errorf("%q: got %q, want %q", w, got, want)
		}
		n++
	}
	if n < 150 {
		t.Fatalf("only %d cases", n)
	}
}

func TestNGrams(t *testing.T) {
	tokens := WordTokens("the Red Sea, north", TokenOptions{})
	var got []string
	for n := 3; n >= 1; n-- {
		NGrams(tokens, n, TokenOptions{}, func(g string, _ bool) { got = append(got, g) })
	}
	want := []string{"the Red Sea", "Red Sea,", "Sea, north", "the Red", "Red Sea", "Sea,", ", north", "the", "Red", "Sea", ",", "north"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %q\nwant %q", got, want)
	}
	got = nil
	NGrams(tokens, 1, ReferenceTokens, func(g string, _ bool) { got = append(got, g) })
	if want := []string{"the", "Red", "Sea", ","}; !reflect.DeepEqual(got, want) {
		t.Errorf("reference quirk: got %q, want %q", got, want)
	}
}

func TestSplitSentences(t *testing.T) {
	for _, c := range []struct {
		in   string
		o    TokenOptions
		want []string
	}{
		{"One. Two! Three? Four", TokenOptions{}, []string{"One.", "Two!", "Three?", "Four"}},
		{`He said "go." Then left.`, TokenOptions{}, []string{`He said "go."`, "Then left."}},
		{"J. R. R. Tolkien wrote it. Dr. Who too.", TokenOptions{}, []string{"J. R. R. Tolkien wrote it.", "Dr. Who too."}},
		{"J. R. Tolkien.", ReferenceTokens, []string{"J.", "R.", "Tolkien."}},
		{"東京都は首都。大阪は都市。", TokenOptions{}, []string{"東京都は首都。", "大阪は都市。"}},
		{"এটি একটি বাক্য। আরেকটি।", TokenOptions{}, []string{"এটি একটি বাক্য।", "আরেকটি।"}},
		{"3.5 is a number.", TokenOptions{}, []string{"3.5 is a number."}},
	} {
		if got := SplitSentences(c.in, c.o); !reflect.DeepEqual(got, c.want) {
			t.Errorf("%q: got %q, want %q", c.in, got, c.want)
		}
	}
}

func TestUnspacedScripts(t *testing.T) {
	var got []string
	Mentions("東京都は日本の首都", 1, 1, TokenOptions{}, func(g string) { got = append(got, g) })
	found := map[string]bool{}
	for _, g := range got {
		found[g] = true
	}
	for _, w := range []string{"東京都", "日本", "首都", "東", "都"} {
		if !found[w] {
			t.Errorf("mention %q not produced (got %q)", w, got)
		}
	}
	// Thai: a consonant keeps its vowel marks.
	toks := WordTokens("ภาษาไทย", TokenOptions{})
	for _, tk := range toks {
		if r, _ := utf8.DecodeRuneInString(tk); unicode.IsMark(r) {
			t.Errorf("token %q starts with a combining mark", tk)
		}
	}
}

func FuzzTokenize(f *testing.F) {
	for _, s := range []string{"Athens, the capital.", "東京都は日本の首都。", "don't \"x\" (y)", "a\xffb"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		for _, o := range []TokenOptions{{}, ReferenceTokens} {
			for _, sent := range SplitSentences(s, o) {
				if !strings.Contains(s, sent) {
					t.Fatalf("sentence %q not in %q", sent, s)
				}
			}
			Mentions(s, 5, 1, o, func(g string) {
				if g == "" {
					t.Fatal("empty gram")
				}
				if utf8.ValidString(s) && !utf8.ValidString(g) {
					t.Fatalf("invalid UTF-8 gram %q from %q", g, s)
				}
				if o == (TokenOptions{}) && utf8.ValidString(s) && !strings.Contains(s, g) && !strings.ContainsAny(g, "\"'`") {
					t.Fatalf("gram %q is not a substring of %q", g, s)
				}
			})
		}
	})
}

// TestMentionsLowerAgrees: lower-casing per token gives the grams lower-cased whole.
func TestMentionsLowerAgrees(t *testing.T) {
	for _, text := range []string{"ΟΔΟΣ ΑΘΗΝΑΣ, Η ΠΟΛΗ.", "İstanbul ve IŞIK", "Mixed CASE words, (Quoted) \"X\" end.", "東京都は日本", "a\u00a0B\tC"} {
		var want, got []string
		Mentions(text, 5, 1, TokenOptions{}, func(g string) { want = append(want, wikitext.Lower(g)) })
		MentionsLower(text, 5, 1, TokenOptions{}, wikitext.Lower, func(g, l string) {
			if l != wikitext.Lower(g) {
				t.Errorf("%q: lower %q, want %q", g, l, wikitext.Lower(g))
			}
			got = append(got, l)
		})
		if !reflect.DeepEqual(got, want) {
			t.Errorf("%q: got %q, want %q", text, got, want)
		}
	}
}

// TestBracketedMatchesTreebank checks the fast path for bracketed and punctuated words
// against the Treebank rules on generated words (ASCII, Cyrillic, CJK, contractions).
func TestBracketedMatchesTreebank(t *testing.T) {
	cores := []string{"word", "Київ", "東京", "cannot", "GONNA", "a1", "x", "élan"}
	leads := []string{"", "(", "[", "{", "((", "([", "'", "\"", "«"}
	trails := []string{"", ")", "]", "}", ",", ";", ":", "!", "?", ".", "),", ").", "]:", "))", "?!", ".)", "'", "'s", "...", ",,"}
	n := 0
	for _, c := range cores {
		for _, l := range leads {
			for _, tr := range trails {
				w := l + c + tr
				for _, o := range []TokenOptions{{}, {Backquotes: true}} {
					var want []string
					for _, tok := range treebank(w, o) {
						want = appendUnspaced(want, tok)
					}
					got, ok := appendBracketed(nil, w)
					if !ok {
						continue
					}
					n++
					if !reflect.DeepEqual(got, want) {
						t.Errorf("%q: fast path %q, Treebank rules %q", w, got, want)
					}
				}
			}
		}
	}
	if n < 500 {
		t.Fatalf("only %d words took the fast path", n)
	}
}

// applyEvery applies every rule, as treebank did before it skipped the rules whose
// needed characters a word lacks.
func applyEvery(s string, rs []rule) string {
	for _, r := range rs {
		s = r.re.ReplaceAllString(s, r.repl)
	}
	return s
}

// FuzzTokenizerFastPaths holds the tokenizer's fast paths to its plain path: the
// Treebank rules skipped on words without their characters (treebank) to every rule
// applied, and the words remembered by MentionsLower (wordCache) to Mentions, which
// cuts every word afresh.
func FuzzTokenizerFastPaths(f *testing.F) {
	for _, s := range []string{"'''''a '''''a ''a'' b'''", "<span>a </span>b <span>a", "can't cannot d'ye 'tis", "x... y?! «z» “w” ‘v’", "a--b (c) [d] {e} <f>", "more'n wanna gimme", "1,000 a, b: c;"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		for _, o := range []TokenOptions{{}, ReferenceTokens} {
			for _, w := range strings.Fields(s) {
				if got, want := treebank(w, o), treebankWith(w, o, applyEvery); !reflect.DeepEqual(got, want) {
					t.Fatalf("treebank(%q) = %q, every rule %q", w, got, want)
				}
			}
			var got, want []string
			MentionsLower(s+" "+s, 3, 1, o, wikitext.Lower, func(g, _ string) { got = append(got, g) })
			Mentions(s+" "+s, 3, 1, o, func(g string) { want = append(want, g) })
			if !reflect.DeepEqual(got, want) {
				t.Fatalf("%q: MentionsLower %q, Mentions %q", s, got, want)
			}
		}
	})
}

// TestRuleNeeds checks each Treebank rule's needed characters: every match of the
// rule's pattern in a corpus that makes each rule match holds one of them, so that
// skipping the rule on texts without any changes nothing.
func TestRuleNeeds(t *testing.T) {
	corpus := []string{
		"«Athens» “quoted” ‘single’ „low“ ``back``", `"start" ("inner" ''two'') <"x"`,
		"end. end.) end.»  ", "a:b a,b 1,000 x: y, z:", "wait... .. ;@#$%& ?! !?",
		"rock 'n' roll' x", "a*b [x] (y) {z} <w> a--b", "it's I'm he'd they'll we're you've don't",
		"cannot CANNOT d'ye gimme GONNA gotta lemme more'n wanna 'tis 'twas 'TIS",
		"Ἀθῆναι, Київ. 東京。 ſ K Å", "plain words only", "",
	}
	all := [][]rule{startingQuotes, startingQuotesBackquote, punctuation, endingQuotes,
		endingQuotesBackquote, endingQuotesKeep, endingClitics}
	for _, rs := range all {
		for _, r := range rs {
			matched := false
			for _, text := range corpus {
				for _, s := range []string{text, " " + text + " "} {
					for _, m := range r.re.FindAllString(s, -1) {
						matched = true
						if !strings.ContainsAny(m, r.need) {
							t.Errorf("%s: match %q of %q holds none of %q", r.re, m, s, r.need)
						}
					}
				}
			}
			if !matched {
				t.Errorf("%s matches nothing in the corpus: the check says nothing", r.re)
			}
		}
	}
}
