package progress

import (
	"bytes"
	"strings"
	"testing"
	"time"
)

func TestRendererLines(t *testing.T) {
	var buf bytes.Buffer
	r := NewRenderer(&buf, false, time.Hour)
	start := time.Unix(0, 0)
	now := start
	r.now = func() time.Time { return now }
	r.Phase("reading", 1000, "bytes")
	r.Add(250)
	now = start.Add(time.Second)
	r.mu.Lock()
	r.draw(false)
	r.mu.Unlock()
	r.Note("3 invalid UTF-8 sequences replaced")
	r.Add(750)
	now = start.Add(4 * time.Second)
	r.Close()
	out := buf.String()
	for _, want := range []string{"reading  25.0% 250/1000 bytes 250 bytes/s ETA 3s", "3 invalid UTF-8", "100.0%", "in 4.0s"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
}

func TestNop(t *testing.T) {
	var c Counter
	for _, r := range []Reporter{OrNop(nil), &c} {
		r.Phase("x", 0, "pages")
		r.Add(3)
		r.Note("n")
	}
	if c.Units.Load() != 3 || c.Phases.Load() != 1 {
		t.Fatalf("counter = %d units, %d phases", c.Units.Load(), c.Phases.Load())
	}
}

func TestJSONRenderer(t *testing.T) {
	var buf bytes.Buffer
	r := NewJSONRenderer(&buf, time.Hour)
	start := time.Unix(0, 0)
	now := start
	r.now = func() time.Time { return now }
	r.Phase("reading", 100, "pages")
	r.Add(40)
	now = start.Add(2 * time.Second)
	r.Note("hello")
	r.Close()
	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	if len(lines) != 2 {
		t.Fatalf("want 2 lines, got %q", buf.String())
	}
	for _, want := range []string{`"msg":"hello"`, `"phase":"reading"`, `"done":40`, `"total":100`, `"rate":20`, `"final":true`} {
		if !strings.Contains(buf.String(), want) {
			t.Errorf("output lacks %s:\n%s", want, buf.String())
		}
	}
}

// TestSecondary: a second count shows with its rate beside the phase's own, in text and
// JSON, and a Reporter without one ignores it.
func TestSecondary(t *testing.T) {
	for _, js := range []bool{false, true} {
		var buf bytes.Buffer
		r := NewRenderer(&buf, false, time.Hour)
		if js {
			r = NewJSONRenderer(&buf, time.Hour)
		}
		start := time.Unix(0, 0)
		now := start
		r.now = func() time.Time { return now }
		r.Phase("training", 1000, "tokens")
		r.Add(500)
		AddSecondary(r, 30000, "pairs")
		AddSecondary(r, 10000, "pairs")
		now = start.Add(2 * time.Second)
		r.Close()
		want := []string{"(40.0k pairs, 20.0k pairs/s)"}
		if js {
			want = []string{`"secondary":40000`, `"secondary_unit":"pairs"`, `"secondary_rate":20000`}
		}
		for _, w := range want {
			if !strings.Contains(buf.String(), w) {
				t.Errorf("json %v: output lacks %s:\n%s", js, w, buf.String())
			}
		}
	}
	var c Counter
	AddSecondary(&c, 5, "pairs") // no second count: nothing happens
	AddSecondary(OrNop(nil), 5, "pairs")
}

// A phase that End finished prints nothing more: not on the next tick, not after the
// notes that follow it (a stage's lines came after the next stage's before End).
func TestRendererEnd(t *testing.T) {
	var buf bytes.Buffer
	r := NewRenderer(&buf, false, time.Hour)
	start := time.Unix(0, 0)
	r.now = func() time.Time { return start }
	r.Phase("stage one: reading", 10, "pages")
	r.Add(10)
	End(r)
	r.Note("stage two: running")
	r.mu.Lock()
	r.draw(false) // a tick
	r.mu.Unlock()
	r.Close()
	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	if len(lines) != 2 || !strings.HasPrefix(lines[0], "stage one: reading 100.0%") || lines[1] != "stage two: running" {
		t.Errorf("lines %q, want the phase's final line then the note, once each", lines)
	}
}

// A phase without counts shows its name and time, not "0  0 /s".
func TestRendererPhaseWithoutCounts(t *testing.T) {
	var buf bytes.Buffer
	r := NewRenderer(&buf, false, time.Hour)
	start := time.Unix(0, 0)
	now := start
	r.now = func() time.Time { return now }
	r.Phase("loading dictionaries", 0, "")
	r.mu.Lock()
	r.draw(false)
	r.mu.Unlock()
	now = start.Add(1500 * time.Millisecond)
	r.Close()
	want := "loading dictionaries ...\nloading dictionaries done in 1.5s\n"
	if buf.String() != want {
		t.Errorf("output %q, want %q", buf.String(), want)
	}
}

func TestWithPrefix(t *testing.T) {
	var buf bytes.Buffer
	r := NewRenderer(&buf, false, time.Hour)
	now := time.Unix(0, 0)
	r.now = func() time.Time { return now }
	p := WithPrefix(r, "train")
	p.Phase("boosting", 2, "trees")
	now = now.Add(time.Second)
	p.Add(2)
	AddSecondary(p, 5, "pairs")
	End(p)
	p.Phase("train: writing", 0, "")
	r.Close()
	out := buf.String()
	if !strings.HasPrefix(out, "train: boosting 100.0% 2/2 trees") || !strings.Contains(out, "5 pairs") || !strings.Contains(out, "\ntrain: writing done") {
		t.Errorf("output %q", out)
	}
}
