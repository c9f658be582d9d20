// Package embed learns entity embeddings the way wikipedia2vec does: skip-gram with
// negative sampling over one vocabulary of words and entities, trained on three kinds of
// pairs: word-word contexts from article text, entity-entity pairs from the link graph,
// and anchor contexts (a linked entity predicts the words around its link).
package embed

import (
	"context"
	"errors"
	"math"
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
	Docs       []Doc
}

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
	Threads    int // 1 gives byte-identical vectors across runs
}

// DefaultParams are wikipedia2vec's defaults where they apply (dim 50 as the reference).
func DefaultParams() Params {
	return Params{Dim: 50, Window: 5, Negatives: 5, Epochs: 5, Alpha: 0.025, Sample: 1e-4, LinkWeight: 15, Seed: 1, Threads: 1}
}

// Model holds the learned vectors: entity i's vector is Vectors[i*Dim:(i+1)*Dim].
type Model struct {
	Dim     int
	Vectors []float32 // entities only
}

// Vector returns entity i's vector.
func (m *Model) Vector(i int) []float32 { return m.Vectors[i*m.Dim : (i+1)*m.Dim] }

type sampler struct {
	table []int32
}

// newSampler builds a unigram^0.75 table over ids [0, len(freq)) offset by base.
func newSampler(freq []int64, base int32, size int) sampler {
	var total float64
	for _, f := range freq {
		total += math.Pow(float64(f), 0.75)
	}
	s := sampler{table: make([]int32, 0, size)}
	if total == 0 {
		return s
	}
	acc := 0.0
	i := 0
	for k := 0; k < size && len(freq) > 0; k++ {
		for i < len(freq)-1 && float64(k)/float64(size) > acc/total+math.Pow(float64(freq[i]), 0.75)/total {
			acc += math.Pow(float64(freq[i]), 0.75)
			i++
		}
		s.table = append(s.table, base+int32(i))
	}
	return s
}

func (s sampler) draw(r *rand.Rand) int32 { return s.table[r.IntN(len(s.table))] }

// Train learns the vectors. With Threads 1 the result depends only on the corpus and
// the parameters; with more threads updates race (as in word2vec) and results vary
// slightly from run to run.
func Train(ctx context.Context, c *Corpus, p Params, rep progress.Reporter) (*Model, error) {
	if p.Dim <= 0 || p.Epochs <= 0 || p.Window <= 0 || p.Negatives <= 0 {
		return nil, errors.New("embed: dimension, window, negatives and epochs must be positive")
	}
	rep = progress.OrNop(rep)
	nEnt, nWord := len(c.Entities), len(c.Words)
	dim := p.Dim
	// One vocabulary: entities [0, nEnt), words [nEnt, nEnt+nWord).
	syn0 := make([]float32, (nEnt+nWord)*dim)
	syn1 := make([]float32, (nEnt+nWord)*dim)
	init := rand.New(rand.NewPCG(p.Seed, 0xe1))
	for i := range syn0 {
		syn0[i] = float32((init.Float64() - 0.5) / float64(dim))
	}
	words := newSampler(c.WordFreq, int32(nEnt), 1<<20)
	// Negative entities are drawn uniformly: popular entities are linked from almost
	// everywhere, and drawing them as negatives in proportion would push apart exactly
	// the pairs the link graph relates.
	uniform := make([]int64, len(c.EntityFreq))
	for i := range uniform {
		uniform[i] = 1
	}
	ents := newSampler(uniform, 0, 1<<20)
	var totalWords int64
	for _, f := range c.WordFreq {
		totalWords += f
	}
	keep := make([]float32, nWord)
	for i, f := range c.WordFreq {
		if p.Sample <= 0 || f == 0 {
			keep[i] = 1
			continue
		}
		r := float64(f) / float64(totalWords)
		keep[i] = float32(math.Min(1, (math.Sqrt(r/p.Sample)+1)*p.Sample/r))
	}
	threads := max(p.Threads, 1)
	totalDocs := int64(len(c.Docs)) * int64(p.Epochs)
	rep.Phase("embeddings: training", totalDocs, "articles")
	var done int64
	var mu sync.Mutex
	var wg sync.WaitGroup
	errs := make([]error, threads)
	for t := 0; t < threads; t++ {
		wg.Add(1)
		go func(t int) {
			defer wg.Done()
			r := rand.New(rand.NewPCG(p.Seed, uint64(t)+1))
			neu1e := make([]float32, dim)
			// update trains in to predict out against negatives from neg. With shared, the
			// output side uses the input vectors too (entity-entity pairs: first-order
			// proximity, so linked entities get similar vectors).
			update := func(in, out int32, neg sampler, alpha float32, shared bool) {
				l1 := syn0[int(in)*dim : int(in)*dim+dim]
				clear(neu1e)
				for d := 0; d <= p.Negatives; d++ {
					target, label := out, float32(1)
					if d > 0 {
						if len(neg.table) == 0 {
							break
						}
						target, label = neg.draw(r), 0
						if target == out {
							continue
						}
					}
					outv := syn1
					if shared {
						outv = syn0
					}
					l2 := outv[int(target)*dim : int(target)*dim+dim]
					var f float32
					for k := range l1 {
						f += l1[k] * l2[k]
					}
					var g float32
					switch {
					case f > 6:
						g = (label - 1) * alpha
					case f < -6:
						g = label * alpha
					default:
						g = (label - float32(1/(1+math.Exp(-float64(f))))) * alpha
					}
					for k := range l1 {
						neu1e[k] += g * l2[k]
						l2[k] += g * l1[k]
					}
				}
				for k := range l1 {
					l1[k] += neu1e[k]
				}
			}
			var kept []int32
			var pos []int32
			for epoch := 0; epoch < p.Epochs; epoch++ {
				for di := t; di < len(c.Docs); di += threads {
					if di%256 == t && ctx.Err() != nil {
						errs[t] = ctx.Err()
						return
					}
					mu.Lock()
					progressDone := done
					done++
					mu.Unlock()
					frac := float64(progressDone) / float64(totalDocs)
					alpha := float32(p.Alpha * math.Max(1-frac, 1e-4))
					doc := &c.Docs[di]
					// Subsample frequent words, keeping each word's new position.
					kept, pos = kept[:0], pos[:0]
					for i, w := range doc.Words {
						if keep[w] >= 1 || r.Float32() < keep[w] {
							kept = append(kept, int32(nEnt)+w)
							pos = append(pos, int32(i))
						}
					}
					// Word-word skip-gram.
					for i, w := range kept {
						b := r.IntN(p.Window)
						for j := i - p.Window + b; j <= i+p.Window-b; j++ {
							if j < 0 || j >= len(kept) || j == i {
								continue
							}
							update(w, kept[j], words, alpha, false)
						}
					}
					for _, l := range doc.Links {
						// Link graph, both directions.
						for rep := 0; rep < p.LinkWeight; rep++ {
							update(doc.Entity, l.Entity, ents, alpha, true)
							update(l.Entity, doc.Entity, ents, alpha, true)
						}
						// Anchor context: the linked entity predicts the words around it.
						lo := sort.Search(len(pos), func(i int) bool { return pos[i] >= l.Pos-int32(p.Window) })
						for i := lo; i < len(pos) && pos[i] <= l.Pos+int32(p.Window); i++ {
							update(l.Entity, kept[i], words, alpha, false)
						}
					}
					rep.Add(1)
				}
			}
		}(t)
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return nil, err
		}
	}
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
	return &Model{Dim: dim, Vectors: vec}, nil
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
