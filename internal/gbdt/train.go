package gbdt

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"sort"
	"sync"

	"github.com/addlink/addlink/internal/progress"
)

// Params are the training parameters. The defaults are XGBoost's.
type Params struct {
	Rounds         int     // boosting rounds (n_estimators), 100
	MaxDepth       int     // 6
	Eta            float64 // learning rate, 0.3
	Lambda         float64 // L2 regularisation, 1
	Alpha          float64 // L1 regularisation, 0
	Gamma          float64 // minimum loss reduction to split, 0
	MinChildWeight float64 // minimum hessian sum of a child, 1
	MaxBin         int     // histogram bins per feature, 256
	// BaseScore is the initial probability (XGBoost 1.x: 0.5). With EstimateBaseScore
	// it is estimated from the labels as XGBoost 2.x does.
	BaseScore         float64
	EstimateBaseScore bool
	// Threads builds histograms and evaluates splits in parallel; the model does not
	// depend on it.
	Threads int
}

// DefaultParams returns XGBoost's defaults for XGBClassifier.
func DefaultParams() Params {
	return Params{Rounds: 100, MaxDepth: 6, Eta: 0.3, Lambda: 1, Alpha: 0, Gamma: 0, MinChildWeight: 1, MaxBin: 256, BaseScore: 0.5, Threads: 1}
}

// Validate checks the parameters.
func (p *Params) Validate() error {
	switch {
	case p.Rounds < 1:
		return errors.New("gbdt: rounds must be at least 1")
	case p.MaxDepth < 1 || p.MaxDepth > 30:
		return errors.New("gbdt: max depth must be 1 to 30")
	case p.Eta <= 0:
		return errors.New("gbdt: eta must be positive")
	case p.Lambda < 0 || p.Alpha < 0 || p.Gamma < 0 || p.MinChildWeight < 0:
		return errors.New("gbdt: lambda, alpha, gamma and min child weight must not be negative")
	case p.MaxBin < 2 || p.MaxBin > 65535:
		return errors.New("gbdt: max bin must be 2 to 65535")
	case p.BaseScore <= 0 || p.BaseScore >= 1:
		return errors.New("gbdt: base score must be between 0 and 1")
	}
	if p.Threads < 1 {
		p.Threads = 1
	}
	return nil
}

// Dataset is a training set: N rows of F features stored by column (X[f*N+i]), NaN for
// missing values, and labels 0 or 1.
type Dataset struct {
	N, F int
	X    []float32
	Y    []float32
}

// NewDataset builds a Dataset from rows.
func NewDataset(rows [][]float32, labels []float32) (*Dataset, error) {
	if len(rows) != len(labels) {
		return nil, fmt.Errorf("gbdt: %d rows and %d labels", len(rows), len(labels))
	}
	if len(rows) == 0 {
		return nil, errors.New("gbdt: no rows")
	}
	f := len(rows[0])
	d := &Dataset{N: len(rows), F: f, X: make([]float32, f*len(rows)), Y: append([]float32(nil), labels...)}
	for i, r := range rows {
		if len(r) != f {
			return nil, fmt.Errorf("gbdt: row %d has %d features, want %d", i, len(r), f)
		}
		for j, v := range r {
			d.X[j*d.N+i] = v
		}
	}
	return d, nil
}

// Row returns row i as a new slice.
func (d *Dataset) Row(i int) []float32 {
	r := make([]float32, d.F)
	for f := range r {
		r[f] = d.X[f*d.N+i]
	}
	return r
}

const missingBin = math.MaxUint16

// quantized is the dataset mapped to histogram bins.
type quantized struct {
	cuts [][]float32 // per feature: x < cuts[j] <=> bin <= j
	bins [][]uint16  // per feature, per row; missingBin for NaN
	// flat is row-major: flat[r*F+f] is the index of row r's bin of feature f in a
	// flattened histogram (feature f's bins start at off[f]; its last slot, at
	// off[f]+nbins[f], holds the missing values).
	flat []uint16
	off  []int
	size int // entries of a flattened histogram
}

func quantize(d *Dataset, maxBin, threads int) (*quantized, error) {
	q := &quantized{cuts: make([][]float32, d.F), bins: make([][]uint16, d.F)}
	parallel(d.F, threads, func(f int) {
		col := d.X[f*d.N : (f+1)*d.N]
		vals := make([]float32, 0, len(col))
		for _, v := range col {
			if v == v {
				vals = append(vals, v)
			}
		}
		slices.Sort(vals)
		uniq := slices.Compact(slices.Clone(vals))
		var cuts []float32
		if len(uniq) <= maxBin {
			if len(uniq) > 1 {
				cuts = uniq[1:]
			}
		} else {
			// Equal-frequency cut points over the sorted values.
			for k := 1; k < maxBin; k++ {
				c := vals[k*len(vals)/maxBin]
				if c > vals[0] && (len(cuts) == 0 || c > cuts[len(cuts)-1]) {
					cuts = append(cuts, c)
				}
			}
		}
		q.cuts[f] = cuts
		b := make([]uint16, d.N)
		for i, v := range col {
			if v != v {
				b[i] = missingBin
				continue
			}
			// bin = number of cuts <= v
			b[i] = uint16(sort.Search(len(cuts), func(j int) bool { return cuts[j] > v }))
		}
		q.bins[f] = b
	})
	q.off = make([]int, d.F)
	for f := range q.off {
		q.off[f] = q.size
		q.size += len(q.cuts[f]) + 2
	}
	if q.size > math.MaxUint16 {
		return nil, fmt.Errorf("gbdt: %d features with up to %d bins need %d histogram slots; at most %d are supported (lower the bins)", d.F, maxBin, q.size, math.MaxUint16)
	}
	q.flat = make([]uint16, d.N*d.F)
	parallel(d.F, threads, func(f int) {
		miss := uint16(q.off[f] + len(q.cuts[f]) + 1)
		for i, b := range q.bins[f] {
			v := miss
			if b != missingBin {
				v = uint16(q.off[f]) + b
			}
			q.flat[i*d.F+f] = v
		}
	})
	return q, nil
}

// parallel runs fn(0..n-1) on up to threads goroutines. Each index is handled by exactly
// one call, so results written per index do not depend on the number of threads.
func parallel(n, threads int, fn func(i int)) {
	if threads <= 1 || n <= 1 {
		for i := 0; i < n; i++ {
			fn(i)
		}
		return
	}
	var wg sync.WaitGroup
	next := make(chan int, n)
	for i := 0; i < n; i++ {
		next <- i
	}
	close(next)
	for t := 0; t < min(threads, n); t++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				fn(i)
			}
		}()
	}
	wg.Wait()
}

// gradPair is a sum of gradients and hessians (float64, as XGBoost's histograms).
type gradPair struct{ g, h float64 }

// grad is one row's gradient and hessian, float32 as XGBoost computes them.
type grad struct{ g, h float32 }

// Train fits a model. It returns ctx.Err() if ctx is cancelled between rounds.
func Train(ctx context.Context, d *Dataset, p Params, rep progress.Reporter) (*Model, error) {
	if err := p.Validate(); err != nil {
		return nil, err
	}
	if d == nil || d.N == 0 {
		return nil, errors.New("gbdt: no rows")
	}
	rep = progress.OrNop(rep)
	base := p.BaseScore
	if p.EstimateBaseScore {
		var s float64
		for _, y := range d.Y {
			s += float64(y)
		}
		base = math.Min(math.Max(s/float64(d.N), 1e-6), 1-1e-6)
	}
	m := &Model{NumFeature: d.F, BaseScore: float32(base), Params: p}
	q, err := quantize(d, p.MaxBin, p.Threads)
	if err != nil {
		return nil, err
	}
	margin := make([]float32, d.N)
	bm := m.baseMargin()
	for i := range margin {
		margin[i] = bm
	}
	gp := make([]grad, d.N)
	rows := make([]int32, d.N)
	b := &builder{p: p, q: q, gp: gp, nbins: make([]int, d.F), scratch: make([]int32, d.N), scratch2: make([]int32, d.N)}
	for f := range b.nbins {
		b.nbins[f] = len(q.cuts[f]) + 1
	}
	rep.Phase("train: boosting", int64(p.Rounds), "trees")
	for round := 0; round < p.Rounds; round++ {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		chunks(d.N, p.Threads, func(lo, hi int) {
			for i := lo; i < hi; i++ {
				pr := fastSigmoid(margin[i])
				g := pr - d.Y[i]
				h := pr * (1 - pr)
				if h < 1e-16 {
					h = 1e-16
				}
				gp[i] = grad{g, h}
			}
		})
		for i := range rows {
			rows[i] = int32(i)
		}
		t, leaves := b.grow(rows, d.F)
		parallel(len(leaves), p.Threads, func(k int) {
			lf := leaves[k]
			v := t.Threshold[lf.node]
			for _, r := range rows[lf.start:lf.end] {
				margin[r] += v
			}
		})
		t.compile()
		m.Trees = append(m.Trees, t)
		rep.Add(1)
	}
	return m, nil
}

type builder struct {
	p        Params
	q        *quantized
	gp       []grad
	nbins    []int
	scratch  []int32 // partition buffers
	scratch2 []int32
	partial  []gradPair
}

// hist is a node's histogram, flattened: feature f's bins start at q.off[f], the slot
// after its bins holds its missing values.
type hist []gradPair

func (b *builder) newHist() hist { return make(hist, b.q.size) }

// view returns feature f's part of h.
func (b *builder) view(h hist, f int) []gradPair {
	return h[b.q.off[f] : b.q.off[f]+b.nbins[f]+1]
}

// blockRows is the number of rows each partial histogram covers. Partial histograms
// are added in block order, so sums do not depend on the number of threads.
const blockRows = 8192

// buildAll fills the histograms of nodes (already allocated) from their rows. The rows
// of every node are cut into blocks of blockRows; blocks are accumulated in parallel into
// partial histograms, which are added per node in block order.
func (b *builder) buildAll(nodes []*node, rows []int32) {
	nf := len(b.nbins)
	flat, gp := b.q.flat, b.gp
	type task struct {
		n      *node
		lo, hi int
	}
	var tasks []task
	for _, n := range nodes {
		for lo := n.start; lo < n.end; lo += blockRows {
			tasks = append(tasks, task{n, lo, min(lo+blockRows, n.end)})
		}
	}
	size := b.q.size
	if cap(b.partial) < len(tasks)*size {
		b.partial = make([]gradPair, len(tasks)*size)
	}
	part := b.partial[:len(tasks)*size]
	parallel(len(tasks), b.p.Threads, func(k int) {
		dst := part[k*size : (k+1)*size]
		clear(dst)
		for _, r := range rows[tasks[k].lo:tasks[k].hi] {
			g, h := float64(gp[r].g), float64(gp[r].h)
			base := int(r) * nf
			for _, idx := range flat[base : base+nf] {
				dst[idx].g += g
				dst[idx].h += h
			}
		}
	})
	first := 0
	for _, n := range nodes {
		clear(n.h)
		for first < len(tasks) && tasks[first].n == n {
			src := part[first*size : (first+1)*size]
			for j := range n.h {
				n.h[j].g += src[j].g
				n.h[j].h += src[j].h
			}
			first++
		}
	}
}

func subtract(dst, parent, child hist) {
	for j := range dst {
		dst[j] = gradPair{parent[j].g - child[j].g, parent[j].h - child[j].h}
	}
}

// chunks runs fn over [0, n) split into fixed ranges on up to threads goroutines.
func chunks(n, threads int, fn func(lo, hi int)) {
	const size = 16384
	parallel((n+size-1)/size, threads, func(k int) { fn(k*size, min((k+1)*size, n)) })
}

type leafRange struct {
	node       int
	start, end int
}

type node struct {
	id         int
	start, end int // its rows in the rows slice
	depth      int
	sum        gradPair
	h          hist
}

type split struct {
	gain        float64
	feature     int
	bin         int // left: bins <= bin
	defaultLeft bool
	left, right gradPair
}

func (b *builder) weight(s gradPair) float64 {
	g := s.g
	switch {
	case g > b.p.Alpha:
		g -= b.p.Alpha
	case g < -b.p.Alpha:
		g += b.p.Alpha
	default:
		g = 0
	}
	return -g / (s.h + b.p.Lambda)
}

func (b *builder) score(s gradPair) float64 {
	w := b.weight(s)
	// -(2 G w + (H + lambda) w^2) - 2 alpha |w|, XGBoost's CalcGainGivenWeight
	return -(2*s.g*w + (s.h+b.p.Lambda)*w*w) - 2*b.p.Alpha*math.Abs(w)
}

// bestSplit finds the best split of a node over all features.
func (b *builder) bestSplit(n *node, parallelFeatures bool) split {
	best := split{gain: 0, feature: -1}
	parentScore := b.score(n.sum)
	results := make([]split, len(b.nbins))
	threads := 1
	if parallelFeatures {
		threads = b.p.Threads
	}
	parallel(len(b.nbins), threads, func(f int) {
		hf := b.view(n.h, f)
		nb := len(hf) - 1
		miss := hf[nb]
		fb := split{feature: -1}
		var acc gradPair
		for j := 0; j < nb-1; j++ {
			acc.g += hf[j].g
			acc.h += hf[j].h
			// Missing values to the left, then to the right.
			for _, dl := range [2]bool{true, false} {
				l := acc
				if dl {
					l.g += miss.g
					l.h += miss.h
				}
				r := gradPair{n.sum.g - l.g, n.sum.h - l.h}
				if l.h < b.p.MinChildWeight || r.h < b.p.MinChildWeight {
					continue
				}
				gain := b.score(l) + b.score(r) - parentScore
				if gain > fb.gain || fb.feature < 0 && gain > 0 {
					fb = split{gain: gain, feature: f, bin: j, defaultLeft: dl, left: l, right: r}
				}
				if miss.h == 0 {
					break // no missing values: both directions are the same split
				}
			}
		}
		results[f] = fb
	})
	for _, s := range results {
		if s.feature >= 0 && s.gain > best.gain {
			best = s
		}
	}
	return best
}

// partBlock is the number of rows one goroutine partitions at a time.
const partBlock = 32768

// partition splits the rows of several nodes, each rows[lo:hi] by its split, into the
// rows going left followed by those going right, both in their original order, and
// reports each node's number of left rows. Large nodes are cut into blocks partitioned
// in parallel and then stitched together; the result does not depend on the threads.
func (b *builder) partition(rows []int32, nodes func(yield func(lo, hi, feature int, bin uint16, defaultLeft bool, done func(nl int)))) {
	type task struct {
		lo, hi  int
		bins    []uint16
		bin     uint16
		dl      int
		nl      int
		owner   int
		leftAt  int // where its left rows go in the node's result
		rightAt int
	}
	type owner struct {
		lo, hi int
		first  int // first task
		done   func(int)
	}
	var tasks []task
	var owners []owner
	nodes(func(lo, hi, feature int, bin uint16, defaultLeft bool, done func(int)) {
		owners = append(owners, owner{lo: lo, hi: hi, first: len(tasks), done: done})
		for s := lo; s < hi; s += partBlock {
			tasks = append(tasks, task{lo: s, hi: min(s+partBlock, hi), bins: b.q.bins[feature], bin: bin, dl: b2i(defaultLeft), owner: len(owners) - 1})
		}
	})
	parallel(len(tasks), b.p.Threads, func(k int) {
		t := &tasks[k]
		seg, scratch := rows[t.lo:t.hi], b.scratch[t.lo:t.hi]
		nl, nr := 0, 0
		for _, r := range seg {
			bin := t.bins[r]
			// Branch-free: missing values (missingBin > any bin) go to the default side.
			left := b2i(bin <= t.bin) | b2i(bin == missingBin)&t.dl
			seg[nl] = r
			scratch[nr] = r
			nl += left
			nr += 1 - left
		}
		t.nl = nl
	})
	for oi := range owners {
		o := &owners[oi]
		nl := 0
		for k := o.first; k < len(tasks) && tasks[k].owner == oi; k++ {
			nl += tasks[k].nl
		}
		left, right := o.lo, o.lo+nl
		for k := o.first; k < len(tasks) && tasks[k].owner == oi; k++ {
			tasks[k].leftAt, tasks[k].rightAt = left, right
			left += tasks[k].nl
			right += (tasks[k].hi - tasks[k].lo) - tasks[k].nl
		}
		o.done(nl)
	}
	// Stitch: every task's left rows (at the start of its block) and right rows (in
	// scratch) go to their places, through the second scratch buffer.
	parallel(len(tasks), b.p.Threads, func(k int) {
		t := &tasks[k]
		copy(b.scratch2[t.leftAt:], rows[t.lo:t.lo+t.nl])
		copy(b.scratch2[t.rightAt:], b.scratch[t.lo+t.nl : t.lo+t.nl+(t.hi-t.lo-t.nl)][:0])
		copy(b.scratch2[t.rightAt:], b.scratch[t.lo:t.lo+(t.hi-t.lo-t.nl)])
	})
	parallel(len(tasks), b.p.Threads, func(k int) {
		t := &tasks[k]
		copy(rows[t.lo:t.hi], b.scratch2[t.lo:t.hi])
	})
}

// grow builds one tree depth-wise over rows, partitioning rows in place so that each
// leaf's rows are contiguous. It returns the tree and its leaves' row ranges. The nodes
// of a level are searched, partitioned and histogrammed in parallel; every result is
// computed the same way whatever the number of threads.
func (b *builder) grow(rows []int32, nf int) (Tree, []leafRange) {
	t := Tree{NumFeature: nf}
	addNode := func(parent int32) int {
		t.Left = append(t.Left, -1)
		t.Right = append(t.Right, -1)
		t.Parent = append(t.Parent, parent)
		t.Feature = append(t.Feature, 0)
		t.Threshold = append(t.Threshold, 0)
		t.DefaultLeft = append(t.DefaultLeft, false)
		t.BaseWeight = append(t.BaseWeight, 0)
		t.LossChange = append(t.LossChange, 0)
		t.SumHessian = append(t.SumHessian, 0)
		return len(t.Left) - 1
	}
	root := &node{id: addNode(math.MaxInt32), start: 0, end: len(rows), h: b.newHist()}
	b.buildAll([]*node{root}, rows)
	for _, gp := range b.view(root.h, 0) {
		root.sum.g += gp.g
		root.sum.h += gp.h
	}
	level := []*node{root}
	var leaves []leafRange
	for len(level) > 0 {
		splits := make([]split, len(level))
		parallel(len(level), b.p.Threads, func(k int) {
			if n := level[k]; n.depth < b.p.MaxDepth {
				splits[k] = b.bestSplit(n, len(level) == 1)
			} else {
				splits[k] = split{feature: -1}
			}
		})
		type pending struct {
			n    *node
			s    split
			l, r *node
		}
		var work []pending
		for k, n := range level {
			s := splits[k]
			t.BaseWeight[n.id] = float32(b.weight(n.sum))
			t.SumHessian[n.id] = float32(n.sum.h)
			if s.feature < 0 || s.gain <= 1e-6 || s.gain < b.p.Gamma {
				t.Threshold[n.id] = float32(b.p.Eta * b.weight(n.sum))
				leaves = append(leaves, leafRange{n.id, n.start, n.end})
				n.h = nil
				continue
			}
			l := &node{id: addNode(int32(n.id)), depth: n.depth + 1, sum: s.left}
			r := &node{id: addNode(int32(n.id)), depth: n.depth + 1, sum: s.right}
			t.Left[n.id], t.Right[n.id] = int32(l.id), int32(r.id)
			t.Feature[n.id] = int32(s.feature)
			t.Threshold[n.id] = b.q.cuts[s.feature][s.bin]
			t.DefaultLeft[n.id] = s.defaultLeft
			t.LossChange[n.id] = float32(s.gain)
			work = append(work, pending{n, s, l, r})
		}
		// Partition each split node's rows: left first, both sides in row order.
		b.partition(rows, func(yield func(lo, hi int, feature int, bin uint16, defaultLeft bool, done func(nl int))) {
			for _, w := range work {
				yield(w.n.start, w.n.end, w.s.feature, uint16(w.s.bin), w.s.defaultLeft, func(nl int) {
					w.l.start, w.l.end = w.n.start, w.n.start+nl
					w.r.start, w.r.end = w.n.start+nl, w.n.end
				})
			}
		})
		// Histograms: build the smaller child of each pair, subtract for the other.
		var small []*node
		for _, w := range work {
			if w.l.depth < b.p.MaxDepth {
				sm := w.l
				if w.r.end-w.r.start < w.l.end-w.l.start {
					sm = w.r
				}
				sm.h = b.newHist()
				small = append(small, sm)
			}
		}
		b.buildAll(small, rows)
		var next []*node
		for _, w := range work {
			if w.l.depth < b.p.MaxDepth {
				large := w.l
				if w.l.h != nil {
					large = w.r
				}
				sm := w.l
				if large == w.l {
					sm = w.r
				}
				large.h = w.n.h
				subtract(large.h, w.n.h, sm.h)
			}
			w.n.h = nil
			next = append(next, w.l, w.r)
		}
		level = next
	}
	t.NumNodes = len(t.Left)
	return t, leaves
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

// Split returns a seeded random partition of 0..n-1 into a training part and a held-out
// part of about holdout*n rows, each in increasing order.
func Split(n int, holdout float64, seed uint64) (train, test []int) {
	perm := rand.New(rand.NewPCG(seed, 0x5917)).Perm(n)
	k := int(math.Round(holdout * float64(n)))
	testSet := make([]bool, n)
	for _, i := range perm[:k] {
		testSet[i] = true
	}
	for i := 0; i < n; i++ {
		if testSet[i] {
			test = append(test, i)
		} else {
			train = append(train, i)
		}
	}
	return train, test
}

// Subset returns the rows idx of d as a new Dataset.
func (d *Dataset) Subset(idx []int) *Dataset {
	s := &Dataset{N: len(idx), F: d.F, X: make([]float32, d.F*len(idx)), Y: make([]float32, len(idx))}
	for k, i := range idx {
		for f := 0; f < d.F; f++ {
			s.X[f*s.N+k] = d.X[f*d.N+i]
		}
		s.Y[k] = d.Y[i]
	}
	return s
}

// NewDatasetRowMajor builds a Dataset from row-major features (row i is
// x[i*f : (i+1)*f]) and labels.
func NewDatasetRowMajor(x, labels []float32, f int) (*Dataset, error) {
	if f <= 0 || len(x) != f*len(labels) {
		return nil, fmt.Errorf("gbdt: %d values for %d rows of %d features", len(x), len(labels), f)
	}
	if len(labels) == 0 {
		return nil, errors.New("gbdt: no rows")
	}
	n := len(labels)
	d := &Dataset{N: n, F: f, X: make([]float32, f*n), Y: append([]float32(nil), labels...)}
	for i := 0; i < n; i++ {
		for j := 0; j < f; j++ {
			d.X[j*n+i] = x[i*f+j]
		}
	}
	return d, nil
}

// fastSigmoid is 1/(1+e^-x) in float32 for the training gradients, with e^-x computed by
// range reduction and a polynomial: within 2 float32 ulps of the float64 result, at a
// fraction of math.Exp's cost. Prediction uses sigmoid.
func fastSigmoid(x float32) float32 {
	t := -x
	switch {
	case t > 88:
		return 0
	case t < -88:
		return 1
	}
	// e^t = 2^n * e^r with t = n ln2 + r, |r| <= ln2/2.
	n := float32(math.Round(float64(t * 1.4426950408889634)))
	r := t - n*0.693145751953125 - n*1.428606765330187e-06
	// e^r by its Taylor polynomial to degree 7 (error below 1e-9 on |r| <= 0.35).
	p := 1 + r*(1+r*(0.5+r*(1.0/6+r*(1.0/24+r*(1.0/120+r*(1.0/720+r*(1.0/5040)))))))
	e := p * math.Float32frombits(uint32(int32(n)+127)<<23)
	return 1 / (1 + e)
}
