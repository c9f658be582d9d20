// Rounds and shards (see Train): how documents are grouped into rounds, and how the
// shards of a round train in parallel from the weights at its start.

package embed

import (
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"sync"

	"github.com/addlink/addlink/internal/progress"
)

// Round sizes of the sharded training (see Train): a round holds at least
// MinRoundDocs and at most MaxRoundDocs documents, and ends once it holds RoundWork
// units of work, shared among the shards. Measured with 2 shards (link-pair AUC,
// training seconds): 2,000 units give elwikivoyage 0.969 in 2.97 s and viwiki 0.860 in
// 5.87 s; 40,000 give 0.968 in 1.79 s and 0.865 in 5.70 s; 120,000 give 0.968 in 1.60 s
// but viwiki 0.852. The round's size must not grow with the shards: with 20,000 units
// per shard, 16 shards give both wikis a link-pair AUC of 0.53, as the shards' changes
// to the rows they all touch add up to steps 16 times too long; with 40,000 units in
// all, 4, 16 and 64 shards give elwikivoyage 0.967, 0.970 and 0.966 and viwiki 0.868,
// 0.878 and 0.872.
const (
	RoundWork    = 40000
	MaxRoundDocs = 128
	MinRoundDocs = 8
)

// rounds reads a corpus's documents epoch after epoch, a round of them at a time.
type rounds struct {
	c         *Corpus
	p         Params
	nDocs     int
	roundWork int64
	perRound  int
}

// work is a document's units of work: its words, and its link pairs as the trainer
// repeats them.
func (r *rounds) work(d *Doc) int64 {
	return int64(len(d.Words)) + int64(len(d.Links))*int64(2*r.p.LinkWeight+2*r.p.Window)
}

// each calls f with every round of every epoch in order: the epoch, the index of the
// round's first document and its documents (which f must not keep: the reader reuses
// them).
func (r *rounds) each(ctx context.Context, f func(epoch, from int, docs []Doc)) error {
	round := make([]Doc, r.perRound)
	for epoch := 0; epoch < r.p.Epochs; epoch++ {
		dr, err := r.c.Docs.Open()
		if err != nil {
			return err
		}
		for from := 0; from < r.nDocs; {
			if err := ctx.Err(); err != nil {
				dr.Close()
				return err
			}
			n := 0
			var total int64
			for n < r.perRound && from+n < r.nDocs && (total < r.roundWork || n < MinRoundDocs) {
				if err := dr.Next(&round[n]); err != nil {
					dr.Close()
					if err == io.EOF {
						err = fmt.Errorf("embed: the corpus has %d documents, %d announced", from+n, r.nDocs)
					}
					return err
				}
				total += r.work(&round[n])
				n++
			}
			f(epoch, from, round[:n])
			from += n
		}
		if err := dr.Close(); err != nil {
			return err
		}
	}
	return nil
}

// roundSource is the random stream of shard s in the round of an epoch that starts at
// document from.
func (tr *trainer) roundSource(epoch, from, s int) *rand.PCG {
	return rand.NewPCG(tr.p.Seed, uint64(epoch)<<40|uint64(from)<<8|uint64(s))
}

// wordEpoch says whether the epoch trains word-word pairs.
func (tr *trainer) wordEpoch(epoch int) bool {
	return tr.p.WordEpochs <= 0 || epoch < tr.p.WordEpochs
}

// trainShards trains Shards shards, Threads at a time, on views of base (see Train)
// and returns the number of pairs trained.
func (tr *trainer) trainShards(ctx context.Context, base *weights, rd *rounds, alpha func(epoch, di int) float32, rep progress.Reporter) (int64, error) {
	shards := max(tr.p.Shards, 1)
	// Shard s trains on a view of the weights: with one shard, the weights themselves;
	// with more, the weights as they were at the start of the round and its own copies of
	// the rows it touched in the round (see view), so memory grows with the rows a round
	// touches, not with the shards times the vocabulary.
	views := make([]*view, shards)
	for s := range views {
		views[s] = newView(base, shards > 1)
	}
	threads := min(max(tr.p.Threads, 1), shards)
	owner := make([]int, rd.perRound)
	load := make([]int64, shards)
	var totalPairs int64
	err := rd.each(ctx, func(epoch, from int, round []Doc) {
		// Each document goes to the shard with the least work so far in this round
		// (words, and link pairs as the trainer repeats them), in document order.
		for s := range load {
			load[s] = 0
		}
		for k := range round {
			best := 0
			for s := 1; s < shards; s++ {
				if load[s] < load[best] {
					best = s
				}
			}
			owner[k] = best
			load[best] += rd.work(&round[k])
		}
		train := func(s int) {
			w := views[s]
			w.sc.src = tr.roundSource(epoch, from, s)
			for k := range round {
				if owner[k] == s {
					w.pairs += tr.doc(w, &round[k], alpha(epoch, from+k), tr.wordEpoch(epoch))
				}
			}
			w.deltas()
		}
		if threads == 1 {
			for s := 0; s < shards; s++ {
				train(s)
			}
		} else {
			var wg sync.WaitGroup
			next := make(chan int, shards)
			for s := 0; s < shards; s++ {
				next <- s
			}
			close(next)
			for t := 0; t < threads; t++ {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for s := range next {
						train(s)
					}
				}()
			}
			wg.Wait()
		}
		if shards > 1 {
			merge(views, threads)
		}
		var tokens, trained int64
		for k := range round {
			tokens += int64(len(round[k].Words))
		}
		for _, v := range views {
			trained += v.pairs
			v.pairs = 0
		}
		totalPairs += trained
		progress.AddSecondary(rep, trained, "pairs")
		rep.Add(tokens)
	})
	return totalPairs, err
}
