package gbdt

import (
	"context"
	"errors"
	"fmt"
	"math"
	"runtime"
	"sync/atomic"

	"github.com/addlink/addlink/internal/progress"
)

// Params are the training parameters. DefaultParams returns XGBoost's defaults.
type Params struct {
	Rounds         int     // number of trees (n_estimators), default 100
	MaxDepth       int     // maximum depth of a tree, default 6
	Eta            float64 // learning rate, default 0.3
	Lambda         float64 // L2 regularisation of leaf weights, default 1
	Alpha          float64 // L1 regularisation of leaf weights, default 0
	Gamma          float64 // minimum loss reduction of a split (min_split_loss), default 0
	MinChildWeight float64 // minimum hessian sum in a child, default 1
	MaxBin         int     // histogram bins per feature, default 256 (at most 65535)
	// BaseScore is the initial probability, default 0.5 as in XGBoost 1.x. With
	// EstimateBaseScore it is instead fitted to the labels as XGBoost 2.x does (one
	// Newton step from 0.5).
	BaseScore         float64
	EstimateBaseScore bool
	// Threads is the number of worker goroutines (<= 0: all cores). The model does not
	// depend on it.
	Threads int
}

// DefaultParams returns XGBoost's defaults for binary:logistic with tree_method "hist".
func DefaultParams() Params {
	return Params{Rounds: 100, MaxDepth: 6, Eta: 0.3, Lambda: 1, Alpha: 0, Gamma: 0,
		MinChildWeight: 1, MaxBin: 256, BaseScore: 0.5}
}

// Validate reports the first parameter out of range.
func (p Params) Validate() error {
	switch {
	case p.Rounds < 0:
		return fmt.Errorf("gbdt: rounds %d < 0", p.Rounds)
	case p.MaxDepth < 1 || p.MaxDepth > 30:
		return fmt.Errorf("gbdt: max depth %d not in [1,30]", p.MaxDepth)
	case !(p.Eta > 0):
		return fmt.Errorf("gbdt: eta %v must be > 0", p.Eta)
	case !(p.Lambda >= 0) || !(p.Alpha >= 0) || !(p.Gamma >= 0) || !(p.MinChildWeight >= 0):
		return errors.New("gbdt: lambda, alpha, gamma and min child weight must be >= 0")
	case p.MaxBin < 2 || p.MaxBin >= missingBin:
		return fmt.Errorf("gbdt: max bin %d not in [2,%d)", p.MaxBin, missingBin)
	case !p.EstimateBaseScore && !(p.BaseScore > 0 && p.BaseScore < 1):
		return fmt.Errorf("gbdt: base score %v not in (0,1)", p.BaseScore)
	}
	return nil
}

// Dataset is a training set stored by column: Features[f][i] is feature f of row i (NaN
// when missing), Labels[i] is 0 or 1.
type Dataset struct {
	Features [][]float32
	Labels   []float32
}

// NumRows is the number of rows of d.
func (d *Dataset) NumRows() int { return len(d.Labels) }

func (d *Dataset) check() error {
	if len(d.Features) == 0 {
		return errors.New("gbdt: no features")
	}
	for f, col := range d.Features {
		if len(col) != len(d.Labels) {
			return fmt.Errorf("gbdt: feature %d has %d values, labels %d", f, len(col), len(d.Labels))
		}
	}
	for i, y := range d.Labels {
		if y != 0 && y != 1 {
			return fmt.Errorf("gbdt: label of row %d is %v, want 0 or 1", i, y)
		}
	}
	return nil
}

// kRtEps is XGBoost's smallest loss change that counts as an improvement.
const kRtEps = 1e-6

// parallelFor calls fn(i) for i in [0,n) on up to threads goroutines. Results must not
// depend on which goroutine runs which i.
func parallelFor(threads, n int, fn func(i int)) {
	if threads > n {
		threads = n
	}
	if threads <= 1 {
		for i := 0; i < n; i++ {
			fn(i)
		}
		return
	}
	// The caller is one of the workers, and it waits for the tasks, not for the other
	// workers: one that starts late (on a busy machine) finds no task left and exits.
	var next, done atomic.Int64
	finished := make(chan struct{})
	work := func() {
		for {
			i := int(next.Add(1) - 1)
			if i >= n {
				return
			}
			fn(i)
			if done.Add(1) == int64(n) {
				close(finished)
			}
		}
	}
	for w := 1; w < threads; w++ {
		go work()
	}
	work()
	<-finished
}

// trainer holds the state of one training run.
type trainer struct {
	p        Params
	threads  int
	nf       int
	n        int
	cuts     []cuts
	bins     [][]uint16 // bins[f][row]
	off      []int      // offset of feature f's bins in a histogram, in bins; missing bin last
	nbins    int        // total bins of a histogram, missing bins included
	binsRow  []uint16   // binsRow[row*nf+f] = off[f] + bins[f][row]
	partials []float64  // scratch histograms of row blocks
	gh       []float32  // gradient and hessian of row i at 2i, 2i+1
	labels   []float32
	margin   []float32
	rows     []int32 // row indices grouped by node
	scratch  []int32
	scratch2 []int32
}

// node is a tree node being built.
type node struct {
	id    int32
	depth int
	begin int // rows[begin:end] are this node's rows
	end   int
	mid   int // after partition: rows[begin:mid] go left
	g, h  float64
	hist  []float64 // 2*nbins: gradient and hessian sums per bin
	split split
}

type split struct {
	gain        float64 // loss change; 0 when no valid split
	feature     int
	bin         int     // rows with bin <= bin go left (forward) / see threshold
	threshold   float32 // x < threshold goes left
	defaultLeft bool
	gl, hl      float64
	gr, hr      float64
}

func thresholdL1(g, alpha float64) float64 {
	switch {
	case g > alpha:
		return g - alpha
	case g < -alpha:
		return g + alpha
	}
	return 0
}

func (t *trainer) gainOf(g, h float64) float64 {
	if h < t.p.MinChildWeight || h <= 0 {
		return 0
	}
	g = thresholdL1(g, t.p.Alpha)
	return g * g / (h + t.p.Lambda)
}

func (t *trainer) weightOf(g, h float64) float64 {
	if h < t.p.MinChildWeight || h <= 0 {
		return 0
	}
	return -thresholdL1(g, t.p.Alpha) / (h + t.p.Lambda)
}

// Train fits a model to d. It checks ctx between trees and returns ctx.Err() when
// cancelled. p reports one unit per tree.
func Train(ctx context.Context, d *Dataset, params Params, rep progress.Reporter) (*Model, error) {
	if err := params.Validate(); err != nil {
		return nil, err
	}
	if err := d.check(); err != nil {
		return nil, err
	}
	rep = progress.OrNop(rep)
	t := &trainer{p: params, nf: len(d.Features), n: d.NumRows(), labels: d.Labels}
	t.threads = params.Threads
	if t.threads <= 0 {
		t.threads = runtime.NumCPU()
	}
	if t.n == 0 {
		return nil, errors.New("gbdt: no training rows")
	}
	if t.n > math.MaxInt32 {
		return nil, fmt.Errorf("gbdt: %d rows is too many", t.n)
	}
	rep.Phase("binning", int64(t.nf), "features")
	t.cuts = make([]cuts, t.nf)
	t.bins = make([][]uint16, t.nf)
	parallelFor(t.threads, t.nf, func(f int) {
		c, _ := makeCuts(d.Features[f], params.MaxBin, make([]float32, 0, t.n))
		t.cuts[f] = c
		b := make([]uint16, t.n)
		nb := uint16(len(c.Cuts))
		for i, v := range d.Features[f] {
			if bi := c.bin(v); bi == missingBin {
				b[i] = nb // the missing bin comes last
			} else {
				b[i] = bi
			}
		}
		t.bins[f] = b
		rep.Add(1)
	})
	t.off = make([]int, t.nf+1)
	for f := range t.cuts {
		t.off[f+1] = t.off[f] + len(t.cuts[f].Cuts) + 1
	}
	t.nbins = t.off[t.nf]
	if t.nbins > math.MaxUint16 {
		return nil, fmt.Errorf("gbdt: %d features x %d bins is too many", t.nf, params.MaxBin)
	}
	// Row-major copy of the bins, as indices into a whole histogram, for building
	// histograms row by row.
	t.binsRow = make([]uint16, t.n*t.nf)
	parallelFor(t.threads, (t.n+chunk-1)/chunk, func(c int) {
		for i := c * chunk; i < min((c+1)*chunk, t.n); i++ {
			for f := 0; f < t.nf; f++ {
				t.binsRow[i*t.nf+f] = uint16(t.off[f]) + t.bins[f][i]
			}
		}
	})

	base := params.BaseScore
	if params.EstimateBaseScore {
		var sg, sh float64
		for _, y := range d.Labels {
			sg += 0.5 - float64(y)
			sh += 0.25
		}
		base = 1 / (1 + math.Exp(sg/sh))
		// Keep it a usable probability when every label is the same.
		base = math.Min(math.Max(base, 1e-6), 1-1e-6)
	}
	m := &Model{NumFeature: t.nf, BaseScore: float32(base)}
	bm := m.baseMargin()
	t.margin = make([]float32, t.n)
	for i := range t.margin {
		t.margin[i] = bm
	}
	t.gh = make([]float32, 2*t.n)
	t.rows = make([]int32, t.n)
	t.scratch = make([]int32, t.n)
	t.scratch2 = make([]int32, t.n)

	rep.Phase("boosting", int64(params.Rounds), "trees")
	for r := 0; r < params.Rounds; r++ {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		m.Trees = append(m.Trees, t.buildTree())
		rep.Add(1)
	}
	return m, nil
}
