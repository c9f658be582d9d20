package gbdt

import "math"

// HoldoutSplit splits the row indices 0..n-1 into a training and a test part as
// scikit-learn's train_test_split(test_size=testFraction, random_state=seed) does (the
// reference pipeline's split): the test part is the first ceil(testFraction*n) entries of
// Permutation(n, seed), the training part the rest, both in permutation order.
// testFraction 0 puts every row, in order, in the training part.
func HoldoutSplit(n int, testFraction float64, seed uint32) (train, test []int) {
	if testFraction <= 0 {
		train = make([]int, n)
		for i := range train {
			train[i] = i
		}
		return train, nil
	}
	nTest := int(math.Ceil(testFraction * float64(n)))
	if nTest > n {
		nTest = n
	}
	p := Permutation(n, seed)
	return p[nTest:], p[:nTest]
}
