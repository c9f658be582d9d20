package gbdt

import (
	"bytes"
	"context"
	"math"
	"math/rand/v2"
	"testing"
)

// synthetic returns a deterministic data set of n rows with 6 features shaped like the
// link features (counts, a kurtosis-like value, similarities), about 10% of them missing,
// and labels drawn from a known logistic model.
func synthetic(n int, seed uint64) *Dataset {
	rng := rand.New(rand.NewPCG(seed, 42))
	d := &Dataset{Features: make([][]float32, 6), Labels: make([]float32, n)}
	for f := range d.Features {
		d.Features[f] = make([]float32, n)
	}
	for i := 0; i < n; i++ {
		ngram := float64(1 + rng.IntN(4))
		freq := math.Floor(math.Exp(rng.NormFloat64() * 2))
		ambig := float64(1 + rng.IntN(30))
		kurt := 995 - 600*rng.Float64()*rng.Float64()
		w2v := rng.Float64()
		jaro := rng.Float64()
		z := -2 + 0.8*math.Log1p(freq) - 0.08*ambig + 2.5*(w2v-0.5) + 3*(jaro-0.6) + 0.3*ngram + 0.002*(kurt-800)
		x := []float64{ngram, freq, ambig, kurt, w2v, jaro}
		for f, v := range x {
			if f >= 3 && rng.Float64() < 0.1 {
				v = math.NaN()
			}
			d.Features[f][i] = float32(v)
		}
		if rng.Float64() < 1/(1+math.Exp(-z)) {
			d.Labels[i] = 1
		}
	}
	return d
}

func (d *Dataset) row(i int, x []float32) []float32 {
	x = x[:0]
	for _, col := range d.Features {
		x = append(x, col[i])
	}
	return x
}

func TestTrainLearns(t *testing.T) {
	train, test := synthetic(4000, 1), synthetic(2000, 2)
	p := DefaultParams()
	p.Rounds = 30
	m, err := Train(context.Background(), train, p, nil)
	if err != nil {
		t.Fatal(err)
	}
	scores := make([]float32, test.NumRows())
	var x []float32
	for i := range scores {
		x = test.row(i, x)
		scores[i] = m.Predict(x)
	}
	auc := AUC(test.Labels, scores)
	if auc < 0.75 {
		t.Errorf("held-out AUC %.4f, want >= 0.75", auc)
	}
	// The training margins the trainer kept must equal the predictor's.
	b, err := m.MarshalJSON()
	if err != nil {
		t.Fatal(err)
	}
	m2, err := ReadJSON(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 100; i++ {
		x = test.row(i, x)
		if m.Predict(x) != m2.Predict(x) {
			t.Fatalf("row %d: prediction changed after a JSON round trip", i)
		}
	}
}

// TestParallelEqualsSerial trains with 1 to 4 threads and wants byte-identical models.
func TestParallelEqualsSerial(t *testing.T) {
	d := synthetic(20000, 3)
	p := DefaultParams()
	p.Rounds = 10
	var want []byte
	for threads := 1; threads <= 4; threads++ {
		p.Threads = threads
		m, err := Train(context.Background(), d, p, nil)
		if err != nil {
			t.Fatal(err)
		}
		b, err := m.MarshalJSON()
		if err != nil {
			t.Fatal(err)
		}
		if threads == 1 {
			want = b
		} else if !bytes.Equal(b, want) {
			t.Errorf("%d threads: model differs from the 1-thread model", threads)
		}
	}
}

func TestAUC(t *testing.T) {
	for _, tc := range []struct {
		labels, scores []float32
		want           float64
	}{
		{[]float32{0, 0, 1, 1}, []float32{0.1, 0.4, 0.35, 0.8}, 0.75},
		{[]float32{0, 1}, []float32{0.5, 0.5}, 0.5},
		{[]float32{1, 0, 1}, []float32{0.9, 0.1, 0.1}, 0.75},
	} {
		if got := AUC(tc.labels, tc.scores); math.Abs(got-tc.want) > 1e-12 {
			t.Errorf("AUC(%v, %v) = %v, want %v", tc.labels, tc.scores, got, tc.want)
		}
	}
	if !math.IsNaN(AUC([]float32{1, 1}, []float32{0.2, 0.3})) {
		t.Error("AUC of one class is not NaN")
	}
	// Against the pairwise definition, with negative scores, -0 and +0, and many ties.
	rng := rand.New(rand.NewPCG(3, 4))
	for n := 2; n < 200; n += 7 {
		labels, scores := make([]float32, n), make([]float32, n)
		for i := range scores {
			labels[i] = float32(rng.IntN(2))
			scores[i] = float32(rng.IntN(9)-4) / 4
			if scores[i] == 0 && rng.IntN(2) == 0 {
				scores[i] = float32(math.Copysign(0, -1))
			}
		}
		var wins, pairs float64
		for i := range scores {
			for j := range scores {
				if labels[i] == 1 && labels[j] == 0 {
					pairs++
					switch {
					case scores[i] > scores[j]:
						wins++
					case scores[i] == scores[j]:
						wins += 0.5
					}
				}
			}
		}
		got := AUC(labels, scores)
		if pairs == 0 {
			if !math.IsNaN(got) {
				t.Errorf("n=%d: one class, AUC %v", n, got)
			}
			continue
		}
		if want := wins / pairs; math.Abs(got-want) > 1e-12 {
			t.Errorf("n=%d: AUC %v, pairwise %v", n, got, want)
		}
	}
}

func TestMakeCuts(t *testing.T) {
	nan := float32(math.NaN())
	c, _ := makeCuts([]float32{3, 1, nan, 2, 2, 1}, 256, nil)
	if len(c.Cuts) != 3 || c.Cuts[0] != 2 || c.Cuts[1] != 3 || !(c.Cuts[2] > 3) {
		t.Fatalf("cuts %v", c.Cuts)
	}
	for _, tc := range []struct {
		v    float32
		want uint16
	}{{1, 0}, {1.5, 0}, {2, 1}, {3, 2}, {100, 2}, {-5, 0}, {nan, missingBin}} {
		if got := c.bin(tc.v); got != tc.want {
			t.Errorf("bin(%v) = %d, want %d", tc.v, got, tc.want)
		}
	}
	many := make([]float32, 10000)
	for i := range many {
		many[i] = float32(i)
	}
	c, _ = makeCuts(many, 256, nil)
	if len(c.Cuts) != 256 {
		t.Errorf("%d cuts for 10000 distinct values, want 256", len(c.Cuts))
	}
}

func BenchmarkTrain(b *testing.B) {
	d := synthetic(200000, 5)
	p := DefaultParams()
	p.Threads = 2
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		if _, err := Train(context.Background(), d, p, nil); err != nil {
			b.Fatal(err)
		}
	}
}

func TestFastSigmoid(t *testing.T) {
	for x := float32(-100); x <= 100; x += 0.0137 {
		want := sigmoid32(x)
		got := fastSigmoid32(x)
		if math.Abs(float64(got-want)) > 1e-7*math.Max(float64(want), 1e-30) && got != want {
			t.Fatalf("fastSigmoid32(%v) = %v, want %v", x, got, want)
		}
	}
	if fastSigmoid32(1000) != 1 || fastSigmoid32(-1000) != 0 {
		t.Error("fastSigmoid32 at the extremes")
	}
}

// TestBinSearch compares cuts.bin with a linear search.
func TestBinSearch(t *testing.T) {
	for _, n := range []int{1, 2, 3, 7, 255, 256} {
		c := cuts{}
		for i := 0; i < n; i++ {
			c.Cuts = append(c.Cuts, float32(2*i))
		}
		for v := float32(-3); v <= float32(2*n+2); v += 0.5 {
			want := len(c.Cuts) - 1
			for i, x := range c.Cuts {
				if x > v {
					want = i
					break
				}
			}
			if got := c.bin(v); int(got) != want {
				t.Fatalf("%d cuts: bin(%v) = %d, want %d", n, v, got, want)
			}
		}
	}
}

func TestSortFloat32s(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for _, n := range []int{0, 1, 10, 300, 5000} {
		a := make([]float32, n)
		for i := range a {
			a[i] = float32(rng.NormFloat64() * math.Pow(10, float64(rng.IntN(20)-10)))
			if i%7 == 0 {
				a[i] = float32(rng.IntN(5) - 2)
			}
		}
		sortFloat32s(a)
		for i := 1; i < n; i++ {
			if a[i] < a[i-1] {
				t.Fatalf("n=%d: not sorted at %d: %v > %v", n, i, a[i-1], a[i])
			}
		}
	}
}
