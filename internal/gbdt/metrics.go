package gbdt

import (
	"math"
	"sort"
)

// AUC returns the area under the ROC curve of scores for labels (0 or 1), counting
// ties as half (the Mann-Whitney statistic). It is NaN when one class is absent.
func AUC(scores []float64, labels []float32) float64 {
	idx := make([]int, len(scores))
	for i := range idx {
		idx[i] = i
	}
	sort.SliceStable(idx, func(a, b int) bool { return scores[idx[a]] < scores[idx[b]] })
	var pos, neg, rankSum float64
	for i := 0; i < len(idx); {
		j := i
		for j < len(idx) && scores[idx[j]] == scores[idx[i]] {
			j++
		}
		avg := float64(i+j+1) / 2 // mean of ranks i+1..j
		for k := i; k < j; k++ {
			if labels[idx[k]] > 0.5 {
				rankSum += avg
				pos++
			} else {
				neg++
			}
		}
		i = j
	}
	if pos == 0 || neg == 0 {
		return math.NaN()
	}
	return (rankSum - pos*(pos+1)/2) / (pos * neg)
}

// LogLoss returns the mean binary cross-entropy, with probabilities clipped to
// [1e-15, 1-1e-15].
func LogLoss(probs []float64, labels []float32) float64 {
	var s float64
	for i, p := range probs {
		p = math.Min(math.Max(p, 1e-15), 1-1e-15)
		if labels[i] > 0.5 {
			s -= math.Log(p)
		} else {
			s -= math.Log(1 - p)
		}
	}
	return s / float64(len(probs))
}
