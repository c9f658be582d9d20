package export

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/addlink/addlink/datasets"
	"github.com/addlink/addlink/internal/gbdt"
	"github.com/addlink/addlink/internal/linker"
	"github.com/addlink/addlink/internal/testfixtures"
	"github.com/addlink/addlink/pipeline/dictionaries"
)

func exportElwikivoyage(t *testing.T, dir string) datasets.Layout {
	t.Helper()
	d := dictionaries.Options{Wiki: "elwikivoyage", DataDir: dir, Threads: 2,
		Dumps: []string{testfixtures.Path(t, "dumps/elwikivoyage/elwikivoyage-pages-articles.xml.bz2")}}
	if err := d.Validate(); err != nil {
		t.Fatal(err)
	}
	if _, err := dictionaries.Run(context.Background(), d, nil); err != nil {
		t.Fatal(err)
	}
	l := datasets.Layout{DataDir: dir, Wiki: "elwikivoyage"}
	if _, err := datasets.WriteParquet(l.Embeddings(), []datasets.Embedding{{Title: "Αθήνα", Vector: []float32{1, -2, 0.5}}, {Title: "Άνδρος", Vector: []float32{0, 0, 3}}}); err != nil {
		t.Fatal(err)
	}
	os.WriteFile(l.Model(), []byte(`{"learner":{}}`), 0o644)
	o := Options{Wiki: "elwikivoyage", DataDir: dir}
	if err := o.Validate(); err != nil {
		t.Fatal(err)
	}
	s, err := Run(context.Background(), o, nil)
	if err != nil {
		t.Fatal(err)
	}
	if s.Rows["anchors"] != 1057 || s.Rows["pageids"] != 1310 || s.Rows["redirects"] != 208 || s.Rows["w2vfiltered"] != 2 {
		t.Fatalf("rows %v", s.Rows)
	}
	return l
}

func TestExportDeterministicAndVerifiable(t *testing.T) {
	a, b := exportElwikivoyage(t, t.TempDir()), exportElwikivoyage(t, t.TempDir())
	outs := Outputs(a)
	// Four datasets (sqlite, .gz, sidecar, dump, sidecar), the model and the serving
	// index with their sidecars, the set file.
	if len(outs) != 4*5+2+2+1 {
		t.Fatalf("outputs %v", outs)
	}
	for _, p := range outs {
		x, err1 := os.ReadFile(p)
		y, err2 := os.ReadFile(filepath.Join(b.ExportDir(), filepath.Base(p)))
		if err1 != nil || err2 != nil || !bytes.Equal(x, y) {
			t.Errorf("%s differs between two exports (%v, %v)", filepath.Base(p), err1, err2)
		}
	}
	if _, err := exec.LookPath("sha256sum"); err == nil {
		sums, _ := filepath.Glob(filepath.Join(a.ExportDir(), "*.checksum"))
		cmd := exec.Command("sha256sum", "-c")
		cmd.Args = append(cmd.Args, func() []string {
			var names []string
			for _, s := range sums {
				names = append(names, filepath.Base(s))
			}
			return names
		}()...)
		cmd.Dir = a.ExportDir()
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("sha256sum -c: %v\n%s", err, out)
		} else if strings.Count(string(out), ": OK") != 10 {
			t.Errorf("sha256sum -c checked %d files, want 10:\n%s", strings.Count(string(out), ": OK"), out)
		}
	}
}

// Debian's python3-sqlitedict reads every value of the exported SQLite files, and they
// equal the Parquet datasets they come from (vectors as float32 numpy arrays).
func TestSqlitedictReadsExportedDatasets(t *testing.T) {
	py := testfixtures.Python(t, "sqlitedict", "numpy")
	l := exportElwikivoyage(t, t.TempDir())
	read := func(name string) []map[string]any {
		out, err := exec.Command(py, "../../datasets/testdata/read_sqlitedict.py", l.ExportedSQLite(name)).Output()
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		var recs []map[string]any
		for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
			var m map[string]any
			if err := json.Unmarshal([]byte(line), &m); err != nil {
				t.Fatal(err)
			}
			recs = append(recs, m)
		}
		return recs
	}
	anchors, _ := datasets.ReadParquet[datasets.Anchor](l.Anchors())
	want := map[string]map[string]float64{}
	for _, a := range anchors {
		if want[a.Anchor] == nil {
			want[a.Anchor] = map[string]float64{}
		}
		want[a.Anchor][a.Target] = float64(a.N)
	}
	got := read("anchors")
	if len(got) != len(want) {
		t.Fatalf("%d anchors read, %d in the dataset", len(got), len(want))
	}
	for _, r := range got {
		d := r["value"].(map[string]any)
		w := want[r["key"].(string)]
		if r["type"] != "dict" || len(d) != len(w) {
			t.Fatalf("anchors[%v] = %v, want %v", r["key"], d, w)
		}
		for k, v := range d {
			if v != w[k] {
				t.Fatalf("anchors[%v][%v] = %v, want %v", r["key"], k, v, w[k])
			}
		}
	}
	ids, _ := datasets.ReadParquet[datasets.PageID](l.PageIDs())
	gotIDs := read("pageids")
	for i, r := range gotIDs {
		if r["key"] != ids[i].Title || r["value"] != float64(ids[i].PageID) || r["type"] != "int" {
			t.Fatalf("pageids row %d = %v, want %+v", i, r, ids[i])
		}
	}
	reds, _ := datasets.ReadParquet[datasets.Redirect](l.Redirects())
	for i, r := range read("redirects") {
		if r["key"] != reds[i].From || r["value"] != reds[i].To || r["type"] != "str" {
			t.Fatalf("redirects row %d = %v, want %+v", i, r, reds[i])
		}
	}
	emb, _ := datasets.ReadParquet[datasets.Embedding](l.Embeddings())
	vecs := map[string][]float32{}
	for _, e := range emb {
		vecs[e.Title] = e.Vector
	}
	gotVecs := read("w2vfiltered")
	if len(gotVecs) != len(vecs) {
		t.Fatalf("%d vectors read, %d in the dataset", len(gotVecs), len(vecs))
	}
	for _, r := range gotVecs {
		w := vecs[r["key"].(string)]
		vals := r["value"].([]any)
		if r["type"] != "ndarray:float32:(3,)" || len(vals) != len(w) {
			t.Fatalf("w2vfiltered row %v", r)
		}
		for j, v := range vals {
			if float32(v.(float64)) != w[j] {
				t.Fatalf("w2vfiltered[%v][%d] = %v, want %v", r["key"], j, v, w[j])
			}
		}
	}
}

// cancelAfter cancels its context after n datasets of the export phase.
type cancelAfter struct {
	n      int64
	cancel context.CancelFunc
}

func (c *cancelAfter) Phase(string, int64, string) {}
func (c *cancelAfter) Note(string)                 {}
func (c *cancelAfter) Add(n int64) {
	if c.n -= n; c.n <= 0 {
		c.cancel()
	}
}

func setDirs(t *testing.T, l datasets.Layout) []string {
	t.Helper()
	var dirs []string
	entries, _ := os.ReadDir(l.Dir())
	for _, e := range entries {
		if e.IsDir() && (strings.HasPrefix(e.Name(), "export-") || strings.Contains(e.Name(), ".tmp-")) {
			dirs = append(dirs, e.Name())
		}
	}
	return dirs
}

// Export replaces its files as one set (issue 18, item 1): an export interrupted in the
// middle leaves the previous set whole and in place; a finished one replaces it whole,
// records the inputs it was made from, and leaves no older set behind.
func TestExportReplacesTheSetAsAWhole(t *testing.T) {
	l := exportElwikivoyage(t, t.TempDir())
	first, err := os.Readlink(l.ExportDir())
	if err != nil {
		t.Fatalf("the export directory is not a link to a set: %v", err)
	}
	set, err := datasets.ReadExportSet(l.ExportDir())
	if err != nil {
		t.Fatal(err)
	}
	if err := datasets.CheckExportCurrent(l.ExportDir(), l.Dir(), set); err != nil {
		t.Fatalf("a fresh export is not current: %v", err)
	}
	// The model is trained again; an export of it is interrupted after one dataset.
	os.WriteFile(l.Model(), []byte(`{"learner":{"v":2}}`), 0o644)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	if _, err := Run(ctx, Options{Wiki: l.Wiki, DataDir: l.DataDir}, &cancelAfter{n: 1, cancel: cancel}); err == nil {
		t.Fatal("the interrupted export succeeded")
	}
	if now, _ := os.Readlink(l.ExportDir()); now != first {
		t.Fatalf("the link moved to %s after an interrupted export", now)
	}
	if err := datasets.VerifyExportSet(l.ExportDir()); err != nil {
		t.Fatalf("the previous set was damaged: %v", err)
	}
	if err := datasets.CheckExportCurrent(l.ExportDir(), l.Dir(), set); !errors.Is(err, datasets.ErrExportStale) {
		t.Fatalf("the previous set is not stale for the new model: %v", err)
	}
	if b, _ := os.ReadFile(l.ExportedModel()); string(b) != `{"learner":{}}` {
		t.Fatalf("exported model %s, want the previous one", b)
	}
	if dirs := setDirs(t, l); len(dirs) != 1 {
		t.Fatalf("set directories after the interrupted export: %v", dirs)
	}
	// The export runs to its end: a new, current set, and only it.
	if _, err := Run(context.Background(), Options{Wiki: l.Wiki, DataDir: l.DataDir}, nil); err != nil {
		t.Fatal(err)
	}
	second, _ := os.Readlink(l.ExportDir())
	set2, _ := datasets.ReadExportSet(l.ExportDir())
	if second == first || set2 == nil || datasets.CheckExportCurrent(l.ExportDir(), l.Dir(), set2) != nil {
		t.Fatalf("after a finished export the link is %s (was %s)", second, first)
	}
	if b, _ := os.ReadFile(l.ExportedModel()); string(b) != `{"learner":{"v":2}}` {
		t.Fatalf("exported model %s, want the new one", b)
	}
	if dirs := setDirs(t, l); len(dirs) != 1 || dirs[0] != second {
		t.Fatalf("set directories: %v, want only %s", dirs, second)
	}
	// The same inputs again: the same set, under the same name.
	if _, err := Run(context.Background(), Options{Wiki: l.Wiki, DataDir: l.DataDir}, nil); err != nil {
		t.Fatal(err)
	}
	if third, _ := os.Readlink(l.ExportDir()); third != second {
		t.Fatalf("an identical export moved the link from %s to %s", second, third)
	}
}

// Files that exports wrote straight into the wiki directory before they wrote sets are
// removed by the first export of a set, so that no older file sits beside the set.
func TestExportRemovesLegacyFiles(t *testing.T) {
	dir := t.TempDir()
	l := datasets.Layout{DataDir: dir, Wiki: "elwikivoyage"}
	os.MkdirAll(l.Dir(), 0o755)
	legacy := []string{"elwikivoyage.anchors.sqlite.gz", "elwikivoyage.anchors.sqlite.checksum", "lr_elwikivoyage_pageids.sql.gz", "lr_elwikivoyage_pageids.sql.gz.checksum"}
	for _, n := range legacy {
		os.WriteFile(filepath.Join(l.Dir(), n), []byte("old"), 0o644)
	}
	exportElwikivoyage(t, dir)
	for _, n := range legacy {
		if _, err := os.Stat(filepath.Join(l.Dir(), n)); err == nil {
			t.Errorf("legacy %s left beside the set", n)
		}
	}
}

// TestV2ModelsOnlyInTheV2Layout: a v2 (seven-input) model in a wiki's own directory is
// not exported into the wiki's set (the v1 layout), and export --multilingual refuses a
// model that is not a v2 one; neither writes a set.
func TestV2ModelsOnlyInTheV2Layout(t *testing.T) {
	dir := t.TempDir()
	write := func(path string, nf int) {
		t.Helper()
		b, err := (&gbdt.Model{NumFeature: nf, BaseScore: 0.5}).MarshalJSON()
		if err != nil {
			t.Fatal(err)
		}
		os.MkdirAll(filepath.Dir(path), 0o755)
		if err := os.WriteFile(path, b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	l := datasets.Layout{DataDir: dir, Wiki: "aawiki"}
	write(l.Model(), 7)
	if _, err := ModelDatasets(l); err == nil || !strings.Contains(err.Error(), "v2") {
		t.Errorf("a v2 model in the wiki's directory: %v", err)
	}
	if _, err := Run(context.Background(), Options{Wiki: "aawiki", DataDir: dir}, nil); err == nil {
		t.Error("export of a wiki whose own model is a v2 model: no error")
	}
	m := datasets.Multilingual{DataDir: dir, Name: "multi"}
	write(m.Model(), 6)
	if _, err := Run(context.Background(), Options{Wiki: "aawiki", DataDir: dir, Multilingual: "multi"}, nil); !errors.Is(err, linker.ErrNotV2Model) {
		t.Errorf("export --multilingual with a six-input model: %v", err)
	}
	for _, d := range []string{l.ExportDir(), m.Export("aawiki").ExportDir()} {
		if _, err := os.Stat(d); err == nil {
			t.Errorf("%s written", d)
		}
	}
	if err := (&Options{Wiki: "aawiki", DataDir: dir, Multilingual: "aawiki"}).Validate(); err == nil {
		t.Error("--multilingual naming the wiki itself: valid")
	}
}
