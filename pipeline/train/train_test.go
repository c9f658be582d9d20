package train

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/addlink/addlink/checksum"
	"github.com/addlink/addlink/datasets"
	"github.com/addlink/addlink/internal/gbdt"
	"github.com/addlink/addlink/internal/testfixtures"
)

func TestRunForWiki(t *testing.T) {
	src, err := os.ReadFile(testfixtures.Path(t, "reference/elwikivoyage/link_train.tsv"))
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	l := datasets.Layout{DataDir: dir, Wiki: "elwikivoyage"}
	os.MkdirAll(l.TrainingDir(), 0o755)
	os.WriteFile(l.LinkTrain(), src, 0o644)
	o := DefaultOptions()
	o.Wiki, o.DataDir = "elwikivoyage", dir
	o.Params.Threads = 2
	if err := o.Validate(); err != nil {
		t.Fatal(err)
	}
	s, err := Run(context.Background(), o, nil)
	if err != nil {
		t.Fatal(err)
	}
	if s.Rows != 1872 || s.Positives != 640 || s.HoldoutRows != 618 || s.AUC < 0.85 {
		t.Errorf("summary %+v", s)
	}
	if err := checksum.Verify(l.Model() + checksum.Ext); err != nil {
		t.Error(err)
	}
	f, _ := os.Open(l.Model())
	defer f.Close()
	m, err := gbdt.ReadJSON(f)
	if err != nil || len(m.Trees) != 100 || m.NumFeature != 6 {
		t.Fatalf("model: %v, %d trees", err, len(m.Trees))
	}
	if _, err := os.Stat(l.Summary("train")); err != nil {
		t.Error(err)
	}
	// A second run gives the same bytes.
	first, _ := os.ReadFile(l.Model())
	o.Params.Threads = 1
	if _, err := Run(context.Background(), o, nil); err != nil {
		t.Fatal(err)
	}
	second, _ := os.ReadFile(l.Model())
	if string(first) != string(second) {
		t.Error("retraining with another thread count changed the model")
	}
}

func TestBadRows(t *testing.T) {
	dir := t.TempDir()
	f := filepath.Join(dir, "t.csv")
	os.WriteFile(f, []byte("P\tm\tT\t1\t2\t3\t4\t5\t6\tTrue\nP\tm\tT\t1\tx\t3\t4\t5\t6\tFalse\n"), 0o644)
	o := DefaultOptions()
	o.TrainingFile, o.ModelOut = f, filepath.Join(dir, "m.json")
	if err := o.Validate(); err != nil {
		t.Fatal(err)
	}
	_, err := Run(context.Background(), o, nil)
	var pe *datasets.ParseError
	if !errors.As(err, &pe) || pe.Line != 2 || !strings.Contains(err.Error(), "t.csv:2") {
		t.Fatalf("err = %v, want a parse error on line 2", err)
	}
	if _, err := os.Stat(o.ModelOut); !os.IsNotExist(err) {
		t.Error("a model was written despite the error")
	}
	bad := DefaultOptions()
	if err := bad.Validate(); err == nil {
		t.Error("options without wiki or files validated")
	}
	bad.Wiki, bad.Holdout = "x", 1
	if err := bad.Validate(); err == nil {
		t.Error("hold-out 1 validated")
	}
}
