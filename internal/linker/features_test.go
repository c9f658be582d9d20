package linker

import (
	"bufio"
	"math"
	"os"
	"strconv"
	"strings"
	"testing"
)

// Goldens from Debian's python3-scipy and python3-levenshtein (testdata/gen_goldens.py):
// ours agree within 1e-9 relative.
func TestFeatureGoldens(t *testing.T) {
	f, err := os.Open("testdata/goldens.tsv")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	n := map[string]int{}
	for sc.Scan() {
		line := sc.Text()
		if strings.HasPrefix(line, "#") {
			continue
		}
		fields := strings.Split(line, "\t")
		want, err := strconv.ParseFloat(fields[len(fields)-1], 64)
		if err != nil {
			t.Fatalf("bad golden line %q", line)
		}
		var got float64
		switch fields[0] {
		case "kurtosis":
			var counts []int64
			for _, c := range strings.Split(fields[1], ",") {
				v, _ := strconv.ParseInt(c, 10, 64)
				counts = append(counts, v)
			}
			got = Kurtosis(counts)
		case "jaro":
			got = JaroFeature(fields[1], fields[2])
		}
		n[fields[0]]++
		if !close(got, want) {
			t.Errorf("%s(%.60q): %v, want %v", fields[0], strings.Join(fields[1:len(fields)-1], " | "), got, want)
		}
	}
	if n["kurtosis"] < 150 || n["jaro"] < 300 {
		t.Errorf("only %v golden cases", n)
	}
}

func close(a, b float64) bool {
	if math.IsNaN(a) || math.IsNaN(b) {
		return math.IsNaN(a) && math.IsNaN(b)
	}
	return a == b || math.Abs(a-b) <= 1e-9*math.Max(math.Abs(a), math.Abs(b))
}

func TestCosine(t *testing.T) {
	for _, tt := range []struct {
		a, b []float32
		want float32
	}{
		{[]float32{1, 0}, []float32{1, 0}, 1},
		{[]float32{1, 0}, []float32{0, 1}, 0},
		{[]float32{1, 2}, nil, 0},
		{[]float32{0, 0}, []float32{1, 1}, 0},
		{[]float32{1, 1}, []float32{-1, -1}, -1},
	} {
		if got := Cosine(tt.a, tt.b); math.Abs(float64(got-tt.want)) > 1e-6 {
			t.Errorf("Cosine(%v, %v) = %v, want %v", tt.a, tt.b, got, tt.want)
		}
	}
	if NGram("  new  york city ") != 3 {
		t.Error("NGram")
	}
}

func FuzzJaro(f *testing.F) {
	f.Add("martha", "marhta")
	f.Add("", "x")
	f.Add("İ", "i̇")
	f.Fuzz(func(t *testing.T, a, b string) {
		j := Jaro(a, b)
		if j < 0 || j > 1 || math.IsNaN(j) {
			t.Fatalf("Jaro(%q, %q) = %v", a, b, j)
		}
	})
}

// BenchmarkKurtosis: the kurtosis of an anchor's candidate counts, computed for every
// anchor when a wiki's datasets are loaded; it allocates nothing for up to 1,000
// candidates.
func BenchmarkKurtosis(b *testing.B) {
	counts := []int64{40, 3, 1, 1, 7}
	b.ReportAllocs()
	for b.Loop() {
		Kurtosis(counts)
	}
}
