// Package embed learns entity embeddings the way wikipedia2vec does: skip-gram with
// negative sampling over one vocabulary of words and entities, trained on three kinds of
// pairs: word-word contexts from article text, entity-entity pairs from the link graph,
// and anchor contexts (a linked entity predicts the words around its link).
package embed

import (
	"context"
	"errors"
	"io"
	"math"
	"math/rand/v2"

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
