package gbdt

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/addlink/addlink/internal/testfixtures"
)

func writeRows(t testing.TB, path string, d *Dataset, withLabel bool) {
	t.Helper()
	var b bytes.Buffer
	var x []float32
	for i := 0; i < d.NumRows(); i++ {
		x = d.row(i, x)
		for f, v := range x {
			if f > 0 {
				b.WriteByte('\t')
			}
			if v != v {
				b.WriteString("nan")
			} else {
				b.WriteString(strconv.FormatFloat(float64(v), 'g', -1, 32))
			}
		}
		if withLabel {
			fmt.Fprintf(&b, "\t%d", int(d.Labels[i]))
		}
		b.WriteByte('\n')
	}
	if err := os.WriteFile(path, b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
}

func runPython(t testing.TB, args ...string) []string {
	t.Helper()
	cmd := exec.Command(testfixtures.Python(t, "xgboost", "numpy"), args...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("%v: %v\n%s", args, err, stderr.String())
	}
	var lines []string
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		lines = append(lines, sc.Text())
	}
	return lines
}

// TestXGBoostLoadsOurModel is the real-consumer test: Debian's XGBoost 1.7.4 loads the JSON
// we write (Booster.load_model and XGBClassifier().load_model) and predicts 10,000 rows
// (some features missing) as we do, within 1e-6.
func TestXGBoostLoadsOurModel(t *testing.T) {
	testfixtures.Python(t, "xgboost", "numpy")
	dir := t.TempDir()
	m, err := Train(context.Background(), synthetic(5000, 11), DefaultParams(), nil)
	if err != nil {
		t.Fatal(err)
	}
	modelPath := filepath.Join(dir, "model.json")
	b, err := m.MarshalJSON()
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(modelPath, b, 0o644); err != nil {
		t.Fatal(err)
	}
	rows := synthetic(10000, 12)
	rowsPath := filepath.Join(dir, "rows.tsv")
	writeRows(t, rowsPath, rows, false)
	lines := runPython(t, "testdata/xgb_predict.py", modelPath, rowsPath)
	if len(lines) != rows.NumRows() {
		t.Fatalf("XGBoost printed %d lines for %d rows", len(lines), rows.NumRows())
	}
	var x []float32
	bad := 0
	for i, line := range lines {
		x = rows.row(i, x)
		ours := float64(m.Predict(x))
		for j, s := range strings.Split(line, "\t") {
			theirs, err := strconv.ParseFloat(s, 64)
			if err != nil {
				t.Fatalf("line %d: %v", i+1, err)
			}
			if math.Abs(ours-theirs) > 1e-6 {
				if bad++; bad < 10 {
					t.Errorf("row %d (loader %d): ours %v, XGBoost %v", i, j, ours, theirs)
				}
			}
		}
	}
}

// xgboostAUC fits XGBoost (hist, 2 threads) on train and returns its AUC on test.
func xgboostAUC(t testing.TB, train, test *Dataset) float64 {
	t.Helper()
	dir := t.TempDir()
	trainPath, testPath := filepath.Join(dir, "train.tsv"), filepath.Join(dir, "test.tsv")
	writeRows(t, trainPath, train, true)
	writeRows(t, testPath, test, true)
	lines := runPython(t, "testdata/xgb_fit.py", trainPath, testPath)
	if len(lines) != test.NumRows()+1 {
		t.Fatalf("XGBoost printed %d lines for %d rows", len(lines), test.NumRows())
	}
	probs := make([]float32, test.NumRows())
	for i := range probs {
		v, err := strconv.ParseFloat(lines[i], 64)
		if err != nil {
			t.Fatal(err)
		}
		probs[i] = float32(v)
	}
	return AUC(test.Labels, probs)
}

// TestQualityVsXGBoost compares our held-out AUC with XGBoost's on the same synthetic
// split (20,000 training rows with missing values).
func TestQualityVsXGBoost(t *testing.T) {
	testfixtures.Python(t, "xgboost", "numpy")
	train, test := synthetic(20000, 21), synthetic(10000, 22)
	m, err := Train(context.Background(), train, DefaultParams(), nil)
	if err != nil {
		t.Fatal(err)
	}
	probs := make([]float32, test.NumRows())
	var x []float32
	for i := range probs {
		x = test.row(i, x)
		probs[i] = m.Predict(x)
	}
	ours := AUC(test.Labels, probs)
	theirs := xgboostAUC(t, train, test)
	t.Logf("held-out AUC: ours %.5f, XGBoost %.5f", ours, theirs)
	if math.Abs(ours-theirs) > 0.005 {
		t.Errorf("held-out AUC ours %.5f, XGBoost %.5f: differ by more than 0.005", ours, theirs)
	}
}
