// Command genexport writes synthetic dictionaries for bench/export.sh under
// <data>/<wiki>/: -anchors anchors (1 to 5 candidates each), as many page ids, a third as
// many redirects, and -vectors embeddings of dimension 50. Deterministic.
package main

import (
	"flag"
	"fmt"
	"math/rand/v2"
	"os"

	"github.com/addlink/addlink/datasets"
)

func main() {
	data := flag.String("data", "", "data directory")
	wiki := flag.String("wiki", "benchwiki", "wiki id")
	anchors := flag.Int("anchors", 1000000, "number of anchors")
	vectors := flag.Int("vectors", 100000, "number of embeddings")
	flag.Parse()
	if *data == "" {
		fmt.Fprintln(os.Stderr, "genexport: -data is required")
		os.Exit(2)
	}
	l := datasets.Layout{DataDir: *data, Wiki: *wiki}
	r := rand.New(rand.NewPCG(1, 2))
	var an []datasets.Anchor
	var ids []datasets.PageID
	var reds []datasets.Redirect
	for i := 0; i < *anchors; i++ {
		a := fmt.Sprintf("anchor %09d", i)
		for c := 0; c < 1+r.IntN(5); c++ {
			an = append(an, datasets.Anchor{Anchor: a, Target: fmt.Sprintf("Target %09d-%d", i, c), N: int64(1 + r.IntN(1000))})
		}
		ids = append(ids, datasets.PageID{Title: fmt.Sprintf("Page %09d", i), PageID: int64(i + 1)})
		if i%3 == 0 {
			reds = append(reds, datasets.Redirect{From: fmt.Sprintf("Redirect %09d", i), To: fmt.Sprintf("Page %09d", i)})
		}
	}
	var emb []datasets.Embedding
	for i := 0; i < *vectors; i++ {
		v := make([]float32, 50)
		for j := range v {
			v[j] = float32(r.NormFloat64())
		}
		emb = append(emb, datasets.Embedding{Title: fmt.Sprintf("Page %09d", i), Vector: v})
	}
	for _, err := range []error{
		write(l.Anchors(), an), write(l.PageIDs(), ids), write(l.Redirects(), reds), write(l.Embeddings(), emb),
	} {
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
	}
}

func write[T any](path string, rows []T) error {
	_, err := datasets.WriteParquet(path, rows)
	return err
}
