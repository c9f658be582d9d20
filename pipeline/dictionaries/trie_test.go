package dictionaries

import (
	"fmt"
	"math/rand/v2"
	"sort"
	"strings"
	"testing"
)

// naiveAsText counts the anchors as n-grams of the line the plain way.
func naiveAsText(line string, index map[string]int, counts []int64) {
	words := strings.Fields(line)
	for s := range words {
		for n := 1; n <= maxNgram && s+n <= len(words); n++ {
			if k, ok := index[strings.Join(words[s:s+n], " ")]; ok {
				counts[k]++
			}
		}
	}
}

// TestAnchorTrieCounts compares the trie's counts with plain n-gram counting, on random
// anchors and lines over a small vocabulary (so that anchors share prefixes, words
// collide in the tables' probes, and with many words, so that both tables grow).
func TestAnchorTrieCounts(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	vocab := []string{"a", "b", "ab", "ba", "x", "ελλάδα", "東京", "a.b", "long-word-here", "z"}
	phrase := func(n int) string {
		w := make([]string, n)
		for i := range w {
			w[i] = vocab[rng.IntN(len(vocab))]
		}
		return strings.Join(w, " ")
	}
	base := vocab
	for round := 0; round < 20; round++ {
		vocab = base
		if round%4 == 3 { // enough words for the word table to grow
			for i := 0; i < 1500; i++ {
				vocab = append(vocab, fmt.Sprintf("w%d", i))
			}
		}
		index := map[string]int{}
		for len(index) < 1+rng.IntN(300)+len(vocab) {
			a := phrase(1 + rng.IntN(12)) // some longer than maxNgram: never counted
			if _, ok := index[a]; !ok {
				index[a] = len(index)
			}
		}
		trie := newAnchorTrie(index)
		got, want := make([]int64, len(index)), make([]int64, len(index))
		var ids []uint32
		anchors := make([]string, 0, len(index))
		for a := range index {
			anchors = append(anchors, a)
		}
		sort.Strings(anchors) // the test does not depend on map order
		for i := 0; i < 50; i++ {
			// Anchors and random words, so that long anchors occur too.
			var parts []string
			for len(parts) < 8 {
				if rng.IntN(2) == 0 {
					parts = append(parts, anchors[rng.IntN(len(anchors))])
				} else {
					parts = append(parts, phrase(1+rng.IntN(3)))
				}
			}
			line := strings.Join(parts, " ")
			ids = trie.countLine([]byte(line), got, ids)
			naiveAsText(line, index, want)
		}
		for a, k := range index {
			if got[k] != want[k] {
				t.Fatalf("round %d: %q counted %d times, want %d", round, a, got[k], want[k])
			}
		}
	}
}
