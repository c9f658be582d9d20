package gbdt

import (
	"bufio"
	"bytes"
	"context"
	"math"
	"os"
	"strconv"
	"strings"
	"testing"

	"github.com/addlink/addlink/internal/testfixtures"
)

func readModelFile(t testing.TB, path string) *Model {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	m, err := ReadJSON(f)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return m
}

// TestPredictReferenceModel checks our predictor against XGBoost 1.7.4's predictions
// with the reference's real 2020 simplewiki model (300 rows, some features missing).
func TestPredictReferenceModel(t *testing.T) {
	m := readModelFile(t, testfixtures.Path(t, "mwaddlink/simplewiki-2020.linkmodel.json"))
	if len(m.Trees) != 100 || m.NumFeature != 7 {
		t.Fatalf("model has %d trees, %d features; want 100, 7", len(m.Trees), m.NumFeature)
	}
	f, err := os.Open(testfixtures.Path(t, "mwaddlink/simplewiki-2020.predictions.tsv"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Scan() // header
	rows := 0
	for sc.Scan() {
		fields := strings.Split(sc.Text(), "\t")
		if len(fields) != 8 {
			t.Fatalf("line %d: %d fields", rows+2, len(fields))
		}
		x := make([]float32, 7)
		for i := range x {
			v, err := strconv.ParseFloat(fields[i], 64)
			if err != nil {
				t.Fatal(err)
			}
			x[i] = float32(v)
		}
		want, err := strconv.ParseFloat(fields[7], 64)
		if err != nil {
			t.Fatal(err)
		}
		if got := m.Predict(x); math.Abs(float64(got)-want) > 1e-6 {
			t.Errorf("line %d: predicted %v, XGBoost %v", rows+2, got, want)
		}
		rows++
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	if rows != 300 {
		t.Errorf("%d rows, want 300", rows)
	}
}

// TestJSONRoundTrip writes the reference model and reads it back unchanged.
func TestJSONRoundTrip(t *testing.T) {
	m := readModelFile(t, testfixtures.Path(t, "mwaddlink/simplewiki-2020.linkmodel.json"))
	b, err := m.MarshalJSON()
	if err != nil {
		t.Fatal(err)
	}
	m2, err := ReadJSON(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	b2, err := m2.MarshalJSON()
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(b, b2) {
		t.Fatal("write(read(write(m))) differs from write(m)")
	}
	for i := range m.Trees {
		a, c := m.Trees[i], m2.Trees[i]
		for j := range a.SplitCondition {
			if a.SplitCondition[j] != c.SplitCondition[j] || a.Left[j] != c.Left[j] || a.DefaultLeft[j] != c.DefaultLeft[j] {
				t.Fatalf("tree %d node %d changed", i, j)
			}
		}
	}
}

func TestAppendFloat(t *testing.T) {
	for _, tc := range []struct {
		in   float32
		want string
	}{
		{0.5, "5E-1"}, {-1.5339754, "-1.5339754E0"}, {0, "0E0"}, {float32(math.Copysign(0, -1)), "-0E0"},
		{190644.75, "1.9064475E5"}, {1e-30, "1E-30"}, {328, "3.28E2"},
	} {
		if got := string(appendFloat(nil, tc.in)); got != tc.want {
			t.Errorf("appendFloat(%v) = %s, want %s", tc.in, got, tc.want)
		}
	}
}

func TestParseBaseScore(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want float32
		ok   bool
	}{
		{"5E-1", 0.5, true}, {"[5E-1]", 0.5, true}, {"[2.5E-1]", 0.25, true}, {"0.5", 0.5, true},
		{"1", 0, false}, {"[5E-1,5E-1]", 0, false}, {"x", 0, false},
	} {
		got, err := parseBaseScore(tc.in)
		if (err == nil) != tc.ok || got != tc.want {
			t.Errorf("parseBaseScore(%q) = %v, %v", tc.in, got, err)
		}
	}
}

func FuzzReadJSON(f *testing.F) {
	f.Add([]byte(`{"learner":{"gradient_booster":{"name":"gbtree","model":{"trees":[{"left_children":[1,-1,-1],"right_children":[2,-1,-1],"parents":[2147483647,0,0],"split_indices":[0,0,0],"split_conditions":[1.5,-0.1,0.2],"default_left":[1,0,0],"base_weights":[0,0,0],"loss_changes":[1,0,0],"sum_hessian":[3,1,2]}]}},"learner_model_param":{"base_score":"[5E-1]","num_feature":"1"},"objective":{"name":"binary:logistic"}}}`))
	f.Add([]byte(`{"learner":{"gradient_booster":{"name":"gbtree","model":{"trees":[{"left_children":[1,0,-1],"right_children":[2,-1,-1],"parents":[2147483647,0,0],"split_indices":[0,0,0],"split_conditions":[1.5,-0.1,0.2],"default_left":[true,false,false],"base_weights":[0,0,0],"loss_changes":[1,0,0],"sum_hessian":[3,1,2]}]}},"learner_model_param":{"base_score":"5E-1","num_feature":"1"},"objective":{"name":"binary:logistic"}}}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := ReadJSON(bytes.NewReader(data))
		if err != nil {
			return
		}
		x := make([]float32, m.NumFeature+1)
		for i := range x {
			x[i] = float32(math.NaN())
		}
		m.Predict(x)
		for i := range x {
			x[i] = 0.5
		}
		m.Predict(x)
		b, err := m.MarshalJSON()
		if err != nil {
			return // e.g. NaN leaves are not writable
		}
		if _, err := ReadJSON(bytes.NewReader(b)); err != nil {
			t.Fatalf("cannot read back our own output: %v\n%s", err, b)
		}
	})
}

// TestPredictColumns checks that batch prediction equals row prediction bit for bit.
func TestPredictColumns(t *testing.T) {
	d := synthetic(3000, 31)
	p := DefaultParams()
	p.Rounds = 20
	m, err := Train(context.Background(), synthetic(3000, 30), p, nil)
	if err != nil {
		t.Fatal(err)
	}
	for threads := 1; threads <= 3; threads++ {
		got := m.PredictColumns(d.Features, threads)
		var x []float32
		for i := range got {
			x = d.row(i, x)
			if want := m.Predict(x); got[i] != want {
				t.Fatalf("%d threads, row %d: batch %v, row %v", threads, i, got[i], want)
			}
		}
	}
}

func BenchmarkPredictColumns(b *testing.B) {
	d := synthetic(100000, 41)
	p := DefaultParams()
	p.Threads = 2
	m, err := Train(context.Background(), synthetic(50000, 40), p, nil)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		m.PredictColumns(d.Features, 1)
	}
}

// TestReadJSONv2 reads the reference model rewritten the way XGBoost 2.x writes JSON
// (base_score as a one-element list, default_left as booleans): same predictions.
func TestReadJSONv2(t *testing.T) {
	path := testfixtures.Path(t, "mwaddlink/simplewiki-2020.linkmodel.json")
	m1 := readModelFile(t, path)
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	s := strings.Replace(string(b), `"base_score":"5E-1"`, `"base_score":"[5E-1]"`, 1)
	var out strings.Builder
	for {
		i := strings.Index(s, `"default_left":[`)
		if i < 0 {
			out.WriteString(s)
			break
		}
		j := i + len(`"default_left":[`)
		k := j + strings.IndexByte(s[j:], ']')
		out.WriteString(s[:j])
		out.WriteString(strings.NewReplacer("1", "true", "0", "false").Replace(s[j:k]))
		s = s[k:]
	}
	s = strings.Replace(out.String(), `"version":[1,7,4]`, `"version":[2,1,0]`, 1)
	m2, err := ReadJSON(strings.NewReader(s))
	if err != nil {
		t.Fatal(err)
	}
	x := make([]float32, 7)
	for i := 0; i < 1000; i++ {
		for f := range x {
			x[f] = float32((i*7919+f*104729)%1000) / 3
			if (i+f)%5 == 0 {
				x[f] = float32(math.NaN())
			}
		}
		if a, b := m1.Predict(x), m2.Predict(x); a != b {
			t.Fatalf("row %d: %v from the 1.7 form, %v from the 2.x form", i, a, b)
		}
	}
}

func TestTrainNoFeatures(t *testing.T) {
	if _, err := Train(context.Background(), &Dataset{Labels: []float32{0, 1}}, DefaultParams(), nil); err == nil {
		t.Error("training without features did not fail")
	}
}
