package gbdt

import (
	"bufio"
	"bytes"
	"context"
	"math"
	"math/rand/v2"
	"os"
	"strconv"
	"strings"
	"testing"

	"github.com/addlink/addlink/internal/testfixtures"
)

func readModel(t testing.TB, path string) *Model {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	m, err := ReadJSON(f)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// The real 2020 simplewiki model and the probabilities XGBoost 1.7.4 predicts with it.
func TestPredictMatchesXGBoost(t *testing.T) {
	m := readModel(t, testfixtures.Path(t, "mwaddlink/simplewiki-2020.linkmodel.json"))
	if len(m.Trees) != 100 || m.NumFeature != 7 {
		t.Fatalf("read %d trees of %d features", len(m.Trees), m.NumFeature)
	}
	f, err := os.Open(testfixtures.Path(t, "mwaddlink/simplewiki-2020.predictions.tsv"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Scan() // header
	n := 0
	for sc.Scan() {
		fields := strings.Split(sc.Text(), "\t")
		x := make([]float32, 7)
		for i := range x {
			v, err := strconv.ParseFloat(fields[i], 64)
			if err != nil {
				t.Fatal(err)
			}
			x[i] = float32(v)
		}
		want, _ := strconv.ParseFloat(fields[7], 64)
		if got := m.Predict(x); math.Abs(float64(got)-want) > 1e-6 {
			t.Errorf("row %d: predicted %v, XGBoost %v", n, got, want)
		}
		n++
	}
	if n != 300 {
		t.Fatalf("%d rows, want 300", n)
	}
}

func TestJSONRoundTrip(t *testing.T) {
	m := readModel(t, testfixtures.Path(t, "mwaddlink/simplewiki-2020.linkmodel.json"))
	var buf bytes.Buffer
	if err := m.WriteJSON(&buf); err != nil {
		t.Fatal(err)
	}
	m2, err := ReadJSON(bytes.NewReader(buf.Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	r := rand.New(rand.NewPCG(1, 2))
	for i := 0; i < 2000; i++ {
		x := randomRow(r, 7)
		if a, b := m.Predict(x), m2.Predict(x); a != b {
			t.Fatalf("prediction changed after a round trip: %v vs %v", a, b)
		}
	}
	var buf2 bytes.Buffer
	m2.WriteJSON(&buf2)
	if !bytes.Equal(buf.Bytes(), buf2.Bytes()) {
		t.Error("writing a read model twice gives different bytes")
	}
	for _, bad := range []string{"5E-1", "[5E-1]", "0.5", ""} {
		if v, err := parseBaseScore(bad); err != nil || v != 0.5 {
			t.Errorf("parseBaseScore(%q) = %v, %v", bad, v, err)
		}
	}
}

func TestXGBFloat(t *testing.T) {
	for _, tt := range []struct {
		v    float32
		want string
	}{{0.96393764, "9.6393764E-1"}, {328, "3.28E2"}, {1.5, "1.5E0"}, {0.5, "5E-1"}, {0, "0E0"}, {-1.25e-7, "-1.25E-7"}} {
		if got := xgbFloat(tt.v); got != tt.want {
			t.Errorf("xgbFloat(%v) = %q, want %q", tt.v, got, tt.want)
		}
	}
}

func randomRow(r *rand.Rand, f int) []float32 {
	x := make([]float32, f)
	for i := range x {
		switch r.IntN(10) {
		case 0:
			x[i] = float32(math.NaN())
		case 1:
			x[i] = float32(r.IntN(5))
		default:
			x[i] = float32(r.NormFloat64() * 100)
		}
	}
	return x
}

// synthetic returns a learnable data set with missing values.
func synthetic(n int, seed uint64) *Dataset {
	r := rand.New(rand.NewPCG(seed, 7))
	rows := make([][]float32, n)
	labels := make([]float32, n)
	for i := range rows {
		x := make([]float32, 6)
		x[0] = float32(1 + r.IntN(5))
		x[1] = float32(math.Floor(math.Exp(r.Float64() * 8)))
		x[2] = float32(1 + r.IntN(40))
		x[3] = float32(r.NormFloat64()*50 + 100)
		if r.IntN(5) == 0 {
			x[4] = float32(math.NaN())
		} else {
			x[4] = float32(r.Float64()*2 - 1)
		}
		x[5] = float32(r.Float64())
		z := 0.8*math.Log1p(float64(x[1])) - 0.1*float64(x[2]) + 2*float64(x[5]) - 0.3*float64(x[0])
		if x[4] == x[4] {
			z += 1.5 * float64(x[4])
		} else {
			z -= 0.5
		}
		if r.Float64() < 1/(1+math.Exp(-z+1)) {
			labels[i] = 1
		}
		rows[i] = x
	}
	d, _ := NewDataset(rows, labels)
	return d
}

func TestParallelEqualsSerial(t *testing.T) {
	d := synthetic(20000, 3)
	var first []byte
	for threads := 1; threads <= 4; threads++ {
		p := DefaultParams()
		p.Rounds = 20
		p.Threads = threads
		m, err := Train(context.Background(), d, p, nil)
		if err != nil {
			t.Fatal(err)
		}
		var buf bytes.Buffer
		m.WriteJSON(&buf)
		if threads == 1 {
			first = buf.Bytes()
		} else if !bytes.Equal(first, buf.Bytes()) {
			t.Fatalf("model with %d threads differs from the serial one", threads)
		}
	}
}

func TestTrainLearns(t *testing.T) {
	train, test := synthetic(30000, 1), synthetic(10000, 2)
	p := DefaultParams()
	p.Threads = 2
	m, err := Train(context.Background(), train, p, nil)
	if err != nil {
		t.Fatal(err)
	}
	scores := make([]float64, test.N)
	for i := range scores {
		scores[i] = float64(m.Predict(test.Row(i)))
	}
	auc := AUC(scores, test.Y)
	t.Logf("held-out AUC %.4f, log loss %.4f", auc, LogLoss(scores, test.Y))
	if auc < 0.75 {
		t.Errorf("AUC %.3f: the model did not learn", auc)
	}
	// Every split threshold is a cut value and every leaf is reachable.
	for i, tr := range m.Trees {
		if len(tr.Left) > 127 {
			t.Fatalf("tree %d has %d nodes: deeper than 6", i, len(tr.Left))
		}
	}
}

func TestCancel(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := Train(ctx, synthetic(100, 1), DefaultParams(), nil); err != context.Canceled {
		t.Fatalf("err = %v", err)
	}
}

func FuzzReadJSON(f *testing.F) {
	data, err := os.ReadFile(testfixtures.Path(f, "mwaddlink/simplewiki-2020.linkmodel.json"))
	if err == nil {
		f.Add(data[:min(len(data), 4000)])
	}
	var buf bytes.Buffer
	m, _ := Train(context.Background(), synthetic(200, 1), Params{Rounds: 2, MaxDepth: 2, Eta: 0.3, Lambda: 1, MinChildWeight: 1, MaxBin: 16, BaseScore: 0.5}, nil)
	m.WriteJSON(&buf)
	f.Add(buf.Bytes())
	f.Add([]byte(`{"learner":{"gradient_booster":{"name":"gbtree","model":{"trees":[{"left_children":[1,-1],"right_children":[2,-1],"split_conditions":[1,2],"split_indices":[0,0],"default_left":[0,0]}]}},"learner_model_param":{"num_feature":"1","base_score":"[5E-1]"},"objective":{"name":"binary:logistic"}}}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := ReadJSON(bytes.NewReader(data))
		if err != nil {
			return
		}
		// A model that reads must predict without panicking.
		x := make([]float32, m.NumFeature)
		m.Predict(x)
		for i := range x {
			x[i] = float32(math.NaN())
		}
		m.Predict(x)
	})
}

func BenchmarkTrain(b *testing.B) {
	d := synthetic(200000, 1)
	p := DefaultParams()
	p.Threads = 2
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Train(context.Background(), d, p, nil); err != nil {
			b.Fatal(err)
		}
	}
}

func TestPredictDatasetEqualsPredict(t *testing.T) {
	m := readModel(t, testfixtures.Path(t, "mwaddlink/simplewiki-2020.linkmodel.json"))
	r := rand.New(rand.NewPCG(5, 6))
	rows := make([][]float32, 3000)
	labels := make([]float32, len(rows))
	for i := range rows {
		rows[i] = randomRow(r, 7)
	}
	d, _ := NewDataset(rows, labels)
	got := m.PredictDataset(d, 3)
	for i, x := range rows {
		if want := m.Predict(x); got[i] != want {
			t.Fatalf("row %d: %v, Predict %v", i, got[i], want)
		}
	}
}

func TestFastSigmoid(t *testing.T) {
	for x := float32(-100); x <= 100; x += 0.0137 {
		got, want := fastSigmoid(x), 1/(1+math.Exp(-float64(x)))
		if math.Abs(float64(got)-want) > 3e-7*math.Max(want, 1e-30)+1e-38 && math.Abs(float64(got)-want) > 1e-9 {
			t.Fatalf("fastSigmoid(%v) = %v, want %v", x, got, want)
		}
	}
}
