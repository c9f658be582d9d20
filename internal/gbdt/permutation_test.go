package gbdt

import (
	"fmt"
	"strings"
	"testing"

	"github.com/addlink/addlink/internal/testfixtures"
)

// TestPermutationMatchesNumPy checks against NumPy's RandomState(seed).permutation(n),
// hard-coded here for small cases and compared live with Debian's NumPy for large n.
func TestPermutationMatchesNumPy(t *testing.T) {
	// numpy.random.RandomState(7).permutation(10)
	want := []int{8, 5, 0, 2, 1, 9, 7, 3, 6, 4}
	if got := Permutation(10, 7); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("Permutation(10, 7) = %v, want %v", got, want)
	}
	testfixtures.Python(t, "numpy")
	for _, n := range []int{1, 52, 1872, 9973} {
		lines := runPython(t, "-c", fmt.Sprintf(
			"import numpy as np\nprint(' '.join(map(str, np.random.RandomState(7).permutation(%d))))", n))
		got := strings.Trim(fmt.Sprint(Permutation(n, 7)), "[]")
		if len(lines) != 1 || lines[0] != got {
			t.Errorf("n=%d: permutation differs from NumPy's", n)
		}
	}
}
