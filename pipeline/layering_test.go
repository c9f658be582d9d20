package pipeline

import (
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

const module = "github.com/addlink/addlink/"

// The layers, lowest first (docs/architecture.md draws them):
//   - base: atomicfile, then checksum, then datasets, each importing only those before
//     it; datasets holds the file formats that two packages above share;
//   - internal/*: libraries, which import only each other and the base;
//   - capabilities: the other top-level packages (service, loader, publish, compare,
//     multilingual, review, ...), which import the base and internal/*, not each other;
//   - stages: pipeline/<stage>, which import the base and internal/*, not each other;
//   - the runner (pipeline) imports the stages; cmd/ and bench/ may import anything but
//     cmd/. Nothing imports cmd/ or bench/, but bench/ its own bench/internal/*.
var base = []string{"atomicfile", "checksum", "datasets"}

// layerError returns why package from (a path relative to the module) may not import
// imp (any import path), or "" when it may.
func layerError(from, imp string) string {
	if !strings.HasPrefix(imp, module) {
		return ""
	}
	to := strings.TrimPrefix(imp, module)
	top := func(p string) string { t, _, _ := strings.Cut(p, "/"); return t }
	baseRank := func(p string) int {
		for i, b := range base {
			if p == b {
				return i
			}
		}
		return -1
	}
	switch {
	case strings.HasPrefix(to, "bench/internal/"):
		if top(from) != "bench" {
			return "only bench/ imports bench/internal/"
		}
		return ""
	case top(to) == "cmd" || top(to) == "bench":
		return "nothing imports cmd/ or bench/"
	case top(from) == "cmd" || top(from) == "bench":
		return ""
	case baseRank(from) >= 0:
		if r := baseRank(to); r < 0 || r >= baseRank(from) {
			return from + " is in the base layer: it imports only " + strings.Join(base[:baseRank(from)], ", ") + " (move what it needs below it)"
		}
		return ""
	case baseRank(to) >= 0:
		return ""
	case top(from) == "internal":
		if top(to) != "internal" {
			return "internal libraries import only internal/* and " + strings.Join(base, ", ")
		}
		return ""
	case from == "pipeline":
		if top(to) == "internal" || strings.HasPrefix(to, "pipeline/") {
			return ""
		}
		return "the runner imports the stages, internal/* and the base"
	case top(from) == "pipeline":
		if top(to) == "internal" {
			return ""
		}
		return "stages do not import each other, the runner or the capabilities: move what they share to datasets"
	default: // a capability
		if top(to) == "internal" {
			return ""
		}
		return "capabilities (service, loader, publish, compare, multilingual, review, ...) import only internal/* and " + strings.Join(base, ", ") + ": move what they share with " + to + " below them (a file format to datasets, code to internal/)"
	}
}

// TestLayering checks every package of the module (non-test files: tests may use other
// packages to make their inputs) against layerError.
func TestLayering(t *testing.T) {
	root := ".."
	dirs := map[string]bool{}
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			name := d.Name()
			if path != root && (strings.HasPrefix(name, ".") || name == "testdata" || name == "data") {
				return filepath.SkipDir
			}
			if _, err := os.Stat(filepath.Join(path, "go.mod")); err == nil && path != root {
				return filepath.SkipDir // another module (beam)
			}
			return nil
		}
		if strings.HasSuffix(path, ".go") && !strings.HasSuffix(path, "_test.go") {
			dirs[filepath.Dir(path)] = true
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	checked := 0
	for dir := range dirs {
		rel, err := filepath.Rel(root, dir)
		if err != nil {
			t.Fatal(err)
		}
		from := filepath.ToSlash(rel)
		if from == "." {
			continue
		}
		for key, imp := range imports(t, dir) {
			if why := layerError(from, imp); why != "" {
				file, _, _ := strings.Cut(key, ": ")
				t.Errorf("%s imports %s: %s", file, imp, why)
			}
		}
		checked++
	}
	if checked < 40 {
		t.Fatalf("checked %d packages: the layout moved?", checked)
	}
}

// TestLayeringRules: the arrows the layers forbid are refused, those they allow are not
// (the arrows the consolidation removed are among the first).
func TestLayeringRules(t *testing.T) {
	for _, c := range []struct {
		from, to string
		ok       bool
	}{
		{"datasets", "internal/atomicfile", false},
		{"datasets", "internal/linker", false},
		{"datasets", "service", false},
		{"checksum", "datasets", false},
		{"atomicfile", "checksum", false},
		{"compare", "pipeline/backtest", false},
		{"multilingual", "pipeline/backtest", false},
		{"review", "pipeline/backtest", false},
		{"publish", "loader", false},
		{"service", "pipeline", false},
		{"internal/linker", "service", false},
		{"internal/synth", "pipeline", false},
		{"internal/wikitext", "cmd/addlink", false},
		{"pipeline/features", "pipeline/train", false},
		{"pipeline/export", "pipeline", false},
		{"pipeline/export", "publish", false},
		{"pipeline", "cmd/addlink", false},
		{"loader", "bench/genexport", false},

		{"datasets", "checksum", true},
		{"datasets", "atomicfile", true},
		{"checksum", "atomicfile", true},
		{"internal/linker", "datasets", true},
		{"internal/linker", "internal/gbdt", true},
		{"service", "internal/linker", true},
		{"publish", "internal/synth", true},
		{"compare", "datasets", true},
		{"multilingual", "internal/evaluation", true},
		{"review", "internal/evaluation", true},
		{"pipeline/backtest", "internal/evaluation", true},
		{"pipeline/train", "datasets", true},
		{"pipeline", "pipeline/train", true},
		{"cmd/addlink", "pipeline", true},
		{"cmd/addlink", "service", true},
		{"bench/adversarial", "internal/linker", true},
		{"bench/servemem", "bench/internal/procfs", true},
		{"service", "bench/internal/procfs", false},
		{"bench/servemem", "bench/loadgen", false},
		{"loader", "github.com/go-sql-driver/mysql", true},
	} {
		imp := c.to
		if !strings.Contains(imp, ".") {
			imp = module + imp
		}
		if why := layerError(c.from, imp); (why == "") != c.ok {
			t.Errorf("%s -> %s: %q, want allowed %v", c.from, c.to, why, c.ok)
		}
	}
}

// imports returns the imports of the non-test Go files of dir, one entry per file and
// import ("file: import" keys are unique enough: a file imports a path once).
func imports(t *testing.T, dir string) map[string]string {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(dir, "*.go"))
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	fset := token.NewFileSet()
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		ast, err := parser.ParseFile(fset, f, nil, parser.ImportsOnly)
		if err != nil {
			t.Fatal(err)
		}
		for _, is := range ast.Imports {
			p, err := strconv.Unquote(is.Path.Value)
			if err != nil {
				t.Fatal(err)
			}
			out[f+": "+p] = p
		}
	}
	return out
}
