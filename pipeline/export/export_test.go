package export

import (
	"bytes"
	"context"
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
