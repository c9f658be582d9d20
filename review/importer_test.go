package review

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

func TestInQuoteAndContext(t *testing.T) {
	tests := []struct {
		name, text, mention string
		quote               bool
		before, after       string
	}{
		{"plain", "Athens is the capital of Greece.", "capital", false, "Athens is the ", " of Greece."},
		{"straight quotes", `He said "the capital is far" and left.`, "capital", true, `He said "the `, ` is far" and left.`},
		{"closed before", `He said "no" near the capital.`, "capital", false, `He said "no" near the `, "."},
		{"guillemets", "Il dit « la capitale est loin ».", "capitale", true, "Il dit « la ", " est loin »."},
		{"open on the line only", "A \"quote\nthe capital\" later", "capital", false, "the ", `" later`},
		{"markup stripped", "The [[Greece|Greek]] capital {{cn}} of [[Athens]].", "capital", false, "The Greek ", " of Athens."},
		{"other paragraph", "First line.\nSecond capital here.\nThird.", "capital", false, "Second ", " here."},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			start := strings.Index(tc.text, tc.mention)
			end := start + len(tc.mention)
			if got := InQuote(tc.text, start, end); got != tc.quote {
				t.Errorf("InQuote = %v, want %v", got, tc.quote)
			}
			b, a := Context(tc.text, start, end)
			if b != tc.before || a != tc.after {
				t.Errorf("Context = %q, %q; want %q, %q", b, a, tc.before, tc.after)
			}
		})
	}
}

// FuzzContext: any text and span give valid UTF-8 context of bounded length and no
// panic.
func FuzzContext(f *testing.F) {
	f.Add("He said «the capital» [[A|b]] {{x}}\nnext", 10, 17)
	f.Add("\"\"\"", 1, 2)
	f.Fuzz(func(t *testing.T, text string, start, end int) {
		if start < 0 || end < start || end > len(text) || !utf8.ValidString(text) {
			return
		}
		InQuote(text, start, end)
		b, a := Context(text, start, end)
		if !utf8.ValidString(b) || !utf8.ValidString(a) {
			t.Fatalf("invalid UTF-8: %q %q", b, a)
		}
		if utf8.RuneCountInString(b) > ContextRunes+1 || utf8.RuneCountInString(a) > ContextRunes+1 {
			t.Fatalf("context too long: %d, %d", utf8.RuneCountInString(b), utf8.RuneCountInString(a))
		}
	})
}

// BenchmarkNextAndJudge: one reviewer's round trip in the store (lease the next item,
// judge it) on a SQLite file of 2,000 items.
func BenchmarkNextAndJudge(b *testing.B) {
	st := newStore(b)
	addItems(b, st, "xxwiki", 2000)
	ctx := context.Background()
	now := time.Unix(1_700_000_000, 0)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		r := fmt.Sprintf("r%d", i/1000)
		it, err := st.Next(ctx, NextOptions{Reviewer: r, Filter: Filter{MaxScore: 1}, Lease: time.Minute, Now: now})
		if err != nil {
			b.Fatal(err)
		}
		if it == nil {
			b.StopTimer()
			st = newStore(b)
			addItems(b, st, "xxwiki", 2000)
			b.StartTimer()
			continue
		}
		if _, _, err := st.Judge(ctx, Judgment{ItemID: it.ID, Reviewer: r, Label: Accept, RequestID: fmt.Sprintf("bench-%09d", i)}, now); err != nil {
			b.Fatal(err)
		}
	}
}
