package testfixtures

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// A missing fixture skips the test outside CI and logs it for test.sh's count.
func TestMissingFixtureSkipsAndIsLogged(t *testing.T) {
	dir := t.TempDir()
	log := filepath.Join(dir, "skips")
	t.Setenv("CI", "")
	t.Setenv("ADDLINK_FIXTURES", dir)
	t.Setenv(SkipLogEnv, log)
	reached := false
	t.Run("needs a fixture", func(t *testing.T) {
		Path(t, "no/such/file")
		reached = true
	})
	if reached {
		t.Fatal("Path returned for a missing fixture")
	}
	b, err := os.ReadFile(log)
	if err != nil {
		t.Fatal(err)
	}
	f := strings.Split(strings.TrimSpace(string(b)), "\t")
	if len(f) != 3 || f[0] != "fixture" || !strings.HasSuffix(f[1], ":TestMissingFixtureSkipsAndIsLogged/needs_a_fixture") || f[2] != filepath.Join(dir, "no/such/file") {
		t.Errorf("log line %q", b)
	}
}
