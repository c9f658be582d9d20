package embed

import (
	"context"
	"sort"

	"github.com/addlink/addlink/internal/progress"
)

// One shard trains in two steps per round. The plan draws every random number of the
// round's documents (the words kept, the windows, every update's negatives), in the order
// one shard draws them, and lists the updates; the updates then train in the list's
// order. Nothing drawn depends on the weights, so the vectors are those of training each
// document as it is drawn, bit for bit (TestLookAheadSameVectors), and with Threads > 1
// the next round is planned on another thread while this one trains.

// plan is a round's updates: batch k trains its in to predict each of the outs from the
// end of batch k-1 to its own end in turn, update i against negs[i*Negatives:][:Negatives].
type plan struct {
	batches       []batch
	outs, negs    []int32
	tokens, pairs int64
}

// batch is what trainer.run takes: a word window's pairs, a link's link-graph pairs or a
// link's anchor contexts.
type batch struct {
	in     int32
	shared bool
	alpha  float32
	end    int32 // the batch's outs end at outs[end]
}

func (pl *plan) reset() {
	pl.batches, pl.outs, pl.negs = pl.batches[:0], pl.outs[:0], pl.negs[:0]
	pl.tokens, pl.pairs = 0, 0
}

// plans says whether one shard trains through plans: the way trainer.doc trains a direct
// view with lookAhead (the word pairs drawing their negatives per pair), with both
// samplers drawing.
func (tr *trainer) plans() bool {
	return lookAhead && !tr.sharedNegs && !tr.words.empty() && !tr.ents.empty()
}

// end ends the batch of in with the outs appended since the last one, drawing their
// negatives from neg; an empty batch draws nothing, as trainer.ahead.
func (pl *plan) end(sc *scratch, neg sampler, negatives int, in int32, alpha float32, shared bool) {
	start := 0
	if len(pl.batches) > 0 {
		start = int(pl.batches[len(pl.batches)-1].end)
	}
	k := len(pl.outs) - start
	if k == 0 {
		return
	}
	pl.negs = neg.drawN(sc.src, pl.negs, k*negatives)
	pl.batches = append(pl.batches, batch{in: in, shared: shared, alpha: alpha, end: int32(len(pl.outs))})
	pl.pairs += int64(k)
}

// planDoc adds a document's updates to pl, drawing from sc.src what trainer.doc draws
// for them, in the same order: subsample, the word pairs, then for each link its link
// graph and its anchor contexts.
func (tr *trainer) planDoc(sc *scratch, pl *plan, doc *Doc, alpha float32, wordPairs bool) {
	p := tr.p
	kept, pos := tr.subsample(sc, doc.Words, sc.kept[:0], sc.pos[:0])
	sc.kept, sc.pos = kept, pos
	if wordPairs {
		for i, wd := range kept {
			b := randIntN(sc.src, p.Window)
			for j := max(i-p.Window+b, 0); j <= i+p.Window-b && j < len(kept); j++ {
				if j != i {
					pl.outs = append(pl.outs, kept[j])
				}
			}
			pl.end(sc, tr.words, p.Negatives, wd, alpha, false)
		}
	}
	for _, l := range doc.Links {
		for range p.LinkWeight {
			pl.outs = append(pl.outs, l.Entity, doc.Entity)
		}
		pl.end(sc, tr.ents, p.Negatives, doc.Entity, alpha, true)
		lo := sort.Search(len(pos), func(i int) bool { return pos[i] >= l.Pos-int32(p.Window) })
		for i := lo; i < len(pos) && pos[i] <= l.Pos+int32(p.Window); i++ {
			pl.outs = append(pl.outs, kept[i])
		}
		pl.end(sc, tr.words, p.Negatives, l.Entity, alpha, false)
	}
	pl.tokens += int64(len(doc.Words))
}

// exec trains a plan's updates in a direct view.
func (tr *trainer) exec(w *view, sc *scratch, pl *plan) {
	n := tr.p.Negatives
	sc.dims(w.base.dim)
	start := 0
	for _, b := range pl.batches {
		end := int(b.end)
		tr.run(w, sc, b.in, pl.outs[start:end], pl.negs[start*n:end*n], b.alpha, b.shared)
		start = end
	}
}

// trainPlanned trains one shard on base through plans and returns the number of pairs
// trained. With Threads > 1, two plans take turns: a goroutine plans the next round
// while this one trains.
func (tr *trainer) trainPlanned(ctx context.Context, base *weights, rd *rounds, alpha func(epoch, di int) float32, rep progress.Reporter) (int64, error) {
	w := newView(base, false)
	var pairs int64
	train := func(pl *plan) {
		tr.exec(w, &w.sc, pl)
		pairs += pl.pairs
		progress.AddSecondary(rep, pl.pairs, "pairs")
		rep.Add(pl.tokens)
	}
	planRound := func(pl *plan, sc *scratch, epoch, from int, round []Doc) {
		pl.reset()
		sc.src = tr.roundSource(epoch, from, 0)
		for k := range round {
			tr.planDoc(sc, pl, &round[k], alpha(epoch, from+k), tr.wordEpoch(epoch))
		}
	}
	if tr.p.Threads <= 1 {
		var sc scratch
		pl := new(plan)
		err := rd.each(ctx, func(epoch, from int, round []Doc) {
			planRound(pl, &sc, epoch, from, round)
			train(pl)
		})
		return pairs, err
	}
	free, ready := make(chan *plan, 2), make(chan *plan, 2)
	free <- new(plan)
	free <- new(plan)
	var err error
	go func() {
		defer close(ready)
		var sc scratch
		err = rd.each(ctx, func(epoch, from int, round []Doc) {
			pl := <-free
			planRound(pl, &sc, epoch, from, round)
			ready <- pl
		})
	}()
	for pl := range ready {
		train(pl)
		free <- pl
	}
	return pairs, err
}
