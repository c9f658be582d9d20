package gbdt

import "math"

// missingBin is the bin code of a missing value (NaN).
const missingBin = math.MaxUint16

// cuts holds the histogram bin boundaries of one feature, as XGBoost's "hist" method
// builds them: bin i holds the values v with Cuts[i-1] <= v < Cuts[i] (bin 0 starts at
// the minimum), and the last cut lies above the maximum.
type cuts struct {
	Cuts []float32
	// Min lies below the minimum: the threshold that sends every present value right.
	Min float32
}

// beyond returns a value just past v away from zero by |v| + 1e-5, as XGBoost pads its
// first and last cut.
func beyond(v float32, up bool) float32 {
	d := float32(math.Abs(float64(v))) + 1e-5
	if up {
		return v + d
	}
	return v - d
}

// makeCuts computes the cut points of one feature from its values (NaN = missing) with at
// most maxBin bins. With at most maxBin distinct values every distinct value starts a
// bin, as in XGBoost; otherwise the cuts are the values at ranks k*n/maxBin, k = 1 ..
// maxBin-1, the equal-weight quantiles XGBoost's sketch approximates. sorted is scratch
// space.
func makeCuts(values []float32, maxBin int, sorted []float32) (cuts, []float32) {
	sorted = sorted[:0]
	for _, v := range values {
		if v == v {
			sorted = append(sorted, v)
		}
	}
	if len(sorted) == 0 {
		// Only missing values: one empty bin; no split can separate anything.
		return cuts{Cuts: []float32{1e-5}, Min: -1e-5}, sorted
	}
	sortFloat32s(sorted)
	n := len(sorted)
	lo, hi := sorted[0], sorted[n-1]
	distinct := 1
	for i := 1; i < n && distinct <= maxBin; i++ {
		if sorted[i] != sorted[i-1] {
			distinct++
		}
	}
	var c []float32
	if distinct <= maxBin {
		for i := 1; i < n; i++ {
			if sorted[i] != sorted[i-1] {
				c = append(c, sorted[i])
			}
		}
	} else {
		for k := 1; k < maxBin; k++ {
			v := sorted[int(int64(k)*int64(n)/int64(maxBin))]
			if v > lo && (len(c) == 0 || v > c[len(c)-1]) {
				c = append(c, v)
			}
		}
	}
	c = append(c, beyond(hi, true))
	return cuts{Cuts: c, Min: beyond(lo, false)}, sorted
}

// bin returns the bin of v: the index of the first cut above v (the last bin for values
// beyond it), or missingBin for NaN.
func (c *cuts) bin(v float32) uint16 {
	if v != v {
		return missingBin
	}
	// Branch-free search for the last cut <= v (or index 0).
	cs := c.Cuts
	base, n := 0, len(cs)
	for n > 1 {
		half := n / 2
		if cs[base+half] <= v {
			base += half
		}
		n -= half
	}
	lo := base
	if cs[base] <= v {
		lo++
	}
	if lo == len(cs) {
		lo--
	}
	return uint16(lo)
}

// sortFloat32s sorts values without NaN ascending (-0 before +0) with an LSD radix sort
// on order-preserving keys: three passes of 11 bits.
func sortFloat32s(a []float32) {
	if len(a) < 256 {
		for i := 1; i < len(a); i++ {
			for j := i; j > 0 && a[j] < a[j-1]; j-- {
				a[j], a[j-1] = a[j-1], a[j]
			}
		}
		return
	}
	keys := make([]uint32, len(a))
	tmp := make([]uint32, len(a))
	for i, v := range a {
		u := math.Float32bits(v)
		if u>>31 == 1 {
			u = ^u
		} else {
			u |= 1 << 31
		}
		keys[i] = u
	}
	for shift := 0; shift < 32; shift += 11 {
		var count [2048]int
		for _, k := range keys {
			count[(k>>shift)&2047]++
		}
		pos := 0
		for i, c := range count {
			count[i] = pos
			pos += c
		}
		for _, k := range keys {
			b := (k >> shift) & 2047
			tmp[count[b]] = k
			count[b]++
		}
		keys, tmp = tmp, keys
	}
	for i, u := range keys {
		if u>>31 == 1 {
			u &^= 1 << 31
		} else {
			u = ^u
		}
		a[i] = math.Float32frombits(u)
	}
}
