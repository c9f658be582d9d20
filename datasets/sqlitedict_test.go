package datasets

import (
	"bufio"
	"bytes"
	"encoding/json"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/addlink/addlink/internal/testfixtures"
)

func readTSV(t *testing.T, path string) [][]string {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var rows [][]string
	for i, line := range strings.Split(strings.TrimRight(string(data), "\n"), "\n") {
		if i == 0 {
			continue
		}
		f := strings.Split(line, "\t")
		for j := range f {
			f[j] = UnescapeTSV(f[j])
		}
		rows = append(rows, f)
	}
	return rows
}

func referenceBlobs(t *testing.T, name string) map[string][]byte {
	t.Helper()
	out := map[string][]byte{}
	p := testfixtures.Path(t, "reference/elwikivoyage/export/elwikivoyage."+name+".sqlite")
	if err := ReadSqliteDict(p, func(k string, v []byte) error { out[k] = v; return nil }); err != nil {
		t.Fatal(err)
	}
	return out
}

// Our pickles of the reference's dictionaries are byte for byte those of the
// reference's export (sqlitedict 2.1, Python pickle protocol 4).
func TestPicklesMatchReferenceExport(t *testing.T) {
	ref := referenceBlobs(t, "anchors")
	groups := map[string][]StrInt{}
	for _, r := range readTSV(t, testfixtures.Path(t, "reference/elwikivoyage/anchors.tsv")) {
		n, _ := strconv.ParseInt(r[2], 10, 64)
		groups[r[0]] = append(groups[r[0]], StrInt{r[1], n})
	}
	if len(groups) != len(ref) {
		t.Fatalf("%d anchors in the TSV, %d in the reference SQLite", len(groups), len(ref))
	}
	for a, items := range groups {
		sort.Slice(items, func(i, j int) bool { return items[i].Key < items[j].Key })
		if got := PickleStrIntDict(items); !bytes.Equal(got, ref[a]) {
			t.Fatalf("anchors[%q]:\nours %x\nref  %x", a, got, ref[a])
		}
	}
	ref = referenceBlobs(t, "pageids")
	for _, r := range readTSV(t, testfixtures.Path(t, "reference/elwikivoyage/pageids.tsv")) {
		n, _ := strconv.ParseInt(r[1], 10, 64)
		if got := PickleInt(n); !bytes.Equal(got, ref[r[0]]) {
			t.Fatalf("pageids[%q]: ours %x, ref %x", r[0], got, ref[r[0]])
		}
	}
	ref = referenceBlobs(t, "redirects")
	for _, r := range readTSV(t, testfixtures.Path(t, "reference/elwikivoyage/redirects.tsv")) {
		if got := PickleString(r[1]); !bytes.Equal(got, ref[r[0]]) {
			t.Fatalf("redirects[%q]: ours %x, ref %x", r[0], got, ref[r[0]])
		}
	}
	// Vectors: take the reference's float32 data and pickle it again.
	ref = referenceBlobs(t, "w2vfiltered")
	probe := PickleFloat32Array(make([]float32, 50))
	off := len(probe) - 200 - 5 // the data, then MEMOIZE TUPLE MEMOIZE BUILD STOP
	for k, blob := range ref {
		if len(blob) != len(probe) {
			t.Fatalf("w2vfiltered[%q]: %d bytes, ours %d", k, len(blob), len(probe))
		}
		v := make([]float32, 50)
		for i := range v {
			v[i] = math.Float32frombits(uint32(blob[off+4*i]) | uint32(blob[off+4*i+1])<<8 | uint32(blob[off+4*i+2])<<16 | uint32(blob[off+4*i+3])<<24)
		}
		if got := PickleFloat32Array(v); !bytes.Equal(got, blob) {
			t.Fatalf("w2vfiltered[%q]:\nours %x\nref  %x", k, got, blob)
		}
	}
}

func TestPickleInts(t *testing.T) {
	// Expected bytes are Python 3's pickle.dumps(n, protocol=4).
	for n, want := range map[int64]string{
		0: "80044b002e", 255: "80044bff2e", 256: "8004950400000000000000" + "4d00012e",
		65536: "8004950600000000000000" + "4a000001002e", -1: "8004950600000000000000" + "4affffffff2e",
		1 << 40:    "8004950900000000000000" + "8a06000000000001" + "2e",
		-(1 << 40): "8004950900000000000000" + "8a0600000000" + "00ff" + "2e",
	} {
		if got := PickleInt(n); hexOf(got) != want {
			t.Errorf("PickleInt(%d) = %s, want %s", n, hexOf(got), want)
		}
	}
}

func hexOf(b []byte) string {
	const digits = "0123456789abcdef"
	out := make([]byte, 0, 2*len(b))
	for _, c := range b {
		out = append(out, digits[c>>4], digits[c&15])
	}
	return string(out)
}

func writeSample(t *testing.T, dir string) map[string]string {
	t.Helper()
	paths := map[string]string{}
	anchors := map[string][]StrInt{"foo": {{"Foo", 3}, {"Foo (band)", 1}}, "ελλάδα": {{"Ελλάδα", 7}}, "x\ty": {{"X Y", 2}}}
	keys := []string{"foo", "x\ty", "ελλάδα"}
	paths["anchors"] = filepath.Join(dir, "w.anchors.sqlite")
	if err := WriteSqliteDict(paths["anchors"], func(yield func(string, []byte) error) error {
		for _, k := range keys {
			if err := yield(k, PickleStrIntDict(anchors[k])); err != nil {
				return err
			}
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	paths["w2v"] = filepath.Join(dir, "w.w2vfiltered.sqlite")
	if err := WriteSqliteDict(paths["w2v"], func(yield func(string, []byte) error) error {
		v := make([]float32, 300) // more than 255 bytes of data: BINBYTES
		for i := range v {
			v[i] = float32(i)/7 - 20
		}
		if err := yield("A", PickleFloat32Array(v)); err != nil {
			return err
		}
		return yield("B", PickleFloat32Array([]float32{1.5, math.MaxFloat32, -0.25}))
	}); err != nil {
		t.Fatal(err)
	}
	paths["ints"] = filepath.Join(dir, "w.pageids.sqlite")
	if err := WriteSqliteDict(paths["ints"], func(yield func(string, []byte) error) error {
		for i, n := range []int64{0, 1, 300, 70000, 1 << 35} {
			if err := yield("k"+strconv.Itoa(i), PickleInt(n)); err != nil {
				return err
			}
		}
		return yield("s", PickleString(strings.Repeat("é", 300)))
	}); err != nil {
		t.Fatal(err)
	}
	return paths
}

func TestSqliteDictDeterministic(t *testing.T) {
	a, b := writeSample(t, t.TempDir()), writeSample(t, t.TempDir())
	for name := range a {
		x, _ := os.ReadFile(a[name])
		y, _ := os.ReadFile(b[name])
		if !bytes.Equal(x, y) {
			t.Errorf("%s: two writes differ", name)
		}
		s1, err := GzipFile(a[name]+".gz", a[name])
		if err != nil {
			t.Fatal(err)
		}
		s2, _ := GzipFile(b[name]+".gz", b[name])
		if s1 != s2 {
			t.Errorf("%s.gz: two compressions differ", name)
		}
	}
}

// Debian's python3-sqlitedict and python3-numpy read every value back.
func TestSqlitedictReadsOurFiles(t *testing.T) {
	py := testfixtures.Python(t, "sqlitedict", "numpy")
	paths := writeSample(t, t.TempDir())
	read := func(p string) []map[string]any {
		out, err := exec.Command(py, "testdata/read_sqlitedict.py", p).Output()
		if err != nil {
			t.Fatalf("%s: %v", p, err)
		}
		var recs []map[string]any
		sc := bufio.NewScanner(bytes.NewReader(out))
		sc.Buffer(nil, 1<<24)
		for sc.Scan() {
			var m map[string]any
			if err := json.Unmarshal(sc.Bytes(), &m); err != nil {
				t.Fatal(err)
			}
			recs = append(recs, m)
		}
		return recs
	}
	anchors := read(paths["anchors"])
	if len(anchors) != 3 || anchors[0]["key"] != "foo" || anchors[0]["type"] != "dict" {
		t.Fatalf("anchors = %v", anchors)
	}
	if d := anchors[0]["value"].(map[string]any); d["Foo"] != 3.0 || d["Foo (band)"] != 1.0 {
		t.Errorf("anchors[foo] = %v", d)
	}
	if anchors[1]["key"] != "x\ty" || anchors[2]["value"].(map[string]any)["Ελλάδα"] != 7.0 {
		t.Errorf("anchors = %v", anchors)
	}
	w2v := read(paths["w2v"])
	if w2v[0]["type"] != "ndarray:float32:(300,)" || w2v[1]["type"] != "ndarray:float32:(3,)" {
		t.Fatalf("w2v types: %v %v", w2v[0]["type"], w2v[1]["type"])
	}
	vals := w2v[0]["value"].([]any)
	for i, v := range vals {
		if float32(v.(float64)) != float32(i)/7-20 {
			t.Fatalf("w2v[A][%d] = %v", i, v)
		}
	}
	ints := read(paths["ints"])
	want := []float64{0, 1, 300, 70000, 1 << 35}
	for i, w := range want {
		if ints[i]["value"] != w || ints[i]["type"] != "int" {
			t.Errorf("pageids[%d] = %v", i, ints[i])
		}
	}
	if ints[5]["value"] != strings.Repeat("é", 300) || ints[5]["type"] != "str" {
		t.Errorf("long string = %v", ints[5])
	}
}
