package follow

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/addlink/addlink/internal/fakewiki"
)

var testFilter = Filter{Wikis: map[string]bool{"enwiki": true, "elwikivoyage": true}}

func rc(c fakewiki.Change) Event {
	if c.Wiki == "" {
		c.Wiki = "enwiki"
	}
	if c.Title == "" {
		c.Title = "Foo bar"
	}
	if c.Time.IsZero() {
		c.Time = time.Date(2026, 1, 2, 3, 4, 5, 678e6, time.UTC)
	}
	return Event{Name: "message", Data: fakewiki.RecentChange(c)}
}

// pageChange is a mediawiki.page_change.v1 event (schema mediawiki/page/change 1.x).
func pageChange(kind string, ns int, bot bool, prior string) Event {
	ev := `{"$schema":"/mediawiki/page/change/1.1.0","meta":{"domain":"en.wikipedia.org","dt":"2026-01-02T03:04:05.678Z","stream":"mediawiki.page_change.v1"},` +
		`"changelog_kind":"update","page_change_kind":"` + kind + `","wiki_id":"enwiki","dt":"2026-01-02T03:04:05Z",` +
		`"page":{"page_id":5000000001,"page_title":"Foo_bar","namespace_id":` + itoa(ns) + `,"is_redirect":false},` +
		`"performer":{"user_text":"X","is_bot":` + btoa(bot) + `},` +
		`"revision":{"rev_id":5000000000,"rev_parent_id":4999999999,"rev_dt":"2026-01-02T03:04:05Z","editor":{"user_text":"X","is_bot":` + btoa(bot) + `}}` + prior + `}`
	return Event{Data: []byte(ev)}
}

func itoa(n int) string {
	b, _ := json.Marshal(n)
	return string(b)
}

func btoa(b bool) string {
	if b {
		return "true"
	}
	return "false"
}

func TestStep(t *testing.T) {
	ms := time.Date(2026, 1, 2, 3, 4, 5, 678e6, time.UTC).UnixMilli()
	for _, tc := range []struct {
		name string
		f    Filter
		ev   Event
		want Action
	}{
		{"edit", testFilter, rc(fakewiki.Change{Type: "edit", Rev: 42}),
			Action{Kind: Refresh, Wiki: "enwiki", Title: "Foo bar", Rev: 42, Server: "en.wikipedia.org", Time: ms}},
		{"creation", testFilter, rc(fakewiki.Change{Type: "new", Rev: 5000000000}),
			Action{Kind: Refresh, Wiki: "enwiki", Title: "Foo bar", Rev: 5000000000, Server: "en.wikipedia.org", Time: ms}},
		{"canary", testFilter, rc(fakewiki.Change{Type: "edit", Rev: 42, Canary: true}), Action{Kind: Skip, Reason: ReasonCanary}},
		{"bot", testFilter, rc(fakewiki.Change{Type: "edit", Rev: 42, Bot: true}), Action{Kind: Skip, Reason: ReasonBot, Wiki: "enwiki"}},
		{"bot included", Filter{Wikis: testFilter.Wikis, IncludeBots: true}, rc(fakewiki.Change{Type: "edit", Rev: 42, Bot: true}),
			Action{Kind: Refresh, Wiki: "enwiki", Title: "Foo bar", Rev: 42, Server: "en.wikipedia.org", Time: ms}},
		{"talk page", testFilter, rc(fakewiki.Change{Type: "edit", Rev: 42, Namespace: 1}), Action{Kind: Skip, Reason: ReasonNamespace, Wiki: "enwiki"}},
		{"wiki without a model", testFilter, rc(fakewiki.Change{Wiki: "dewiki", Type: "edit", Rev: 42}), Action{Kind: Skip, Reason: ReasonWiki, Wiki: "dewiki"}},
		{"categorize", testFilter, rc(fakewiki.Change{Type: "categorize"}), Action{Kind: Skip, Reason: ReasonType, Wiki: "enwiki"}},
		{"deletion", testFilter, rc(fakewiki.Change{Type: "log", LogType: "delete", LogAction: "delete"}),
			Action{Kind: Remove, Wiki: "enwiki", Title: "Foo bar", Server: "en.wikipedia.org", Time: ms}},
		{"move", testFilter, rc(fakewiki.Change{Type: "log", LogType: "move", LogAction: "move"}),
			Action{Kind: Remove, Wiki: "enwiki", Title: "Foo bar", Server: "en.wikipedia.org", Time: ms}},
		{"restore is not a deletion", testFilter, rc(fakewiki.Change{Type: "log", LogType: "delete", LogAction: "restore"}),
			Action{Kind: Skip, Reason: ReasonType, Wiki: "enwiki"}},
		{"block log", testFilter, rc(fakewiki.Change{Type: "log", LogType: "block", LogAction: "block"}), Action{Kind: Skip, Reason: ReasonType, Wiki: "enwiki"}},
		{"error event", testFilter, Event{Name: "error", Data: []byte(`{"message":"x"}`)}, Action{Kind: Skip, Reason: ReasonOther}},
		{"oversize", testFilter, Event{Oversize: true}, Action{Kind: Skip, Reason: ReasonOversize}},
		{"page_change edit", testFilter, pageChange("edit", 0, false, ""),
			Action{Kind: Refresh, Wiki: "enwiki", Title: "Foo bar", PageID: 5000000001, Rev: 5000000000, Server: "en.wikipedia.org", Time: ms}},
		{"page_change bot", testFilter, pageChange("edit", 0, true, ""), Action{Kind: Skip, Reason: ReasonBot, Wiki: "enwiki"}},
		{"page_change talk", testFilter, pageChange("edit", 1, false, ""), Action{Kind: Skip, Reason: ReasonNamespace, Wiki: "enwiki"}},
		{"page_change delete", testFilter, pageChange("delete", 0, false, ""),
			Action{Kind: Remove, Wiki: "enwiki", Title: "Foo bar", PageID: 5000000001, Server: "en.wikipedia.org", Time: ms}},
		{"page_change moved out of the main namespace", testFilter, pageChange("move", 2, false, `,"prior_state":{"page":{"namespace_id":0,"page_title":"Foo_bar"}}`),
			Action{Kind: Remove, Wiki: "enwiki", Title: "Foo bar", PageID: 5000000001, Server: "en.wikipedia.org", Time: ms}},
		{"page_change visibility", testFilter, pageChange("visibility_change", 0, false, ""), Action{Kind: Skip, Reason: ReasonType, Wiki: "enwiki"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := Step(tc.f, tc.ev)
			if got != tc.want {
				t.Errorf("Step:\n got %+v\nwant %+v", got, tc.want)
			}
		})
	}
}

func TestStepMalformed(t *testing.T) {
	for _, in := range []string{
		``, `not json`, `[]`, `{"type":"edit"}`, `{"meta":{}}`,
		`{"meta":{},"type":"edit","wiki":"enwiki","title":"X","namespace":0}`,
		`{"meta":{},"type":"edit","wiki":"enwiki","title":"X","namespace":0,"revision":{"old":1,"new":null}}`,
		`{"meta":{},"type":"edit","wiki":"enwiki","title":"X","namespace":0,"revision":{"new":"12"}}`,
		`{"meta":{},"type":"edit","wiki":"enwiki","title":"X","namespace":"0","revision":{"new":12}}`,
		`{"meta":{},"type":"edit","wiki":"enwiki","namespace":0,"revision":{"new":12}}`,
		`{"meta":{},"page_change_kind":"edit","wiki_id":"enwiki","page":{"page_id":1,"namespace_id":0,"page_title":"X"}}`,
		`{"meta":{},"page_change_kind":"edit","wiki_id":"enwiki","page":{"namespace_id":0,"page_title":"X"},"revision":{"rev_id":3}}`,
	} {
		got := Step(testFilter, Event{Data: []byte(in)})
		if got.Kind != Skip || got.Reason != ReasonMalformed || got.Err == "" {
			t.Errorf("Step(%s) = %+v, want a malformed skip", in, got)
		}
	}
}

func FuzzStep(f *testing.F) {
	f.Add([]byte(rc(fakewiki.Change{Type: "edit", Rev: 42}).Data))
	f.Add([]byte(rc(fakewiki.Change{Type: "log", LogType: "delete", LogAction: "delete"}).Data))
	f.Add(pageChange("move", 2, false, `,"prior_state":{"page":{"namespace_id":0}}`).Data)
	f.Add([]byte(`{"meta":{"domain":"canary"}}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		ev := Event{Data: data}
		a := Step(testFilter, ev)
		if b := Step(testFilter, ev); a != b {
			t.Fatalf("Step is not a function of its input: %+v then %+v", a, b)
		}
		switch a.Kind {
		case Skip:
			if a.Reason == "" {
				t.Fatalf("a skip without a reason: %+v", a)
			}
		case Refresh:
			if a.Rev <= 0 || a.Title == "" || !testFilter.Wikis[a.Wiki] {
				t.Fatalf("a refresh without a revision, title or followed wiki: %+v", a)
			}
		case Remove:
			if (a.Title == "" && a.PageID <= 0) || !testFilter.Wikis[a.Wiki] {
				t.Fatalf("a removal of no page: %+v", a)
			}
		}
		if strings.Contains(string(data), `"canary"`) && a.Kind != Skip && json.Valid(data) {
			var m struct{ Meta struct{ Domain string } }
			if json.Unmarshal(data, &m) == nil && m.Meta.Domain == "canary" {
				t.Fatalf("a canary event kept: %+v", a)
			}
		}
	})
}
