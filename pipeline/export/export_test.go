package export

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/addlink/addlink/datasets"
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
	if len(outs) != 4*5+1 {
		t.Fatalf("outputs %v", outs)
	}
	for _, p := range outs {
		x, err1 := os.ReadFile(p)
		y, err2 := os.ReadFile(filepath.Join(b.Dir(), filepath.Base(p)))
		if err1 != nil || err2 != nil || !bytes.Equal(x, y) {
			t.Errorf("%s differs between two exports (%v, %v)", filepath.Base(p), err1, err2)
		}
	}
	if _, err := exec.LookPath("sha256sum"); err == nil {
		sums, _ := filepath.Glob(filepath.Join(a.Dir(), "*.checksum"))
		cmd := exec.Command("sha256sum", "-c")
		cmd.Args = append(cmd.Args, func() []string {
			var names []string
			for _, s := range sums {
				names = append(names, filepath.Base(s))
			}
			return names
		}()...)
		cmd.Dir = a.Dir()
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("sha256sum -c: %v\n%s", err, out)
		} else if strings.Count(string(out), ": OK") != 9 {
			t.Errorf("sha256sum -c checked %d files, want 9:\n%s", strings.Count(string(out), ": OK"), out)
		}
	}
}

// Debian's python3-sqlitedict reads every value of the exported SQLite files, and they
// equal the Parquet datasets they come from (vectors as float32 numpy arrays).
func TestSqlitedictReadsExportedDatasets(t *testing.T) {
	py := testfixtures.Python(t, "sqlitedict", "numpy")
	l := exportElwikivoyage(t, t.TempDir())
	read := func(name string) []map[string]any {
		out, err := exec.Command(py, "../../datasets/testdata/read_sqlitedict.py", l.File(name+".sqlite")).Output()
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
