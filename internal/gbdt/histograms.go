// Gradients and histograms: each round's gradients and hessians from the margins (with a
// fast sigmoid), and the histograms of their sums by bin, per node and feature.

package gbdt

import (
	"math"
	"unsafe"
)

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
