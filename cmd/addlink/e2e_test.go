package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/addlink/addlink/internal/testfixtures"
)

// WIKI_ID=elwikivoyage DUMPS_DIR=... ./run-pipeline.sh finds the dump in Wikimedia's
// layout, runs the stages, and a second run skips them all.
func TestRunPipelineScriptWithDumpsDir(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	src := testfixtures.Path(t, "dumps/elwikivoyage/elwikivoyage-pages-articles.xml.bz2")
	root := t.TempDir()
	dated := filepath.Join(root, "elwikivoyage", "20260101")
	os.MkdirAll(dated, 0o755)
	if err := os.Symlink(src, filepath.Join(dated, "elwikivoyage-20260101-pages-articles.xml.bz2")); err != nil {
		t.Fatal(err)
	}
	data := t.TempDir()
	run := func() string {
		cmd := exec.Command("bash", filepath.Join(testfixtures.Root(t), "run-pipeline.sh"))
		cmd.Env = append(os.Environ(), "WIKI_ID=elwikivoyage", "DUMPS_DIR="+root, "ADDLINK_DATA_DIR="+data)
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("run-pipeline.sh: %v\n%s", err, out)
		}
		return string(out)
	}
	first := run()
	if !strings.Contains(first, "dictionaries   ran") {
		t.Fatalf("first run did not run the dictionaries:\n%s", first)
	}
	for _, f := range []string{"elwikivoyage.anchors.parquet", "elwikivoyage.pageids.parquet", "elwikivoyage.redirects.parquet", "elwikivoyage.anchors_stats.parquet", "report.md"} {
		if _, err := os.Stat(filepath.Join(data, "elwikivoyage", f)); err != nil {
			t.Error(err)
		}
	}
	if second := run(); !strings.Contains(second, "dictionaries   current") {
		t.Errorf("second run did not skip the dictionaries:\n%s", second)
	}
}
