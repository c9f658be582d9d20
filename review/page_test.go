package review

import (
	"context"
	"fmt"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/addlink/addlink/internal/chromiumtest"
)

// reviewer is one reviewer at the review page, in a headless Chromium of its own.
type reviewer struct {
	b *chromiumtest.Browser
	p *chromiumtest.Page
}

// browse starts a headless Chromium process of its own (with its own user-data
// directory), opens the review page of ts and signs in as name with the keyboard.
func browse(t *testing.T, ctx context.Context, ts *httptest.Server, name string) reviewer {
	t.Helper()
	b := chromiumtest.Start(t)
	p, err := b.NewPage(ctx, ts.URL+"/")
	if err != nil {
		t.Fatal(err)
	}
	if err := p.WaitFor(ctx, `document.body && document.body.dataset.state === 'idle'`, 20*time.Second); err != nil {
		t.Fatal(err)
	}
	signIn(t, ctx, p, name)
	return reviewer{b, p}
}

// signIn types the reviewer's name with the keyboard only: Tab to the name field,
// the name, Enter; the first item appears with the focus on Accept.
func signIn(t *testing.T, ctx context.Context, p *chromiumtest.Page, name string) {
	t.Helper()
	if err := p.Press(ctx, "Tab"); err != nil {
		t.Fatal(err)
	}
	var focus string
	if err := p.Eval(ctx, `document.activeElement.id`, &focus); err != nil || focus != "reviewer" {
		t.Fatalf("the first Tab stop is %q (%v), want the name field", focus, err)
	}
	if err := p.Type(ctx, name); err != nil {
		t.Fatal(err)
	}
	if err := p.Press(ctx, "Enter"); err != nil {
		t.Fatal(err)
	}
	waitReady(t, ctx, p, "")
	if err := p.Eval(ctx, `document.activeElement.id`, &focus); err != nil || focus != "accept" {
		t.Errorf("after signing in the focus is on %q (%v), want accept", focus, err)
	}
}

// shown returns the id of the item the page shows.
func shown(t *testing.T, ctx context.Context, p *chromiumtest.Page) string {
	t.Helper()
	var id string
	if err := p.Eval(ctx, `document.body.dataset.itemId`, &id); err != nil {
		t.Fatal(err)
	}
	return id
}

// waitReady waits until the page shows an item other than not (or has nothing left).
func waitReady(t *testing.T, ctx context.Context, p *chromiumtest.Page, not string) {
	t.Helper()
	cond := fmt.Sprintf(`(document.body.dataset.state === 'ready' && document.body.dataset.itemId !== %q) || document.body.dataset.state === 'done'`, not)
	if err := p.WaitFor(ctx, cond, 20*time.Second); err != nil {
		var state string
		p.Eval(ctx, `document.body.dataset.state + ': ' + document.getElementById('status').textContent`, &state)
		t.Fatalf("%v (page: %s)", err, state)
	}
}

func pageContext(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	t.Cleanup(cancel)
	return ctx
}

// A reviewer judges 20 items with the keyboard only (a, r, s): the database then
// holds exactly those 20 judgments, each of the item shown when its key was pressed.
func TestPageKeyboardOnly(t *testing.T) {
	if testing.Short() {
		t.Skip("short")
	}
	st, ts := newTestServer(t, 25, 1)
	ctx := pageContext(t)
	p := browse(t, ctx, ts, "ann").p
	keys := []string{"a", "r", "s"}
	labels := map[string]Label{"a": Accept, "r": Reject, "s": Skip}
	want := map[string]Label{}
	for k := 0; k < 20; k++ {
		id := shown(t, ctx, p)
		if _, seen := want[id]; seen {
			t.Fatalf("item %s shown twice", id)
		}
		key := keys[k%3]
		want[id] = labels[key]
		if err := p.Press(ctx, key); err != nil {
			t.Fatal(err)
		}
		waitReady(t, ctx, p, id)
	}
	js, err := st.Judgments(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	if len(js) != 20 {
		t.Fatalf("%d judgments stored, want 20", len(js))
	}
	for _, j := range js {
		if id := fmt.Sprint(j.ItemID); want[id] != j.Label || j.Reviewer != "ann" {
			t.Errorf("stored %+v, want %s by ann", j, want[id])
		}
	}
	var progress string
	p.Eval(ctx, `document.getElementById('progress').textContent`, &progress)
	if progress != "20 of 25 judged; 20 by you" {
		t.Errorf("progress %q", progress)
	}
}

// Undo (u) brings the last judged item back and stores an undo row; judging it again
// stores a new judgment; nothing is deleted.
func TestPageUndo(t *testing.T) {
	if testing.Short() {
		t.Skip("short")
	}
	st, ts := newTestServer(t, 5, 1)
	ctx := pageContext(t)
	p := browse(t, ctx, ts, "bob").p
	var ids []string
	for k := 0; k < 3; k++ {
		ids = append(ids, shown(t, ctx, p))
		p.Press(ctx, "a")
		waitReady(t, ctx, p, ids[k])
	}
	fourth := shown(t, ctx, p)
	if err := p.Press(ctx, "u"); err != nil {
		t.Fatal(err)
	}
	waitReady(t, ctx, p, fourth)
	if got := shown(t, ctx, p); got != ids[2] {
		t.Fatalf("after undo the page shows %s, want the last judged %s", got, ids[2])
	}
	p.Press(ctx, "r")
	waitReady(t, ctx, p, ids[2])
	js, err := st.Judgments(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	if len(js) != 5 || js[3].Label != Undo || js[3].Undoes != js[2].ID || js[4].Label != Reject || fmt.Sprint(js[4].ItemID) != ids[2] {
		t.Fatalf("rows: %+v", js)
	}
	eff := Effective(js)
	if len(eff) != 3 || eff[js[4].ItemID]["bob"] != Reject {
		t.Errorf("in force: %v", eff)
	}
}

// Two browsers judging at once, each a Chromium process of its own, never get the
// same item and lose no judgment: the judgments table then holds exactly one row per
// key pressed, each for the item its browser showed.
func TestPageTwoBrowsers(t *testing.T) {
	if testing.Short() {
		t.Skip("short")
	}
	const items, each = 30, 12
	st, ts := newTestServer(t, items, 1)
	ctx := pageContext(t)
	names := []string{"ann", "bob"}
	rs := []reviewer{browse(t, ctx, ts, names[0]), browse(t, ctx, ts, names[1])}
	if rs[0].b.PID() == rs[1].b.PID() {
		t.Fatal("both reviewers in one browser process")
	}
	seen := make([][]string, 2)
	start := make(chan struct{})
	var wg sync.WaitGroup
	errs := make(chan error, 2)
	for i, r := range rs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			for k := 0; k < each; k++ {
				var id string
				if err := r.p.Eval(ctx, `document.body.dataset.itemId`, &id); err != nil {
					errs <- err
					return
				}
				seen[i] = append(seen[i], id)
				if err := r.p.Press(ctx, "a"); err != nil {
					errs <- err
					return
				}
				cond := fmt.Sprintf(`document.body.dataset.state === 'ready' && document.body.dataset.itemId !== %q`, id)
				if err := r.p.WaitFor(ctx, cond, 20*time.Second); err != nil {
					errs <- fmt.Errorf("%s: %w", names[i], err)
					return
				}
			}
		}()
	}
	close(start)
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	all := map[string]string{}
	for i, ids := range seen {
		for _, id := range ids {
			if other, ok := all[id]; ok {
				t.Errorf("item %s shown to %s and %s", id, other, names[i])
			}
			all[id] = names[i]
		}
	}
	// The rows as the database holds them, counted there.
	var n, distinct, perAnn, perBob int
	err := st.db.QueryRowContext(ctx, "SELECT COUNT(*), COUNT(DISTINCT item_id), SUM(reviewer = 'ann'), SUM(reviewer = 'bob') FROM "+st.t.judgments).
		Scan(&n, &distinct, &perAnn, &perBob)
	if err != nil {
		t.Fatal(err)
	}
	if n != 2*each || distinct != 2*each || perAnn != each || perBob != each {
		t.Fatalf("the judgments table: %d rows, %d items, %d by ann, %d by bob; want %d, %d, %d, %d", n, distinct, perAnn, perBob, 2*each, 2*each, each, each)
	}
	js, err := st.Judgments(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	for _, j := range js {
		if all[fmt.Sprint(j.ItemID)] != j.Reviewer || j.Label != Accept {
			t.Errorf("%+v: the item was shown to %s", j, all[fmt.Sprint(j.ItemID)])
		}
	}
}

// While the database is down the page keeps the judgment, says so, and sends it
// again: once the database is back it is stored, once.
func TestPageRetriesWhileDatabaseDown(t *testing.T) {
	if testing.Short() {
		t.Skip("short")
	}
	st, ts := newTestServer(t, 5, 1)
	ctx := pageContext(t)
	p := browse(t, ctx, ts, "cyd").p
	first := shown(t, ctx, p)
	st.down.Store(true)
	p.Press(ctx, "r")
	if err := p.WaitFor(ctx, `document.body.dataset.state === 'retrying'`, 20*time.Second); err != nil {
		t.Fatal(err)
	}
	var status string
	p.Eval(ctx, `document.getElementById('status').textContent`, &status)
	var queued int
	p.Eval(ctx, `JSON.parse(localStorage.getItem('addlink-review-queue')).length`, &queued)
	if n := rows(t, st.Store); n != 0 || queued != 1 {
		t.Fatalf("%d rows, %d queued while the database is down (status %q)", n, queued, status)
	}
	time.Sleep(3 * time.Second) // at least one retry fails too
	st.down.Store(false)
	waitReady(t, ctx, p, first)
	js, err := st.Judgments(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	if len(js) != 1 || fmt.Sprint(js[0].ItemID) != first || js[0].Label != Reject {
		t.Fatalf("rows after the outage: %+v", js)
	}
	p.Eval(ctx, `JSON.parse(localStorage.getItem('addlink-review-queue')).length`, &queued)
	if queued != 0 {
		t.Errorf("%d judgments still queued", queued)
	}
}
