package datasets

import (
	"bytes"
	"os"
	"path/filepath"
	"reflect"
	"testing"
)

func TestParquetRoundTripDeterministic(t *testing.T) {
	dir := t.TempDir()
	rows := []Anchor{{"a", "A", 2}, {"b\tc", "B\nC", 3}, {"ελλάδα", "Ελλάδα", 5}}
	p1 := filepath.Join(dir, "1.parquet")
	p2 := filepath.Join(dir, "2.parquet")
	if _, err := WriteParquet(p1, rows); err != nil {
		t.Fatal(err)
	}
	if _, err := WriteParquet(p2, rows); err != nil {
		t.Fatal(err)
	}
	b1, _ := os.ReadFile(p1)
	b2, _ := os.ReadFile(p2)
	if !bytes.Equal(b1, b2) {
		t.Fatal("two writes of the same rows differ")
	}
	got, err := ReadParquet[Anchor](p1)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != len(rows) {
		t.Fatalf("read %d rows, want %d", len(got), len(rows))
	}
	for i := range rows {
		if got[i] != rows[i] {
			t.Errorf("row %d = %+v, want %+v", i, got[i], rows[i])
		}
	}
	emb := []Embedding{{"A", []float32{1, 2.5, -3}}, {"B", []float32{0, 0, 0}}}
	p3 := filepath.Join(dir, "3.parquet")
	if _, err := WriteParquet(p3, emb); err != nil {
		t.Fatal(err)
	}
	gotEmb, err := ReadParquet[Embedding](p3)
	if err != nil {
		t.Fatal(err)
	}
	if len(gotEmb) != 2 || gotEmb[0].Vector[1] != 2.5 || len(gotEmb[1].Vector) != 3 {
		t.Fatalf("embeddings = %+v", gotEmb)
	}
}

func TestTSVEscape(t *testing.T) {
	for _, tt := range []struct{ in, want string }{
		{"plain", "plain"},
		{"a\tb", `a\tb`},
		{"a\nb", `a\nb`},
		{`a\b`, `a\\b`},
		{"\\n", `\\n`},
	} {
		if got := EscapeTSV(tt.in); got != tt.want {
			t.Errorf("EscapeTSV(%q) = %q, want %q", tt.in, got, tt.want)
		}
		if back := UnescapeTSV(EscapeTSV(tt.in)); back != tt.in {
			t.Errorf("round trip of %q gave %q", tt.in, back)
		}
	}
}

func TestCheckWikiID(t *testing.T) {
	for id, ok := range map[string]bool{
		"cswiki": true, "elwikivoyage": true, "zh_yuewiki": true, "be_x_oldwiki": true,
		"": false, "*": false, "../x": false, "a/b": false, "..": false, "Cswiki": false, "1wiki": false,
	} {
		if err := CheckWikiID(id); (err == nil) != ok {
			t.Errorf("CheckWikiID(%q) = %v, want ok=%v", id, err, ok)
		}
	}
}

func TestLanguage(t *testing.T) {
	for in, want := range map[string]string{"azwiki": "az", "elwikivoyage": "el", "zh_min_nanwiki": "zh-min-nan", "samplewiki": "sample", "wiki": "wiki"} {
		if got := Language(in); got != want {
			t.Errorf("Language(%q) = %q, want %q", in, got, want)
		}
	}
}

// Rows.Add decodes each dataset's pickled values into its Parquet rows and refuses a
// dataset it does not know.
func TestRowsAdd(t *testing.T) {
	var r Rows
	anchors := PickleStrIntDict([]StrInt{{Key: "Αθήνα", Value: 3}, {Key: "Athens", Value: 1}})
	for _, tc := range []struct {
		name, key string
		value     []byte
	}{
		{"anchors", "αθήνα", anchors},
		{"pageids", "Αθήνα", PickleInt(42)},
		{"redirects", "Athina", PickleString("Αθήνα")},
		{"w2vfiltered", "Αθήνα", PickleFloat32Array([]float32{0.5, -1})},
	} {
		if err := r.Add(tc.name, tc.key, tc.value); err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
	}
	want := Rows{
		Anchors:   []Anchor{{Anchor: "αθήνα", Target: "Αθήνα", N: 3}, {Anchor: "αθήνα", Target: "Athens", N: 1}},
		PageIDs:   []PageID{{Title: "Αθήνα", PageID: 42}},
		Redirects: []Redirect{{From: "Athina", To: "Αθήνα"}},
		Vectors:   []Embedding{{Title: "Αθήνα", Vector: []float32{0.5, -1}}},
	}
	if !reflect.DeepEqual(r, want) {
		t.Errorf("rows = %+v, want %+v", r, want)
	}
	if err := r.Add("linkgraph", "x", PickleInt(1)); err == nil {
		t.Error("Add of an unknown dataset: no error")
	}
}

func TestLayoutOf(t *testing.T) {
	for _, c := range []struct {
		dir, wiki, dataDir string
		ok                 bool
	}{
		{"/pub/cswiki", "cswiki", "/pub", true},
		{"/pub/cswiki/", "cswiki", "/pub", true},
		{"cswiki", "cswiki", ".", true},
		{"/pub/elwiki", "cswiki", "", false},
		{"/pub", "cswiki", "", false},
	} {
		l, err := LayoutOf(c.dir, c.wiki)
		if (err == nil) != c.ok || (c.ok && (l.DataDir != c.dataDir || l.Wiki != c.wiki)) {
			t.Errorf("LayoutOf(%q, %q) = %+v, %v", c.dir, c.wiki, l, err)
		}
		if c.ok && l.Dir() != filepath.Clean(c.dir) {
			t.Errorf("LayoutOf(%q).Dir() = %q", c.dir, l.Dir())
		}
	}
}
