package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"regexp"
	"strings"
	"sync"
	"testing"

	"github.com/addlink/addlink/checksum"
	"github.com/addlink/addlink/datasets"
)

var (
	binOnce sync.Once
	binPath string
	binErr  error
	binDir  string
)

func TestMain(m *testing.M) {
	// The commands' default cache (load's and serve's --index-dir): a directory of
	// the tests', not the user's.
	cache, err := os.MkdirTemp("", "addlink-test-cache-")
	if err != nil {
		panic(err)
	}
	os.Setenv("XDG_CACHE_HOME", cache)
	code := m.Run()
	os.RemoveAll(cache)
	if binDir != "" {
		os.RemoveAll(binDir)
	}
	os.Exit(code)
}

// addlinkBinary builds the command once for the tests that run it as a user does.
func addlinkBinary(t *testing.T) string {
	t.Helper()
	binOnce.Do(func() {
		binDir, binErr = os.MkdirTemp("", "addlink-test-")
		if binErr != nil {
			return
		}
		binPath = filepath.Join(binDir, "addlink")
		var out []byte
		if out, binErr = exec.Command("go", "build", "-o", binPath, ".").CombinedOutput(); binErr != nil {
			binErr = errors.New(binErr.Error() + "\n" + string(out))
		}
	})
	if binErr != nil {
		t.Fatalf("go build: %v", binErr)
	}
	return binPath
}

// runAddlink runs the binary in dir and returns its stdout, stderr and exit status.
func runAddlink(t *testing.T, dir string, env []string, args ...string) (string, string, int) {
	t.Helper()
	cmd := exec.Command(addlinkBinary(t), args...)
	cmd.Dir = dir
	for _, kv := range os.Environ() { // the caller's settings stay out of the test
		if k, _, _ := strings.Cut(kv, "="); k != "WIKI_ID" && k != "ADDLINK_DATA_DIR" && k != "DUMPS_DIR" {
			cmd.Env = append(cmd.Env, kv)
		}
	}
	cmd.Env = append(cmd.Env, env...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	code := 0
	var exit *exec.ExitError
	if errors.As(err, &exit) {
		code = exit.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	return stdout.String(), stderr.String(), code
}

func TestNormalizeArgs(t *testing.T) {
	for _, tt := range []struct {
		name string
		in   []string
		want []string
	}{
		{"flag after the argument", []string{"addlink", "cat", "F", "--format", "tsv"},
			[]string{"addlink", "cat", "--format", "tsv", "--", "F"}},
		{"bool flag after the argument", []string{"addlink", "verify", "D", "-q"},
			[]string{"addlink", "verify", "-q", "--", "D"}},
		{"common flags before the command", []string{"addlink", "--wiki", "x", "--data-dir", "D", "status"},
			[]string{"addlink", "status", "--wiki", "x", "--data-dir", "D"}},
		{"flag=value", []string{"addlink", "cat", "F", "--format=jsonl"},
			[]string{"addlink", "cat", "--format=jsonl", "--", "F"}},
		{"a value that looks like a flag", []string{"addlink", "query", "--wiki", "x", "--title", "-1", "--wikitext-file", "-"},
			[]string{"addlink", "query", "--wiki", "x", "--title", "-1", "--wikitext-file", "-"}},
		{"-- ends the flags", []string{"addlink", "verify", "--", "-q", "D"},
			[]string{"addlink", "verify", "--", "-q", "D"}},
		{"stdin as an argument", []string{"addlink", "cat", "-", "-f", "tsv"},
			[]string{"addlink", "cat", "-f", "tsv", "--", "-"}},
		{"no command", []string{"addlink", "--version"}, []string{"addlink", "--version"}},
		{"help", []string{"addlink", "help", "status"}, []string{"addlink", "help", "status"}},
		{"--help after an argument", []string{"addlink", "cat", "F", "--help"}, []string{"addlink", "cat", "--help"}},
		{"repeated flag", []string{"addlink", "run", "--dump", "a", "--wiki", "x", "--dump", "b"},
			[]string{"addlink", "run", "--dump", "a", "--wiki", "x", "--dump", "b"}},
		{"subcommand", []string{"addlink", "--data-dir", "D", "review", "eval", "--wiki", "x", "--model", "-m"},
			[]string{"addlink", "review", "eval", "--data-dir", "D", "--wiki", "x", "--model", "-m"}},
		{"subcommand's help", []string{"addlink", "review", "--help"}, []string{"addlink", "review", "--help"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got, err := normalizeArgs(newApp(), tt.in)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("normalizeArgs(%q)\n got %q\nwant %q", tt.in, got, tt.want)
			}
		})
	}
}

// Flags work anywhere on the command line of the real binary: the README's own
// examples (issue 18, item 10).
func TestFlagsAnywhere(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	dir := t.TempDir()
	pq := filepath.Join(dir, "r.parquet")
	if _, err := datasets.WriteParquet(pq, []datasets.Redirect{{From: "A", To: "B"}}); err != nil {
		t.Fatal(err)
	}
	os.MkdirAll(filepath.Join(dir, "data", "xwiki"), 0o755) // status needs the wiki's directory
	sums := filepath.Join(dir, "sums")
	os.Mkdir(sums, 0o755)
	os.WriteFile(filepath.Join(sums, "f"), []byte("x"), 0o644)
	if _, err := checksum.WriteFor(filepath.Join(sums, "f")); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		args       []string
		code       int
		stdout     string // a regular expression
		stderrNot  string
		stdoutNone bool
	}{
		{args: []string{"cat", pq, "--format", "tsv"}, stdout: "^from\tto\nA\tB\n$"},
		{args: []string{"cat", pq, "--format", "jsonl"}, stdout: `^\{"from": "A", "to": "B"\}\n$`},
		{args: []string{"verify", sums, "-q"}, stdoutNone: true, stderrNot: "-q"},
		{args: []string{"--wiki", "xwiki", "status", "--data-dir", filepath.Join(dir, "data")}, stdout: `(?m)^dictionaries\s+missing`},
		{args: []string{"status", "--data-dir", filepath.Join(dir, "data"), "--wiki", "xwiki"}, stdout: `(?m)^dictionaries\s+missing`},
		{args: []string{"verify", "--", "-q"}, code: 1},
	} {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			stdout, stderr, code := runAddlink(t, dir, nil, tt.args...)
			if code != tt.code {
				t.Fatalf("exit status %d, want %d; stderr:\n%s", code, tt.code, stderr)
			}
			if tt.stdout != "" && !regexp.MustCompile(tt.stdout).MatchString(stdout) {
				t.Errorf("stdout %q does not match %q", stdout, tt.stdout)
			}
			if tt.stdoutNone && stdout != "" {
				t.Errorf("stdout %q, want nothing", stdout)
			}
			if tt.stderrNot != "" && strings.Contains(stderr, tt.stderrNot) {
				t.Errorf("stderr mentions %q:\n%s", tt.stderrNot, stderr)
			}
		})
	}
}

// Every mistake in a command line exits with status 2 and names flags as users type
// them, --like-this.
func TestUsageErrors(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	dir := t.TempDir()
	for _, tt := range []struct {
		args []string
		env  []string
		want string // in stderr
	}{
		{args: []string{"nosuchcommand"}, want: `unknown command "nosuchcommand"`},
		{args: []string{"help", "nosuchcommand"}, want: `unknown command "nosuchcommand"`},
		{args: []string{"status", "--no-such-flag"}, want: "--no-such-flag"},
		{args: []string{"status", "--from", "x"}, want: "--from"},
		{args: []string{"--threads", "abc", "status"}, want: "--threads"},
		{args: []string{"export"}, want: "--wiki is required"},
		{args: []string{"query", "--wiki", "xwiki"}, want: "--title is required"},
		{args: []string{"synth"}, want: "--out is required"},
		{args: []string{"status", "extra"}, want: `takes no arguments, got "extra"`},
		{args: []string{"cat"}, want: "want exactly one FILE"},
		{args: []string{"cat", "a", "b"}, want: "want exactly one FILE"},
		{args: []string{"verify"}, want: "give at least one PATH"},
		{args: []string{"status", "--wiki", "Bad"}, want: "invalid wiki id"},
		{args: []string{"run", "--to", "nosuch"}, want: `no stage "nosuch"`},
		{args: []string{"run", "--from", "export", "--to", "train"}, want: "--from export comes after --to train"},
		{args: []string{"status", "--log-format", "xml"}, want: "--log-format must be text or json"},
		{args: []string{"backtest", "--wiki", "xwiki", "--min-precision", "3"}, want: "--min-precision must be between 0 and 1"},
		{args: []string{"synth", "--out", "x.xml", "--size", "-3"}, want: "must not be negative"},
	} {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			stdout, stderr, code := runAddlink(t, dir, tt.env, tt.args...)
			if code != exitUsage {
				t.Errorf("exit status %d, want %d", code, exitUsage)
			}
			if !strings.Contains(stderr, tt.want) {
				t.Errorf("stderr %q does not say %q", stderr, tt.want)
			}
			if regexp.MustCompile(`(^|[\s:"])-[a-z]{2,}`).MatchString(stderr) {
				t.Errorf("stderr spells a flag with one dash: %q", stderr)
			}
			if stdout != "" {
				t.Errorf("stdout %q, want nothing (no help text on a usage error)", stdout)
			}
		})
	}
	// A required flag given through the environment is given.
	if _, stderr, code := runAddlink(t, dir, []string{"WIKI_ID=xwiki"}, "export", "--data-dir", filepath.Join(dir, "none"), "--quiet"); code != exitError || strings.Contains(stderr, "required") {
		t.Errorf("export with WIKI_ID: exit %d, stderr %q; want an error about the missing datasets", code, stderr)
	}
}

// With --log-format json, errors are JSON too, even those urfave/cli finds first.
func TestJSONErrors(t *testing.T) {
	for _, args := range [][]string{
		{"addlink", "status", "--log-format", "json", "--no-such-flag"},
		{"addlink", "--log-format=json", "status", "--wiki", "Bad"},
	} {
		jsonLog, err := run(context.Background(), args)
		if err == nil || !jsonLog {
			t.Errorf("%q: err %v, jsonLog %v", args, err, jsonLog)
		}
		var buf bytes.Buffer
		if code := report(&buf, err, false, jsonLog); code != exitUsage {
			t.Errorf("%q: exit status %d", args, code)
		}
		var rec struct {
			Level      string `json:"level"`
			Msg        string `json:"msg"`
			ExitStatus int    `json:"exit_status"`
		}
		if err := json.Unmarshal(buf.Bytes(), &rec); err != nil || rec.ExitStatus != exitUsage || rec.Msg == "" {
			t.Errorf("%q: %q (%v)", args, buf.String(), err)
		}
	}
}
