package datasets

import (
	"math"
	"os"
	"path/filepath"
	"testing"
)

func TestWriteSummary(t *testing.T) {
	l := Layout{DataDir: t.TempDir(), Wiki: "cswiki"}
	if err := os.MkdirAll(l.Dir(), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := WriteSummary(l, "filter", struct{ Kept int }{3}); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(filepath.Join(l.Dir(), "filter.summary.json"))
	if want := "{\n  \"Kept\": 3\n}\n"; err != nil || string(b) != want {
		t.Errorf("summary %q %v, want %q", b, err, want)
	}
	// A value JSON cannot hold is an error, and the file is left as it was.
	if err := WriteSummary(l, "filter", struct{ X float64 }{math.NaN()}); err == nil {
		t.Error("NaN summary written without an error")
	}
	if b2, _ := os.ReadFile(l.Summary("filter")); string(b2) != string(b) {
		t.Errorf("summary changed by a failed write: %q", b2)
	}
}
