package main

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/addlink/addlink/internal/testfixtures"
)

// e2eArtifacts are the files of the README's stage table for elwikivoyage, relative to
// data/elwikivoyage.
var e2eArtifacts = []string{
	"elwikivoyage.anchors.parquet", "elwikivoyage.anchors_unfiltered.parquet", "elwikivoyage.anchors_stats.parquet",
	"elwikivoyage.pageids.parquet", "elwikivoyage.redirects.parquet", "elwikivoyage.wdproperties.parquet",
	"elwikivoyage.w2vfiltered.parquet",
	"training/sentences_train.csv", "testing/sentences_test.csv",
	"training/link_train.csv", "training/link_train.parquet",
	"elwikivoyage.linkmodel.json", "elwikivoyage.linkmodel.json.checksum",
	"testing/elwikivoyage.backtest.eval.csv", "testing/elwikivoyage.backtest.svg",
	"export/elwikivoyage.anchors.sqlite", "export/elwikivoyage.anchors.sqlite.gz", "export/elwikivoyage.anchors.sqlite.checksum",
	"export/elwikivoyage.pageids.sqlite", "export/elwikivoyage.pageids.sqlite.gz", "export/elwikivoyage.pageids.sqlite.checksum",
	"export/elwikivoyage.redirects.sqlite", "export/elwikivoyage.redirects.sqlite.gz", "export/elwikivoyage.redirects.sqlite.checksum",
	"export/elwikivoyage.w2vfiltered.sqlite", "export/elwikivoyage.w2vfiltered.sqlite.gz", "export/elwikivoyage.w2vfiltered.sqlite.checksum",
	"export/lr_elwikivoyage_anchors.sql.gz", "export/lr_elwikivoyage_anchors.sql.gz.checksum",
	"export/lr_elwikivoyage_pageids.sql.gz", "export/lr_elwikivoyage_redirects.sql.gz", "export/lr_elwikivoyage_w2vfiltered.sql.gz",
	"export/elwikivoyage.linkmodel.json", "export/elwikivoyage.linkmodel.json.checksum", "export/export-set.json",
	"report.md",
}

// e2eLayout builds a Wikimedia dumps layout for elwikivoyage: the pages-articles dump
// (a copy, so that touching it leaves the fixture alone) and a small page_props dump
// we write ourselves.
func e2eLayout(t *testing.T) string {
	src := testfixtures.Path(t, "dumps/elwikivoyage/elwikivoyage-pages-articles.xml.bz2")
	root := t.TempDir()
	dated := filepath.Join(root, "elwikivoyage", "20260101")
	if err := os.MkdirAll(dated, 0o755); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dated, "elwikivoyage-20260101-pages-articles.xml.bz2"), b, 0o644); err != nil {
		t.Fatal(err)
	}
	var sql bytes.Buffer
	zw := gzip.NewWriter(&sql)
	io.WriteString(zw, "CREATE TABLE `page_props` (\n  `pp_page` int(10) unsigned NOT NULL,\n  `pp_propname` varbinary(60) NOT NULL,\n  `pp_value` blob NOT NULL,\n  `pp_sortkey` float DEFAULT NULL\n);\n"+
		"INSERT INTO `page_props` VALUES (1,'wikibase_item','Q1',NULL),(2,'wikibase_item','Q2',NULL),(3,'disambiguation','',NULL);\n")
	zw.Close()
	if err := os.WriteFile(filepath.Join(dated, "elwikivoyage-20260101-page_props.sql.gz"), sql.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	return root
}

var stageLine = regexp.MustCompile(`(?m)^  (\w+)\s+(ran|current|skipped)\b`)

func stageActions(out string) map[string]string {
	m := map[string]string{}
	for _, s := range stageLine.FindAllStringSubmatch(out, -1) {
		m[s[1]] = s[2]
	}
	return m
}

func hashArtifacts(t *testing.T, dir string) map[string]string {
	out := map[string]string{}
	for _, f := range e2eArtifacts {
		if f == "report.md" {
			continue // it holds timings
		}
		b, err := os.ReadFile(filepath.Join(dir, "elwikivoyage", f))
		if err != nil {
			t.Errorf("artifact missing: %v", err)
			continue
		}
		s := sha256.Sum256(b)
		out[f] = hex.EncodeToString(s[:])
	}
	return out
}

// TestRunPipelineScriptEndToEnd: WIKI_ID=elwikivoyage DUMPS_DIR=... ./run-pipeline.sh
// makes every artifact; a second run skips every stage; deleting the model redoes
// train, backtest and export only; touching the dump redoes every stage that reads
// it and those after; a run killed with SIGKILL during a stage and run again gives
// the same bytes as an uninterrupted run.
func TestRunPipelineScriptEndToEnd(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary and runs the whole pipeline")
	}
	root := e2eLayout(t)
	script := filepath.Join(testfixtures.Root(t), "run-pipeline.sh")
	command := func(data string) *exec.Cmd {
		cmd := exec.Command("bash", script, "--threads", "2")
		cmd.Env = append(os.Environ(), "WIKI_ID=elwikivoyage", "DUMPS_DIR="+root, "ADDLINK_DATA_DIR="+data)
		cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
		return cmd
	}
	run := func(data string) (string, time.Duration) {
		start := time.Now()
		out, err := command(data).CombinedOutput()
		if err != nil {
			t.Fatalf("run-pipeline.sh: %v\n%s", err, out)
		}
		return string(out), time.Since(start)
	}
	all := []string{"dictionaries", "wdproperties", "filter", "embeddings", "sentences", "features", "train", "backtest", "export"}
	expect := func(what, out string, ran ...string) {
		t.Helper()
		acts := stageActions(out)
		want := map[string]string{}
		for _, s := range all {
			want[s] = "current"
		}
		for _, s := range ran {
			want[s] = "ran"
		}
		for _, s := range all {
			if acts[s] != want[s] {
				t.Errorf("%s: stage %s %q, want %q\n%s", what, s, acts[s], want[s], out)
			}
		}
	}

	data := t.TempDir()
	out, _ := run(data)
	expect("first run", out, all...)
	want := hashArtifacts(t, data)
	if _, err := os.Stat(filepath.Join(data, "elwikivoyage", "report.md")); err != nil {
		t.Error(err)
	}
	out, took := run(data)
	expect("second run", out)
	t.Logf("second run (every stage current): %.2fs", took.Seconds())

	os.Remove(filepath.Join(data, "elwikivoyage", "elwikivoyage.linkmodel.json"))
	out, _ = run(data)
	expect("after deleting the model", out, "train", "backtest", "export")

	later := time.Now().Add(time.Minute)
	os.Chtimes(filepath.Join(root, "elwikivoyage", "20260101", "elwikivoyage-20260101-pages-articles.xml.bz2"), later, later)
	out, _ = run(data)
	expect("after touching the dump", out, "dictionaries", "filter", "embeddings", "sentences", "features", "train", "backtest", "export")
	for f, h := range hashArtifacts(t, data) {
		if want[f] != h {
			t.Errorf("%s changed after a rerun", f)
		}
	}

	// Kill a run in the middle of the embeddings stage, then run again.
	killed := t.TempDir()
	cmd := command(killed)
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stdout = io.Discard
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	sc := bufio.NewScanner(stderr)
	sc.Split(scanLinesOrCR)
	seen := false
	for sc.Scan() {
		if strings.Contains(sc.Text(), "embeddings: running") {
			seen = true
			time.Sleep(500 * time.Millisecond)
			syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
			break
		}
	}
	go io.Copy(io.Discard, stderr)
	cmd.Wait()
	if !seen {
		t.Fatal("the embeddings stage never started")
	}
	if _, err := os.Stat(filepath.Join(killed, "elwikivoyage", "elwikivoyage.w2vfiltered.parquet")); err == nil {
		t.Error("the killed stage left its output under the final name")
	}
	out, _ = run(killed)
	expect("after SIGKILL", out, "embeddings", "sentences", "features", "train", "backtest", "export")
	got := hashArtifacts(t, killed)
	for f, h := range want {
		if got[f] != h {
			t.Errorf("%s differs between the killed-and-resumed run and the uninterrupted one", f)
		}
	}
}

// scanLinesOrCR splits at "\n" or "\r" (progress lines on a terminal end in "\r").
func scanLinesOrCR(data []byte, atEOF bool) (int, []byte, error) {
	for i, c := range data {
		if c == '\n' || c == '\r' {
			return i + 1, data[:i], nil
		}
	}
	if atEOF && len(data) > 0 {
		return len(data), data, nil
	}
	return 0, nil, nil
}
