package pipeline

import (
	"os"
	"path/filepath"
	"testing"
	"time"
)

func TestManifestCheck(t *testing.T) {
	dir := t.TempDir()
	in := filepath.Join(dir, "in.txt")
	out := filepath.Join(dir, "out.txt")
	write := func(p, s string) {
		t.Helper()
		if err := os.WriteFile(p, []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	hashAll := func(string) bool { return true }
	params := map[string]string{"seed": "7"}
	record := func() *Manifest {
		t.Helper()
		ins, err := Identify([]string{in}, hashAll)
		if err != nil {
			t.Fatal(err)
		}
		outs, err := Identify([]string{out}, hashAll)
		if err != nil {
			t.Fatal(err)
		}
		return &Manifest{Stage: "s", Version: "v1", Params: params, Inputs: ins, Outputs: outs}
	}
	tests := []struct {
		name    string
		change  func()
		version string
		params  map[string]string
		inputs  []string
		current bool
	}{
		{"unchanged", func() {}, "v1", params, []string{in}, true},
		{"rewritten with same bytes", func() {
			write(in, "hello")
			os.Chtimes(in, time.Now(), time.Now().Add(time.Hour))
		}, "v1", params, []string{in}, true},
		{"input content changed", func() { write(in, "jello") }, "v1", params, []string{in}, false},
		{"input size changed", func() { write(in, "hello!") }, "v1", params, []string{in}, false},
		{"output deleted", func() { os.Remove(out) }, "v1", params, []string{in}, false},
		{"version changed", func() {}, "v2", params, []string{in}, false},
		{"parameter changed", func() {}, "v1", map[string]string{"seed": "8"}, []string{in}, false},
		{"parameter added", func() {}, "v1", map[string]string{"seed": "7", "dim": "50"}, []string{in}, false},
		{"inputs changed", func() {}, "v1", params, []string{in, out}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			write(in, "hello")
			write(out, "world")
			m := record()
			path := filepath.Join(dir, "m.json")
			if err := WriteManifest(path, m); err != nil {
				t.Fatal(err)
			}
			m, err := ReadManifest(path)
			if err != nil {
				t.Fatal(err)
			}
			tt.change()
			s := m.Check(tt.version, tt.params, tt.inputs)
			if s.Current() != tt.current {
				t.Errorf("Current() = %v (%q), want %v", s.Current(), s.Reason, tt.current)
			}
		})
	}
	var missing *Manifest
	if missing.Check("v1", nil, nil).Current() {
		t.Error("a missing manifest must be stale")
	}
	if m, err := ReadManifest(filepath.Join(dir, "none.json")); m != nil || err != nil {
		t.Errorf("ReadManifest(missing) = %v, %v", m, err)
	}
}
