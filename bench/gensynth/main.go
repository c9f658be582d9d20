// Command gensynth writes a deterministic synthetic training file in the reference's
// link_train.csv format (tab-separated: page, mention, target, ngram, freq, ambig,
// kurtosis, w2v, jaro, True/False) for benchmarks. About 10% of the kurtosis, w2v and
// jaro values are missing ("nan"); labels follow a known noisy logistic model.
//
// Usage: go run ./bench/gensynth [-rows 300000] [-seed 1] > link_train.csv
package main

import (
	"bufio"
	"flag"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"strconv"
)

func main() {
	rows := flag.Int("rows", 300000, "number of rows")
	seed := flag.Uint64("seed", 1, "random seed")
	flag.Parse()
	if err := write(os.Stdout, *rows, *seed); err != nil {
		fmt.Fprintln(os.Stderr, "gensynth:", err)
		os.Exit(1)
	}
}

func write(f *os.File, rows int, seed uint64) error {
	w := bufio.NewWriterSize(f, 1<<20)
	rng := rand.New(rand.NewPCG(seed, 0x5eed))
	nan := math.NaN()
	var b []byte
	for i := 0; i < rows; i++ {
		ngram := float64(1 + rng.IntN(4))
		freq := math.Floor(math.Exp(rng.NormFloat64() * 2))
		ambig := float64(1 + rng.IntN(30))
		kurt := 995 - 600*rng.Float64()*rng.Float64()
		w2v := rng.Float64()*1.2 - 0.2
		jaro := rng.Float64()
		z := -2 + 0.8*math.Log1p(freq) - 0.08*ambig + 2.5*(w2v-0.5) + 3*(jaro-0.6) +
			0.3*ngram + 0.002*(kurt-800) + 1.5*math.Sin(6*jaro)*w2v
		if rng.Float64() < 0.1 {
			kurt = nan
		}
		if rng.Float64() < 0.1 {
			w2v = nan
		}
		if rng.Float64() < 0.1 {
			jaro = nan
		}
		label := rng.Float64() < 1/(1+math.Exp(-z))
		b = b[:0]
		b = fmt.Appendf(b, "Page %d\tmention %d\tTarget %d", i/20, i%97, i%1009)
		for _, v := range []float64{ngram, freq, ambig, kurt, w2v, jaro} {
			b = append(b, '\t')
			if math.IsNaN(v) {
				b = append(b, "nan"...)
			} else {
				b = strconv.AppendFloat(b, v, 'g', -1, 64)
			}
		}
		if label {
			b = append(b, "\tTrue\n"...)
		} else {
			b = append(b, "\tFalse\n"...)
		}
		if _, err := w.Write(b); err != nil {
			return err
		}
	}
	return w.Flush()
}
