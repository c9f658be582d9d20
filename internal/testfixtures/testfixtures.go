// Package testfixtures locates the shared fixtures (../shared/fixtures beside the
// repository) for tests. A missing fixture fails the test when CI=true and skips it with
// a clear message elsewhere.
package testfixtures

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// Root returns the repository root (the directory holding the go.mod of
// github.com/addlink/addlink, also from a module nested in it such as beam/).
func Root(t testing.TB) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if b, err := os.ReadFile(filepath.Join(dir, "go.mod")); err == nil && isRootModule(b) {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("testfixtures: go.mod not found above the working directory")
		}
		dir = parent
	}
}

// isRootModule reports whether a go.mod declares the repository's module.
func isRootModule(gomod []byte) bool {
	for _, line := range strings.Split(string(gomod), "\n") {
		if f := strings.Fields(line); len(f) == 2 && f[0] == "module" {
			return f[1] == "github.com/addlink/addlink"
		}
	}
	return false
}

// Dir returns the fixtures directory, ADDLINK_FIXTURES or ../shared/fixtures next to the
// repository root.
func Dir(t testing.TB) string {
	t.Helper()
	if d := os.Getenv("ADDLINK_FIXTURES"); d != "" {
		return d
	}
	return filepath.Join(filepath.Dir(Root(t)), "shared", "fixtures")
}

// Path returns the path of a fixture file relative to the fixtures directory, failing
// (in CI) or skipping (elsewhere) when it does not exist.
func Path(t testing.TB, rel string) string {
	t.Helper()
	p := filepath.Join(Dir(t), filepath.FromSlash(rel))
	if _, err := os.Stat(p); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("fixture %s missing: %v", p, err)
		}
		recordSkip(t, "fixture", p)
		t.Skipf("fixture %s missing (CI would fail): %v", p, err)
	}
	return p
}

// SkipLogEnv names the environment variable that test.sh sets to a file: every test
// skipped for want of a fixture or a tool appends a line "kind<TAB>dir:test<TAB>what" to it,
// so that the test command can say how many skipped and why.
const SkipLogEnv = "ADDLINK_SKIP_LOG"

func recordSkip(t testing.TB, kind, what string) {
	path := os.Getenv(SkipLogEnv)
	if path == "" {
		return
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
	if err != nil {
		t.Logf("testfixtures: %s: %v", SkipLogEnv, err)
		return
	}
	// One short write with O_APPEND: lines of parallel test processes do not mix. The
	// test is named with its package's directory (the working directory of a test).
	pkg, _ := os.Getwd()
	line := kind + "\t" + pkg + ":" + t.Name() + "\t" + strings.ReplaceAll(what, "\n", " ") + "\n"
	if _, err := f.WriteString(line); err != nil {
		t.Logf("testfixtures: %s: %v", SkipLogEnv, err)
	}
	if err := f.Close(); err != nil {
		t.Logf("testfixtures: %s: %v", SkipLogEnv, err)
	}
}

// DebianPython is the interpreter of Debian's python3 packages, the real consumers our
// files are tested against (the python3 on PATH may be another build without them).
const DebianPython = "/usr/bin/python3"

// Require runs check and, when it fails, fails the test in CI (CI=true) or skips it
// elsewhere, naming what is missing.
func Require(t testing.TB, what string, check func() error) {
	t.Helper()
	if err := check(); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("%s is required in CI: %v", what, err)
		}
		recordSkip(t, "tool", what)
		t.Skipf("%s is not available (CI would fail): %v", what, err)
	}
}

// Optional runs check and, when it fails, skips the test everywhere, CI included,
// naming what is missing. It is for what CI cannot have: a clone of another project's
// repository (the reference's own code, which we do not commit), reached only through
// an environment variable a developer sets on a machine that has it.
func Optional(t testing.TB, what string, check func() error) {
	t.Helper()
	if err := check(); err != nil {
		recordSkip(t, "optional", what)
		t.Skipf("%s is not available (optional, skipped in CI too): %v", what, err)
	}
}

// Python returns DebianPython after checking that it imports modules, through Require.
func Python(t testing.TB, modules ...string) string {
	t.Helper()
	Require(t, DebianPython+" with "+strings.Join(modules, ", "), func() error {
		return exec.Command(DebianPython, "-c", "import "+strings.Join(modules, ", ")).Run()
	})
	return DebianPython
}

// ReferenceLoader writes the reference's load-datasets.py, with the two files it imports,
// from the research-mwaddlink git directory named by ADDLINK_REFERENCE_REPO into a
// temporary directory, and returns Debian's python (with pymysql and requests) and that
// directory, where the script is run. Without the repository the test skips
// (Optional: CI cannot fetch it).
func ReferenceLoader(t testing.TB) (python, dir string) {
	t.Helper()
	python = Python(t, "pymysql", "requests")
	repo := os.Getenv("ADDLINK_REFERENCE_REPO")
	Optional(t, "a research-mwaddlink git directory (set ADDLINK_REFERENCE_REPO to it)", func() error {
		if repo == "" {
			return errors.New("ADDLINK_REFERENCE_REPO is not set")
		}
		_, err := os.Stat(repo)
		return err
	})
	dir = t.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, "src"), 0o755); err != nil {
		t.Fatal(err)
	}
	files := map[string][]byte{
		// Modules Debian does not package, which the script imports but a load does not use.
		"dotenv.py":       []byte("def load_dotenv(*args, **kwargs):\n    pass\n"),
		"json_logging.py": []byte("def init_non_web(**kwargs):\n    pass\n"),
	}
	for _, p := range []string{"load-datasets.py", "create_tables.py", "src/mysql.py"} {
		b, err := exec.Command("git", "--git-dir="+repo, "show", "HEAD:"+p).Output()
		if err != nil {
			t.Fatalf("git show %s: %v", p, err)
		}
		files[p] = b
	}
	for p, b := range files {
		if err := os.WriteFile(filepath.Join(dir, p), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return python, dir
}
