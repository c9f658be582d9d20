// Package linker computes the features of link candidates and recommends links. It is
// the only place where features are computed: training rows, backtests and queries all
// call it, so training and serving cannot drift apart.
package linker

import (
	"math"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/addlink/addlink/internal/wikitext"
)

// kurtosisLength is the length the candidate counts are padded to with 1s.
const kurtosisLength = 1000

// Kurtosis is the reference's skew feature: the Fisher kurtosis with population moments
// (scipy.stats.kurtosis defaults) of a mention's candidate counts sorted in decreasing
// order and padded with 1s to 1000 values. Constant input gives NaN, as scipy 1.10 and
// later do.
func Kurtosis(counts []int64) float64 {
	// On the stack for the usual anchor: a heap slice per anchor made loading a large
	// wiki's anchors allocate 24 KB each, and the garbage collector's work grow with it.
	var buf [kurtosisLength]float64
	x := buf[:0]
	if len(counts) > kurtosisLength {
		x = make([]float64, 0, len(counts))
	}
	for _, c := range counts {
		x = append(x, float64(c))
	}
	slices.Sort(x) // descending: equal values are the same bits, so the order is sort.Reverse's
	slices.Reverse(x)
	for len(x) < kurtosisLength {
		x = append(x, 1)
	}
	return fisherKurtosis(x)
}

// fisherKurtosis follows scipy.stats.kurtosis(bias=True, fisher=True): central moments
// about the mean computed as numpy does (mean by pairwise summation, then the mean of the
// powered deviations), NaN when the variance is zero to floating-point precision.
func fisherKurtosis(x []float64) float64 {
	n := float64(len(x))
	mean := pairwiseSum(x) / n
	var b2, b4 [kurtosisLength]float64
	var d2, d4 []float64
	if len(x) > kurtosisLength {
		d2, d4 = make([]float64, len(x)), make([]float64, len(x))
	} else {
		d2, d4 = b2[:len(x)], b4[:len(x)]
	}
	for i, v := range x {
		d := v - mean
		d2[i] = d * d
		d4[i] = d2[i] * d2[i]
	}
	m2 := pairwiseSum(d2) / n
	m4 := pairwiseSum(d4) / n
	// scipy: zero = (m2 <= (finfo(float64).eps * mean)**2)
	eps := math.Nextafter(1, 2) - 1
	if m2 <= (eps*mean)*(eps*mean) {
		return math.NaN()
	}
	return m4/(m2*m2) - 3
}

// pairwiseSum adds like numpy's float64 add.reduce: blocks of 8 partial sums for up to
// 128 values, pairwise recursion above.
func pairwiseSum(a []float64) float64 {
	n := len(a)
	switch {
	case n < 8:
		s := 0.0
		for _, v := range a {
			s += v
		}
		return s
	case n <= 128:
		var r [8]float64
		copy(r[:], a[:8])
		i := 8
		for ; i < n-n%8; i += 8 {
			for k := 0; k < 8; k++ {
				r[k] += a[i+k]
			}
		}
		s := ((r[0] + r[1]) + (r[2] + r[3])) + ((r[4] + r[5]) + (r[6] + r[7]))
		for ; i < n; i++ {
			s += a[i]
		}
		return s
	}
	n2 := n / 2
	n2 -= n2 % 8
	return pairwiseSum(a[:n2]) + pairwiseSum(a[n2:])
}

// Jaro is python-Levenshtein 0.12's jaro() of two strings (compared by code point):
// common characters are assigned at their earliest position within the window.
func Jaro(a, b string) float64 {
	s1, s2 := []rune(a), []rune(b)
	if !utf8.ValidString(a) || !utf8.ValidString(b) {
		s1, s2 = []rune(strings.ToValidUTF8(a, "\uFFFD")), []rune(strings.ToValidUTF8(b, "\uFFFD"))
	}
	len1, len2 := len(s1), len(s2)
	if len1 == 0 || len2 == 0 {
		if len1 == 0 && len2 == 0 {
			return 1
		}
		return 0
	}
	if len1 > len2 {
		s1, s2 = s2, s1
		len1, len2 = len2, len1
	}
	half := (len1 + 1) / 2
	idx := make([]int, len1)
	match := 0
	for i := 0; i < half; i++ {
		for j := 0; j <= i+half && j < len1; j++ {
			if s1[j] == s2[i] && idx[j] == 0 {
				match++
				idx[j] = match
				break
			}
		}
	}
	to := min(len1+half, len2)
	for i := half; i < to; i++ {
		for j := i - half; j < len1; j++ {
			if s1[j] == s2[i] && idx[j] == 0 {
				match++
				idx[j] = match
				break
			}
		}
	}
	if match == 0 {
		return 0
	}
	trans, k := 0, 0
	for j := 0; j < len1; j++ {
		if idx[j] != 0 {
			k++
			if idx[j] != k {
				trans++
			}
		}
	}
	md := float64(match)
	return (md/float64(len1) + md/float64(len2) + 1 - float64(trans)/md/2) / 3
}

// JaroFeature is the reference's jaro feature: Jaro of the lower-cased mention and the
// lower-cased candidate title (Python's lower-casing).
func JaroFeature(mention, target string) float64 {
	return Jaro(wikitext.Lower(mention), wikitext.Lower(target))
}

// Cosine is the w2v feature: the cosine of two embeddings in float32 arithmetic, 0 when
// either is missing, a norm is 0, or the result is NaN.
func Cosine(a, b []float32) float32 {
	if a == nil || b == nil || len(a) != len(b) {
		return 0
	}
	var dot, na, nb float32
	for i := range a {
		dot += a[i] * b[i]
		na += a[i] * a[i]
		nb += b[i] * b[i]
	}
	norm := float32(math.Sqrt(float64(nb))) * float32(math.Sqrt(float64(na)))
	if norm == 0 {
		return 0
	}
	c := dot / norm
	if c != c {
		return 0
	}
	return c
}

// NGram is the ngram feature: the number of whitespace-separated words of the mention.
func NGram(mention string) int { return len(wikitext.PyFields(mention)) }
