package datasets

import (
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestReadTraining(t *testing.T) {
	good := "P\tm\tT\t1\t11\t1\t995.0010010010011\t0.9937768\t0.95\tFalse\nP\tn\tU\t2\t3\t4\tnan\tnan\t1.0\tTrue"
	rows, err := ReadTraining(strings.NewReader(good), "f")
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 2 || rows[0].Label || !rows[1].Label || rows[0].Features[1] != 11 || !math.IsNaN(float64(rows[1].Features[3])) {
		t.Fatalf("rows = %+v", rows)
	}
	for _, tt := range []struct {
		in   string
		line int
		msg  string
	}{
		{"a\tb\n", 1, "2 fields"},
		{good + "\nP\tm\tT\t1\tx\t1\t1\t1\t1\tTrue\n", 3, "freq"},
		{"P\tm\tT\t1\t1\t1\t1\t1\t1\tyes\n", 1, "label"},
	} {
		_, err := ReadTraining(strings.NewReader(tt.in), "f")
		var pe *ParseError
		if !errors.As(err, &pe) || pe.Line != tt.line || !strings.Contains(err.Error(), tt.msg) {
			t.Errorf("ReadTraining(%q) = %v, want an error on line %d about %s", tt.in, err, tt.line, tt.msg)
		}
	}
}

func TestReadTrainingMatrixAgrees(t *testing.T) {
	dir := t.TempDir()
	var b strings.Builder
	for i := 0; i < 50000; i++ {
		fmt.Fprintf(&b, "P%d\tm\tT\t%d\t%d\t1\tnan\t0.%d\t0.5\t%v\n", i, i%4, i, i, i%3 == 0)
	}
	p := filepath.Join(dir, "t.csv")
	os.WriteFile(p, []byte(b.String()), 0o644)
	rows, err := ReadTrainingFile(p)
	if err != nil {
		t.Fatal(err)
	}
	m, err := ReadTrainingMatrix(p, 3)
	if err != nil {
		t.Fatal(err)
	}
	if m.Rows() != len(rows) {
		t.Fatalf("%d rows vs %d", m.Rows(), len(rows))
	}
	for i, r := range rows {
		for f := 0; f < 6; f++ {
			a, c := r.Features[f], m.X[6*i+f]
			if a != c && !(a != a && c != c) {
				t.Fatalf("row %d feature %d: %v vs %v", i, f, a, c)
			}
		}
		if (m.Y[i] == 1) != r.Label {
			t.Fatalf("row %d label", i)
		}
	}
	// Errors carry the same line numbers as ReadTraining.
	os.WriteFile(p, []byte(b.String()+"P\tm\tT\t1\tx\t1\t1\t1\t1\tTrue\n"), 0o644)
	_, err = ReadTrainingMatrix(p, 2)
	var pe *ParseError
	if !errors.As(err, &pe) || pe.Line != 50001 {
		t.Fatalf("err = %v, want line 50001", err)
	}
}
