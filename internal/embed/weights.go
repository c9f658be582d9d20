// The logistic table, the weights and a shard's view of them: the copies of the rows a
// shard touches in a round, their deltas, and the merge at the end of the round.

package embed

import (
	"math"
	"sync"
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
