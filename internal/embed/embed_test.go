package embed

import (
	"context"
	"math"
	"math/rand/v2"
	"testing"
)

// testCorpus is a made-up corpus: docs articles of 20 to 300 words from a vocabulary of
// Zipf-distributed words, each with a few links to articles of a nearby number.
func testCorpus(docs int) *Corpus {
	r := rand.New(rand.NewPCG(3, 4))
	const nWords = 2000
	zipf := rand.NewZipf(r, 1.1, 1, nWords-1)
	c := &Corpus{Entities: make([]string, docs), Words: make([]string, nWords),
		WordFreq: make([]int64, nWords), EntityFreq: make([]int64, docs)}
	var m MemDocs
	for i := 0; i < docs; i++ {
		d := Doc{Entity: int32(i)}
		for n := 20 + r.IntN(280); len(d.Words) < n; {
			w := int32(zipf.Uint64())
			d.Words = append(d.Words, w)
			c.WordFreq[w]++
		}
		for k := r.IntN(6); k > 0; k-- {
			e := int32((i + r.IntN(20)) % docs)
			d.Links = append(d.Links, Link{Entity: e, Pos: int32(r.IntN(len(d.Words)))})
			c.EntityFreq[e]++
		}
		c.Tokens += int64(len(d.Words))
		c.Links += int64(len(d.Links))
		m = append(m, d)
	}
	for i := range c.Words {
		if c.WordFreq[i] == 0 {
			c.WordFreq[i] = 1
		}
	}
	c.Docs = m
	return c
}

// TestThreadsDoNotChangeVectors: with a given number of shards (1, 4 or 16), 1, 2 and 4
// threads give the same vectors bit for bit.
func TestThreadsDoNotChangeVectors(t *testing.T) {
	c := testCorpus(600)
	for _, shards := range []int{1, 4, 16} {
		var want []float32
		for _, threads := range []int{1, 2, 4} {
			p := DefaultParams()
			p.Epochs, p.Shards, p.Threads = 2, shards, threads
			m, err := Train(context.Background(), c, p, nil)
			if err != nil {
				t.Fatal(err)
			}
			if want == nil {
				want = m.Vectors
				continue
			}
			for i := range want {
				if math.Float32bits(m.Vectors[i]) != math.Float32bits(want[i]) {
					t.Fatalf("%d shards: %d threads differ from 1 thread at %d: %v, %v", shards, threads, i, m.Vectors[i], want[i])
				}
			}
		}
	}
}

// BenchmarkTrain trains one shard on a made-up corpus of 1,000 articles for one epoch:
// the trainer's inner loop (word pairs, link graph, anchor contexts) without the dump.
func BenchmarkTrain(b *testing.B) {
	c := testCorpus(1000)
	p := DefaultParams()
	p.Epochs = 1
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Train(context.Background(), c, p, nil); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(c.Tokens)*float64(b.N)/b.Elapsed().Seconds(), "tokens/s")
}

// TestLookAheadSameVectors: one shard trains through trainer.ahead (every update's
// negatives drawn before the updates, the next rows asked for ahead); the vectors are
// those of training one update after the other, bit for bit.
func TestLookAheadSameVectors(t *testing.T) {
	p := DefaultParams()
	p.Epochs, p.WordEpochs = 2, 1
	sameVectorsEitherWay(t, &lookAhead, p, "ahead", "one update after the other")
}

// sameVectorsEitherWay trains a made-up corpus with *flag false and with it true (and
// restores it) and fails unless the vectors are the same bits; on and off name the two
// ways in the failure.
func sameVectorsEitherWay(t *testing.T, flag *bool, p Params, on, off string) {
	t.Helper()
	c := testCorpus(300)
	train := func(v bool) []float32 {
		defer func(old bool) { *flag = old }(*flag)
		*flag = v
		m, err := Train(context.Background(), c, p, nil)
		if err != nil {
			t.Fatal(err)
		}
		return m.Vectors
	}
	want, got := train(false), train(true)
	for i := range want {
		if math.Float32bits(got[i]) != math.Float32bits(want[i]) {
			t.Fatalf("vector element %d: %v %s, %v %s", i, got[i], on, want[i], off)
		}
	}
}

// TestRandLikeMathRand: randFloat32 and randIntN give what rand.Rand's Float32 and IntN
// give on the same stream (the trainer calls them without the interface).
func TestRandLikeMathRand(t *testing.T) {
	a, b := rand.NewPCG(7, 8), rand.NewPCG(7, 8)
	r := rand.New(b)
	for i := range 100000 {
		n := []int{1, 2, 3, 5, 8, 1000, 1<<62 + 1}[i%7]
		if got, want := randIntN(a, n), r.IntN(n); got != want {
			t.Fatalf("draw %d: randIntN(%d) = %d, IntN %d", i, n, got, want)
		}
		if got, want := randFloat32(a), r.Float32(); got != want {
			t.Fatalf("draw %d: randFloat32 = %v, Float32 %v", i, got, want)
		}
	}
}

// TestTinyDocuments: documents of one word, and links with no word near them, train
// (a window or an anchor with no pair is nothing to do, whatever comes first).
func TestTinyDocuments(t *testing.T) {
	c := &Corpus{Entities: []string{"a", "b"}, Words: []string{"x", "y"}, WordFreq: []int64{3, 1},
		EntityFreq: []int64{1, 1}, Tokens: 3, Links: 1,
		Docs: MemDocs{{Entity: 0, Words: []int32{0}}, {Entity: 1, Words: []int32{0, 0}, Links: []Link{{Entity: 0, Pos: 40}}}}}
	for _, shards := range []int{1, 2} {
		p := DefaultParams()
		p.Shards, p.Sample = shards, 0
		m, err := Train(context.Background(), c, p, nil)
		if err != nil {
			t.Fatal(err)
		}
		if m.Pairs == 0 {
			t.Errorf("%d shards: no pair trained", shards)
		}
	}
}

// FuzzTrain trains one shard and two on small corpora made from the input (documents of
// any length, links anywhere, words of any frequency, entities never linked): training
// never fails or panics, the vectors are finite, and 1 and 2 threads give the same bits.
func FuzzTrain(f *testing.F) {
	f.Add([]byte{3, 1, 2, 0, 250, 7, 7, 1, 0, 9})
	f.Add([]byte{1, 0})
	f.Add([]byte{8, 255, 255, 4, 4, 4, 4, 4, 4, 4, 4, 0, 1, 2, 3})
	f.Fuzz(func(t *testing.T, b []byte) {
		if len(b) < 2 || len(b) > 512 {
			return
		}
		nEnt, nWord := int(b[0]%8)+1, int(b[1]%8)+1
		c := &Corpus{Entities: make([]string, nEnt), Words: make([]string, nWord),
			WordFreq: make([]int64, nWord), EntityFreq: make([]int64, nEnt)}
		var docs MemDocs
		for i := 2; i < len(b); {
			d := Doc{Entity: int32(int(b[i]) % nEnt)}
			n := int(b[i] >> 4)
			i++
			for ; n > 0 && i < len(b); n, i = n-1, i+1 {
				if b[i]&0x80 != 0 {
					d.Links = append(d.Links, Link{Entity: int32(int(b[i]) % nEnt), Pos: int32(b[i] & 0x1f)})
					c.EntityFreq[int(b[i])%nEnt]++
					continue
				}
				w := int32(int(b[i]) % nWord)
				d.Words = append(d.Words, w)
				c.WordFreq[w]++
			}
			c.Tokens += int64(len(d.Words))
			c.Links += int64(len(d.Links))
			docs = append(docs, d)
		}
		c.Docs = docs
		for _, shards := range []int{1, 2} {
			var want []float32
			for _, threads := range []int{1, 2} {
				p := DefaultParams()
				p.Epochs, p.Dim, p.Shards, p.Threads = 2, 9, shards, threads
				m, err := Train(context.Background(), c, p, nil)
				if err != nil {
					t.Fatal(err)
				}
				for i, v := range m.Vectors {
					if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
						t.Fatalf("%d shards: element %d is %v", shards, i, v)
					}
					if want != nil && math.Float32bits(v) != math.Float32bits(want[i]) {
						t.Fatalf("%d shards: 2 threads differ from 1 at %d", shards, i)
					}
				}
				want = m.Vectors
			}
		}
	})
}
