package datasets

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"unsafe"
)

// FeatureNames are the model's features in the order of the training file's columns
// 4 to 9 (the reference's order).
var FeatureNames = []string{"ngram", "freq", "ambig", "kurtosis", "w2v", "jaro"}

// TrainingRow is one line of training/link_train.csv: page, mention, candidate target,
// the features, and whether the target is the mention's link in the page.
type TrainingRow struct {
	Page, Mention, Target string
	Features              [6]float32
	Label                 bool
}

// ParseError is a malformed line of a training file.
type ParseError struct {
	File string
	Line int
	Err  error
}

func (e *ParseError) Error() string { return fmt.Sprintf("%s:%d: %v", e.File, e.Line, e.Err) }
func (e *ParseError) Unwrap() error { return e.Err }

// ReadTrainingFile reads a training file in the reference's format: tab-separated, no
// header, 10 fields, features as numbers ("nan" is missing), label True or False.
func ReadTrainingFile(path string) ([]TrainingRow, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return ReadTraining(f, path)
}

// ReadTraining reads training rows from r; name is used in errors.
func ReadTraining(r io.Reader, name string) ([]TrainingRow, error) {
	br := bufio.NewReaderSize(r, 1<<16)
	var rows []TrainingRow
	for line := 1; ; line++ {
		s, err := br.ReadString('\n')
		if err != nil && !errors.Is(err, io.EOF) {
			return nil, &ParseError{name, line, err}
		}
		if s == "" && errors.Is(err, io.EOF) {
			return rows, nil
		}
		s = strings.TrimRight(s, "\r\n")
		if s == "" {
			if errors.Is(err, io.EOF) {
				return rows, nil
			}
			return nil, &ParseError{name, line, errors.New("empty line")}
		}
		fields := strings.Split(s, "\t")
		if len(fields) != 10 {
			return nil, &ParseError{name, line, fieldCountError(len(fields))}
		}
		row := TrainingRow{Page: fields[0], Mention: fields[1], Target: fields[2]}
		var perr error
		if row.Features, row.Label, perr = parseValues(fields[3:9], fields[9]); perr != nil {
			return nil, &ParseError{name, line, perr}
		}
		rows = append(rows, row)
		if errors.Is(err, io.EOF) {
			return rows, nil
		}
	}
}

func fieldCountError(n int) error {
	return fmt.Errorf("%d fields, want 10 (page, mention, target, 6 features, label)", n)
}

// parseValues parses the six features and the label of a training line.
func parseValues[S string | []byte](features []S, label S) (x [6]float32, y bool, err error) {
	for i := range x {
		v, err := strconv.ParseFloat(strings.TrimSpace(noCopyString(features[i])), 64)
		if err != nil {
			return x, false, fmt.Errorf("feature %s: %q is not a number", FeatureNames[i], string(features[i]))
		}
		x[i] = float32(v)
	}
	switch string(label) {
	case "True", "true", "1", "1.0":
		return x, true, nil
	case "False", "false", "0", "0.0":
		return x, false, nil
	}
	return x, false, fmt.Errorf("label %q is not True or False", label)
}

// noCopyString views a field as a string without copying it. The bytes are not changed
// while the string is in use (parse errors copy it into their message).
func noCopyString[S string | []byte](b S) string {
	switch v := any(b).(type) {
	case []byte:
		if len(v) == 0 {
			return ""
		}
		return unsafe.String(&v[0], len(v))
	case string:
		return v
	}
	return string(b)
}
