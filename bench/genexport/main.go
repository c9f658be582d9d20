// Command genexport writes synthetic dictionaries for bench/export.sh under
// <data>/<wiki>/: -anchors anchors (1 to 5 candidates each), as many page ids (or
// -pageids), a third as many redirects, -vectors embeddings of dimension 50, and with
// -model a model. Deterministic.
package main

import (
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"

	"github.com/addlink/addlink/datasets"
	"github.com/addlink/addlink/internal/gbdt"
)

func main() {
	data := flag.String("data", "", "data directory")
	wiki := flag.String("wiki", "benchwiki", "wiki id")
	anchors := flag.Int("anchors", 1000000, "number of anchors")
	vectors := flag.Int("vectors", 100000, "number of embeddings")
	pageids := flag.Int("pageids", 0, "number of page ids (default: as many as anchors)")
	model := flag.Bool("model", false, "also write a model (six inputs, one stump per feature) as <wiki>.linkmodel.json")
	flag.Parse()
	if *pageids <= 0 {
		*pageids = *anchors
	}
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
		if i < *pageids {
			ids = append(ids, datasets.PageID{Title: fmt.Sprintf("Page %09d", i), PageID: int64(i + 1)})
		}
		if i%3 == 0 {
			reds = append(reds, datasets.Redirect{From: fmt.Sprintf("Redirect %09d", i), To: fmt.Sprintf("Page %09d", i)})
		}
	}
	for i := *anchors; i < *pageids; i++ {
		ids = append(ids, datasets.PageID{Title: fmt.Sprintf("Page %09d", i), PageID: int64(i + 1)})
	}
	var emb []datasets.Embedding
	for i := 0; i < *vectors; i++ {
		v := make([]float32, 50)
		for j := range v {
			v[j] = float32(r.NormFloat64())
		}
		emb = append(emb, datasets.Embedding{Title: fmt.Sprintf("Page %09d", i), Vector: v})
	}
	if *model {
		if err := writeModel(l.Model()); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
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

// writeModel writes a v1 model (six inputs) of one stump per feature: its
// probabilities depend on every feature, like a trained model's.
func writeModel(path string) error {
	m := &gbdt.Model{NumFeature: 6, BaseScore: 0.5}
	for f, c := range []float32{2.5, 300, 3, 0.5, 0.1, 0.7} {
		m.Trees = append(m.Trees, gbdt.Tree{
			Left: []int32{1, -1, -1}, Right: []int32{2, -1, -1}, Parent: []int32{-1, 0, 0},
			SplitIndex: []int32{int32(f), 0, 0}, SplitCondition: []float32{c, -0.3 + 0.1*float32(f), 0.4 - 0.05*float32(f)},
			DefaultLeft: []bool{true, false, false}, BaseWeight: []float32{0, 0, 0},
			LossChange: []float32{1, 0, 0}, SumHessian: []float32{1, 1, 1}})
	}
	b, err := m.MarshalJSON()
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	return os.WriteFile(path, b, 0o644)
}
