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

// openPage starts a browser and opens the review page of ts in a fresh context.
func openPage(t *testing.T, ctx context.Context, b *chromiumtest.Browser, ts *httptest.Server) *chromiumtest.Page {
	t.Helper()
	p, err := b.NewPage(ctx, ts.URL+"/")
	if err != nil {
		t.Fatal(err)
	}
	if err := p.WaitFor(ctx, `document.body && document.body.dataset.state === 'idle'`, 20*time.Second); err != nil {
		t.Fatal(err)
	}
	return p
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
	b := chromiumtest.Start(t)
	st, ts := newTestServer(t, 25, 1)
	ctx := pageContext(t)
	p := openPage(t, ctx, b, ts)
	signIn(t, ctx, p, "ann")
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
	b := chromiumtest.Start(t)
	st, ts := newTestServer(t, 5, 1)
	ctx := pageContext(t)
	p := openPage(t, ctx, b, ts)
	signIn(t, ctx, p, "bob")
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

// Two browsers judging at once never get the same item and lose no judgment.
func TestPageTwoBrowsers(t *testing.T) {
	if testing.Short() {
		t.Skip("short")
	}
	b := chromiumtest.Start(t)
	st, ts := newTestServer(t, 30, 1)
	ctx := pageContext(t)
	pages := []*chromiumtest.Page{openPage(t, ctx, b, ts), openPage(t, ctx, b, ts)}
	names := []string{"ann", "bob"}
	for i, p := range pages {
		signIn(t, ctx, p, names[i])
	}
	seen := make([][]string, 2)
	var wg sync.WaitGroup
	errs := make(chan error, 2)
	for i, p := range pages {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for k := 0; k < 12; k++ {
				var id string
				if err := p.Eval(ctx, `document.body.dataset.itemId`, &id); err != nil {
					errs <- err
					return
				}
				seen[i] = append(seen[i], id)
				if err := p.Press(ctx, "a"); err != nil {
					errs <- err
					return
				}
				cond := fmt.Sprintf(`document.body.dataset.state === 'ready' && document.body.dataset.itemId !== %q`, id)
				if err := p.WaitFor(ctx, cond, 20*time.Second); err != nil {
					errs <- err
					return
				}
			}
		}()
	}
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
	js, err := st.Judgments(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	if len(js) != 24 || len(Effective(js)) != 24 {
		t.Fatalf("%d rows for %d items, want 24 and 24", len(js), len(Effective(js)))
	}
	for _, j := range js {
		if all[fmt.Sprint(j.ItemID)] != j.Reviewer {
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
	b := chromiumtest.Start(t)
	st, ts := newTestServer(t, 5, 1)
	ctx := pageContext(t)
	p := openPage(t, ctx, b, ts)
	signIn(t, ctx, p, "cyd")
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
