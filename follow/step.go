package follow

import (
	"encoding/json"
	"strings"
	"time"
)

// ActionKind is what an event asks of the pool.
type ActionKind uint8

// The kinds of action.
const (
	Skip    ActionKind = iota // nothing (Reason says why)
	Refresh                   // recommend links for the page at Rev and store them
	Remove                    // the page left the main namespace or was deleted: drop its row
)

func (k ActionKind) String() string {
	return [...]string{"skip", "refresh", "remove"}[k]
}

// Reasons an event is skipped (the values of the skipped-events metric's label).
const (
	ReasonMalformed = "malformed" // not JSON, or fields missing or of the wrong type
	ReasonOversize  = "oversize"  // larger than the event size limit
	ReasonCanary    = "canary"    // a synthetic monitoring event (meta.domain "canary")
	ReasonWiki      = "wiki"      // a wiki without a model (not in --wikis)
	ReasonNamespace = "namespace" // not the main namespace
	ReasonType      = "type"      // not an edit, a page creation, a deletion or a move
	ReasonBot       = "bot"       // a bot's edit (without --include-bots)
	ReasonOther     = "other"     // an SSE event other than "message" (e.g. "error")
)

// Filter says which events are kept.
type Filter struct {
	Wikis       map[string]bool // wikis with a model
	IncludeBots bool
}

// Action is what Step decides for one event.
type Action struct {
	Kind   ActionKind
	Reason string // for Skip
	Wiki   string
	// Title is the page's title as the stream writes it (spaces, not underscores).
	Title string
	// PageID is the page's id when the event carries it (page_change), else 0; for a
	// Remove of a recentchange log event, the page is found by Title.
	PageID int64
	Rev    int64  // the revision to recommend for (Refresh)
	Server string // the wiki's host name, e.g. en.wikipedia.org ("" when unknown)
	// Time is the event's time in Unix milliseconds (meta.dt, or the recentchange
	// timestamp), 0 when the event has none: the clock is never read.
	Time int64
	Err  string // for ReasonMalformed: what was wrong
}

// Step decides what one event asks of the pool. It is a pure function of the filter
// and the event: the live stream and a replay call it on the same events and get the
// same actions. It understands the recentchange schema (mediawiki/recentchange) and
// the page_change schema (mediawiki/page/change), told apart by their fields.
func Step(f Filter, ev Event) Action {
	if ev.Oversize || ev.Name == OversizeName {
		return Action{Kind: Skip, Reason: ReasonOversize}
	}
	if ev.Name != "" && ev.Name != "message" {
		return Action{Kind: Skip, Reason: ReasonOther}
	}
	var e rawEvent
	if err := json.Unmarshal(ev.Data, &e); err != nil {
		return malformed("not a JSON object: " + err.Error())
	}
	if e.Meta == nil {
		return malformed("no meta object")
	}
	if e.Meta.Domain == "canary" {
		return Action{Kind: Skip, Reason: ReasonCanary}
	}
	if e.PageChangeKind != nil || e.WikiID != nil {
		return e.pageChange(f)
	}
	return e.recentChange(f)
}

func malformed(why string) Action { return Action{Kind: Skip, Reason: ReasonMalformed, Err: why} }

// rawEvent holds the fields of both schemas that Step reads; pointers tell a missing
// field from a zero one.
type rawEvent struct {
	Meta *struct {
		Domain string `json:"domain"`
		DT     string `json:"dt"`
	} `json:"meta"`

	// recentchange
	Type       *string     `json:"type"`
	Namespace  *int64      `json:"namespace"`
	Title      *string     `json:"title"`
	Wiki       *string     `json:"wiki"`
	ServerName string      `json:"server_name"`
	Bot        bool        `json:"bot"`
	Timestamp  int64       `json:"timestamp"`
	Revision   *rcRevision `json:"-"`
	LogType    string      `json:"log_type"`
	LogAction  string      `json:"log_action"`

	// page_change
	PageChangeKind *string `json:"page_change_kind"`
	WikiID         *string `json:"wiki_id"`
	Page           *struct {
		PageID      int64  `json:"page_id"`
		PageTitle   string `json:"page_title"`
		NamespaceID *int64 `json:"namespace_id"`
	} `json:"page"`
	PageRevision *pcRevision `json:"-"`
	Performer    *struct {
		IsBot bool `json:"is_bot"`
	} `json:"performer"`
	PriorState *struct {
		Page *struct {
			NamespaceID *int64 `json:"namespace_id"`
		} `json:"page"`
	} `json:"prior_state"`
}

// UnmarshalJSON reads "revision", whose shape differs between the schemas.
func (e *rawEvent) UnmarshalJSON(b []byte) error {
	type plain rawEvent
	var p struct {
		plain
		Revision json.RawMessage `json:"revision"`
	}
	if err := json.Unmarshal(b, &p); err != nil {
		return err
	}
	*e = rawEvent(p.plain)
	if len(p.Revision) == 0 || string(p.Revision) == "null" {
		return nil
	}
	var r struct {
		New    *int64 `json:"new"`
		RevID  *int64 `json:"rev_id"`
		Editor *struct {
			IsBot bool `json:"is_bot"`
		} `json:"editor"`
	}
	if err := json.Unmarshal(p.Revision, &r); err != nil {
		return err
	}
	if r.RevID != nil {
		e.PageRevision = &pcRevision{RevID: *r.RevID, EditorIsBot: r.Editor != nil && r.Editor.IsBot}
	} else {
		e.Revision = &rcRevision{New: r.New}
	}
	return nil
}

// rcRevision is recentchange's revision{old,new}; pcRevision the part of page_change's
// revision that Step reads.
type rcRevision struct{ New *int64 }

type pcRevision struct {
	RevID       int64
	EditorIsBot bool
}

func (e *rawEvent) time() int64 {
	if e.Meta.DT != "" {
		if t, err := time.Parse(time.RFC3339Nano, e.Meta.DT); err == nil {
			return t.UnixMilli()
		}
	}
	return e.Timestamp * 1000
}

func (e *rawEvent) recentChange(f Filter) Action {
	if e.Type == nil || e.Wiki == nil || e.Title == nil || *e.Wiki == "" || *e.Title == "" {
		return malformed("a recentchange event needs type, wiki and title")
	}
	a := Action{Wiki: *e.Wiki, Title: *e.Title, Server: e.ServerName, Time: e.time()}
	if !f.Wikis[a.Wiki] {
		return Action{Kind: Skip, Reason: ReasonWiki, Wiki: a.Wiki}
	}
	switch *e.Type {
	case "edit", "new":
		if e.Namespace == nil {
			return malformed("an edit event needs a namespace")
		}
		if *e.Namespace != 0 {
			return Action{Kind: Skip, Reason: ReasonNamespace, Wiki: a.Wiki}
		}
		if e.Revision == nil || e.Revision.New == nil || *e.Revision.New <= 0 {
			return malformed("an edit event needs revision.new")
		}
		if e.Bot && !f.IncludeBots {
			return Action{Kind: Skip, Reason: ReasonBot, Wiki: a.Wiki}
		}
		a.Kind, a.Rev = Refresh, *e.Revision.New
		return a
	case "log":
		// A deleted page leaves the pool; a moved one too, its stored answer naming
		// the old title (its next edit brings it back under the new one). The log
		// event's title is the page's before the action.
		if (e.LogType == "delete" && e.LogAction == "delete") || e.LogType == "move" {
			a.Kind = Remove
			return a
		}
	}
	return Action{Kind: Skip, Reason: ReasonType, Wiki: a.Wiki}
}

func (e *rawEvent) pageChange(f Filter) Action {
	if e.PageChangeKind == nil || e.WikiID == nil || *e.WikiID == "" || e.Page == nil || e.Page.NamespaceID == nil || e.Page.PageID <= 0 {
		return malformed("a page_change event needs page_change_kind, wiki_id and page{page_id,namespace_id}")
	}
	a := Action{Wiki: *e.WikiID, Title: strings.ReplaceAll(e.Page.PageTitle, "_", " "), PageID: e.Page.PageID,
		Server: e.Meta.Domain, Time: e.time()}
	if !f.Wikis[a.Wiki] {
		return Action{Kind: Skip, Reason: ReasonWiki, Wiki: a.Wiki}
	}
	kind := *e.PageChangeKind
	if kind == "delete" {
		a.Kind = Remove
		return a
	}
	if *e.Page.NamespaceID != 0 {
		// A page moved out of the main namespace leaves the pool.
		if kind == "move" && e.PriorState != nil && e.PriorState.Page != nil &&
			e.PriorState.Page.NamespaceID != nil && *e.PriorState.Page.NamespaceID == 0 {
			a.Kind = Remove
			return a
		}
		return Action{Kind: Skip, Reason: ReasonNamespace, Wiki: a.Wiki}
	}
	switch kind {
	case "create", "edit", "move", "undelete":
	default:
		return Action{Kind: Skip, Reason: ReasonType, Wiki: a.Wiki}
	}
	if e.PageRevision == nil || e.PageRevision.RevID <= 0 {
		return malformed("a page_change event needs revision.rev_id")
	}
	bot := (e.Performer != nil && e.Performer.IsBot) || e.PageRevision.EditorIsBot
	if bot && !f.IncludeBots && kind != "undelete" {
		return Action{Kind: Skip, Reason: ReasonBot, Wiki: a.Wiki}
	}
	a.Kind, a.Rev = Refresh, e.PageRevision.RevID
	if a.Title == "" {
		return malformed("a page_change event needs page.page_title")
	}
	return a
}
