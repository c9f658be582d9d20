package embed

import (
	"context"
	"runtime"
	"sort"
	"sync/atomic"

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
	first         int64 // the sequence number of batches[0]: batches are numbered from 0 in training order
}

// batch is what trainer.run takes: a word window's pairs, a link's link-graph pairs or a
// link's anchor contexts.
type batch struct {
	in     int32
	shared bool
	alpha  float32
	end    int32 // the batch's outs end at outs[end]
	lane   uint8 // the lane that trains it (see lanes)
	// after is 1 + the sequence number of the last batch before it in the other lane
	// that touches one of its rows, 0 if none.
	after int64
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
// negatives from neg; an empty batch draws nothing, as trainer.ahead. With ln, it
// records which batch of the other lane the batch must wait for.
func (pl *plan) end(sc *scratch, ln *lanes, neg sampler, negatives int, in int32, alpha float32, shared bool) {
	start := 0
	if len(pl.batches) > 0 {
		start = int(pl.batches[len(pl.batches)-1].end)
	}
	k := len(pl.outs) - start
	if k == 0 {
		return
	}
	pl.negs = neg.drawN(sc.src, pl.negs, k*negatives)
	b := batch{in: in, shared: shared, alpha: alpha, end: int32(len(pl.outs)), lane: 1}
	if ln != nil {
		seq := pl.first + int64(len(pl.batches)) + 1
		switch {
		case shared:
			// A link's link-graph pairs: its two entities and its negatives, all
			// entities' input rows.
			b.lane = ln.docLane
			b.after = ln.touch(b.lane, in, seq)
			for _, r := range pl.outs[start:][:2] {
				b.after = max(b.after, ln.touch(b.lane, r, seq))
			}
			for _, r := range pl.negs[len(pl.negs)-k*negatives:] {
				b.after = max(b.after, ln.touch(b.lane, r, seq))
			}
		case in < ln.nEnt:
			// A link's anchor contexts: the entity's input row (the rest are words'
			// output rows, which the link graph does not touch).
			b.after = ln.touch(b.lane, in, seq)
		}
		ln.work[b.lane] += int64(k)
	}
	pl.batches = append(pl.batches, b)
	pl.pairs += int64(k)
}

// planDoc adds a document's updates to pl, drawing from sc.src what trainer.doc draws
// for them, in the same order: subsample, the word pairs, then for each link its link
// graph and its anchor contexts.
func (tr *trainer) planDoc(sc *scratch, ln *lanes, pl *plan, doc *Doc, alpha float32, wordPairs bool) {
	p := tr.p
	if ln != nil {
		ln.docLane = 0
		if ln.work[0] > ln.work[1] {
			ln.docLane = 1
		}
	}
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
			pl.end(sc, ln, tr.words, p.Negatives, wd, alpha, false)
		}
	}
	for _, l := range doc.Links {
		for range p.LinkWeight {
			pl.outs = append(pl.outs, l.Entity, doc.Entity)
		}
		pl.end(sc, ln, tr.ents, p.Negatives, doc.Entity, alpha, true)
		lo := sort.Search(len(pos), func(i int) bool { return pos[i] >= l.Pos-int32(p.Window) })
		for i := lo; i < len(pos) && pos[i] <= l.Pos+int32(p.Window); i++ {
			pl.outs = append(pl.outs, kept[i])
		}
		pl.end(sc, ln, tr.words, p.Negatives, l.Entity, alpha, false)
	}
	pl.tokens += int64(len(doc.Words))
}

// lanes lets two threads train one shard's plans with the vectors of training them in
// order. The link graph's batches touch only the entities' input rows; the word pairs
// touch only the words' rows, and the anchor contexts one entity's input row and words'
// output rows. So lane 1 trains the word pairs and the anchor contexts, and each
// document's link graph goes to the lane with less work planned in the round (lane 0
// while the word pairs keep lane 1 busy, either in the epochs without them). A batch waits
// only for the last batch of the other lane, before it in training order, that touches
// one of its rows (batch.after): batches that share no row give the same bits in
// either order. The planner records, for every entity, the last batch of each lane
// that touched its input row.
type lanes struct {
	nEnt    int32
	last    [2][]int64 // per lane and entity, 1 + the sequence number of that batch, 0 if none
	work    [2]int64   // pairs planned on each lane in the round
	docLane uint8      // the lane of the current document's link graph
}

// touch records that the batch numbered seq-1, on lane, touches row and returns what it
// waits for in the other lane.
func (ln *lanes) touch(lane uint8, row int32, seq int64) int64 {
	ln.last[lane][row] = seq
	return ln.last[1-lane][row]
}

// execLane trains, in a direct view, the batches of a plan of one lane, each once the
// other lane has trained the batch it waits for; done counts the lane's progress (1 +
// the sequence number of the batch it last trained) and other the other lane's.
func (tr *trainer) execLane(w *view, sc *scratch, pl *plan, lane uint8, done, other *progressCounter) {
	n := tr.p.Negatives
	sc.dims(w.base.dim)
	start := 0
	for k, b := range pl.batches {
		end := int(b.end)
		if b.lane == lane {
			// The other lane's counter is read only when what was last read of it
			// does not cover b: each read of it takes its cache line from the core
			// that writes it.
			for other.seen < b.after {
				if other.seen = other.n.Load(); other.seen < b.after {
					runtime.Gosched()
				}
			}
			tr.run(w, sc, b.in, pl.outs[start:end], pl.negs[start*n:end*n], b.alpha, b.shared)
			done.n.Store(pl.first + int64(k) + 1)
		}
		start = end
	}
}

// progressCounter is a lane's progress (n), written by that lane, and what the other
// lane last read of it (seen), each on a cache line of its own so that neither the
// other lane's reads nor its writes to seen take the line that n is written to.
type progressCounter struct {
	_    [64]byte
	n    atomic.Int64
	_    [56]byte
	seen int64
	_    [56]byte
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
// trained. With Threads > 1, a goroutine plans the rounds ahead and two lanes train them
// (see lanes).
func (tr *trainer) trainPlanned(ctx context.Context, base *weights, rd *rounds, alpha func(epoch, di int) float32, rep progress.Reporter) (int64, error) {
	w := newView(base, false)
	var pairs int64
	account := func(pl *plan) {
		pairs += pl.pairs
		progress.AddSecondary(rep, pl.pairs, "pairs")
		rep.Add(pl.tokens)
	}
	planRound := func(pl *plan, sc *scratch, ln *lanes, epoch, from int, round []Doc) {
		pl.reset()
		if ln != nil {
			// The lanes meet at every round (see trainPlanned): each round's
			// work is balanced on its own.
			ln.work = [2]int64{}
		}
		sc.src = tr.roundSource(epoch, from, 0)
		for k := range round {
			tr.planDoc(sc, ln, pl, &round[k], alpha(epoch, from+k), tr.wordEpoch(epoch))
		}
	}
	if tr.p.Threads <= 1 {
		var sc scratch
		pl := new(plan)
		err := rd.each(ctx, func(epoch, from int, round []Doc) {
			planRound(pl, &sc, nil, epoch, from, round)
			tr.exec(w, &w.sc, pl)
			account(pl)
		})
		return pairs, err
	}
	// Plans in flight: one the planner fills, and rounds the lanes may be apart.
	const inFlight = 4
	free, ready := make(chan *plan, inFlight), make(chan *plan, inFlight)
	for range inFlight {
		free <- new(plan)
	}
	ln := &lanes{nEnt: tr.nEnt, last: [2][]int64{make([]int64, tr.nEnt), make([]int64, tr.nEnt)}}
	var err error
	go func() {
		defer close(ready)
		var sc scratch
		var next int64
		err = rd.each(ctx, func(epoch, from int, round []Doc) {
			pl := <-free
			pl.first = next
			planRound(pl, &sc, ln, epoch, from, round)
			next += int64(len(pl.batches))
			ready <- pl
		})
	}()
	// Lane 0 is a goroutine, lane 1 this one, which hands each plan back once both
	// have trained it (lane 0 may be a round behind).
	var done0, done1 progressCounter
	toLane0, fromLane0 := make(chan *plan, inFlight), make(chan *plan, inFlight)
	go func() {
		defer close(fromLane0)
		var sc scratch
		for pl := range toLane0 {
			tr.execLane(w, &sc, pl, 0, &done0, &done1)
			fromLane0 <- pl
		}
	}()
	var queue []*plan
	finish := func() {
		pl := <-fromLane0
		account(pl)
		queue = queue[1:]
		free <- pl
	}
	for pl := range ready {
		toLane0 <- pl
		tr.execLane(w, &w.sc, pl, 1, &done1, &done0)
		queue = append(queue, pl)
		if len(queue) > 1 {
			finish()
		}
	}
	close(toLane0)
	for len(queue) > 0 {
		finish()
	}
	return pairs, err
}
