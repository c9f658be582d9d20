package pyrandom

import (
	"fmt"
	"testing"
)

// Expected values printed by CPython 3.11:
//
//	import random; random.seed(2); print([random.getrandbits(32) for _ in range(3)])
//	random.seed(2); x = list(range(10)); random.shuffle(x); print(x)
func TestMatchesCPython(t *testing.T) {
	r := New(2)
	got := fmt.Sprint(r.Uint32(), r.Uint32(), r.Uint32())
	if want := wantBits; got != want {
		t.Errorf("seed 2 bits: got %s, want %s", got, want)
	}
	r = New(2)
	x := []int{0, 1, 2, 3, 4, 5, 6, 7, 8, 9}
	r.Shuffle(len(x), func(i, j int) { x[i], x[j] = x[j], x[i] })
	if got := fmt.Sprint(x); got != wantShuffle {
		t.Errorf("shuffle: got %s, want %s", got, wantShuffle)
	}
}

const (
	wantBits    = "4106135923 3707026329 4070888059"
	wantShuffle = "[5 9 3 4 6 7 2 8 1 0]"
)

// random.seed(2**40+5); x = list(range(1000)); random.shuffle(x); print(x[:8])
func TestLargeSeedAndList(t *testing.T) {
	r := New(1<<40 + 5)
	x := make([]int, 1000)
	for i := range x {
		x[i] = i
	}
	r.Shuffle(len(x), func(i, j int) { x[i], x[j] = x[j], x[i] })
	if got := fmt.Sprint(x[:8]); got != "[207 690 542 290 700 351 177 707]" {
		t.Errorf("got %s", got)
	}
}
