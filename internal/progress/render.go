package progress

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Renderer is the Reporter the CLI uses: on a terminal it redraws one status line with a
// bar, rate and ETA; otherwise it prints a line every Interval. Close stops it.
type Renderer struct {
	w        io.Writer
	terminal bool
	json     bool
	interval time.Duration
	now      func() time.Time

	mu      sync.Mutex
	name    string
	unit    string
	total   int64
	started time.Time
	done    atomic.Int64
	second  atomic.Int64 // the secondary count (AddSecondary), in secUnit
	secUnit string
	last    time.Time
	stop    chan struct{}
	wg      sync.WaitGroup
	closed  bool
}

// NewRenderer returns a Renderer writing to w. terminal selects the redrawn bar;
// interval is how often a line is printed (or the bar redrawn).
func NewRenderer(w io.Writer, terminal bool, interval time.Duration) *Renderer {
	r := &Renderer{w: w, terminal: terminal, interval: interval, now: time.Now, stop: make(chan struct{})}
	r.wg.Add(1)
	go r.loop()
	return r
}

// NewJSONRenderer returns a Renderer that writes one JSON object per line for machine
// logs: {"time", "phase", "done", "total", "unit", "rate", "eta_seconds", "final"} for
// progress and {"time", "msg"} for notes.
func NewJSONRenderer(w io.Writer, interval time.Duration) *Renderer {
	r := &Renderer{w: w, json: true, interval: interval, now: time.Now, stop: make(chan struct{})}
	r.wg.Add(1)
	go r.loop()
	return r
}

func (r *Renderer) loop() {
	defer r.wg.Done()
	t := time.NewTicker(r.interval)
	defer t.Stop()
	for {
		select {
		case <-r.stop:
			return
		case <-t.C:
			r.mu.Lock()
			r.draw(false)
			r.mu.Unlock()
		}
	}
}

// Phase implements Reporter.
func (r *Renderer) Phase(name string, total int64, unit string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.finishLine()
	r.name, r.total, r.unit = name, total, unit
	r.started = r.now()
	r.done.Store(0)
	r.second.Store(0)
	r.secUnit = ""
}

// AddSecondary implements Secondary.
func (r *Renderer) AddSecondary(n int64, unit string) {
	if r.second.Add(n) == n {
		r.mu.Lock()
		r.secUnit = unit
		r.mu.Unlock()
	}
}

// Add implements Reporter.
func (r *Renderer) Add(n int64) { r.done.Add(n) }

// Note implements Reporter.
func (r *Renderer) Note(msg string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.json {
		b, _ := json.Marshal(struct {
			Time string `json:"time"`
			Msg  string `json:"msg"`
		}{r.now().UTC().Format(time.RFC3339Nano), msg})
		fmt.Fprintf(r.w, "%s\n", b)
		return
	}
	if r.terminal && r.name != "" {
		fmt.Fprint(r.w, "\r\x1b[K")
	}
	fmt.Fprintln(r.w, msg)
}

// End implements Ender: it prints the final state of the current phase.
func (r *Renderer) End() {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.finishLine()
}

// Close prints the final state of the current phase and stops the ticker.
func (r *Renderer) Close() {
	r.mu.Lock()
	if r.closed {
		r.mu.Unlock()
		return
	}
	r.closed = true
	r.finishLine()
	r.mu.Unlock()
	close(r.stop)
	r.wg.Wait()
}

func (r *Renderer) finishLine() {
	if r.name == "" {
		return
	}
	r.draw(true)
	if r.terminal {
		fmt.Fprintln(r.w)
	}
	r.name = ""
}

func (r *Renderer) draw(final bool) {
	if r.name == "" {
		return
	}
	if r.json {
		r.drawJSON(final)
		return
	}
	line := r.status(final)
	if r.terminal {
		fmt.Fprintf(r.w, "\r\x1b[K%s", line)
	} else {
		fmt.Fprintln(r.w, line)
	}
}

func (r *Renderer) status(final bool) string {
	done := r.done.Load()
	el := r.now().Sub(r.started).Seconds()
	rate := 0.0
	if el > 0 {
		rate = float64(done) / el
	}
	var b strings.Builder
	b.WriteString(r.name)
	if done == 0 && r.total <= 0 && r.secUnit == "" {
		// A phase without counts (loading, writing): its name and, at the end, its time.
		if final {
			fmt.Fprintf(&b, " done in %.1fs", el)
		} else {
			b.WriteString(" ...")
		}
		return b.String()
	}
	if r.total > 0 {
		frac := float64(done) / float64(r.total)
		if frac > 1 {
			frac = 1
		}
		if r.terminal {
			const width = 24
			n := int(frac * width)
			b.WriteString(" [" + strings.Repeat("=", n) + strings.Repeat(" ", width-n) + "]")
		}
		fmt.Fprintf(&b, " %5.1f%% %s/%s %s", 100*frac, human(done, r.unit), human(r.total, r.unit), r.unit)
	} else {
		fmt.Fprintf(&b, " %s %s", human(done, r.unit), r.unit)
	}
	fmt.Fprintf(&b, " %s %s/s", human(int64(rate), r.unit), r.unit)
	if r.secUnit != "" && el > 0 {
		sec := r.second.Load()
		fmt.Fprintf(&b, " (%s %s, %s %s/s)", human(sec, r.secUnit), r.secUnit, human(int64(float64(sec)/el), r.secUnit), r.secUnit)
	}
	if final {
		fmt.Fprintf(&b, " in %.1fs", el)
	} else if r.total > 0 && rate > 0 && done < r.total {
		eta := time.Duration(float64(r.total-done) / rate * float64(time.Second))
		fmt.Fprintf(&b, " ETA %s", eta.Round(time.Second))
	}
	return b.String()
}

func human(n int64, unit string) string {
	if unit == "bytes" {
		switch {
		case n >= 1<<30:
			return fmt.Sprintf("%.2fG", float64(n)/(1<<30))
		case n >= 1<<20:
			return fmt.Sprintf("%.1fM", float64(n)/(1<<20))
		case n >= 1<<10:
			return fmt.Sprintf("%.1fK", float64(n)/(1<<10))
		}
		return fmt.Sprint(n)
	}
	switch {
	case n >= 10_000_000:
		return fmt.Sprintf("%.1fM", float64(n)/1e6)
	case n >= 10_000:
		return fmt.Sprintf("%.1fk", float64(n)/1e3)
	}
	return fmt.Sprint(n)
}

func (r *Renderer) drawJSON(final bool) {
	done := r.done.Load()
	el := r.now().Sub(r.started).Seconds()
	rec := struct {
		Time  string   `json:"time"`
		Phase string   `json:"phase"`
		Done  int64    `json:"done"`
		Total int64    `json:"total,omitempty"`
		Unit  string   `json:"unit"`
		Rate  float64  `json:"rate"`
		ETA   *float64 `json:"eta_seconds,omitempty"`
		Final bool     `json:"final,omitempty"`
		// The secondary count, when the phase has one.
		Second     int64   `json:"secondary,omitempty"`
		SecondUnit string  `json:"secondary_unit,omitempty"`
		SecondRate float64 `json:"secondary_rate,omitempty"`
	}{Time: r.now().UTC().Format(time.RFC3339Nano), Phase: r.name, Done: done, Total: r.total, Unit: r.unit, Final: final}
	if el > 0 {
		rec.Rate = float64(done) / el
	}
	if r.secUnit != "" {
		rec.Second, rec.SecondUnit = r.second.Load(), r.secUnit
		if el > 0 {
			rec.SecondRate = float64(rec.Second) / el
		}
	}
	if !final && r.total > 0 && rec.Rate > 0 && done < r.total {
		eta := float64(r.total-done) / rec.Rate
		rec.ETA = &eta
	}
	b, _ := json.Marshal(rec)
	fmt.Fprintf(r.w, "%s\n", b)
}
