package datasets

import (
	"encoding/hex"
	"fmt"
	"os/exec"
	"slices"
	"strings"
	"testing"

	"github.com/addlink/addlink/internal/testfixtures"
)

var intTuples = [][]int64{{}, {0}, {7, 3}, {1, 2, 3}, {1, 300, 70000, 1 << 35, -5}, {255, 256, 65535, 65536, -1 << 40}}

// PickleIntTuple writes the bytes CPython's pickle.dumps(tuple, protocol=4) writes.
func TestPickleIntTupleLikeCPython(t *testing.T) {
	py := testfixtures.Python(t, "pickle")
	var lits []string
	for _, v := range intTuples {
		var s []string
		for _, x := range v {
			s = append(s, fmt.Sprint(x))
		}
		lits = append(lits, "("+strings.Join(s, ",")+",)")
	}
	lits[0] = "()"
	out, err := exec.Command(py, "-c", "import pickle\nfor v in ["+strings.Join(lits, ",")+"]: print(pickle.dumps(v, protocol=4).hex())").Output()
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Fields(string(out))
	if len(lines) != len(intTuples) {
		t.Fatalf("python printed %d lines", len(lines))
	}
	for i, v := range intTuples {
		if got := hex.EncodeToString(PickleIntTuple(v)); got != lines[i] {
			t.Errorf("%v: %s, CPython %s", v, got, lines[i])
		}
	}
}

func TestIntTupleRoundTrip(t *testing.T) {
	for _, v := range intTuples {
		got, err := UnpickleIntTuple(PickleIntTuple(v))
		if err != nil || !slices.Equal(got, v) {
			t.Errorf("%v: %v %v", v, got, err)
		}
	}
}

// The extended datasets' exported rows read back as the Parquet rows: anchors_stats
// with its link probabilities, the link graph with each page's targets in order.
func TestExtendedPickledRowsRoundTrip(t *testing.T) {
	l := Layout{DataDir: t.TempDir(), Wiki: "xxwiki"}
	stats := []AnchorStat{{Anchor: "a", AsLink: 1, AsText: 3, LinkProb: 0.25}, {Anchor: "b", AsLink: 0, AsText: 0}}
	links := []Link{{PageID: 9, TargetID: 3}, {PageID: 9, TargetID: 1}, {PageID: 2, TargetID: 9}, {PageID: 9, TargetID: 2}}
	if _, err := WriteParquet(l.AnchorStats(), stats); err != nil {
		t.Fatal(err)
	}
	if _, err := WriteParquet(l.LinkGraph(), links); err != nil {
		t.Fatal(err)
	}
	var r ExtendedRows
	for _, name := range ExtendedDatasetNames {
		keys, values, err := ExtendedPickledRows(l, name)
		if err != nil {
			t.Fatal(err)
		}
		for i := range keys {
			if err := r.Add(name, keys[i], values[i]); err != nil {
				t.Fatal(err)
			}
		}
	}
	if !slices.Equal(r.AnchorStats, stats) {
		t.Errorf("anchors_stats %+v", r.AnchorStats)
	}
	want := []Link{{PageID: 9, TargetID: 3}, {PageID: 9, TargetID: 1}, {PageID: 9, TargetID: 2}, {PageID: 2, TargetID: 9}}
	if !slices.Equal(r.Links, want) {
		t.Errorf("linkgraph %+v, want %+v", r.Links, want)
	}
	if err := r.Add("linkgraph", "x", PickleIntTuple(nil)); err == nil {
		t.Error("a link graph key that is not a page id was accepted")
	}
	if err := r.Add("anchors_stats", "a", PickleIntTuple([]int64{1})); err == nil {
		t.Error("anchors_stats with one value was accepted")
	}
}

// FuzzExtendedRowsAdd: any key and value of an exported extended dataset give rows or
// an error, never a panic; a value that decodes re-encodes to a tuple that decodes the
// same.
func FuzzExtendedRowsAdd(f *testing.F) {
	for _, v := range intTuples {
		f.Add("linkgraph", "12", PickleIntTuple(v))
		f.Add("anchors_stats", "x", PickleIntTuple(v))
	}
	f.Add("linkgraph", "-1", []byte{0x80, 4, '(', 'K', 1, 't', '.'})
	f.Fuzz(func(t *testing.T, name, key string, value []byte) {
		var r ExtendedRows
		_ = r.Add(name, key, value)
		if v, err := UnpickleIntTuple(value); err == nil {
			w, err := UnpickleIntTuple(PickleIntTuple(v))
			if err != nil || !slices.Equal(v, w) {
				t.Fatalf("%v -> %v %v", v, w, err)
			}
		}
	})
}
