package datasets

import (
	"errors"
	"math"
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
