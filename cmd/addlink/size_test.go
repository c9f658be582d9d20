package main

import "testing"

func TestParseSize(t *testing.T) {
	for _, c := range []struct {
		in   string
		want int64
		ok   bool
	}{
		{"1GB", 1e9, true}, {"1gb", 1e9, true}, {"512MiB", 512 << 20, true}, {"1.5G", 1.5e9, true},
		{"2048", 2048, true}, {" 3 KB ", 3000, true}, {"1TiB", 1 << 40, true},
		{"", 0, false}, {"GB", 0, false}, {"-1GB", 0, false}, {"0", 0, false}, {"1XB", 0, false}, {"1e9", 0, false},
	} {
		got, err := parseSize(c.in)
		if (err == nil) != c.ok || got != c.want {
			t.Errorf("parseSize(%q) = %d, %v; want %d (ok %v)", c.in, got, err, c.want, c.ok)
		}
	}
}
