package datasets

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"strconv"
	"strings"

	"github.com/parquet-go/parquet-go"
)

// Formats accepted by Cat.
const (
	FormatTSV   = "tsv"
	FormatJSONL = "jsonl"
)

// Cat prints the Parquet file at path to w: as TSV with a header line and the reference
// files' escaping (tab, newline, backslash as \t, \n, \\; floats as Python prints them),
// or as one JSON object per line. List columns print as JSON arrays.
func Cat(w io.Writer, path, format string) error {
	if format != FormatTSV && format != FormatJSONL {
		return fmt.Errorf("datasets: unknown format %q (want tsv or jsonl)", format)
	}
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return err
	}
	pf, err := parquet.OpenFile(f, st.Size())
	if err != nil {
		return fmt.Errorf("datasets: %s is not a Parquet file: %w", path, err)
	}
	cols := pf.Schema().Columns()
	names := make([]string, len(cols))
	repeated := make([]bool, len(cols))
	for i, c := range cols {
		names[i] = c[0]
		leaf, _ := pf.Schema().Lookup(c...)
		repeated[i] = leaf.MaxRepetitionLevel > 0
	}
	bw := bufio.NewWriterSize(w, 1<<16)
	if format == FormatTSV {
		bw.WriteString(strings.Join(names, "\t"))
		bw.WriteByte('\n')
	}
	r := parquet.NewReader(pf)
	defer r.Close()
	rows := make([]parquet.Row, 256)
	vals := make([][]parquet.Value, len(cols))
	for {
		n, err := r.ReadRows(rows)
		for _, row := range rows[:n] {
			for i := range vals {
				vals[i] = vals[i][:0]
			}
			for _, v := range row {
				vals[v.Column()] = append(vals[v.Column()], v)
			}
			if err := writeRow(bw, format, names, repeated, vals); err != nil {
				return err
			}
		}
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return fmt.Errorf("datasets: %s: %w", path, err)
		}
	}
	return bw.Flush()
}

func writeRow(w *bufio.Writer, format string, names []string, repeated []bool, vals [][]parquet.Value) error {
	if format == FormatJSONL {
		w.WriteByte('{')
		for i, name := range names {
			if i > 0 {
				w.WriteString(", ")
			}
			k, _ := json.Marshal(name)
			w.Write(k)
			w.WriteString(": ")
			w.WriteString(jsonValue(vals[i], repeated[i]))
		}
		_, err := w.WriteString("}\n")
		return err
	}
	for i := range names {
		if i > 0 {
			w.WriteByte('\t')
		}
		if repeated[i] {
			w.WriteString(EscapeTSV(jsonValue(vals[i], true)))
			continue
		}
		if len(vals[i]) > 0 {
			w.WriteString(EscapeTSV(textValue(vals[i][0])))
		}
	}
	_, err := w.WriteString("\n")
	return err
}

// textValue formats one value as the reference TSV files do.
func textValue(v parquet.Value) string {
	if v.IsNull() {
		return ""
	}
	switch v.Kind() {
	case parquet.Boolean:
		if v.Boolean() {
			return "True"
		}
		return "False"
	case parquet.Int32:
		return strconv.FormatInt(int64(v.Int32()), 10)
	case parquet.Int64:
		return strconv.FormatInt(v.Int64(), 10)
	case parquet.Float:
		return PyFloat(float64(v.Float()), 32)
	case parquet.Double:
		return PyFloat(v.Double(), 64)
	case parquet.ByteArray, parquet.FixedLenByteArray:
		return string(v.ByteArray())
	}
	return v.String()
}

func jsonValue(vs []parquet.Value, repeated bool) string {
	one := func(v parquet.Value) string {
		if v.IsNull() {
			return "null"
		}
		switch v.Kind() {
		case parquet.ByteArray, parquet.FixedLenByteArray:
			b, _ := json.Marshal(string(v.ByteArray()))
			return string(b)
		case parquet.Boolean:
			return strconv.FormatBool(v.Boolean())
		case parquet.Float, parquet.Double:
			f := v.Double()
			bits := 64
			if v.Kind() == parquet.Float {
				f, bits = float64(v.Float()), 32
			}
			if math.IsNaN(f) || math.IsInf(f, 0) {
				return "null"
			}
			return strconv.FormatFloat(f, 'g', -1, bits)
		}
		return textValue(v)
	}
	if !repeated {
		if len(vs) == 0 {
			return "null"
		}
		return one(vs[0])
	}
	var b strings.Builder
	b.WriteByte('[')
	n := 0
	for _, v := range vs {
		if v.IsNull() && v.DefinitionLevel() == 0 {
			continue // an empty or null list
		}
		if n > 0 {
			b.WriteString(", ")
		}
		b.WriteString(one(v))
		n++
	}
	b.WriteByte(']')
	return b.String()
}

// PyFloat formats f as Python's repr(float) does: the shortest representation that
// round-trips, "1.0" for integral values, exponent notation below 1e-4 and from 1e16,
// "nan", "inf", "-inf". bits is 64, or 32 for float32 values.
func PyFloat(f float64, bits int) string {
	switch {
	case math.IsNaN(f):
		return "nan"
	case math.IsInf(f, 1):
		return "inf"
	case math.IsInf(f, -1):
		return "-inf"
	}
	e := strconv.FormatFloat(f, 'e', -1, bits)
	mant, expStr, _ := strings.Cut(e, "e")
	exp, _ := strconv.Atoi(expStr)
	if exp < -4 || exp >= 16 {
		sign := "+"
		if exp < 0 {
			sign, exp = "-", -exp
		}
		return fmt.Sprintf("%se%s%02d", mant, sign, exp)
	}
	s := strconv.FormatFloat(f, 'f', -1, bits)
	if !strings.ContainsAny(s, ".") {
		s += ".0"
	}
	return s
}
