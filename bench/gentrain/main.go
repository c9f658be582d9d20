// Command gentrain writes a synthetic training set in the link_train.csv format for
// bench/train.sh: -n rows whose labels depend non-linearly on six features resembling
// the real ones, with missing values (about 20% of w2v and 3% of kurtosis). The same
// -seed gives the same file.
package main

import (
	"bufio"
	"flag"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
)

func main() {
	n := flag.Int("n", 300000, "rows")
	seed := flag.Uint64("seed", 1, "random seed")
	out := flag.String("out", "", "output file")
	flag.Parse()
	if *out == "" {
		fmt.Fprintln(os.Stderr, "gentrain: -out is required")
		os.Exit(2)
	}
	f, err := os.Create(*out)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	w := bufio.NewWriterSize(f, 1<<20)
	r := rand.New(rand.NewPCG(*seed, 99))
	for i := 0; i < *n; i++ {
		ngram := 1 + r.IntN(4)
		ambig := 1 + int(math.Floor(math.Exp(r.Float64()*4)))
		freq := 1 + int(math.Floor(math.Exp(r.Float64()*9)))
		kurt := fmt.Sprint(r.Float64()*1000 - 3)
		if r.IntN(30) == 0 {
			kurt = "nan"
		}
		w2v := r.Float64()*1.4 - 0.4
		w2vs := fmt.Sprint(w2v)
		missing := r.IntN(5) == 0
		if missing {
			w2vs = "nan"
		}
		jaro := r.Float64()
		z := 0.6*math.Log(float64(freq)) - 0.5*math.Log(float64(ambig)) + 2.5*jaro*jaro - 0.2*float64(ngram) - 1.5
		if missing {
			z -= 0.4
		} else {
			z += 2 * w2v
		}
		if math.Sin(float64(freq)/50) > 0.8 {
			z += 1
		}
		label := "False"
		if r.Float64() < 1/(1+math.Exp(-z)) {
			label = "True"
		}
		fmt.Fprintf(w, "Page %d\tmention %d\tTarget %d\t%d\t%d\t%d\t%s\t%s\t%v\t%s\n", i%5000, i, r.IntN(90000), ngram, freq, ambig, kurt, w2vs, jaro, label)
	}
	if err := w.Flush(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	if err := f.Close(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}
