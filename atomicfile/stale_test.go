package atomicfile

import (
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"
)

// RemoveStale removes the temporary files and directories whose owner is gone, keeps
// those of running processes, and removes owner-less (older) ones only under the lock.
func TestRemoveStale(t *testing.T) {
	dead := exec.Command("true")
	if err := dead.Run(); err != nil {
		t.Skip(err)
	}
	live := exec.Command("sleep", "60")
	if err := live.Start(); err != nil {
		t.Skip(err)
	}
	defer func() { live.Process.Kill(); live.Wait() }()
	d, l := strconv.Itoa(dead.Process.Pid), strconv.Itoa(live.Process.Pid)
	dir := t.TempDir()
	mk := func(rel string, isDir bool) {
		p := filepath.Join(dir, rel)
		os.MkdirAll(filepath.Dir(p), 0o755)
		if isDir {
			os.MkdirAll(filepath.Join(p, "part"), 0o755)
		} else {
			os.WriteFile(p, []byte("x"), 0o644)
		}
	}
	mk(".dictionaries.tmp-"+d+"-123", true)
	mk("cache/corpus.tmp-"+d+"-9.s2", false)
	mk(".x.parquet.tmp-"+d+"-77", false)
	mk(".x.sqlite.tmp-"+d+"-5-journal", false)
	mk(".dictionaries.tmp-"+l+"-123", true)
	mk("cache/corpus.tmp-"+l+"-9.s2", false)
	mk(TempPrefix(".mine")+"1", false)
	mk(".dictionaries-4242", true) // before owners were recorded
	mk("cache/corpus-31.s2", false)
	mk("x.anchors.parquet", false)
	removed, err := RemoveStale(dir, false)
	if err != nil {
		t.Fatal(err)
	}
	rel := func(ps []string) string {
		var out []string
		for _, p := range ps {
			r, _ := filepath.Rel(dir, p)
			out = append(out, r)
		}
		sort.Strings(out)
		return strings.Join(out, " ")
	}
	want := rel([]string{filepath.Join(dir, ".dictionaries.tmp-"+d+"-123"), filepath.Join(dir, "cache/corpus.tmp-"+d+"-9.s2"),
		filepath.Join(dir, ".x.parquet.tmp-"+d+"-77"), filepath.Join(dir, ".x.sqlite.tmp-"+d+"-5-journal")})
	if got := rel(removed); got != want {
		t.Fatalf("removed %s, want %s", got, want)
	}
	removed, _ = RemoveStale(dir, true)
	if got := rel(removed); got != ".dictionaries-4242 cache/corpus-31.s2" {
		t.Fatalf("under the lock removed %s", got)
	}
	for _, keep := range []string{".dictionaries.tmp-" + l + "-123", "cache/corpus.tmp-" + l + "-9.s2", TempPrefix(".mine") + "1", "x.anchors.parquet"} {
		if _, err := os.Stat(filepath.Join(dir, keep)); err != nil {
			t.Errorf("%s was removed", keep)
		}
	}
}
