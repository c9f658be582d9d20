package wikitext

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
