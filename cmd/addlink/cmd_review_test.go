package main

import (
	"strings"
	"testing"
)

// The review commands' errors as a user sees them: an unknown subcommand and a bad
// store, a wiki id, a pool or a dump not found are usage errors (2); importing for a
// wiki without a model says so (1).
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
		{"bad wiki", []string{"review", "export", "--wiki", "Bad Wiki"}, 2, "Bad Wiki"},
		{"no dump", []string{"review", "import", "--wiki", "xxwiki", "--dumps-dir", "nodumps", "--data-dir", "data"}, 2, "no dump given"},
		{"bad pool", []string{"review", "import", "--wiki", "xxwiki", "--from-pool", "pool.sqlite"}, 2, "--from-pool must be sqlite:PATH or mysql"},
		{"pool and dump", []string{"review", "import", "--wiki", "xxwiki", "--from-pool", "sqlite:p", "--dump", "x.xml"}, 2, "both a pool and dump files"},
		{"pool, no model", []string{"review", "import", "--wiki", "xxwiki", "--from-pool", "sqlite:nopool.sqlite", "--model", "nomodel.json"}, 1, "no model"},
		{"weak, no items", []string{"--data-dir", "data", "review", "weak", "--wiki", "xxwiki"}, 1, "no items for xxwiki"},
		{"weak, confidence", []string{"review", "weak", "--wiki", "xxwiki", "--min-confidence", "0.2"}, 2, "--min-confidence 0.2"},
		{"judges", []string{"review", "serve", "--judges", "0"}, 2, "--judges must be 1 or more"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, stderr, status := runAddlink(t, dir, nil, tt.args...)
			if status != tt.status || !strings.Contains(stderr, tt.stderr) {
				t.Errorf("exit %d, stderr %q; want %d and %q", status, stderr, tt.status, tt.stderr)
			}
		})
	}
}
