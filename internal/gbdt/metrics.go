package gbdt

import (
	"math"
	"slices"
)

// AUC returns the area under the ROC curve of scores for labels (0 or 1), counting tied
// scores as half (the Mann-Whitney statistic, as scikit-learn's roc_auc_score). It is NaN
// when only one class is present.
func AUC(labels, scores []float32) float64 {
	// Sort (score, index) pairs packed into integers that order as the scores do
	// (-0 and +0 alike; tied scores form one group whatever their order).
	keys := make([]uint64, len(scores))
	for i, v := range scores {
		if v == 0 {
			v = 0 // -0 ties with +0
		}
		b := math.Float32bits(v)
		if b>>31 != 0 {
			b = ^b
		} else {
			b |= 1 << 31
		}
		keys[i] = uint64(b)<<32 | uint64(i)
	}
	slices.Sort(keys)
	idx := make([]int, len(keys))
	for i, k := range keys {
		idx[i] = int(uint32(k))
	}
	var pos, neg float64
	for _, y := range labels {
		if y == 1 {
			pos++
		} else {
			neg++
		}
	}
	if pos == 0 || neg == 0 {
		return math.NaN()
	}
	// Sum of the ranks of the positives, ties sharing their mean rank.
	var rankSum float64
	for i := 0; i < len(idx); {
		j := i
		for j < len(idx) && scores[idx[j]] == scores[idx[i]] {
			j++
		}
		mean := float64(i+j+1) / 2 // ranks i+1 .. j
		for k := i; k < j; k++ {
			if labels[idx[k]] == 1 {
				rankSum += mean
			}
		}
		i = j
	}
	return (rankSum - pos*(pos+1)/2) / (pos * neg)
}

// LogLoss returns the mean binary cross-entropy of probabilities for labels, with the
// probabilities clipped to [1e-15, 1-1e-15].
func LogLoss(labels, probs []float32) float64 {
	if len(labels) == 0 {
		return math.NaN()
	}
	var s float64
	for i, y := range labels {
		p := math.Min(math.Max(float64(probs[i]), 1e-15), 1-1e-15)
		if y == 1 {
			s -= math.Log(p)
		} else {
			s -= math.Log(1 - p)
		}
	}
	return s / float64(len(labels))
}
