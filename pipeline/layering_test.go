package pipeline

import (
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

const module = "github.com/addlink/addlink/"

// Stages do not import each other: what two stages share (file formats, readers,
// writers) lives in datasets, so that each stage depends only on lower layers; and the
// libraries under internal/ import neither pipeline/ nor cmd/ (STYLE.md, "Layering").
// Tests may run other stages to make their inputs; only the packages' own files count.
func TestLayering(t *testing.T) {
	root := ".."
	stages, err := filepath.Glob(filepath.Join(root, "pipeline", "*"))
	if err != nil {
		t.Fatal(err)
	}
	internals, err := filepath.Glob(filepath.Join(root, "internal", "*"))
	if err != nil {
		t.Fatal(err)
	}
	checked := 0
	for _, dir := range append(stages, internals...) {
		if st, err := os.Stat(dir); err != nil || !st.IsDir() {
			continue
		}
		rel := filepath.ToSlash(strings.TrimPrefix(dir, root+string(filepath.Separator)))
		isStage := strings.HasPrefix(rel, "pipeline/")
		for path, imp := range imports(t, dir) {
			switch {
			case isStage && (imp == module+"pipeline" || strings.HasPrefix(imp, module+"pipeline/")):
				t.Errorf("%s imports %s: stages do not import each other or the runner; move what they share to datasets", path, imp)
			case !isStage && (strings.HasPrefix(imp, module+"pipeline") || strings.HasPrefix(imp, module+"cmd/")):
				t.Errorf("%s imports %s: internal libraries do not import pipeline/ or cmd/", path, imp)
			}
		}
		checked++
	}
	if checked < 10 {
		t.Fatalf("checked %d packages: the layout moved?", checked)
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
