package datasets

import (
	"bytes"
	"errors"
	"io"
	"os"
	"sync"
)

// TrainingMatrix is the numeric part of a training file: the features of row i are
// X[6*i : 6*i+6] (NaN for missing), Y[i] is 1 for True and 0 for False.
type TrainingMatrix struct {
	X []float32
	Y []float32
}

// Rows returns the number of rows.
func (m *TrainingMatrix) Rows() int { return len(m.Y) }

// ReadTrainingMatrix reads only the features and labels of a training file, parsing
// blocks of lines on up to threads goroutines. Errors are those of ReadTraining, with
// the same line numbers.
func ReadTrainingMatrix(path string, threads int) (*TrainingMatrix, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	threads = max(threads, 1)
	type block struct {
		data      []byte
		firstLine int
		m         TrainingMatrix
		err       error
	}
	var blocks []*block
	const blockSize = 4 << 20
	var carry []byte
	line := 1
	for {
		buf := make([]byte, len(carry)+blockSize)
		copy(buf, carry)
		n, rerr := io.ReadFull(f, buf[len(carry):])
		buf = buf[:len(carry)+n]
		eof := rerr == io.EOF || rerr == io.ErrUnexpectedEOF
		if rerr != nil && !eof {
			return nil, rerr
		}
		cut := len(buf)
		if !eof {
			cut = bytes.LastIndexByte(buf, '\n') + 1
			if cut == 0 {
				carry = buf
				continue
			}
		}
		blocks = append(blocks, &block{data: buf[:cut], firstLine: line})
		line += bytes.Count(buf[:cut], []byte{'\n'})
		carry = append([]byte(nil), buf[cut:]...)
		if eof {
			break
		}
	}
	var wg sync.WaitGroup
	sem := make(chan struct{}, threads)
	for _, b := range blocks {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			b.m, b.err = parseMatrix(b.data, path, b.firstLine)
		}()
	}
	wg.Wait()
	out := &TrainingMatrix{}
	for _, b := range blocks {
		if b.err != nil {
			return nil, b.err
		}
		out.X = append(out.X, b.m.X...)
		out.Y = append(out.Y, b.m.Y...)
	}
	return out, nil
}

func parseMatrix(data []byte, name string, line int) (TrainingMatrix, error) {
	var m TrainingMatrix
	for len(data) > 0 {
		end := bytes.IndexByte(data, '\n')
		var s []byte
		if end < 0 {
			s, data = data, nil
		} else {
			s, data = data[:end], data[end+1:]
		}
		s = bytes.TrimRight(s, "\r")
		if len(s) == 0 {
			if len(data) == 0 {
				break
			}
			return m, &ParseError{name, line, errors.New("empty line")}
		}
		var fields [10][]byte
		nf := 0
		for nf < 10 {
			i := bytes.IndexByte(s, '\t')
			if i < 0 {
				fields[nf] = s
				nf++
				s = nil
				break
			}
			fields[nf] = s[:i]
			nf++
			s = s[i+1:]
		}
		if nf != 10 || s != nil {
			count := nf
			if s != nil {
				count += bytes.Count(s, []byte{'\t'}) + 1
			}
			return m, &ParseError{name, line, fieldCountError(count)}
		}
		x, y, err := parseValues(fields[3:9], fields[9])
		if err != nil {
			return m, &ParseError{name, line, err}
		}
		m.X = append(m.X, x[:]...)
		m.Y = append(m.Y, b2f(y))
		line++
	}
	return m, nil
}

func b2f(b bool) float32 {
	if b {
		return 1
	}
	return 0
}
