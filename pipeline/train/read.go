package train

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"strconv"
	"sync"

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
// stored as float32, as XGBoost does. Empty lines are skipped. The file is parsed in
// threads pieces; the result does not depend on threads.
func ReadTrainingFile(path string, threads int) (*gbdt.Dataset, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	return ParseTraining(data, path, threads)
}

// ReadTraining reads training rows from r (see ReadTrainingFile); name is used in errors.
func ReadTraining(r io.Reader, name string) (*gbdt.Dataset, error) {
	data, err := io.ReadAll(r)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	return ParseTraining(data, name, 1)
}

// ParseTraining parses training rows (see ReadTrainingFile) in threads pieces cut at line
// boundaries; an error names the first bad line of the file.
func ParseTraining(data []byte, name string, threads int) (*gbdt.Dataset, error) {
	if threads < 1 {
		threads = 1
	}
	if len(data) < 1<<20 {
		threads = 1
	}
	// Cut data into pieces that end after a newline.
	var pieces [][]byte
	for i := 0; i < threads && len(data) > 0; i++ {
		n := len(data) / (threads - i)
		if j := bytes.IndexByte(data[n:], '\n'); j >= 0 && i < threads-1 {
			n += j + 1
		} else {
			n = len(data)
		}
		pieces = append(pieces, data[:n])
		data = data[n:]
	}
	type result struct {
		d     *gbdt.Dataset
		lines int
		err   *ParseError
	}
	res := make([]result, len(pieces))
	var wg sync.WaitGroup
	for i, p := range pieces {
		wg.Add(1)
		go func() {
			defer wg.Done()
			d, lines, err := parsePiece(p)
			res[i] = result{d, lines, err}
		}()
	}
	wg.Wait()
	line0 := 0
	for _, r := range res {
		if r.err != nil {
			r.err.File, r.err.Line = name, line0+r.err.Line
			return nil, r.err
		}
		line0 += r.lines
	}
	if len(res) == 1 {
		return res[0].d, nil
	}
	d := &gbdt.Dataset{Features: make([][]float32, numFeatures)}
	for _, r := range res {
		d.Labels = append(d.Labels, r.d.Labels...)
		for f := range d.Features {
			d.Features[f] = append(d.Features[f], r.d.Features[f]...)
		}
	}
	return d, nil
}

// parsePiece parses whole lines; it returns the number of lines and, on error, a
// ParseError whose Line counts from the start of the piece.
func parsePiece(data []byte) (*gbdt.Dataset, int, *ParseError) {
	d := &gbdt.Dataset{Features: make([][]float32, numFeatures)}
	rows := bytes.Count(data, []byte{'\n'}) + 1
	for f := range d.Features {
		d.Features[f] = make([]float32, 0, rows)
	}
	d.Labels = make([]float32, 0, rows)
	var fields [][]byte
	line := 0
	for len(data) > 0 {
		line++
		b := data
		if i := bytes.IndexByte(data, '\n'); i >= 0 {
			b, data = data[:i], data[i+1:]
		} else {
			data = nil
		}
		b = bytes.TrimSuffix(b, []byte{'\r'})
		if len(b) == 0 {
			continue
		}
		if perr := parseRow(d, b, &fields); perr != nil {
			perr.Line = line
			return nil, line, perr
		}
	}
	return d, line, nil
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

// smallInt parses a decimal integer of at most 15 digits (with an optional sign),
// which float64 holds exactly: the common case of the count features, without
// strconv's general path.
func smallInt(s []byte) (float64, bool) {
	neg := false
	if len(s) > 0 && (s[0] == '-' || s[0] == '+') {
		neg = s[0] == '-'
		s = s[1:]
	}
	if len(s) == 0 || len(s) > 15 {
		return 0, false
	}
	var n int64
	for _, c := range s {
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int64(c-'0')
	}
	if neg {
		if n == 0 {
			return math.Copysign(0, -1), true
		}
		n = -n
	}
	return float64(n), true
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
		if v, ok := smallInt(s); ok {
			x[j] = float32(v)
			continue
		}
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

// ReadNamedFile reads a training file with a header line naming its tab-separated
// columns (page, mention, target, feature names..., label; the features stage's
// link_train_extended.csv) and returns the features named, in that order. Values are
// parsed as in ReadTrainingFile.
func ReadNamedFile(path string, names []string) (*gbdt.Dataset, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	return ParseNamed(data, path, names)
}

// ParseNamed parses a training file with a header line (see ReadNamedFile); name is
// used in errors.
func ParseNamed(data []byte, name string, names []string) (*gbdt.Dataset, error) {
	header, rest, _ := bytes.Cut(data, []byte{'\n'})
	cols := bytes.Split(bytes.TrimSuffix(header, []byte{'\r'}), []byte{'\t'})
	if len(cols) < 2 || string(cols[len(cols)-1]) != "label" {
		return nil, &ParseError{File: name, Line: 1, Err: errors.New("the header line does not end with a label column")}
	}
	idx := make([]int, len(names))
	for i, n := range names {
		idx[i] = -1
		for j, c := range cols[:len(cols)-1] {
			if string(c) == n {
				idx[i] = j
			}
		}
		if idx[i] < 0 {
			return nil, &ParseError{File: name, Line: 1, Err: fmt.Errorf("no column %q (the file has %s)", n, bytes.Join(cols, []byte(", ")))}
		}
	}
	d := &gbdt.Dataset{Features: make([][]float32, len(names))}
	line := 1
	for len(rest) > 0 {
		line++
		b := rest
		if i := bytes.IndexByte(rest, '\n'); i >= 0 {
			b, rest = rest[:i], rest[i+1:]
		} else {
			rest = nil
		}
		b = bytes.TrimSuffix(b, []byte{'\r'})
		if len(b) == 0 {
			continue
		}
		fs := bytes.Split(b, []byte{'\t'})
		if len(fs) != len(cols) {
			return nil, &ParseError{File: name, Line: line, Err: fmt.Errorf("%w: %d, want %d", ErrFieldCount, len(fs), len(cols))}
		}
		var y float32
		switch label := fs[len(fs)-1]; string(label) {
		case "True", "true", "1":
			y = 1
		case "False", "false", "0":
			y = 0
		default:
			return nil, &ParseError{File: name, Line: line, Column: len(fs), Err: fmt.Errorf("%w: %q", ErrLabel, label)}
		}
		for i, j := range idx {
			s := fs[j]
			var v float64
			if isMissing(s) {
				v = math.NaN()
			} else {
				var err error
				v, err = strconv.ParseFloat(string(s), 64)
				if err == nil && math.IsInf(v, 0) {
					err = errors.New("infinite value")
				}
				if err != nil {
					return nil, &ParseError{File: name, Line: line, Column: j + 1, Err: fmt.Errorf("feature %s: %w", names[i], err)}
				}
			}
			d.Features[i] = append(d.Features[i], float32(v))
		}
		d.Labels = append(d.Labels, y)
	}
	return d, nil
}
