package gbdt

import "testing"

func TestHoldoutSplit(t *testing.T) {
	train, test := HoldoutSplit(100, 0.33, 7)
	if len(test) != 33 || len(train) != 67 {
		t.Errorf("split of 100 rows: %d train, %d test", len(train), len(test))
	}
	train, test = HoldoutSplit(10, 0, 7)
	if len(train) != 10 || test != nil || train[3] != 3 {
		t.Errorf("no hold-out: %v %v", train, test)
	}
}
