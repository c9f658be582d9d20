package main

// Tests of issue 18's "Data integrity" items through the command line: nothing lost,
// nothing stale. Those about killed or concurrent runs use real child processes (the
// binary built once for the package).

import (
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/addlink/addlink/datasets"
	"github.com/addlink/addlink/internal/lockfile"
	"github.com/addlink/addlink/internal/synth"
	"github.com/addlink/addlink/publish"
)

// runIn runs the command in this process and returns its exit status and error.
func runIn(args ...string) (int, error) {
	err := newApp().RunContext(context.Background(), append([]string{"addlink", "-q", "--threads", "2"}, args...))
	return exitStatus(err, false), err
}

// snapshotTree hashes every regular file under dir but the lock file.
func snapshotTree(t *testing.T, dir string) map[string]string {
	t.Helper()
	out := map[string]string{}
	filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || !d.Type().IsRegular() || d.Name() == lockfile.Name {
			return err
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		s := sha256.Sum256(b)
		rel, _ := filepath.Rel(dir, p)
		out[rel] = hex.EncodeToString(s[:])
		return nil
	})
	return out
}

func sameTree(t *testing.T, what string, before, after map[string]string) {
	t.Helper()
	for k, v := range before {
		if after[k] != v {
			t.Errorf("%s: %s was replaced or removed", what, k)
		}
	}
	for k := range after {
		if _, ok := before[k]; !ok {
			t.Errorf("%s: %s appeared", what, k)
		}
	}
}

// Item 2: a 0-byte dump, one without articles, or one that stops between two pages is
// an error in every stage that reads the dump, and no artifact of the good run before
// it is replaced; sentences checks the whole dump even when its --limit is reached.
func TestBadDumpReplacesNothing(t *testing.T) {
	data, dumps := t.TempDir(), t.TempDir()
	good := filepath.Join(dumps, "good.xml")
	if err := synth.WriteFile(good, synth.Options{Wiki: "xxwiki", Articles: 60, Seed: 1}); err != nil {
		t.Fatal(err)
	}
	for _, stage := range []string{"dictionaries", "embeddings", "sentences"} {
		if code, err := runIn("--data-dir", data, stage, "--wiki", "xxwiki", "--dump", good); code != 0 {
			t.Fatalf("%s on the good dump: %v", stage, err)
		}
	}
	text, _ := os.ReadFile(good)
	cut := text[:bytes.LastIndex(text, []byte("</page>"))+len("</page>\n")]
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	zw.Write(cut)
	zw.Close()
	head := text[:bytes.Index(text, []byte("<page>"))]
	bad := map[string][]byte{
		"empty.xml":                   nil,
		"no-articles.xml":             append(append([]byte{}, head...), "</mediawiki>\n"...),
		"cut-between-pages.xml.gz":    gz.Bytes(),
		"cut-between-pages-plain.xml": cut,
	}
	before := snapshotTree(t, filepath.Join(data, "xxwiki"))
	for name, b := range bad {
		f := filepath.Join(dumps, name)
		os.WriteFile(f, b, 0o644)
		for _, args := range [][]string{
			{"dictionaries"}, {"embeddings"}, {"sentences"}, {"sentences", "--limit", "1"},
		} {
			t.Run(name+"/"+strings.Join(args, " "), func(t *testing.T) {
				code, err := runIn(append([]string{"--data-dir", data}, append(args, "--wiki", "xxwiki", "--dump", f)...)...)
				if code == 0 || !strings.Contains(fmt.Sprint(err), f) {
					t.Fatalf("exit %d, %v: want an error naming %s", code, err, f)
				}
				sameTree(t, name, before, snapshotTree(t, filepath.Join(data, "xxwiki")))
			})
		}
	}
}

// Item 4: a dump of another wiki is a usage error (exit 2) naming the override, and
// nothing is written; --allow-wiki-mismatch reads it.
func TestWikiMismatchIsUsageError(t *testing.T) {
	data := t.TempDir()
	f := filepath.Join(t.TempDir(), "renamed.xml")
	if err := synth.WriteFile(f, synth.Options{Wiki: "xxwiki", Articles: 30, Seed: 1}); err != nil {
		t.Fatal(err)
	}
	named := filepath.Join(t.TempDir(), "dewiki-20260101-pages-articles.xml")
	if err := synth.WriteFile(named, synth.Options{Wiki: "cswiki", Articles: 30, Seed: 1}); err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{
		{"dictionaries", "--wiki", "cswiki", "--dump", f},
		{"dictionaries", "--wiki", "cswiki", "--dump", named},
		{"sentences", "--wiki", "cswiki", "--dump", f},
		{"run", "--wiki", "cswiki", "--dump", f, "--to", "dictionaries"},
	} {
		code, err := runIn(append([]string{"--data-dir", data}, args...)...)
		if code != exitUsage || !strings.Contains(fmt.Sprint(err), "--allow-wiki-mismatch") {
			t.Fatalf("%v: exit %d, %v; want a usage error naming --allow-wiki-mismatch", args, code, err)
		}
		if got := snapshotTree(t, filepath.Join(data, "cswiki")); len(got) != 0 {
			t.Fatalf("%v wrote %v", args, got)
		}
	}
	if code, err := runIn("--data-dir", data, "dictionaries", "--wiki", "cswiki", "--dump", f, "--allow-wiki-mismatch"); code != 0 {
		t.Fatalf("with --allow-wiki-mismatch: %v", err)
	}
}

// Item 7: WIKI_ID set but empty is a usage error everywhere; only an unset WIKI_ID
// means the sample wiki, which cannot be published.
func TestEmptyWikiIDIsUsageError(t *testing.T) {
	data, root := t.TempDir(), t.TempDir()
	t.Setenv("WIKI_ID", "")
	for _, args := range [][]string{
		{"run"}, {"status"}, {"dictionaries"}, {"export"}, {"publish", "--publish-root", root}, {"train"},
	} {
		code, err := runIn(append([]string{"--data-dir", data}, args...)...)
		if code != exitUsage || !strings.Contains(fmt.Sprint(err), "empty") {
			t.Errorf("%v with WIKI_ID=\"\": exit %d, %v; want a usage error", args, code, err)
		}
	}
	if entries, _ := os.ReadDir(data); len(entries) != 0 {
		t.Errorf("data directory holds %d entries", len(entries))
	}
	os.Unsetenv("WIKI_ID")
	if code, err := runIn("--data-dir", data, "status"); code != 0 {
		t.Errorf("status without WIKI_ID (the sample wiki): %v", err)
	}
	code, err := runIn("--data-dir", data, "publish", "--wiki", datasets.SampleWiki, "--publish-root", root)
	if code == 0 || !errors.Is(err, publish.ErrSampleWiki) {
		t.Errorf("publish of the sample wiki: exit %d, %v", code, err)
	}
}

// Item 5: a second process on the same wiki directory is refused, naming the holder;
// with --wait it waits for the holder and then runs.
func TestSecondProcessIsRefusedOrWaits(t *testing.T) {
	bin := addlinkBinary(t)
	data := t.TempDir()
	l := datasets.Layout{DataDir: data, Wiki: "xxwiki"}
	lock, err := lockfile.Acquire(context.Background(), l.Dir(), lockfile.Options{Command: "addlink run --wiki xxwiki"})
	if err != nil {
		t.Fatal(err)
	}
	defer lock.Release()
	var stderr bytes.Buffer
	cmd := exec.Command(bin, "--data-dir", data, "export", "--wiki", "xxwiki")
	cmd.Stderr = &stderr
	err = cmd.Run()
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != exitError {
		t.Fatalf("second process: %v, want exit status 1", err)
	}
	for _, want := range []string{fmt.Sprintf("process %d", os.Getpid()), "addlink run --wiki xxwiki", "since", "--wait"} {
		if !strings.Contains(stderr.String(), want) {
			t.Errorf("message %q lacks %q", stderr.String(), want)
		}
	}
	stderr.Reset()
	cmd = exec.Command(bin, "--data-dir", data, "export", "--wiki", "xxwiki", "--wait")
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case <-done:
		t.Fatalf("--wait did not wait: %s", stderr.String())
	case <-time.After(700 * time.Millisecond):
	}
	lock.Release()
	<-done // export then fails: nothing to export in this empty directory
	out := stderr.String()
	if !strings.Contains(out, "waiting") {
		t.Fatalf("stderr %q: want a waiting line", out)
	}
	if !strings.Contains(out, "anchors.parquet") {
		t.Fatalf("stderr %q: want the export itself to have run after the wait", out)
	}
}

// tempNames lists the names under dir that are temporary files of some run.
func tempNames(dir string) []string {
	var out []string
	filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err == nil && strings.Contains(d.Name(), ".tmp-") {
			out = append(out, p)
		}
		return nil
	})
	return out
}

// Item 6: the temporary files of a run killed with SIGKILL are removed by the next run
// of the wiki.
func TestNextRunRemovesTemporaryFilesOfKilledRun(t *testing.T) {
	bin := addlinkBinary(t)
	dir := t.TempDir()
	big, small := filepath.Join(dir, "big.xml"), filepath.Join(dir, "small.xml")
	if err := synth.WriteFile(big, synth.Options{Wiki: "xwiki", TargetBytes: 60 << 20, Seed: 3}); err != nil {
		t.Fatal(err)
	}
	if err := synth.WriteFile(small, synth.Options{Wiki: "xwiki", Articles: 40, Seed: 3}); err != nil {
		t.Fatal(err)
	}
	data := filepath.Join(dir, "data")
	wikiDir := filepath.Join(data, "xwiki")
	cmd := exec.Command(bin, "-q", "--threads", "2", "--data-dir", data, "dictionaries", "--wiki", "xwiki", "--dump", big)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(60 * time.Second)
	for len(tempNames(wikiDir)) == 0 && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	time.Sleep(300 * time.Millisecond)
	cmd.Process.Signal(syscall.SIGKILL)
	cmd.Wait()
	left := tempNames(wikiDir)
	if len(left) == 0 {
		t.Fatal("the killed run left no temporary file: nothing to test")
	}
	var stderr bytes.Buffer
	next := exec.Command(bin, "--threads", "2", "--data-dir", data, "dictionaries", "--wiki", "xwiki", "--dump", small)
	next.Stderr = &stderr
	if err := next.Run(); err != nil {
		t.Fatalf("next run: %v\n%s", err, stderr.String())
	}
	if now := tempNames(wikiDir); len(now) != 0 {
		t.Fatalf("left after the next run: %v (the killed run left %v)", now, left)
	}
	if !strings.Contains(stderr.String(), "left by killed runs") {
		t.Errorf("the next run did not say what it removed:\n%s", stderr.String())
	}
}

// Item 1: export replaces its files as one set, also when it is killed with SIGKILL at
// any moment: the export directory is always a whole set (the previous one or the new
// one); publish and verify refuse the previous set once the model it was made from has
// been replaced, and accept the new one once an export has finished.
func TestKilledExportLeavesAWholeSet(t *testing.T) {
	bin := addlinkBinary(t)
	dir := t.TempDir()
	dump := filepath.Join(dir, "xwiki.xml")
	if err := synth.WriteFile(dump, synth.Options{Wiki: "xwiki", TargetBytes: 30 << 20, Seed: 5}); err != nil {
		t.Fatal(err)
	}
	data, root := filepath.Join(dir, "data"), filepath.Join(dir, "published")
	l := datasets.Layout{DataDir: data, Wiki: "xwiki"}
	addlink := func(args ...string) (string, error) {
		out, err := exec.Command(bin, append([]string{"-q", "--threads", "2", "--data-dir", data}, args...)...).CombinedOutput()
		return string(out), err
	}
	if out, err := addlink("dictionaries", "--wiki", "xwiki", "--dump", dump); err != nil {
		t.Fatalf("dictionaries: %v\n%s", err, out)
	}
	if out, err := addlink("filter", "--wiki", "xwiki"); err != nil {
		t.Fatalf("filter: %v\n%s", err, out)
	}
	os.WriteFile(l.Model(), []byte(`{"learner":{"v":1}}`), 0o644)
	start := time.Now()
	if out, err := addlink("export", "--wiki", "xwiki"); err != nil {
		t.Fatalf("export: %v\n%s", err, out)
	}
	took := time.Since(start)
	t.Logf("export: %v", took)
	if out, err := addlink("publish", "--wiki", "xwiki", "--publish-root", root); err != nil {
		t.Fatalf("publish: %v\n%s", err, out)
	}
	first, _ := os.Readlink(l.ExportDir())

	// The model is trained again; exports of it are killed at different moments.
	os.WriteFile(l.Model(), []byte(`{"learner":{"v":2}}`), 0o644)
	for _, frac := range []float64{0.1, 0.3, 0.5, 0.7, 0.9, 1.1} {
		cmd := exec.Command(bin, "-q", "--threads", "2", "--data-dir", data, "export", "--wiki", "xwiki")
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		time.Sleep(time.Duration(frac * float64(took)))
		cmd.Process.Signal(syscall.SIGKILL)
		cmd.Wait()
		if err := datasets.VerifyExportSet(l.ExportDir()); err != nil {
			t.Fatalf("killed at %.0f%% of an export: the export directory is not a whole set: %v", 100*frac, err)
		}
		now, _ := os.Readlink(l.ExportDir())
		t.Logf("killed at %.0f%% of an export: the link points at the %s set", 100*frac, map[bool]string{true: "previous", false: "new"}[now == first])
		pubOut, pubErr := addlink("publish", "--wiki", "xwiki", "--publish-root", root)
		verOut, verErr := addlink("verify", l.Dir())
		if now == first {
			if pubErr == nil || !strings.Contains(pubOut, "not current") {
				t.Fatalf("killed at %.0f%%: publish of the previous set: %v\n%s", 100*frac, pubErr, pubOut)
			}
			if verErr == nil || !strings.Contains(verOut, "linkmodel.json has changed") {
				t.Fatalf("killed at %.0f%%: verify of the previous set: %v\n%s", 100*frac, verErr, verOut)
			}
			continue
		}
		// The kill came after the switch: the new set is whole and current.
		if pubErr != nil || verErr != nil {
			t.Fatalf("killed at %.0f%% after the switch: publish %v, verify %v\n%s\n%s", 100*frac, pubErr, verErr, pubOut, verOut)
		}
	}
	// The model is trained once more; this export is killed as soon as the link has
	// moved, while the older set is being removed.
	os.WriteFile(l.Model(), []byte(`{"learner":{"v":3}}`), 0o644)
	before, _ := os.Readlink(l.ExportDir())
	cmd := exec.Command(bin, "-q", "--threads", "2", "--data-dir", data, "export", "--wiki", "xwiki")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	for deadline := time.Now().Add(5 * time.Minute); time.Now().Before(deadline); time.Sleep(time.Millisecond) {
		if now, _ := os.Readlink(l.ExportDir()); now != before {
			break
		}
	}
	cmd.Process.Signal(syscall.SIGKILL)
	cmd.Wait()
	if now, _ := os.Readlink(l.ExportDir()); now == before {
		t.Fatal("the export never moved the link")
	}
	if err := datasets.VerifyExportSet(l.ExportDir()); err != nil {
		t.Fatalf("killed right after the switch: %v", err)
	}
	if out, err := addlink("verify", l.Dir()); err != nil {
		t.Fatalf("verify after a kill right after the switch: %v\n%s", err, out)
	}
	if out, err := addlink("publish", "--wiki", "xwiki", "--publish-root", root); err != nil {
		t.Fatalf("publish after a kill right after the switch: %v\n%s", err, out)
	}
	if b, _ := os.ReadFile(filepath.Join(root, "xwiki", "xwiki.linkmodel.json")); string(b) != `{"learner":{"v":3}}` {
		t.Fatalf("published model %s", b)
	}
	// A finished export leaves one set and nothing else.
	if out, err := addlink("export", "--wiki", "xwiki"); err != nil {
		t.Fatalf("export: %v\n%s", err, out)
	}
	if out, err := addlink("publish", "--wiki", "xwiki", "--publish-root", root); err != nil {
		t.Fatalf("publish after a finished export: %v\n%s", err, out)
	}
	if out, err := addlink("verify", l.Dir(), filepath.Join(root, "xwiki")); err != nil {
		t.Fatalf("verify after a finished export: %v\n%s", err, out)
	}
	sets, _ := filepath.Glob(filepath.Join(l.Dir(), "export-*"))
	if left := tempNames(l.Dir()); len(left) != 0 || len(sets) != 1 {
		t.Fatalf("sets %v, temporary files %v", sets, left)
	}
	if left := tempNames(l.Dir()); len(left) != 0 {
		t.Fatalf("temporary files left: %v", left)
	}
}

// TestLockedCommandsTakeTheLock: every command declared locked(...) in commands.go,
// linkgraph among them, is refused while another process holds the wiki's lock; the
// unlocked ones are not refused for it.
func TestLockedCommandsTakeTheLock(t *testing.T) {
	data := t.TempDir()
	l := datasets.Layout{DataDir: data, Wiki: "xxwiki"}
	lock, err := lockfile.Acquire(context.Background(), l.Dir(), lockfile.Options{Command: "addlink run --wiki xxwiki"})
	if err != nil {
		t.Fatal(err)
	}
	defer lock.Release()
	for _, c := range []struct {
		args   []string
		locked bool
	}{
		{[]string{"run", "--wiki", "xxwiki"}, true},
		{[]string{"dictionaries", "--wiki", "xxwiki"}, true},
		{[]string{"wdproperties", "--wiki", "xxwiki"}, true},
		{[]string{"filter", "--wiki", "xxwiki"}, true},
		{[]string{"embeddings", "--wiki", "xxwiki"}, true},
		{[]string{"sentences", "--wiki", "xxwiki"}, true},
		{[]string{"linkgraph", "--wiki", "xxwiki"}, true},
		{[]string{"features", "--wiki", "xxwiki"}, true},
		{[]string{"train", "--wiki", "xxwiki"}, true},
		{[]string{"backtest", "--wiki", "xxwiki"}, true},
		{[]string{"export", "--wiki", "xxwiki"}, true},
		{[]string{"publish", "--wiki", "xxwiki", "--publish-root", t.TempDir()}, true},
		{[]string{"status", "--wiki", "xxwiki"}, false},
		{[]string{"verify", l.Dir()}, false},
	} {
		_, err := runIn(append([]string{"--data-dir", data}, c.args...)...)
		var held *lockfile.HeldError
		if got := errors.As(err, &held); got != c.locked {
			t.Errorf("%s: %v; want refused for the lock %v", c.args[0], err, c.locked)
		}
	}
}
