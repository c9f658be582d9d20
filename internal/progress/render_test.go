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
