package wikitext

import (
	"encoding/json"
	"os"
	"reflect"
	"strings"
	"testing"
	"unicode/utf8"
)

type goldenSection struct {
	Heading *string  `json:"heading"`
	Texts   []string `json:"texts"`
}

// TestSectionsMatchMwparserfromhell compares sections and top-level text nodes with
// mwparserfromhell 0.6's (testdata/sections.golden, made by gen_sections.py).
func TestSectionsMatchMwparserfromhell(t *testing.T) {
	cases, err := os.ReadFile("testdata/sections_cases.txt")
	if err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile("testdata/sections.golden")
	if err != nil {
		t.Fatal(err)
	}
	var golden [][]goldenSection
	if err := json.Unmarshal(b, &golden); err != nil {
		t.Fatal(err)
	}
	texts := strings.Split(string(cases), "\n=====CASE=====\n")
	if len(texts) != len(golden) {
		t.Fatalf("%d cases, %d golden", len(texts), len(golden))
	}
	for ci, text := range texts {
		got := Sections(text)
		var gotG []goldenSection
		for _, s := range got {
			g := goldenSection{Texts: []string{}}
			if !s.Lead {
				h := s.Heading
				g.Heading = &h
			}
			for _, sp := range s.Texts {
				g.Texts = append(g.Texts, text[sp.Start:sp.End])
			}
			gotG = append(gotG, g)
		}
		want := golden[ci]
		if !reflect.DeepEqual(gotG, want) {
			gj, _ := json.MarshalIndent(gotG, "", " ")
			wj, _ := json.MarshalIndent(want, "", " ")
			t.Errorf("case %d:\ngot  %s\nwant %s", ci, gj, wj)
		}
	}
}

func FuzzSections(f *testing.F) {
	f.Add("== A ==\ntext [[x|y]] ''i'' {{t}}\n* item\n{|\n|c\n|}\n")
	f.Fuzz(func(t *testing.T, s string) {
		prev := 0
		for _, sec := range Sections(s) {
			for _, sp := range sec.Texts {
				if sp.Start < prev || sp.End <= sp.Start || sp.End > len(s) {
					t.Fatalf("bad span %v (prev end %d, len %d)", sp, prev, len(s))
				}
				if utf8.ValidString(s) && (!utf8.ValidString(s[sp.Start:sp.End])) {
					t.Fatalf("span %v cuts a character", sp)
				}
				prev = sp.End
			}
		}
	})
}

func FuzzLinkedSentences(f *testing.F) {
	f.Add("Η [[Αθήνα|Αθήνα]] είναι πόλη. Άλλο [[x]] κείμενο.\n* [[a]] b.", false)
	f.Add("東京都は[[日本]]の首都。<ref>x</ref>[[大阪]]も。", true)
	f.Fuzz(func(t *testing.T, s string, greedy bool) {
		for _, o := range []SentenceOptions{{GreedyRefs: greedy}, {GreedyRefs: greedy, OnlyDotStops: true}} {
			for _, sent := range LinkedSentences(s, o, 0) {
				if utf8.ValidString(s) && !utf8.ValidString(sent) {
					t.Fatalf("invalid UTF-8 sentence %q", sent)
				}
				if countStops(sent, o) != 1 || !strings.Contains(sent, "[[") {
					t.Fatalf("sentence %q: want one full stop and a link", sent)
				}
			}
		}
	})
}
