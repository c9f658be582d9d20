package train

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/addlink/addlink/checksum"
	"github.com/addlink/addlink/datasets"
	"github.com/addlink/addlink/internal/gbdt"
	"github.com/addlink/addlink/internal/linker"
	"github.com/addlink/addlink/internal/testfixtures"
)

func TestReadTraining(t *testing.T) {
	good := "P\tm\tT\t1\t4\t1\t995.0010010010008\t1.0000001\t1.0\tFalse\n" +
		"P\tm t\tT2\t2\t5\t3\tnan\t\t0.5\tTrue\r\n\n"
	d, err := ReadTraining(strings.NewReader(good), "good")
	if err != nil {
		t.Fatal(err)
	}
	if d.NumRows() != 2 || d.Labels[0] != 0 || d.Labels[1] != 1 {
		t.Fatalf("rows %d, labels %v", d.NumRows(), d.Labels)
	}
	if d.Features[3][0] != float32(995.0010010010008) || !math.IsNaN(float64(d.Features[3][1])) ||
		!math.IsNaN(float64(d.Features[4][1])) || d.Features[5][1] != 0.5 {
		t.Errorf("features %v", d.Features)
	}
	for _, tc := range []struct {
		name, in string
		line     int
		col      int
		err      error
	}{
		{"too few fields", "P\tm\tT\t1\t4\t1\t9\t1\tTrue\n", 1, 0, ErrFieldCount},
		{"too many fields", "P\tm\tT\t1\t4\t1\t9\t1\t1\tTrue\tx\n", 1, 0, ErrFieldCount},
		{"bad label", "P\tm\tT\t1\t4\t1\t9\t1\t1\tyes\n", 1, 10, ErrLabel},
		{"non-numeric feature on line 2", "P\tm\tT\t1\t4\t1\t9\t1\t1\tTrue\nP\tm\tT\t1\tfour\t1\t9\t1\t1\tTrue\n", 2, 5, strconv.ErrSyntax},
		{"infinite feature", "P\tm\tT\t1\t4\t1\tinf\t1\t1\tTrue\n", 1, 7, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ReadTraining(strings.NewReader(tc.in), "f.csv")
			var pe *ParseError
			if !errors.As(err, &pe) {
				t.Fatalf("error %v is not a *ParseError", err)
			}
			if pe.Line != tc.line || pe.Column != tc.col || pe.File != "f.csv" {
				t.Errorf("error %v at line %d field %d, want line %d field %d", err, pe.Line, pe.Column, tc.line, tc.col)
			}
			if tc.err != nil && !errors.Is(err, tc.err) {
				t.Errorf("error %v does not wrap %v", err, tc.err)
			}
			if !strings.HasPrefix(err.Error(), fmt.Sprintf("f.csv:%d:", tc.line)) {
				t.Errorf("error %q does not start with the file and line", err)
			}
		})
	}
}

// TestSmallInt: the integer fast path gives what strconv.ParseFloat gives, bit for bit,
// and leaves everything else to it.
func TestSmallInt(t *testing.T) {
	for _, s := range []string{"0", "-0", "+0", "7", "-12", "+5", "007", "123456789012345",
		"1234567890123456", "", "-", "1.0", "1e3", "0x10", " 1", "1 ", "nan", "١٢"} {
		v, ok := smallInt([]byte(s))
		want, err := strconv.ParseFloat(s, 64)
		switch {
		case ok && (err != nil || math.Float64bits(v) != math.Float64bits(want)):
			t.Errorf("smallInt(%q) = %v, strconv %v (%v)", s, v, want, err)
		case !ok && len(s) > 0 && len(s) <= 15 && strings.Trim(s, "+-0123456789") == "" && strings.ContainsAny(s, "0123456789") && strings.LastIndexAny(s, "+-") <= 0:
			t.Errorf("smallInt(%q) declined a small integer", s)
		}
	}
}

func FuzzReadTraining(f *testing.F) {
	f.Add([]byte("P\tm\tT\t1\t4\t1\t995.0010010010008\t1.0000001\t1.0\tFalse\n"))
	f.Add([]byte("P\tm\tT\t1\t4\t1\tnan\t\t1.0\tTrue\r\nP\tm\tT\t1\t4\t1\t3\t1\t1.0\tTrue"))
	f.Fuzz(func(t *testing.T, data []byte) {
		d, err := ReadTraining(bytes.NewReader(data), "fuzz")
		if err != nil {
			var pe *ParseError
			if !errors.As(err, &pe) || pe.Line < 1 {
				t.Fatalf("error %v is not a ParseError with a line", err)
			}
			return
		}
		for _, col := range d.Features {
			if len(col) != d.NumRows() {
				t.Fatalf("column of %d values for %d rows", len(col), d.NumRows())
			}
		}
	})
}

func TestRunWiki(t *testing.T) {
	src := testfixtures.Path(t, "reference/elwikivoyage/link_train.tsv")
	dataDir := t.TempDir()
	l := datasets.Layout{DataDir: dataDir, Wiki: "elwikivoyage"}
	if err := os.MkdirAll(l.TrainingDir(), 0o755); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(l.LinkTrain(), b, 0o644); err != nil {
		t.Fatal(err)
	}
	opts := DefaultOptions()
	opts.DataDir, opts.Wiki = dataDir, "elwikivoyage"
	sum, err := Run(context.Background(), opts, nil)
	if err != nil {
		t.Fatal(err)
	}
	if sum.Rows != 1872 || sum.TestRows != 618 || sum.TrainRows != 1254 || sum.ROCAUC == nil {
		t.Fatalf("summary %+v", sum)
	}
	if err := checksum.Verify(l.Model() + checksum.Ext); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(l.Summary("train")); err != nil {
		t.Fatal(err)
	}
	// Same inputs: byte-identical model, whatever the number of threads.
	first, _ := os.ReadFile(l.Model())
	opts.Params.Threads = 1
	if _, err := Run(context.Background(), opts, nil); err != nil {
		t.Fatal(err)
	}
	second, _ := os.ReadFile(l.Model())
	if !bytes.Equal(first, second) {
		t.Error("the model differs between runs with different thread counts")
	}
	// The model reads back and holds 100 trees over the 6 features.
	m := readModel(t, l.Model())
	if len(m.Trees) != 100 || m.NumFeature != 6 {
		t.Errorf("model: %d trees, %d features", len(m.Trees), m.NumFeature)
	}
}

func TestRunBadInput(t *testing.T) {
	dir := t.TempDir()
	in := filepath.Join(dir, "bad.csv")
	if err := os.WriteFile(in, []byte("P\tm\tT\t1\t4\t1\t9\t1\t1\tTrue\nP\tm\tT\t1\t4\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "m.json")
	opts := DefaultOptions()
	opts.TrainingFile, opts.ModelOut = in, out
	_, err := Run(context.Background(), opts, nil)
	if err == nil || !strings.Contains(err.Error(), "bad.csv:2:") {
		t.Fatalf("error %v, want one naming bad.csv:2", err)
	}
	if _, err := os.Stat(out); !os.IsNotExist(err) {
		t.Error("a model was written from bad input")
	}
}

func writeLabelled(t testing.TB, path string, d *gbdt.Dataset) {
	t.Helper()
	var b bytes.Buffer
	for i := 0; i < d.NumRows(); i++ {
		for _, col := range d.Features {
			if v := col[i]; v != v {
				b.WriteString("nan\t")
			} else {
				b.WriteString(strconv.FormatFloat(float64(v), 'g', -1, 32) + "\t")
			}
		}
		fmt.Fprintf(&b, "%d\n", int(d.Labels[i]))
	}
	if err := os.WriteFile(path, b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestAUCVersusXGBoost trains on the reference's training files with the reference's
// split and compares the held-out AUC with XGBoost 1.7.4's (hist, 2 threads) on the same
// rows, run live.
func TestAUCVersusXGBoost(t *testing.T) {
	py := testfixtures.Python(t, "xgboost", "numpy")
	for _, wiki := range []string{"elwikivoyage", "viwiki", "ukwiki"} {
		t.Run(wiki, func(t *testing.T) {
			src := testfixtures.Path(t, "reference/"+wiki+"/link_train.tsv")
			dir := t.TempDir()
			opts := DefaultOptions()
			opts.TrainingFile, opts.ModelOut = src, filepath.Join(dir, "m.json")
			sum, err := Run(context.Background(), opts, nil)
			if err != nil {
				t.Fatal(err)
			}
			all, err := ReadTrainingFile(src, 2)
			if err != nil {
				t.Fatal(err)
			}
			trainIdx, testIdx := gbdt.HoldoutSplit(all.NumRows(), opts.Holdout, opts.Seed)
			trainPath, testPath := filepath.Join(dir, "train.tsv"), filepath.Join(dir, "test.tsv")
			writeLabelled(t, trainPath, subset(all, trainIdx))
			test := subset(all, testIdx)
			writeLabelled(t, testPath, test)
			out, err := exec.Command(py, filepath.Join(testfixtures.Root(t), "internal/gbdt/testdata/xgb_fit.py"), trainPath, testPath).Output()
			if err != nil {
				t.Fatal(err)
			}
			var probs []float32
			sc := bufio.NewScanner(bytes.NewReader(out))
			for sc.Scan() {
				if strings.HasPrefix(sc.Text(), "fit_seconds") {
					continue
				}
				v, err := strconv.ParseFloat(sc.Text(), 64)
				if err != nil {
					t.Fatal(err)
				}
				probs = append(probs, float32(v))
			}
			theirs := gbdt.AUC(test.Labels, probs)
			t.Logf("%s: held-out AUC ours %.5f, XGBoost %.5f (%d test rows)", wiki, *sum.ROCAUC, theirs, len(testIdx))
			if math.Abs(*sum.ROCAUC-theirs) > 0.005 {
				t.Errorf("held-out AUC ours %.5f, XGBoost %.5f", *sum.ROCAUC, theirs)
			}
		})
	}
}

// TestParseTrainingPieces parses a file of several MB in 1 to 3 pieces: same rows, and a
// bad line is reported with its line number in the whole file.
func TestParseTrainingPieces(t *testing.T) {
	var b bytes.Buffer
	for i := 0; i < 40000; i++ {
		fmt.Fprintf(&b, "Page %d\tm\tT\t%d\t%d\t3\tnan\t0.%d\t0.5\t%v\n", i, i%4, i, i, i%3 == 0)
	}
	data := b.Bytes()
	one, err := ParseTraining(data, "f", 1)
	if err != nil {
		t.Fatal(err)
	}
	for threads := 2; threads <= 3; threads++ {
		d, err := ParseTraining(data, "f", threads)
		if err != nil {
			t.Fatal(err)
		}
		if d.NumRows() != one.NumRows() || fmt.Sprint(d.Features[1][39990:]) != fmt.Sprint(one.Features[1][39990:]) ||
			fmt.Sprint(d.Labels) != fmt.Sprint(one.Labels) {
			t.Errorf("%d pieces: rows differ from one piece", threads)
		}
	}
	bad := bytes.Replace(data, []byte("Page 33333\tm\tT\t1\t33333\t"), []byte("Page 33333\tm\tT\t1\tx\t"), 1)
	for threads := 1; threads <= 3; threads++ {
		_, err := ParseTraining(bad, "f", threads)
		var pe *ParseError
		if !errors.As(err, &pe) || pe.Line != 33334 {
			t.Errorf("%d pieces: error %v, want one on line 33334", threads, err)
		}
	}
}

// readModel reads the model JSON at path.
func readModel(t *testing.T, path string) *gbdt.Model {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	m, err := gbdt.ReadJSON(f)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// Added rows (AddRows) are trained on and never held out: the held-out rows stay the
// wiki's own, the model changes, a bad added file is an error naming its line, and
// other features than the reference's refuse them.
func TestRunAddRows(t *testing.T) {
	src := testfixtures.Path(t, "reference/elwikivoyage/link_train.tsv")
	dir := t.TempDir()
	b, err := os.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.SplitAfter(string(b), "\n")
	extra := filepath.Join(dir, "extra.csv")
	// The first 50 rows again, labels flipped: rows a model cannot ignore.
	var flipped strings.Builder
	for _, l := range lines[:50] {
		if s, ok := strings.CutSuffix(l, "\tTrue\n"); ok {
			l = s + "\tFalse\n"
		} else if s, ok := strings.CutSuffix(l, "\tFalse\n"); ok {
			l = s + "\tTrue\n"
		}
		flipped.WriteString(l)
	}
	if err := os.WriteFile(extra, []byte(flipped.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	run := func(add ...string) (Summary, []byte, error) {
		opts := DefaultOptions()
		opts.TrainingFile, opts.ModelOut, opts.AddRows = src, filepath.Join(dir, "m.json"), add
		s, err := Run(context.Background(), opts, nil)
		m, _ := os.ReadFile(opts.ModelOut)
		return s, m, err
	}
	base, m0, err := run()
	if err != nil {
		t.Fatal(err)
	}
	with, m1, err := run(extra)
	if err != nil {
		t.Fatal(err)
	}
	pos := strings.Count(flipped.String(), "\tTrue\n")
	if with.AddedRows != 50 || with.AddedPositives != pos || with.TestRows != base.TestRows || with.TrainRows != base.TrainRows+50 || with.Rows != base.Rows {
		t.Errorf("with added rows %+v; without %+v", with, base)
	}
	if bytes.Equal(m0, m1) || *with.ROCAUC == *base.ROCAUC {
		t.Error("the added rows changed neither the model nor the held-out AUC")
	}
	bad := filepath.Join(dir, "bad.csv")
	os.WriteFile(bad, []byte(lines[0]+"P\tm\n"), 0o644)
	if _, _, err := run(bad); err == nil || !strings.Contains(err.Error(), "bad.csv:2:") {
		t.Errorf("a bad added file: %v", err)
	}
	opts := DefaultOptions()
	opts.TrainingFile, opts.ModelOut, opts.AddRows = src, filepath.Join(dir, "x.json"), []string{extra}
	opts.Features = linker.ExtendedFeatures
	if err := opts.Validate(); err == nil {
		t.Error("added rows with the extended features were accepted")
	}
}
