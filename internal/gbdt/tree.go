// Growing one tree, depth-wise as XGBoost's hist method does: the best split of each
// node from its histograms, the rows partitioned to its children, the leaves added to the
// margins.

package gbdt

import (
	"unsafe"
)

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
