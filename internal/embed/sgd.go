// One shard's stochastic gradient steps: word pairs, link-graph pairs and anchor
// contexts of a document, each a skip-gram step with negative sampling.

package embed

import (
	"math/rand/v2"
	"sort"
)

// trainer holds what every shard reads and nobody writes.
type trainer struct {
	p           Params
	nEnt        int32
	words, ents sampler
	keep        []float32
	sharedNegs  bool // the word pairs of a window share their negatives (Params.SharedNegatives)
}

// scratch is a shard's working memory.
type scratch struct {
	// src is the shard's random stream, read directly (a call through rand.Rand's
	// interface costs more than a draw).
	src                              *rand.PCG
	neu1e, f, g                      []float32
	kept, pos, targets, negs, negIdx []int32
	ahead, ctx                       []int32 // see trainer.ahead
	asked                            bool    // ahead has prefetched the step's rows
}

// grow returns (*b)[:n], reallocated when shorter.
func grow(b *[]float32, n int) []float32 {
	if cap(*b) < n {
		*b = make([]float32, n)
	}
	return (*b)[:n]
}

// doc trains on one document and returns the number of (input, output) pairs trained:
// its word pairs, then for each link its link-graph pairs and its anchor contexts.
func (tr *trainer) doc(w *view, doc *Doc, alpha float32, wordPairs bool) int64 {
	sc := &w.sc
	kept, pos := tr.subsample(sc, doc.Words, sc.kept[:0], sc.pos[:0])
	sc.kept, sc.pos = kept, pos
	var pairs int64
	if wordPairs {
		pairs += tr.wordPairs(w, sc, kept, alpha)
	}
	for _, l := range doc.Links {
		pairs += tr.linkGraph(w, sc, doc.Entity, l.Entity, alpha)
		pairs += tr.anchor(w, sc, l, kept, pos, alpha)
	}
	return pairs
}

// subsample appends to kept the rows of the words kept (frequent words are dropped at
// random), and to pos their positions.
func (tr *trainer) subsample(sc *scratch, words, kept, pos []int32) ([]int32, []int32) {
	for i, wd := range words {
		if tr.keep[wd] >= 1 || randFloat32(sc.src) < tr.keep[wd] {
			kept = append(kept, tr.nEnt+wd)
			pos = append(pos, int32(i))
		}
	}
	return kept, pos
}

// wordPairs trains the word-word skip-gram pairs of a document's kept words. With
// shared negatives, the pairs of a window share them: their rows are fetched once for
// all of them.
func (tr *trainer) wordPairs(w *view, sc *scratch, kept []int32, alpha float32) int64 {
	p := tr.p
	sc.dims(w.base.dim)
	var pairs int64
	for i, wd := range kept {
		b := randIntN(sc.src, p.Window)
		if tr.sharedNegs {
			sc.negs = tr.words.drawN(sc.src, sc.negs[:0], p.Negatives)
			sc.negIdx = w.indices(sc.negs, false, sc.negIdx[:0])
		}
		if w.direct && lookAhead && !tr.sharedNegs && !tr.words.empty() {
			// As for the link graph: the window's negatives first, so that each pair
			// asks for the next pair's rows before it computes.
			ctx := sc.ctx[:0]
			for j := max(i-p.Window+b, 0); j <= i+p.Window-b && j < len(kept); j++ {
				if j != i {
					ctx = append(ctx, kept[j])
				}
			}
			sc.ctx = ctx
			pairs += int64(len(ctx))
			tr.ahead(w, sc, wd, ctx, tr.words, alpha, false)
			continue
		}
		inIdx := w.index(wd, true)
		for j := i - p.Window + b; j <= i+p.Window-b; j++ {
			if j < 0 || j >= len(kept) || j == i {
				continue
			}
			if !tr.sharedNegs {
				sc.negs = tr.words.drawN(sc.src, sc.negs[:0], p.Negatives)
				sc.negIdx = w.indices(sc.negs, false, sc.negIdx[:0])
			}
			pairs++
			tr.step(w, sc, inIdx, kept[j], w.index(kept[j], false), alpha, false)
		}
	}
	return pairs
}

// linkGraph trains the link from entity d to entity l, both directions, LinkWeight
// times.
func (tr *trainer) linkGraph(w *view, sc *scratch, d, l int32, alpha float32) int64 {
	p := tr.p
	sc.dims(w.base.dim)
	if w.direct && lookAhead && !tr.ents.empty() {
		// All the link's updates are drawn first (the same stream as one update after
		// the other), so that each asks for the next one's rows while it computes:
		// uniform negative entities are mostly cache misses.
		sc.ctx = sc.ctx[:0]
		for range p.LinkWeight {
			sc.ctx = append(sc.ctx, l, d)
		}
		tr.ahead(w, sc, d, sc.ctx, tr.ents, alpha, true)
		return int64(len(sc.ctx))
	}
	for rep := 0; rep < p.LinkWeight; rep++ {
		tr.update(w, sc, d, l, tr.ents, alpha, true)
		tr.update(w, sc, l, d, tr.ents, alpha, true)
	}
	return 2 * int64(p.LinkWeight)
}

// anchor trains the anchor context of link l: its entity predicts the kept words
// around it (kept and pos as subsample gives them).
func (tr *trainer) anchor(w *view, sc *scratch, l Link, kept, pos []int32, alpha float32) int64 {
	p := tr.p
	sc.dims(w.base.dim)
	lo := sort.Search(len(pos), func(i int) bool { return pos[i] >= l.Pos-int32(p.Window) })
	if w.direct && lookAhead && !tr.words.empty() {
		ctx := sc.ctx[:0]
		for i := lo; i < len(pos) && pos[i] <= l.Pos+int32(p.Window); i++ {
			ctx = append(ctx, kept[i])
		}
		sc.ctx = ctx
		tr.ahead(w, sc, l.Entity, ctx, tr.words, alpha, false)
		return int64(len(ctx))
	}
	var pairs int64
	for i := lo; i < len(pos) && pos[i] <= l.Pos+int32(p.Window); i++ {
		pairs++
		tr.update(w, sc, l.Entity, kept[i], tr.words, alpha, false)
	}
	return pairs
}

// dims makes the scratch's per-update vector dim floats long.
func (sc *scratch) dims(dim int) {
	if len(sc.neu1e) != dim {
		sc.neu1e = make([]float32, dim)
	}
}

// lookAhead: a direct view trains through ahead (tests turn it off to compare).
var lookAhead = true

// ahead trains, in a direct view, the updates of in predicting each of outs in turn, as
// update would one after the other, but draws all their negatives first (the same
// stream) so that each update asks for the next one's rows before it computes: on a
// large vocabulary the rows are cache misses, which then overlap the work. Link-graph
// updates (shared) alternate their input: outs are l, d, l, d... for a link from d to
// l, and an update whose output is d has l as its input.
func (tr *trainer) ahead(w *view, sc *scratch, in int32, outs []int32, neg sampler, alpha float32, shared bool) {
	if len(outs) == 0 {
		return
	}
	sc.ahead = neg.drawN(sc.src, sc.ahead[:0], len(outs)*tr.p.Negatives)
	tr.run(w, sc, in, outs, sc.ahead, alpha, shared)
}

// run trains, in a direct view, the updates of in predicting each of outs in turn
// against their negatives (Negatives each, in order, in ahead): each update asks for
// the next one's rows before it computes. Link-graph updates (shared) alternate their
// input as in trainer.ahead.
func (tr *trainer) run(w *view, sc *scratch, in int32, outs, ahead []int32, alpha float32, shared bool) {
	n := tr.p.Negatives
	dim := w.base.dim
	m := w.base.syn1
	if shared {
		m = w.base.syn0
	}
	prefetch(m, ahead[:n], dim)
	prefetch(m, outs[:1], dim)
	sc.asked = true
	for k, out := range outs {
		if k+1 < len(outs) {
			prefetch(m, ahead[(k+1)*n:(k+2)*n], dim)
			prefetch(m, outs[k+1:k+2], dim)
		}
		src := in
		if shared && out == in {
			src = outs[k^1]
		}
		// In a direct view a row is its own index.
		negs := ahead[k*n : (k+1)*n : (k+1)*n]
		sc.negs, sc.negIdx = negs, negs
		tr.step(w, sc, src, out, out, alpha, shared)
	}
	sc.negs, sc.negIdx = nil, nil // they were ahead's
	sc.asked = false
}

// index returns where the shard updates the given row of syn0 (in0) or syn1: the row
// itself in a direct view, its copy's index otherwise. The index stays valid for the
// round; slices of matrix taken before it may not.
func (v *view) index(row int32, in0 bool) int32 {
	switch {
	case v.direct:
		return row
	case in0:
		return v.in0.slot(row)
	default:
		return v.in1.slot(row)
	}
}

// indices appends the indices of rows to dst.
func (v *view) indices(rows []int32, in0 bool, dst []int32) []int32 {
	for _, row := range rows {
		dst = append(dst, v.index(row, in0))
	}
	return dst
}

// matrix returns the matrix that indices of syn0 (in0) or syn1 point into.
func (v *view) matrix(in0 bool) []float32 {
	switch {
	case v.direct && in0:
		return v.base.syn0
	case v.direct:
		return v.base.syn1
	case in0:
		return v.in0.vecs
	default:
		return v.in1.vecs
	}
}

// update trains in to predict out against negatives from neg. With shared, the output
// side uses the input vectors too (entity-entity pairs: first-order proximity, so
// linked entities get similar vectors).
func (tr *trainer) update(w *view, sc *scratch, in, out int32, neg sampler, alpha float32, shared bool) {
	sc.negs = neg.drawN(sc.src, sc.negs[:0], tr.p.Negatives)
	inIdx := w.index(in, true)
	sc.negIdx = w.indices(sc.negs, shared, sc.negIdx[:0])
	tr.step(w, sc, inIdx, out, w.index(out, shared), alpha, shared)
}

// step trains the input at index inIdx (see view.index) to predict row out (at outIdx)
// against the negatives sc.negs (at sc.negIdx; those equal to out are skipped).
func (tr *trainer) step(w *view, sc *scratch, inIdx, out, outIdx int32, alpha float32, shared bool) {
	dim := w.base.dim
	neu1e := sc.neu1e
	clear(neu1e)
	targets := append(sc.targets[:0], outIdx)
	for k, t := range sc.negs {
		if t != out {
			targets = append(targets, sc.negIdx[k])
		}
	}
	sc.targets = targets
	m0 := w.matrix(true)
	l1 := m0[int(inIdx)*dim : int(inIdx)*dim+dim]
	outv := m0
	if !shared {
		outv = w.matrix(false)
	}
	// Ask for the targets' rows together rather than one after the other (ahead has
	// asked for them already).
	if !sc.asked {
		prefetch(outv, targets, dim)
	}
	// The dot products with every target first, then the updates: the products do not
	// wait for each other's updates (they differ only when a target repeats).
	f := grow(&sc.f, len(targets))
	dotRows(l1, outv, targets, f)
	g := grow(&sc.g, len(targets))
	label := float32(1)
	for k, fk := range f {
		switch {
		case fk >= maxExp:
			g[k] = (label - 1) * alpha
		case fk <= -maxExp:
			g[k] = label * alpha
		default:
			g[k] = (label - sigmoid[int((fk+maxExp)*(sigmoidSize/maxExp/2))]) * alpha
		}
		label = 0
	}
	axpy2Rows(g, l1, outv, targets, neu1e)
	addTo(neu1e, l1)
}
