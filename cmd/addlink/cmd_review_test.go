package main

import (
	"strings"
	"testing"
)

// The review commands' errors as a user sees them: an unknown subcommand and a bad
// store are usage errors (2); importing for a wiki without a model says so (1).
func TestReviewCommandErrors(t *testing.T) {
	dir := t.TempDir()
	for _, tt := range []struct {
		name   string
		args   []string
		status int
		stderr string
	}{
		{"unknown subcommand", []string{"review", "judge"}, 2, `unknown command "review" "judge"`},
		{"no model", []string{"review", "import", "--wiki", "xxwiki", "--dump", "x.xml", "--data-dir", "data"}, 1, "no model for xxwiki"},
		{"bad store", []string{"review", "lfs", "--store", "csv", "--data-dir", "data"}, 2, `store "csv"`},
		{"bad prefix", []string{"review", "lfs", "--table-prefix", "x;drop", "--data-dir", "data"}, 2, "table prefix"},
		{"no items", []string{"--data-dir", "data", "review", "lfs", "--wiki", "xxwiki"}, 1, "no items for xxwiki"},
		{"judge-from-links alone", []string{"review", "import", "--wiki", "xxwiki", "--dump", "x.xml", "--judge-from-links"}, 2, "needs --from-links"},
		{"no golden items", []string{"review", "eval", "--wiki", "xxwiki", "--data-dir", "data"}, 1, "no golden items"},
		{"missing wiki", []string{"review", "eval"}, 2, "--wiki is required"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, stderr, status := runAddlink(t, dir, nil, tt.args...)
			if status != tt.status || !strings.Contains(stderr, tt.stderr) {
				t.Errorf("exit %d, stderr %q; want %d and %q", status, stderr, tt.status, tt.stderr)
			}
		})
	}
}
