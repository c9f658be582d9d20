// Package embed learns entity embeddings the way wikipedia2vec does: skip-gram with
// negative sampling over one vocabulary of words and entities, trained on three kinds of
// pairs: word-word contexts from article text, entity-entity pairs from the link graph,
// and anchor contexts (a linked entity predicts the words around its link).
package embed

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"math/bits"
	"math/rand/v2"
	"sort"
	"sync"

	"github.com/addlink/addlink/internal/progress"
)

// Doc is one article: its entity, its words (ids into Corpus.Words) and its links.
type Doc struct {
	Entity int32
	Words  []int32
	Links  []Link
}

// Link is a link of a Doc: the entity it points to and the word position it stands at.
type Link struct {
	Entity int32
	Pos    int32
}

// Corpus is the training input.
type Corpus struct {
	Entities   []string // entity titles
	Words      []string
	WordFreq   []int64
	EntityFreq []int64 // how often each entity is linked
	// Docs are the documents, read once per epoch in order; the whole corpus need not
	// fit in memory.
	Docs DocSource
	// Tokens and Links count the documents' words and links, for reports.
	Tokens, Links int64
}

// DocSource gives the documents of a corpus, in the same order every time.
type DocSource interface {
	Len() int
	// Open starts a pass over the documents.
	Open() (DocReader, error)
}

// DocReader reads one pass; Next fills d (reusing its slices) or returns io.EOF.
type DocReader interface {
	Next(d *Doc) error
	Close() error
}

// MemDocs is a DocSource held in memory.
type MemDocs []Doc

// Len returns the number of documents.
func (m MemDocs) Len() int { return len(m) }

// Open starts a pass.
func (m MemDocs) Open() (DocReader, error) { return &memReader{docs: m}, nil }

type memReader struct {
	docs MemDocs
	i    int
}

func (r *memReader) Next(d *Doc) error {
	if r.i >= len(r.docs) {
		return io.EOF
	}
	*d = r.docs[r.i]
	r.i++
	return nil
}

func (r *memReader) Close() error { return nil }

// Params are the training parameters.
type Params struct {
	Dim       int     // 50
	Window    int     // 5
	Negatives int     // 5
	Epochs    int     // 5
	Alpha     float64 // initial learning rate, 0.025, decaying linearly to Alpha*1e-4
	Sample    float64 // subsampling threshold for frequent words, 1e-4
	// LinkWeight is how many times each link-graph pair is trained per epoch (15): the
	// link graph has far fewer pairs than the text, and it is what relates entities.
	LinkWeight int
	Seed       uint64
	// WordEpochs is the number of epochs, the first ones, that train word-word pairs;
	// the others train only the link graph and the anchor contexts. 0 means Epochs.
	// Word-word pairs are most of the work and barely move the entity vectors: on
	// elwikivoyage and viwiki, 1 or 2 word epochs instead of 5 give the same link-pair
	// AUC (0.969 and 0.864) in a third to a half of the time. The default is 2.
	WordEpochs int
	// Shards is the number of shards trained side by side within a round (see
	// Train); the vectors depend on it. Threads is how many of them train at once; the
	// vectors do not depend on it.
	Shards  int
	Threads int
	// SharedNegatives makes the word-word pairs of a window share their negative
	// samples (Ji et al.'s pWord2Vec), so that their rows are fetched once: training
	// takes 0.84-0.95x the time (viwiki 2.15-2.21 -> 1.87-1.95 s, the 40 MB synthetic
	// dump 13.0-13.6 -> 12.4-13.1 s; 0.6-0.75x before the default drew a batch's
	// negatives ahead, which the shared path does not), but with one shard ukwiki's
	// backtest finds 2 of its 52 links fewer at threshold 0.5 (recall 0.404 -> 0.365,
	// mean of seeds 1-4), so one shard has it off by default. More than one shard
	// always shares them: every shard's negatives hit the frequent words' rows, and the
	// shards' summed changes to them overshoot (16 shards: link-pair AUC 0.83 on
	// elwikivoyage and 0.69 on viwiki with a sample per pair, 0.97 and 0.88 shared).
	SharedNegatives bool
}

// DefaultParams are wikipedia2vec's defaults where they apply (dim 50 as the reference).
func DefaultParams() Params {
	return Params{Dim: 50, Window: 5, Negatives: 5, Epochs: 5, Alpha: 0.025, Sample: 1e-4, LinkWeight: 15, WordEpochs: 2, Seed: 1, Shards: 1, Threads: 1}
}

// Model holds the learned vectors: entity i's vector is Vectors[i*Dim:(i+1)*Dim].
type Model struct {
	Dim     int
	Vectors []float32 // entities only
	Pairs   int64     // (input, output) pairs trained, negatives not counted
}

// Vector returns entity i's vector.
func (m *Model) Vector(i int) []float32 { return m.Vectors[i*m.Dim : (i+1)*m.Dim] }

// sampler draws ids base..base+n-1 with probabilities proportional to freq^0.75 by
// Vose's alias method: one small array of cells, so draws stay in cache (a large
// unigram table as word2vec's costs a cache miss per negative).
type sampler struct {
	cells []aliasCell
	base  int32
}

// newSampler builds a sampler over ids [0, len(freq)) offset by base.
func newSampler(freq []int64, base int32) sampler {
	n := len(freq)
	s := sampler{cells: make([]aliasCell, n), base: base}
	var total float64
	w := make([]float64, n)
	for i, f := range freq {
		w[i] = math.Pow(float64(f), 0.75)
		total += w[i]
	}
	if total == 0 {
		s.cells = nil
		return s
	}
	var small, large []int32
	for i := range w {
		w[i] = w[i] * float64(n) / total
		if w[i] < 1 {
			small = append(small, int32(i))
		} else {
			large = append(large, int32(i))
		}
	}
	for len(small) > 0 && len(large) > 0 {
		l := small[len(small)-1]
		small = small[:len(small)-1]
		g := large[len(large)-1]
		s.cells[l] = aliasCell{float32(w[l]), g}
		w[g] -= 1 - w[l]
		if w[g] < 1 {
			large = large[:len(large)-1]
			small = append(small, g)
		}
	}
	for _, i := range append(small, large...) {
		s.cells[i] = aliasCell{1, i}
	}
	return s
}

// aliasCell is a column of the alias table: draw its own id with probability prob,
// alias otherwise. One array of both keeps a draw to one cache line.
type aliasCell struct {
	prob  float32
	alias int32
}

func (s sampler) empty() bool { return len(s.cells) == 0 }

// randFloat32 and randIntN are rand.Rand's Float32 and IntN on src (the same values from
// the same stream), called without the interface.
func randFloat32(src *rand.PCG) float32 {
	return float32(uint32(src.Uint64()>>32)<<8>>8) / (1 << 24)
}

func randIntN(src *rand.PCG, n int) int {
	u := uint64(n)
	if u&(u-1) == 0 {
		return int(src.Uint64() & (u - 1))
	}
	hi, lo := bits.Mul64(src.Uint64(), u)
	if lo < u {
		thresh := -u % u
		for lo < thresh {
			hi, lo = bits.Mul64(src.Uint64(), u)
		}
	}
	return int(hi)
}

// drawN appends n draws to dst (none when the sampler is empty).
func (s sampler) drawN(r *rand.PCG, dst []int32, n int) []int32 {
	if s.empty() {
		return dst
	}
	for range n {
		dst = append(dst, s.draw(r))
	}
	return dst
}

func (s sampler) draw(r *rand.PCG) int32 {
	x := r.Uint64()
	i := int32((x >> 32) * uint64(len(s.cells)) >> 32)
	// Both outcomes are loaded, and the choice is a conditional move, not a branch
	// (the coin is unpredictable).
	c := s.cells[i]
	if float32(uint32(x))*(1.0/(1<<32)) >= c.prob {
		i = c.alias
	}
	return s.base + i
}

// Train learns the vectors. The documents of each epoch are processed in rounds; in a
// round, Shards shards each train on their share of the round's documents (with their
// own random stream) from the weights as they were at the start of the round, and the
// sum of their changes is added to the weights at the end of the round. A shard keeps
// copies of the rows it touches in the round only (see view), so memory does not grow
// with the shards times the vocabulary. The result depends only on the corpus and the
// parameters, Shards included, never on Threads, which only says how many shards train
// at once. Shards 1 is plain sequential SGD; with Threads > 1, it plans a round (draws
// all its random numbers, see plan) on one thread while the round before trains on
// two others (see lanes).
func Train(ctx context.Context, c *Corpus, p Params, rep progress.Reporter) (*Model, error) {
	if p.Dim <= 0 || p.Epochs <= 0 || p.Window <= 0 || p.Negatives <= 0 {
		return nil, errors.New("embed: dimension, window, negatives and epochs must be positive")
	}
	rep = progress.OrNop(rep)
	nEnt, nWord := len(c.Entities), len(c.Words)
	dim := p.Dim
	shards := max(p.Shards, 1)
	// One vocabulary: entities [0, nEnt), words [nEnt, nEnt+nWord).
	base := newWeights(nEnt+nWord, dim)
	init := rand.New(rand.NewPCG(p.Seed, 0xe1))
	for i := range base.syn0 {
		base.syn0[i] = float32((init.Float64() - 0.5) / float64(dim))
	}
	tr := &trainer{p: p, nEnt: int32(nEnt), words: newSampler(c.WordFreq, int32(nEnt)), sharedNegs: p.SharedNegatives || shards > 1}
	// Negative entities are drawn uniformly: popular entities are linked from almost
	// everywhere, and drawing them as negatives in proportion would push apart exactly
	// the pairs the link graph relates.
	uniform := make([]int64, len(c.EntityFreq))
	for i := range uniform {
		uniform[i] = 1
	}
	tr.ents = newSampler(uniform, 0)
	var totalWords int64
	for _, f := range c.WordFreq {
		totalWords += f
	}
	tr.keep = make([]float32, nWord)
	for i, f := range c.WordFreq {
		if p.Sample <= 0 || f == 0 {
			tr.keep[i] = 1
			continue
		}
		r := float64(f) / float64(totalWords)
		tr.keep[i] = float32(math.Min(1, (math.Sqrt(r/p.Sample)+1)*p.Sample/r))
	}
	nDocs := c.Docs.Len()
	totalDocs := int64(nDocs) * int64(p.Epochs)
	var epochTokens int64
	for _, f := range c.WordFreq {
		epochTokens += f
	}
	rep.Phase("embeddings: training", epochTokens*int64(p.Epochs), "tokens")

	// A round ends when its documents hold RoundWork units of work (words, and link
	// pairs as the trainer repeats them), within MinRoundDocs and MaxRoundDocs
	// documents, whatever the number of shards: small rounds keep the shards close.
	rd := &rounds{c: c, p: p, nDocs: c.Docs.Len(), roundWork: RoundWork, perRound: MaxRoundDocs}
	if shards == 1 {
		rd.perRound = 64 // one copy: rounds only batch the reading
		rd.roundWork = math.MaxInt64
	}
	alpha := func(epoch, di int) float32 {
		done := int64(epoch)*int64(nDocs) + int64(di)
		return float32(p.Alpha * math.Max(1-float64(done)/float64(totalDocs), 1e-4))
	}
	var totalPairs int64
	var err error
	if shards == 1 && tr.plans() {
		totalPairs, err = tr.trainPlanned(ctx, base, rd, alpha, rep)
	} else {
		totalPairs, err = tr.trainShards(ctx, base, rd, alpha, rep)
	}
	if err != nil {
		return nil, err
	}
	syn0 := base.syn0
	vec := append([]float32(nil), syn0[:nEnt*dim]...)
	// Remove the direction all entity vectors share (their mean): without it, cosine
	// similarity says more about how often entities were trained than about how they
	// relate.
	if nEnt > 1 {
		mean := make([]float64, dim)
		for i := 0; i < nEnt; i++ {
			for k := 0; k < dim; k++ {
				mean[k] += float64(vec[i*dim+k])
			}
		}
		for i := 0; i < nEnt; i++ {
			for k := 0; k < dim; k++ {
				vec[i*dim+k] -= float32(mean[k] / float64(nEnt))
			}
		}
	}
	return &Model{Dim: dim, Vectors: vec, Pairs: totalPairs}, nil
}

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

// Cosine returns the cosine of two vectors (0 when a norm is 0).
func Cosine(a, b []float32) float64 {
	var dot, na, nb float64
	for i := range a {
		dot += float64(a[i]) * float64(b[i])
		na += float64(a[i]) * float64(a[i])
		nb += float64(b[i]) * float64(b[i])
	}
	if na == 0 || nb == 0 {
		return 0
	}
	return dot / math.Sqrt(na*nb)
}

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

// The logistic function is read from a table of sigmoidSize values over
// [-maxExp, maxExp], as word2vec does.
const (
	maxExp      = 6
	sigmoidSize = 1000
)

var sigmoid = func() [sigmoidSize + 1]float32 {
	var t [sigmoidSize + 1]float32
	for i := range t {
		x := (float64(i)/sigmoidSize*2 - 1) * maxExp
		t[i] = float32(1 / (1 + math.Exp(-x)))
	}
	return t
}()

// weights are the input (syn0) and output (syn1) vectors, rows of dim floats.
type weights struct {
	syn0, syn1 []float32
	dim        int
}

func newWeights(n, dim int) *weights {
	return &weights{syn0: make([]float32, n*dim), syn1: make([]float32, n*dim), dim: dim}
}

// view is what one shard trains on. A direct view is the weights themselves. Otherwise
// the weights are only read during a round: the first time the shard touches a row of
// syn0 or syn1 in a round, the view copies it, and the shard updates the copy; at the end
// of its share of the round, deltas turns the copies into their changes, which merge adds
// to the weights. The result is the same, bit for bit, as training full copies of the
// weights and summing their changes, with memory for the rows a round touches only.
type view struct {
	base     *weights
	direct   bool
	in0, in1 rowCopies // of syn0 and syn1
	sc       scratch
	pairs    int64 // pairs trained in the round
	// Shards write their views' fields all the time, on different threads: no two views
	// share a cache line.
	_ [128]byte
}

func newView(base *weights, overlay bool) *view {
	v := &view{base: base, direct: !overlay}
	if overlay {
		v.in0 = newRowCopies(base.syn0, base.dim)
		v.in1 = newRowCopies(base.syn1, base.dim)
	}
	return v
}

// rowCopies are copies of some rows of a matrix, found by an open-addressing table from
// row to index: keys[h] is row+1 (0 when empty), at[h] the row's index in rows and vecs.
type rowCopies struct {
	src      []float32 // the matrix
	dim      int
	keys, at []int32
	rows     []int32   // the rows copied, in order of first touch
	vecs     []float32 // their copies, dim floats each
}

func newRowCopies(src []float32, dim int) rowCopies {
	return rowCopies{src: src, dim: dim, keys: make([]int32, 1024), at: make([]int32, 1024)}
}

func hashRow(row int32, mask uint32) uint32 { return (uint32(row) * 0x9e3779b1) >> 7 & mask }

// slot returns the index of row's copy, copying it at its first touch. It may grow vecs:
// slices of it taken before are then stale.
func (c *rowCopies) slot(row int32) int32 {
	mask := uint32(len(c.keys) - 1)
	for h := hashRow(row, mask); ; h = (h + 1) & mask {
		switch c.keys[h] {
		case row + 1:
			return c.at[h]
		case 0:
			i := int32(len(c.rows))
			c.keys[h], c.at[h] = row+1, i
			c.rows = append(c.rows, row)
			c.vecs = append(c.vecs, c.src[int(row)*c.dim:int(row)*c.dim+c.dim]...)
			if 2*len(c.rows) > len(c.keys) {
				c.grow()
			}
			return i
		}
	}
}

func (c *rowCopies) grow() {
	c.keys, c.at = make([]int32, 2*len(c.keys)), make([]int32, 2*len(c.keys))
	mask := uint32(len(c.keys) - 1)
	for i, row := range c.rows {
		h := hashRow(row, mask)
		for c.keys[h] != 0 {
			h = (h + 1) & mask
		}
		c.keys[h], c.at[h] = row+1, int32(i)
	}
}

// deltas replaces the copies by their changes (the copy minus the matrix's row, which
// no shard changes during a round).
func (c *rowCopies) deltas() {
	for i, row := range c.rows {
		d, b := c.vecs[i*c.dim:i*c.dim+c.dim], c.src[int(row)*c.dim:int(row)*c.dim+c.dim]
		for k := range d {
			d[k] -= b[k]
		}
	}
}

// addDeltas adds the changes of the rows r with r%of == t to the matrix.
func (c *rowCopies) addDeltas(t, of int) {
	for i, row := range c.rows {
		if int(row)%of == t {
			addTo(c.vecs[i*c.dim:i*c.dim+c.dim], c.src[int(row)*c.dim:int(row)*c.dim+c.dim])
		}
	}
}

// reset forgets the copies.
func (c *rowCopies) reset() {
	clear(c.keys)
	c.rows, c.vecs = c.rows[:0], c.vecs[:0]
}

func (v *view) deltas() {
	if !v.direct {
		v.in0.deltas()
		v.in1.deltas()
	}
}

// merge adds the views' changes to the weights, view by view in order for every row (the
// order of a sum of floats matters), and resets the views. Rows are independent: with
// threads, each goroutine takes the rows of one residue modulo threads.
func merge(views []*view, threads int) {
	var touched int
	for _, v := range views {
		touched += len(v.in0.rows) + len(v.in1.rows)
	}
	part := func(t, of int) {
		for _, v := range views {
			v.in0.addDeltas(t, of)
			v.in1.addDeltas(t, of)
		}
	}
	if threads > 1 && touched > 1024 {
		var wg sync.WaitGroup
		for t := 0; t < threads; t++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				part(t, threads)
			}()
		}
		wg.Wait()
	} else {
		part(0, 1)
	}
	for _, v := range views {
		v.in0.reset()
		v.in1.reset()
	}
}

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
