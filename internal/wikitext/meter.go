package wikitext

import (
	"strings"
	"unsafe"
)

// A meter bounds the work of reading one page, so that the time every reader of wikitext
// takes is linear in the page's size whatever the page holds. Each scan for where a node
// ends charges the bytes it looks at, and so does each reading of a node's contents
// again (a nested node is read once per level); while steps are left, reading is
// exact. Once the page's budget is spent, no scan starts any more: the rest of the
// page's markup is read as text. Real pages use under half of the budget (the
// fixtures' 2361 articles at most 27 of StripCode's 64 steps per byte; see
// TestBudgetOfRealPages, which also checks Sections' and LinkedSentences'), so only
// pages built to defeat a parser (thousands of unclosed or deeply nested nodes) are
// read differently from mwparserfromhell and wikitextparser, which give up on such
// pages in their own ways.
//
// The meter also watches for cancellation: once done is closed, the budget counts as
// spent, so that reading ends promptly.
type meter struct {
	budget    int             // the steps it started with
	left      int             // steps left: spent below zero
	done      <-chan struct{} // closed when the caller gives up, or nil
	poll      int             // steps until done is looked at again
	cancelled bool
	styleOut  bool // a stripper's own budget for bold and italic runs ran out
	style     int  // the steps the strippers took for bold and italic runs
	found     [foundSlots]found
	next      int // the slot of found to fill next
	tables    [tableSlots]tableFound
	nextTable int
	fresh     bool // for tests: every search is made afresh, and none fails fast
}

const (
	// budgetPerByte and budgetFixed make a page's budget of steps.
	budgetPerByte = 64
	budgetFixed   = 1 << 18
	// sectionsPerByte and sentencesPerByte are the budgets of Sections and
	// LinkedSentences, which read no node's contents again (StripCode does).
	sectionsPerByte  = 8
	sentencesPerByte = 16
	// pollSteps is how often a meter looks at its done channel: about a millisecond
	// of scanning.
	pollSteps = 1 << 16
)

func newMeter(size, perByte int, done <-chan struct{}) *meter {
	b := perByte*size + budgetFixed
	return &meter{budget: b, left: b, done: done, poll: pollSteps}
}

// spend charges n steps and reports whether the budget still holds.
func (w *meter) spend(n int) bool {
	w.left -= n
	if w.poll -= n; w.poll <= 0 {
		w.look()
	}
	return w.left >= 0
}

// stopped reports whether the reading was cancelled: loops that go on once the budget
// is spent (copying the rest as text) call it on every step.
func (w *meter) stopped() bool {
	if w.poll--; w.poll <= 0 {
		w.look()
	}
	return w.cancelled
}

// look looks at done; once it is closed the budget counts as spent.
func (w *meter) look() {
	w.poll = pollSteps
	if w.done != nil && !w.cancelled {
		select {
		case <-w.done:
			w.cancelled = true
		default:
		}
	}
	if w.cancelled {
		w.left = -1
	}
}

// spent reports whether the budget is spent (or the reading was cancelled).
func (w *meter) spent() bool { return w.left < 0 }

// scanned is how far a search looked that found its string at k, or did not find it
// (k < 0) in the rest bytes it looked at.
func scanned(k, rest int) int {
	if k < 0 {
		return rest
	}
	return k
}

// A found remembers, for one string and one delimiter (or set of bytes), where the
// delimiter next occurs at or after the position last asked about. A search that
// found nothing answers every later search of the same string: "no closing delimiter
// after p" is looked for once, however many unclosed nodes ask.
type found struct {
	data     *byte // the string searched: its bytes and length
	n        int
	sub      string
	any      bool // sub is a set of bytes (strings.IndexAny)
	from, at int  // at: where it occurs, -1 when nowhere after from
}

// nearBytes is how far index looks for a delimiter before it asks the memo.
const nearBytes = 64

// foundSlots is how many searches a meter remembers at once (the delimiters of a
// reader, in the strings it reads nested).
const foundSlots = 8

// index is strings.Index(s[from:], sub) + from, or -1 when sub does not occur there
// (strings.IndexAny when any is set), and how many bytes it looked at: none when an
// earlier search of the same string answers.
func (w *meter) index(s string, from int, sub string, any bool) (at, looked int) {
	if w.fresh {
		at = search(s, from, sub, any)
		return at, scanned(at-from, len(s)-from)
	}
	// A closer near from (as in ordinary text) is found without the memo.
	near := min(len(s), from+nearBytes+len(sub)-1)
	if at = search(s[:near], from, sub, any); at >= 0 || near == len(s) {
		return at, scanned(at-from, near-from)
	}
	data := unsafe.StringData(s)
	for k := range w.found {
		f := &w.found[k]
		if f.data != data || f.n != len(s) || f.sub != sub || f.any != any || from < f.from {
			continue
		}
		if f.at < 0 || f.at >= from {
			return f.at, 0
		}
		f.from, f.at = from, search(s, from, sub, any)
		return f.at, scanned(f.at-from, len(s)-from)
	}
	at = search(s, from, sub, any)
	w.found[w.next] = found{data: data, n: len(s), sub: sub, any: any, from: from, at: at}
	w.next = (w.next + 1) % foundSlots
	if at < 0 {
		return -1, len(s) - from
	}
	return at, at - from
}

func search(s string, from int, sub string, any bool) int {
	var k int
	if any {
		k = strings.IndexAny(s[from:], sub)
	} else {
		k = strings.Index(s[from:], sub)
	}
	if k < 0 {
		return -1
	}
	return from + k
}

// none reports whether sub occurs nowhere in s from from on, or the budget is spent:
// a search for where a node ends can then fail at once. It charges what it looked at.
func (w *meter) none(s string, from int, sub string) bool {
	if w.fresh {
		return false
	}
	k, looked := w.index(s, from, sub, false)
	return !w.spend(looked/8) || k < 0
}

// A tableFound is where a table ends (meter.tableEnd): s[from:end] are the bytes it was
// read from, and cost what reading them took. A scan for the end of a table reads only
// those bytes, so it holds for any string that holds them at the same address; the
// string pins them, so that no other bytes take that address while it is remembered.
type tableFound struct {
	s         string
	from, end int
	cost      int
}

// tableSlots is how many table ends a meter remembers: a table is read for its end at
// its own level (whether a bold or italic run escapes it, and to read it), and from the
// level above, which holds it in a cell.
const tableSlots = 4

// tableFor returns the end in s of the table at s[i] remembered, and its cost.
func (w *meter) tableFor(s string, i int) (end, cost int, ok bool) {
	if w.fresh || len(s) == 0 {
		return 0, 0, false
	}
	a := uintptr(unsafe.Pointer(unsafe.StringData(s)))
	for k := range w.tables {
		t := &w.tables[k]
		if t.s == "" {
			continue
		}
		b := uintptr(unsafe.Pointer(unsafe.StringData(t.s)))
		// t.s[t.from:t.end] lies within s, from s[i] on.
		if b+uintptr(t.from) == a+uintptr(i) && b+uintptr(t.end) <= a+uintptr(len(s)) {
			return t.end - t.from + i, t.cost, true
		}
	}
	return 0, 0, false
}

// tableRead remembers that the table at s[from] ends at end, after cost steps.
func (w *meter) tableRead(s string, from, end, cost int) {
	if w.fresh {
		return
	}
	w.tables[w.nextTable] = tableFound{s: s, from: from, end: end, cost: cost}
	w.nextTable = (w.nextTable + 1) % tableSlots
}
