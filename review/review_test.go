package review

import (
	"context"
	"flag"
	"fmt"
	"math"
	"path/filepath"
	"testing"
	"time"
)

var update = flag.Bool("update", false, "rewrite the golden files and the screenshot in testdata")

// newStore opens a SQLite store in a temporary directory.
func newStore(t testing.TB) *Store {
	t.Helper()
	st, err := OpenStore(context.Background(), StoreOptions{Path: filepath.Join(t.TempDir(), "review.sqlite")})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

// addItems stores n made-up items of wiki on pages of 5 items each, with scores
// spread over [0.2, 1).
func addItems(t testing.TB, st *Store, wiki string, n int) []Item {
	t.Helper()
	var all []Item
	for p := 0; p*5 < n; p++ {
		var items []Item
		for k := 0; k < 5 && p*5+k < n; k++ {
			i := p*5 + k
			items = append(items, Item{Wiki: wiki, PageID: int64(100 + p), PageTitle: fmt.Sprintf("Page %d", p), Revision: int64(1000 + p),
				Mention: fmt.Sprintf("mention %d", i), Offset: 10 * k, Target: fmt.Sprintf("Target %d", i),
				Score: 0.2 + 0.8*float64(i%10)/10, ModelChecksum: "abc", ContextBefore: "Text before the ",
				ContextAfter: " and after it.", LinkProb: math.NaN(), Candidates: 1, TargetLinks: 1, MentionLinks: 1})
		}
		if _, err := st.AddPage(context.Background(), Page{Wiki: wiki, PageID: int64(100 + p), Title: fmt.Sprintf("Page %d", p),
			Revision: int64(1000 + p), Wikitext: "text"}, items); err != nil {
			t.Fatal(err)
		}
		all = append(all, items...)
	}
	got, err := st.Items(context.Background(), wiki)
	if err != nil || len(got) != n {
		t.Fatalf("stored %d items (%v), want %d", len(got), err, n)
	}
	return got
}

func TestEffectiveAndGold(t *testing.T) {
	js := []Judgment{
		{ID: 1, ItemID: 1, Reviewer: "ann", Label: Accept},
		{ID: 2, ItemID: 1, Reviewer: "bob", Label: Reject},
		{ID: 3, ItemID: 2, Reviewer: "ann", Label: Reject},
		{ID: 4, ItemID: 2, Reviewer: "ann", Label: Undo, Undoes: 3},
		{ID: 5, ItemID: 3, Reviewer: "ann", Label: Reject},
		{ID: 6, ItemID: 3, Reviewer: "ann", Label: Undo, Undoes: 5},
		{ID: 7, ItemID: 3, Reviewer: "ann", Label: Accept},
		{ID: 8, ItemID: 4, Reviewer: "ann", Label: Skip},
		{ID: 9, ItemID: 5, Reviewer: "ann", Label: Skip},
		{ID: 10, ItemID: 5, Reviewer: "bob", Label: Reject},
	}
	eff := Effective(js)
	tests := []struct {
		item     int64
		labels   int
		gold, ok bool
	}{
		{1, 2, false, false}, // ann and bob disagree
		{2, 0, false, false}, // undone
		{3, 1, true, true},   // undone, then accepted
		{4, 1, false, false}, // only skipped
		{5, 2, false, true},  // a skip does not count
	}
	for _, tc := range tests {
		t.Run(fmt.Sprint(tc.item), func(t *testing.T) {
			if len(eff[tc.item]) != tc.labels {
				t.Errorf("item %d: %d labels in force (%v), want %d", tc.item, len(eff[tc.item]), eff[tc.item], tc.labels)
			}
			g, ok := Gold(eff[tc.item])
			if g != tc.gold || ok != tc.ok {
				t.Errorf("item %d: Gold = %v, %v; want %v, %v", tc.item, g, ok, tc.gold, tc.ok)
			}
		})
	}
	if n := Disagreements(eff); n != 1 {
		t.Errorf("Disagreements = %d, want 1", n)
	}
}

// Cohen's kappa checked by hand: 10 pairs, raters agree on 7 (4 accept, 3 reject);
// rater A: 6 accept, 4 reject; rater B: 5 accept, 5 reject. po = 0.7, pe = 0.6*0.5 +
// 0.4*0.5 = 0.5, kappa = 0.2/0.5 = 0.4.
func TestCohensKappa(t *testing.T) {
	var pairs [][2]Label
	add := func(n int, a, b Label) {
		for i := 0; i < n; i++ {
			pairs = append(pairs, [2]Label{a, b})
		}
	}
	add(4, Accept, Accept)
	add(3, Reject, Reject)
	add(2, Accept, Reject)
	add(1, Reject, Accept)
	k, po := CohensKappa(pairs)
	if math.Abs(k-0.4) > 1e-12 || math.Abs(po-0.7) > 1e-12 {
		t.Errorf("kappa %v, agreement %v; want 0.4, 0.7", k, po)
	}
	if k, _ := CohensKappa(nil); !math.IsNaN(k) {
		t.Errorf("kappa of no pairs = %v, want NaN", k)
	}
	if k, po := CohensKappa([][2]Label{{Accept, Accept}, {Accept, Accept}}); !math.IsNaN(k) || po != 1 {
		t.Errorf("kappa of one label = %v (agreement %v), want NaN (1)", k, po)
	}
}

// The summary statistics of a small label matrix, checked by hand with Snorkel's
// definitions.
func TestSummaryByHand(t *testing.T) {
	A, R, N := VoteAccept, VoteReject, Abstain
	L := [][]Vote{
		{A, A, N}, // overlap, no conflict
		{A, R, N}, // conflict between 0 and 1
		{N, R, R}, // overlap of 1 and 2
		{N, N, A}, // 2 alone
	}
	lfs := []LF{{Name: "f0"}, {Name: "f1"}, {Name: "f2"}}
	gold := map[int]bool{0: true, 1: false, 3: true} // row 2 has no gold label
	s := Summary(lfs, L, gold)
	want := []struct {
		pol            []Vote
		cov, ovl, cfl  float64
		correct, wrong int
		empAcc         float64
	}{
		{[]Vote{A}, 0.5, 0.5, 0.25, 1, 1, 0.5},
		{[]Vote{R, A}, 0.75, 0.75, 0.25, 2, 0, 1},
		{[]Vote{R, A}, 0.5, 0.25, 0, 1, 0, 1},
	}
	for j, w := range want {
		g := s[j]
		if fmt.Sprint(g.Polarity) != fmt.Sprint(w.pol) || g.Coverage != w.cov || g.Overlaps != w.ovl || g.Conflicts != w.cfl ||
			g.Correct != w.correct || g.Incorrect != w.wrong || g.EmpAcc != w.empAcc {
			t.Errorf("f%d: got %+v, want %+v", j, g, w)
		}
	}
	c, o, f := DatasetStats(L)
	if c != 1 || o != 0.75 || f != 0.25 {
		t.Errorf("DatasetStats = %v, %v, %v; want 1, 0.75, 0.25", c, o, f)
	}
	mv := MajorityVote(L)
	if fmt.Sprint(mv) != fmt.Sprint([]Vote{A, N, R, A}) {
		t.Errorf("MajorityVote = %v", mv)
	}
	if _, err := FitLabelModel(L, 2); err == nil {
		t.Error("a label model of 2 functions was fitted")
	}
}

// On votes drawn from known accuracies (seeded), the label model estimates them and
// beats the majority vote when two poor functions outnumber a good one.
func TestLabelModelRecoversAccuracies(t *testing.T) {
	acc := []float64{0.95, 0.9, 0.6, 0.55, 0.55}
	n := 4000
	L := make([][]Vote, n)
	gold := map[int]bool{}
	x := uint64(7)
	rnd := func() float64 { // xorshift, seeded
		x ^= x << 13
		x ^= x >> 7
		x ^= x << 17
		return float64(x>>11) / (1 << 53)
	}
	for i := range L {
		y := rnd() < 0.5
		gold[i] = y
		L[i] = make([]Vote, len(acc))
		for j, a := range acc {
			right := rnd() < a
			v := VoteReject
			if y == right {
				v = VoteAccept
			}
			L[i][j] = v
		}
	}
	lm, err := FitLabelModel(L, len(acc))
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("estimated %.3f after %d iterations", lm.Acc, lm.Iter)
	for j, a := range acc {
		// Two strong functions and three weak ones pin the product of the strong
		// ones' accuracies better than each: 0.06 of slack.
		if math.Abs(lm.Acc[j]-a) > 0.06 {
			t.Errorf("function %d: estimated accuracy %.3f, true %.2f", j, lm.Acc[j], a)
		}
	}
	pred, _ := lm.Predict(L)
	m, l := Score("majority vote", MajorityVote(L), gold), Score("label model", pred, gold)
	if !(l.Overall > m.Overall+0.02) {
		t.Errorf("label model %.3f is not above majority vote %.3f", l.Overall, m.Overall)
	}
}

func TestStoreJudgeUndoHistory(t *testing.T) {
	storeBehaviour(t, newStore(t))
}

// storeBehaviour checks judging, duplicates, undo, leases and the exclusivity of
// items on any store.
func storeBehaviour(t *testing.T, st *Store) {
	ctx := context.Background()
	now := time.Unix(1_700_000_000, 0)
	items := addItems(t, st, "xxwiki", 12)
	// Importing the same items again adds nothing.
	if n, err := st.AddPage(ctx, Page{Wiki: "xxwiki", PageID: 100, Title: "Page 0", Revision: 1000, Wikitext: "text"}, items[:5]); err != nil || n != 0 {
		t.Fatalf("re-import added %d (%v)", n, err)
	}
	next := func(r string, judges int) *Item {
		t.Helper()
		it, err := st.Next(ctx, NextOptions{Reviewer: r, Filter: Filter{MaxScore: 1}, Judges: judges, Lease: time.Minute, Now: now})
		if err != nil {
			t.Fatal(err)
		}
		return it
	}
	a := next("ann", 1)
	if a == nil || a.ID != items[0].ID {
		t.Fatalf("ann's first item: %+v", a)
	}
	if again := next("ann", 1); again.ID != a.ID {
		t.Errorf("asking again gave item %d, not the held %d", again.ID, a.ID)
	}
	b := next("bob", 1)
	if b == nil || b.ID == a.ID {
		t.Fatalf("bob got %+v while ann holds %d", b, a.ID)
	}
	if c := next("cyd", 2); c == nil || c.ID != a.ID {
		t.Errorf("with two judges per item, cyd got %+v, want ann's item %d too", c, a.ID)
	}
	j, dup, err := st.Judge(ctx, Judgment{ItemID: a.ID, Reviewer: "ann", Label: Accept, RequestID: "req-ann-0001"}, now)
	if err != nil || dup || j.ID == 0 {
		t.Fatalf("Judge: %+v %v %v", j, dup, err)
	}
	// A retried request writes nothing.
	j2, dup, err := st.Judge(ctx, Judgment{ItemID: a.ID, Reviewer: "ann", Label: Accept, RequestID: "req-ann-0001"}, now)
	if err != nil || !dup || j2.ID != j.ID {
		t.Errorf("retry: %+v %v %v", j2, dup, err)
	}
	if _, _, err := st.Judge(ctx, Judgment{ItemID: 99999, Reviewer: "ann", Label: Accept, RequestID: "req-ann-0002"}, now); err != ErrNoItem {
		t.Errorf("judging a missing item: %v, want ErrNoItem", err)
	}
	if _, _, err := st.Judge(ctx, Judgment{ItemID: a.ID, Reviewer: "ann", Label: "maybe", RequestID: "req-ann-0003"}, now); err == nil {
		t.Error("a bad label was stored")
	}
	if n := next("ann", 1); n == nil || n.ID == a.ID || n.ID == b.ID {
		t.Errorf("ann's next item after judging: %+v", n)
	}
	// Undo: a new row; ann gets the item back.
	it, u, err := st.Undo(ctx, "ann", "req-ann-undo1", time.Minute, now)
	if err != nil || it.ID != a.ID || u.Label != Undo || u.Undoes != j.ID {
		t.Fatalf("Undo: %+v %+v %v", it, u, err)
	}
	if it2, u2, err := st.Undo(ctx, "ann", "req-ann-undo1", time.Minute, now); err != nil || it2.ID != a.ID || u2.ID != u.ID {
		t.Errorf("retried undo: %+v %+v %v", it2, u2, err)
	}
	if _, _, err := st.Undo(ctx, "ann", "req-ann-undo2", time.Minute, now); err != ErrNothingToUndo {
		t.Errorf("second undo: %v, want ErrNothingToUndo", err)
	}
	if n := next("ann", 1); n == nil || n.ID != a.ID {
		t.Errorf("after undo ann gets %+v, want %d again", n, a.ID)
	}
	js, err := st.Judgments(ctx, "xxwiki")
	if err != nil || len(js) != 2 || js[0].Label != Accept || js[1].Label != Undo {
		t.Errorf("history: %+v %v", js, err)
	}
	if len(Effective(js)) != 0 {
		t.Errorf("in force after undo: %v", Effective(js))
	}
	p, err := st.Progress(ctx, "ann", Filter{MaxScore: 1})
	if err != nil || p.Items != 12 || p.Judged != 0 || p.Mine != 0 {
		t.Errorf("progress %+v %v", p, err)
	}
	// A lease ends: after it, bob's held item goes to dan.
	later := now.Add(2 * time.Minute)
	d, err := st.Next(ctx, NextOptions{Reviewer: "dan", Filter: Filter{MaxScore: 1}, Judges: 1, Lease: time.Minute, Now: later})
	if err != nil || d == nil || d.ID != items[0].ID {
		t.Errorf("dan after the leases ended: %+v %v", d, err)
	}
	// Filters.
	f, err := st.Next(ctx, NextOptions{Reviewer: "eve", Filter: Filter{MinScore: 0.9, MaxScore: 1}, Judges: 1, Lease: time.Minute, Now: later})
	if err != nil || f == nil || f.Score < 0.9 {
		t.Errorf("eve with scores from 0.9: %+v %v", f, err)
	}
	if g, err := st.Next(ctx, NextOptions{Reviewer: "eve", Filter: Filter{Wiki: "yywiki", MaxScore: 1}, Judges: 1, Lease: time.Minute, Now: later}); err != nil || g != nil {
		t.Errorf("eve on another wiki: %+v %v", g, err)
	}
}

// Reviewers judging at once, each asking for the next item and judging it until
// none is left: every item is judged exactly once (or by exactly two reviewers with
// Judges 2), and no judgment is lost.
func TestConcurrentReviewers(t *testing.T) {
	for _, judges := range []int{1, 2} {
		t.Run(fmt.Sprint(judges), func(t *testing.T) {
			concurrentReviewers(t, newStore(t), judges)
		})
	}
}

func concurrentReviewers(t *testing.T, st *Store, judges int) {
	ctx := context.Background()
	items := addItems(t, st, "xxwiki", 40)
	reviewers := []string{"ann", "bob", "cyd", "dan"}
	errc := make(chan error, len(reviewers))
	counts := make([]int, len(reviewers))
	for ri, r := range reviewers {
		go func() {
			for k := 0; ; k++ {
				it, err := st.Next(ctx, NextOptions{Reviewer: r, Filter: Filter{MaxScore: 1}, Judges: judges, Lease: time.Hour, Now: time.Unix(1_700_000_000, 0)})
				if err != nil || it == nil {
					errc <- err
					return
				}
				if _, _, err := st.Judge(ctx, Judgment{ItemID: it.ID, Reviewer: r, Label: Accept, RequestID: fmt.Sprintf("%s-%08d", r, k)}, time.Unix(1_700_000_000, 0)); err != nil {
					errc <- err
					return
				}
				counts[ri]++
			}
		}()
	}
	for range reviewers {
		if err := <-errc; err != nil {
			t.Fatal(err)
		}
	}
	js, err := st.Judgments(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	total := 0
	for _, c := range counts {
		total += c
	}
	if len(js) != total || total != judges*len(items) {
		t.Fatalf("%d rows, %d judgments made, want %d", len(js), total, judges*len(items))
	}
	eff := Effective(js)
	for _, it := range items {
		if len(eff[it.ID]) != judges {
			t.Errorf("item %d judged by %v, want %d reviewers", it.ID, eff[it.ID], judges)
		}
	}
}
