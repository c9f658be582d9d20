package gbdt

import (
	"context"
	"errors"
	"fmt"
	"math"
	"runtime"
	"sync/atomic"
	"unsafe"

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

const chunk = 8192

// fastSigmoid32 is 1/(1+e^-x) rounded to float32, with e^x computed by range reduction
// and a degree-9 polynomial (relative error below 1e-9, far under float32's resolution):
// the training loop's hot spot, and a pure function, so results stay deterministic.
func fastSigmoid32(x float32) float32 {
	v := -float64(x)
	if v > 700 {
		return 0
	}
	if v < -700 {
		return 1
	}
	// Round to the nearest integer without a branch or a call.
	const magic = 0x1.8p52
	k := (v*math.Log2E + magic) - magic
	r := v - k*math.Ln2
	e := 1 + r*(1+r*(1.0/2+r*(1.0/6+r*(1.0/24+r*(1.0/120+r*(1.0/720+r*(1.0/5040+r*(1.0/40320+r*(1.0/362880)))))))))
	e *= math.Float64frombits(uint64(int64(k)+1023) << 52)
	return float32(1 / (1 + e))
}

// gradients sets the gradients and hessians of rows begin..end-1 from their margins.
func (t *trainer) gradients(begin, end int) {
	m := t.margin[begin:end]
	labels := t.labels[begin:end]
	gh := t.gh[2*begin : 2*end]
	labels = labels[:len(m)]
	gh = gh[:2*len(m)]
	for k, v := range m {
		p := fastSigmoid32(v)
		h := p * (1 - p)
		if h < 1e-16 {
			h = 1e-16
		}
		pair := gh[2*k : 2*k+2 : 2*k+2]
		pair[0] = p - labels[k]
		pair[1] = h
	}
}

// buildHists fills the histograms of nodes, one task per (node, feature).
func (t *trainer) buildHists(nodes []*node) {
	for _, nd := range nodes {
		if nd.hist == nil {
			nd.hist = make([]float64, 2*t.nbins)
		} else {
			clear(nd.hist)
		}
	}
	// Tasks are fixed blocks of rows (independent of the number of threads); a node of
	// several blocks sums their partial histograms in block order.
	type task struct {
		nd         *node
		begin, end int
		hist       []float64
	}
	var tasks []task
	stride := 2 * t.nbins
	np := 0
	for _, nd := range nodes {
		if nd.end-nd.begin <= histBlock {
			tasks = append(tasks, task{nd: nd, begin: nd.begin, end: nd.end, hist: nd.hist})
			continue
		}
		for b := nd.begin; b < nd.end; b += histBlock {
			tasks = append(tasks, task{nd: nd, begin: b, end: min(b+histBlock, nd.end)})
			np++
		}
	}
	if len(t.partials) < np*stride {
		t.partials = make([]float64, np*stride)
	}
	k := 0
	for i := range tasks {
		if tasks[i].hist == nil {
			tasks[i].hist = t.partials[k*stride : (k+1)*stride]
			clear(tasks[i].hist)
			k++
		}
	}
	parallelFor(t.threads, len(tasks), func(i int) {
		tk := &tasks[i]
		var rows []int32
		if tk.nd.begin != 0 || tk.nd.end != t.n {
			rows = t.rows[tk.begin:tk.end]
		}
		if tk.nd.depth == 0 {
			// The root's pass over every row also computes the gradients from the
			// margins the previous tree left.
			t.gradients(tk.begin, tk.end)
		}
		histRows(tk.hist, t.binsRow, t.nf, t.gh, rows, tk.begin, tk.end)
	})
	// Sum the partial histograms, one task per node and feature.
	parallelFor(t.threads, len(nodes)*t.nf, func(i int) {
		nd, f := nodes[i/t.nf], i%t.nf
		if nd.end-nd.begin <= histBlock {
			return
		}
		lo, hi := 2*t.off[f], 2*t.off[f+1]
		h := nd.hist[lo:hi]
		for _, tk := range tasks {
			if tk.nd != nd {
				continue
			}
			for j, v := range tk.hist[lo:hi] {
				h[j] += v
			}
		}
	})
}

// histBlock is the number of rows whose histogram one task builds.
const histBlock = 16384

// histRows adds the gradient pairs of rows (or of rows begin..end-1 when rows is nil) to
// the whole histogram h, row by row.
func histRows(h []float64, binsRow []uint16, nf int, gh []float32, rows []int32, begin, end int) {
	if len(h) == 0 || nf == 0 {
		return
	}
	// Every bin index in binsRow is below nbins = len(h)/2 by construction (off[f] plus
	// a bin of feature f, at most its missing bin): the loop adds through a pointer
	// without the compiler's per-access bounds check, in training's hottest loop.
	hp := unsafe.Pointer(unsafe.SliceData(h))
	add := func(i int) {
		g, hh := float64(gh[2*i]), float64(gh[2*i+1])
		for _, j := range binsRow[i*nf : i*nf+nf] {
			p := (*[2]float64)(unsafe.Add(hp, uintptr(j)*16))
			p[0] += g
			p[1] += hh
		}
	}
	if rows == nil {
		for i := begin; i < end; i++ {
			add(i)
		}
		return
	}
	for _, r := range rows {
		add(int(r))
	}
}

// bestSplit finds the best split of nd on feature f, as XGBoost's hist evaluator does:
// missing values first go right (scanning bins upwards), then, if the node has missing
// values, left (scanning downwards); a later candidate wins only with a larger gain.
func (t *trainer) bestSplit(nd *node, f int) split {
	c := &t.cuts[f]
	nb := len(c.Cuts)
	h := nd.hist[2*t.off[f] : 2*t.off[f+1]]
	parentGain := t.gainOf(nd.g, nd.h)
	mcw := t.p.MinChildWeight
	best := split{feature: f}
	var gl, hl float64
	for b := 0; b < nb; b++ {
		gl += h[2*b]
		hl += h[2*b+1]
		if hl < mcw {
			continue
		}
		gr, hr := nd.g-gl, nd.h-hl
		if hr < mcw {
			continue
		}
		loss := float64(float32(t.gainOf(gl, hl)+t.gainOf(gr, hr)) - float32(parentGain))
		if loss > best.gain {
			best = split{gain: loss, feature: f, bin: b, threshold: c.Cuts[b], gl: gl, hl: hl, gr: gr, hr: hr}
		}
	}
	if h[2*nb+1] <= 0 {
		return best
	}
	var gr, hr float64
	for b := nb - 1; b >= 0; b-- {
		gr += h[2*b]
		hr += h[2*b+1]
		if hr < mcw {
			continue
		}
		gl, hl := nd.g-gr, nd.h-hr
		if hl < mcw {
			continue
		}
		loss := float64(float32(t.gainOf(gl, hl)+t.gainOf(gr, hr)) - float32(parentGain))
		if loss > best.gain {
			thr := c.Min
			if b > 0 {
				thr = c.Cuts[b-1]
			}
			best = split{gain: loss, feature: f, bin: b - 1, threshold: thr, defaultLeft: true,
				gl: gl, hl: hl, gr: gr, hr: hr}
		}
	}
	return best
}

// findSplits sets nd.split for every node, one task per (node, feature); ties go to the
// lower feature index.
func (t *trainer) findSplits(nodes []*node) {
	res := make([]split, len(nodes)*t.nf)
	parallelFor(t.threads, len(res), func(task int) {
		res[task] = t.bestSplit(nodes[task/t.nf], task%t.nf)
	})
	for i, nd := range nodes {
		best := split{}
		for f := 0; f < t.nf; f++ {
			if s := res[i*t.nf+f]; s.gain > best.gain {
				best = s
			}
		}
		nd.split = best
	}
}

func (t *trainer) validSplit(s split) bool {
	return s.gain > kRtEps && s.gain >= t.p.Gamma && s.hl > 0 && s.hr > 0
}

// partitionChunk is the number of rows one partition task handles.
const partitionChunk = 16384

// rightTest returns (lo, width) such that a row with bin b goes right iff
// uint16(b-lo) < width: the bins after the split bin, plus the missing bin (the last,
// numbered nb) unless missing values go left.
func (t *trainer) rightTest(s split) (lo, width uint16) {
	nb := len(t.cuts[s.feature].Cuts)
	lo = uint16(s.bin + 1)
	w := nb - (s.bin + 1)
	if !s.defaultLeft {
		w++
	}
	return lo, uint16(w)
}

// partition moves, in every node of nodes, the rows that go left to the front of its
// range, keeping row order on both sides, and sets the nodes' mid. Work is split in
// fixed chunks of rows, so the result does not depend on the number of threads.
func (t *trainer) partition(nodes []*node) {
	type task struct {
		nd         *node
		begin, end int
		left       int // rows going left in this chunk
		lout, rout int // where this chunk's left and right rows go in scratch
	}
	var tasks []task
	for _, nd := range nodes {
		for b := nd.begin; b < nd.end; b += partitionChunk {
			tasks = append(tasks, task{nd: nd, begin: b, end: min(b+partitionChunk, nd.end)})
		}
	}
	// Each chunk splits its rows into its own stretch of scratch (left) and scratch2
	// (right); the stores are branch-free and stay inside the chunk's stretch.
	parallelFor(t.threads, len(tasks), func(i int) {
		tk := &tasks[i]
		bins := t.bins[tk.nd.split.feature]
		lo, width := t.rightTest(tk.nd.split)
		// Rows are below len(bins), and the stores stay inside this chunk's stretch
		// begin..end of the scratch arrays: pointers without bounds checks.
		ls := t.scratch[tk.begin:tk.end]
		rs := t.scratch2[tk.begin:tk.end]
		bp := unsafe.Pointer(unsafe.SliceData(bins))
		lp := unsafe.Pointer(unsafe.SliceData(ls))
		rp := unsafe.Pointer(unsafe.SliceData(rs))
		l, r := uintptr(0), uintptr(0)
		for _, row := range t.rows[tk.begin:tk.end] {
			b := *(*uint16)(unsafe.Add(bp, uintptr(row)*2))
			inc := uintptr(0)
			if uint16(b-lo) >= width {
				inc = 1
			}
			*(*int32)(unsafe.Add(lp, l*4)) = row
			*(*int32)(unsafe.Add(rp, r*4)) = row
			l += inc
			r += 1 - inc
		}
		tk.left = int(l)
	})
	for i := 0; i < len(tasks); {
		nd := tasks[i].nd
		j, left := i, 0
		for ; j < len(tasks) && tasks[j].nd == nd; j++ {
			left += tasks[j].left
		}
		nd.mid = nd.begin + left
		lout, rout := nd.begin, nd.mid
		for k := i; k < j; k++ {
			tasks[k].lout, tasks[k].rout = lout, rout
			lout += tasks[k].left
			rout += tasks[k].end - tasks[k].begin - tasks[k].left
		}
		i = j
	}
	parallelFor(t.threads, len(tasks), func(i int) {
		tk := &tasks[i]
		nr := tk.end - tk.begin - tk.left
		copy(t.rows[tk.lout:tk.lout+tk.left], t.scratch[tk.begin:tk.begin+tk.left])
		copy(t.rows[tk.rout:tk.rout+nr], t.scratch2[tk.begin:tk.begin+nr])
	})
}

// buildTree grows one tree depth-wise (XGBoost's default grow policy), numbering nodes
// breadth-first, and adds its leaves to the margins.
func (t *trainer) buildTree() Tree {
	var tr Tree
	addNode := func(parent int32) int32 {
		id := int32(len(tr.Left))
		tr.Left = append(tr.Left, -1)
		tr.Right = append(tr.Right, -1)
		tr.Parent = append(tr.Parent, parent)
		tr.SplitIndex = append(tr.SplitIndex, 0)
		tr.SplitCondition = append(tr.SplitCondition, 0)
		tr.DefaultLeft = append(tr.DefaultLeft, false)
		tr.BaseWeight = append(tr.BaseWeight, 0)
		tr.LossChange = append(tr.LossChange, 0)
		tr.SumHessian = append(tr.SumHessian, 0)
		return id
	}
	for i := range t.rows {
		t.rows[i] = int32(i)
	}
	root := &node{id: addNode(-1), begin: 0, end: t.n}
	var leaves []*node
	var final []*node // nodes split at the last level, whose rows were not partitioned
	level := []*node{root}
	t.buildHists(level)
	// The root's sums are those of any feature's histogram (missing bin included).
	for j := 0; j < 2*t.off[1]; j += 2 {
		root.g += root.hist[j]
		root.h += root.hist[j+1]
	}
	var spare [][]float64
	for len(level) > 0 {
		depth := level[0].depth
		for _, nd := range level {
			w := t.weightOf(nd.g, nd.h)
			tr.BaseWeight[nd.id] = float32(w)
			tr.SumHessian[nd.id] = float32(nd.h)
		}
		if depth >= t.p.MaxDepth {
			leaves = append(leaves, level...)
			break
		}
		t.findSplits(level)
		var next []*node
		var splitNodes []*node
		for _, nd := range level {
			s := nd.split
			if !t.validSplit(s) {
				leaves = append(leaves, nd)
				continue
			}
			splitNodes = append(splitNodes, nd)
		}
		last := depth+1 >= t.p.MaxDepth
		if last {
			// The children are leaves: rather than partitioning, the margin update
			// below sends each row of these nodes to its side.
			final = append(final, splitNodes...)
			for _, nd := range splitNodes {
				nd.mid = -1
			}
		} else {
			t.partition(splitNodes)
		}
		var build []*node
		for _, nd := range splitNodes {
			s := nd.split
			tr.SplitIndex[nd.id] = int32(s.feature)
			tr.SplitCondition[nd.id] = s.threshold
			tr.DefaultLeft[nd.id] = s.defaultLeft
			tr.LossChange[nd.id] = float32(s.gain)
			l := &node{id: addNode(nd.id), depth: depth + 1, begin: nd.begin, end: nd.mid, g: s.gl, h: s.hl}
			r := &node{id: addNode(nd.id), depth: depth + 1, begin: nd.mid, end: nd.end, g: s.gr, h: s.hr}
			if last {
				l.begin, l.end, r.begin, r.end = 0, 0, 0, 0
			}
			tr.Left[nd.id], tr.Right[nd.id] = l.id, r.id
			next = append(next, l, r)
			if depth+1 < t.p.MaxDepth {
				// Build the smaller child's histogram, derive the other by subtraction.
				small, large := l, r
				if r.end-r.begin < l.end-l.begin {
					small, large = r, l
				}
				if n := len(spare); n > 0 {
					small.hist, spare = spare[n-1], spare[:n-1]
				}
				large.hist = nd.hist
				nd.hist = nil
				build = append(build, small)
			} else {
				spare = append(spare, nd.hist)
				nd.hist = nil
			}
		}
		for _, nd := range level {
			if nd.hist != nil {
				spare = append(spare, nd.hist)
				nd.hist = nil
			}
		}
		if len(build) > 0 {
			t.buildHists(build)
			// Subtract: the large child holds the parent's histogram.
			for i := 0; i+1 < len(next); i += 2 {
				l, r := next[i], next[i+1]
				small, large := l, r
				if r.end-r.begin < l.end-l.begin {
					small, large = r, l
				}
				for j, v := range small.hist {
					large.hist[j] -= v
				}
			}
		}
		level = next
	}
	eta := float32(t.p.Eta)
	for _, nd := range leaves {
		// XGBoost stores the scaled value both as the leaf value and as its base weight.
		tr.SplitCondition[nd.id] = tr.BaseWeight[nd.id] * eta
		tr.BaseWeight[nd.id] = tr.SplitCondition[nd.id]
	}
	// Add the leaves to the margins and compute the next round's gradients, in fixed
	// blocks of rows.
	type task struct {
		v          float32
		begin, end int
		split      *node // when set, rows go to the leaves v (left) or vr (right)
		vr         float32
	}
	var tasks []task
	for _, nd := range leaves {
		for b := nd.begin; b < nd.end; b += histBlock {
			tasks = append(tasks, task{v: tr.SplitCondition[nd.id], begin: b, end: min(b+histBlock, nd.end)})
		}
	}
	for _, nd := range final {
		vl, vr := tr.SplitCondition[tr.Left[nd.id]], tr.SplitCondition[tr.Right[nd.id]]
		for b := nd.begin; b < nd.end; b += histBlock {
			tasks = append(tasks, task{v: vl, vr: vr, split: nd, begin: b, end: min(b+histBlock, nd.end)})
		}
	}
	parallelFor(t.threads, len(tasks), func(i int) {
		tk := tasks[i]
		if tk.split == nil {
			for _, r := range t.rows[tk.begin:tk.end] {
				t.margin[r] += tk.v
			}
			return
		}
		bins := t.bins[tk.split.split.feature]
		lo, width := t.rightTest(tk.split.split)
		for _, r := range t.rows[tk.begin:tk.end] {
			v := tk.vr
			if uint16(bins[r]-lo) >= width {
				v = tk.v
			}
			t.margin[r] += v
		}
	})
	return tr
}
