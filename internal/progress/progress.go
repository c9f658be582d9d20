// Package progress defines how long-running library code reports what it is doing
// without printing: a small Reporter interface with a no-op default. The CLI renders
// it on stderr (a bar on a terminal, periodic lines otherwise).
package progress

import (
	"context"
	"io"
	"strings"
	"sync/atomic"
)

// Reporter receives progress from long-running work. Implementations must be safe for
// concurrent use: Add is called from worker goroutines.
type Reporter interface {
	// Phase starts a new phase named name whose work is total units of unit
	// ("bytes", "pages", "rows", ...). total <= 0 means unknown.
	Phase(name string, total int64, unit string)
	// Add reports n more units done in the current phase.
	Add(n int64)
	// Note records a one-line remark (a count, a warning) that the CLI may show.
	Note(msg string)
}

// Secondary is implemented by Reporters that also show a second count of the current
// phase with its rate (the pairs an embedding trainer has trained while the phase
// counts tokens). Use AddSecondary to report to any Reporter.
type Secondary interface {
	// AddSecondary reports n more of unit done in the current phase.
	AddSecondary(n int64, unit string)
}

// AddSecondary reports n more of unit to r when r shows a second count.
func AddSecondary(r Reporter, n int64, unit string) {
	if s, ok := r.(Secondary); ok {
		s.AddSecondary(n, unit)
	}
}

// Ender is implemented by Reporters that show a phase until the next one starts: End
// shows the current phase's final state now and forgets it, so that nothing of it is
// printed after what follows (the next stage's notes, a run's summary).
type Ender interface {
	End()
}

// End ends r's current phase when r is an Ender.
func End(r Reporter) {
	if e, ok := r.(Ender); ok {
		e.End()
	}
}

// Nop is a Reporter that discards everything.
var Nop Reporter = nop{}

type nop struct{}

func (nop) Phase(string, int64, string) {}
func (nop) Add(int64)                   {}
func (nop) Note(string)                 {}

// OrNop returns r, or Nop when r is nil.
func OrNop(r Reporter) Reporter {
	if r == nil {
		return Nop
	}
	return r
}

// Counter is a Reporter that only counts; tests use it to check that work was reported.
type Counter struct {
	Phases atomic.Int64
	Units  atomic.Int64
}

// Phase implements Reporter.
func (c *Counter) Phase(string, int64, string) { c.Phases.Add(1) }

// Add implements Reporter.
func (c *Counter) Add(n int64) { c.Units.Add(n) }

// Note implements Reporter.
func (c *Counter) Note(string) {}

// WithPrefix returns a Reporter that passes everything to r, naming each phase
// "prefix: name" unless its name already starts so: a pipeline names each stage's
// phases after the stage. Secondary counts and End reach r too.
func WithPrefix(r Reporter, prefix string) Reporter {
	return prefixed{OrNop(r), prefix + ": "}
}

type prefixed struct {
	Reporter
	prefix string
}

func (p prefixed) Phase(name string, total int64, unit string) {
	if !strings.HasPrefix(name, p.prefix) {
		name = p.prefix + name
	}
	p.Reporter.Phase(name, total, unit)
}

func (p prefixed) AddSecondary(n int64, unit string) { AddSecondary(p.Reporter, n, unit) }

func (p prefixed) End() { End(p.Reporter) }

// Reader returns a reader of r that stops with ctx's error once ctx is done, so that a
// cancelled stage or download stops within one read whatever its loop checks, and adds
// the bytes it reads to rep (nil: to none).
func Reader(ctx context.Context, r io.Reader, rep Reporter) io.Reader {
	return &ctxReader{ctx: ctx, r: r, rep: rep}
}

type ctxReader struct {
	ctx context.Context
	r   io.Reader
	rep Reporter
}

func (c *ctxReader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	n, err := c.r.Read(p)
	if c.rep != nil {
		c.rep.Add(int64(n))
	}
	return n, err
}
