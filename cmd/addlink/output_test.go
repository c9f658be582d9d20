package main

import (
	"bufio"
	"encoding/json"
	"errors"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/addlink/addlink/internal/synth"
	"github.com/addlink/addlink/pipeline"
)

// What a first run prints (issue 18, item 12): the dump it uses, each stage's progress
// before the next stage starts and before the summary, no empty counts ("0  0 /s"),
// and last the model's AUC with the backtest's precision and recall at 0.5. status
// without the dump says so rather than calling the stages stale.
func TestRunOutput(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the pipeline")
	}
	dir := t.TempDir()
	dump := filepath.Join(dir, "x.xml.gz")
	opts := synth.SampleOptions()
	opts.Wiki = "xwiki"
	if err := synth.WriteFile(dump, opts); err != nil {
		t.Fatal(err)
	}
	runOut, stderr, code := runAddlink(t, dir, []string{"DUMPS_DIR=" + filepath.Join(dir, "none")},
		"run", "--wiki", "xwiki", "--dump", "x.xml.gz", "--threads", "2")
	if code != 0 {
		t.Fatalf("exit status %d:\n%s", code, stderr)
	}
	// The run logs on stderr, its summary included; its results are files (README,
	// "What changed for operators"): stdout stays empty.
	if runOut != "" {
		t.Errorf("run wrote on stdout:\n%s", runOut)
	}
	lines := strings.Split(strings.TrimSpace(stderr), "\n")
	if !strings.Contains(stderr, "run: xwiki: dump x.xml.gz\n") {
		t.Errorf("the run does not say which dump it uses:\n%s", stderr)
	}
	if strings.Contains(stderr, " 0  0 /s") || strings.Contains(stderr, " 0 /s") {
		t.Errorf("a phase without counts printed zeros:\n%s", stderr)
	}
	last := lines[len(lines)-1]
	if !regexp.MustCompile(`^run: xwiki: held-out AUC 0\.\d{3}; backtest at 0\.5: precision [01]\.\d{3}, recall [01]\.\d{3} \(\d+ test sentences\)$`).MatchString(last) {
		t.Errorf("last line %q, want the AUC and the backtest at 0.5", last)
	}
	order := map[string]int{}
	for i, s := range pipeline.Stages() {
		order[s.Name] = i
	}
	current, summary := -1, false
	for _, l := range lines {
		if strings.HasPrefix(l, "  dictionaries ") {
			summary = true
		}
		name, rest, ok := strings.Cut(l, ": ")
		i, isStage := order[name]
		if !ok || !isStage {
			continue
		}
		if summary {
			t.Errorf("stage line %q after the run's summary", l)
		}
		if strings.HasPrefix(rest, "running") || strings.HasPrefix(rest, "skipped") || strings.HasPrefix(rest, "current") {
			current = i
		} else if i != current {
			t.Errorf("line %q printed while stage %d runs", l, current)
		}
	}
	stdout, stderr, code := runAddlink(t, dir, []string{"DUMPS_DIR=" + filepath.Join(dir, "none")}, "status", "--wiki", "xwiki")
	if code != 0 || !regexp.MustCompile(`(?m)^dictionaries\s+no dump\s`).MatchString(stdout) || strings.Contains(stdout, "stale") {
		t.Errorf("status without the dump: exit %d\n%s%s", code, stdout, stderr)
	}
}

// Ctrl-C says which stage stopped and that the next run resumes, as JSON with
// --log-format json (issue 18, item 12).
func TestInterruptMessage(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	dir := t.TempDir()
	dump := filepath.Join(dir, "big.xml")
	if err := synth.WriteFile(dump, synth.Options{Wiki: "xwiki", TargetBytes: 40 << 20, Seed: 3}); err != nil {
		t.Fatal(err)
	}
	for _, format := range []string{"text", "json"} {
		t.Run(format, func(t *testing.T) {
			cmd := exec.Command(addlinkBinary(t), "run", "--wiki", "xwiki", "--dump", dump, "--threads", "2",
				"--data-dir", filepath.Join(dir, format), "--log-format", format)
			stderr, err := cmd.StderrPipe()
			if err != nil {
				t.Fatal(err)
			}
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			var lines []string
			sc := bufio.NewScanner(stderr)
			sent := false
			for sc.Scan() {
				lines = append(lines, sc.Text())
				if !sent && strings.Contains(sc.Text(), "dictionaries: running") {
					time.Sleep(200 * time.Millisecond)
					cmd.Process.Signal(syscall.SIGINT)
					sent = true
				}
			}
			err = cmd.Wait()
			var ee *exec.ExitError
			if !errors.As(err, &ee) || ee.ExitCode() != exitInterrupted {
				t.Fatalf("exit %v, want status %d; stderr:\n%s", err, exitInterrupted, strings.Join(lines, "\n"))
			}
			last := lines[len(lines)-1]
			if format == "text" {
				m := regexp.MustCompile(`^addlink: interrupted in stage (\w+): .*the next run resumes with (\w+)$`).FindStringSubmatch(last)
				if m == nil || m[1] != m[2] {
					t.Errorf("last line %q", last)
				}
				return
			}
			var rec struct {
				Msg        string `json:"msg"`
				Stage      string `json:"stage"`
				ExitStatus int    `json:"exit_status"`
			}
			if err := json.Unmarshal([]byte(last), &rec); err != nil {
				t.Fatalf("last line %q is not JSON: %v", last, err)
			}
			if rec.Stage == "" || rec.ExitStatus != exitInterrupted || !strings.Contains(rec.Msg, "the next run resumes with "+rec.Stage) {
				t.Errorf("last line %+v", rec)
			}
		})
	}
}
