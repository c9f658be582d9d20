package train

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"strconv"

	"github.com/addlink/addlink/internal/gbdt"
)

// FeatureNames are the model's input features in the order the reference trains on them
// (columns 4 to 9 of link_train.csv).
var FeatureNames = [numFeatures]string{"ngram", "freq", "ambig", "kurtosis", "w2v", "jaro"}

const numFeatures = 6

// numFields is the number of tab-separated fields of a training row: page, mention,
// target, the features, label.
var numFields = 3 + len(FeatureNames) + 1

// ParseError is a malformed line of a training file.
type ParseError struct {
	File   string
	Line   int // 1-based
	Column int // 1-based field number, 0 when the whole line is wrong
	Err    error
}

func (e *ParseError) Error() string {
	if e.Column > 0 {
		return fmt.Sprintf("%s:%d: field %d: %v", e.File, e.Line, e.Column, e.Err)
	}
	return fmt.Sprintf("%s:%d: %v", e.File, e.Line, e.Err)
}

func (e *ParseError) Unwrap() error { return e.Err }

// ErrFieldCount and ErrLabel are wrapped by ParseErrors.
var (
	ErrFieldCount = errors.New("wrong number of tab-separated fields")
	ErrLabel      = errors.New("label is not True or False")
)

// ReadTrainingFile reads a training file in the reference's link_train.csv format:
// tab-separated, no header, fields page, mention, target, ngram, freq, ambig, kurtosis,
// w2v, jaro, label (True/False). A feature may be missing ("nan", an empty field or
// another of pandas' missing-value spellings); infinite values are an error. Features are
// stored as float32, as XGBoost does. Empty lines are skipped.
func ReadTrainingFile(path string) (*gbdt.Dataset, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return ReadTraining(f, path)
}

// ReadTraining reads training rows from r (see ReadTrainingFile); name is used in errors.
func ReadTraining(r io.Reader, name string) (*gbdt.Dataset, error) {
	d := &gbdt.Dataset{Features: make([][]float32, len(FeatureNames))}
	br := bufio.NewReaderSize(r, 1<<20)
	var fields [][]byte
	for line := 1; ; line++ {
		b, err := br.ReadSlice('\n')
		if errors.Is(err, bufio.ErrBufferFull) {
			// A very long line (long titles): collect it whole.
			long := append([]byte(nil), b...)
			for errors.Is(err, bufio.ErrBufferFull) {
				b, err = br.ReadSlice('\n')
				long = append(long, b...)
			}
			b = long
		}
		if err != nil && err != io.EOF {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		if len(b) == 0 && err == io.EOF {
			break
		}
		b = bytes.TrimSuffix(b, []byte{'\n'})
		b = bytes.TrimSuffix(b, []byte{'\r'})
		if len(b) > 0 {
			if perr := parseRow(d, b, &fields); perr != nil {
				perr.File, perr.Line = name, line
				return nil, perr
			}
		}
		if err == io.EOF {
			break
		}
	}
	return d, nil
}

// isMissing reports whether a feature field is one of pandas' default missing-value
// spellings (an empty field, nan, NaN, NA, ...), which the reference reads as NaN.
func isMissing(s []byte) bool {
	switch string(s) {
	case "", "nan", "NaN", "-nan", "-NaN", "NA", "N/A", "n/a", "NULL", "null", "None", "<NA>", "#N/A", "#NA":
		return true
	}
	return false
}

func parseRow(d *gbdt.Dataset, b []byte, fields *[][]byte) *ParseError {
	fs := (*fields)[:0]
	for {
		i := bytes.IndexByte(b, '\t')
		if i < 0 {
			fs = append(fs, b)
			break
		}
		fs = append(fs, b[:i])
		b = b[i+1:]
	}
	*fields = fs
	if len(fs) != numFields {
		return &ParseError{Err: fmt.Errorf("%w: %d, want %d", ErrFieldCount, len(fs), numFields)}
	}
	var y float32
	switch label := fs[numFields-1]; string(label) {
	case "True", "true", "1":
		y = 1
	case "False", "false", "0":
		y = 0
	default:
		return &ParseError{Column: numFields, Err: fmt.Errorf("%w: %q", ErrLabel, label)}
	}
	var x [numFeatures]float32
	for j := range FeatureNames {
		s := fs[3+j]
		if isMissing(s) {
			x[j] = float32(math.NaN())
			continue
		}
		v, err := strconv.ParseFloat(string(s), 64)
		if err == nil && math.IsInf(v, 0) {
			err = errors.New("infinite value")
		}
		if err != nil {
			return &ParseError{Column: 4 + j, Err: fmt.Errorf("feature %s: %w", FeatureNames[j], err)}
		}
		x[j] = float32(v)
	}
	for j, v := range x {
		d.Features[j] = append(d.Features[j], v)
	}
	d.Labels = append(d.Labels, y)
	return nil
}
