package wikidata

import (
	"compress/gzip"
	"encoding/json"
	"errors"
	"os"
	"reflect"
	"strings"
	"testing"

	"github.com/addlink/addlink/internal/testfixtures"
)

func TestP31SingleEntities(t *testing.T) {
	for _, tt := range []struct {
		file, id string
		want     []string
	}{
		{"wikidata/wikibase-sdk/Q1.json", "Q1", []string{}},
		{"wikidata/wikibase-sdk/Q2112.json", "Q2112", []string{"Q1549591", "Q1187811", "Q42744322", "Q1964689", "Q707813", "Q85635630"}},
		{"wikidata/wikibase-dump-filter/Q22.json", "Q22", []string{"Q3336843"}},
		{"wikidata/wikibase-dump-filter/entity.json", "Q22", []string{"Q3336843"}},
	} {
		data, err := os.ReadFile(testfixtures.Path(t, tt.file))
		if err != nil {
			t.Fatal(err)
		}
		id, items, err := P31(data)
		if err != nil {
			t.Fatal(err)
		}
		if id != tt.id {
			t.Errorf("%s: id %q", tt.file, id)
		}
		t.Logf("%s: P31 %v", tt.file, items)
		if len(items) != len(tt.want) || len(items) > 0 && !reflect.DeepEqual(items, tt.want) {
			t.Errorf("%s: P31 = %v, want %v", tt.file, items, tt.want)
		}
	}
}

// The 2015 dump stores item values as {"numeric-id": N}.
func TestScanOldFormatDump(t *testing.T) {
	f, err := os.Open(testfixtures.Path(t, "wikidata/wdtk/sample-dump-20150815.json.gz"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	z, err := gzip.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string][]string{}
	st, err := ScanEntities(z, "sample", map[string]bool{"Q1": true, "Q8": true, "P19": true, "Q999999999": true}, nil, func(id string, items []string) { got[id] = items })
	if err != nil {
		t.Fatal(err)
	}
	want := map[string][]string{"Q1": {"Q1454986"}, "Q8": {"Q331769", "Q9415"}, "P19": {"Q18608756", "Q18608871", "Q18635217"}}
	for id, w := range want {
		if !reflect.DeepEqual(got[id], w) {
			t.Errorf("%s: %v, want %v", id, got[id], w)
		}
	}
	if st.Entities != 101 || st.Decoded != 3 {
		t.Errorf("stats %+v: want 101 entities, 3 decoded", st)
	}
}

func TestScanCurrentFormatAndErrors(t *testing.T) {
	dump := "[\n" +
		`{"type":"item","id":"Q5","claims":{"P31":[{"mainsnak":{"snaktype":"value","property":"P31","datavalue":{"value":{"entity-type":"item","numeric-id":4167410,"id":"Q4167410"},"type":"wikibase-entityid"},"datatype":"wikibase-item"},"type":"statement","id":"Q5$1"}]}},` + "\n" +
		`{"type":"item","id":"Q6","claims":{"P31":[{"mainsnak":{"snaktype":"somevalue","property":"P31","datatype":"wikibase-item"}}],"P279":[{"mainsnak":{"snaktype":"value","datavalue":{"value":{"id":"Q1"},"type":"wikibase-entityid"},"datatype":"wikibase-item"}}]}},` + "\n" +
		`{"type":"item","id":"Q7","claims":{}}` + "\n]\n"
	got := map[string][]string{}
	_, err := ScanEntities(strings.NewReader(dump), "d", map[string]bool{"Q5": true, "Q6": true}, nil, func(id string, items []string) { got[id] = items })
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, map[string][]string{"Q5": {"Q4167410"}, "Q6": nil}) {
		t.Errorf("got %v", got)
	}
	bad := "[\n{\"id\":\"Q5\",\"claims\":{}},\nnot json\n"
	_, err = ScanEntities(strings.NewReader(bad), "d", map[string]bool{"Q5": true}, nil, func(string, []string) {})
	var ee *InputError
	if !errors.As(err, &ee) || ee.Line != 3 {
		t.Errorf("err = %v, want an error on line 3", err)
	}
	skipped := 0
	if _, err := ScanEntities(strings.NewReader(bad), "d", map[string]bool{"Q5": true}, &skipped, func(string, []string) {}); err != nil || skipped != 1 {
		t.Errorf("skip: %v, %d", err, skipped)
	}
	trunc := "[\n{\"id\":\"Q5\",\"claims\":{\"P31\":["
	if _, err := ScanEntities(strings.NewReader(trunc), "d", map[string]bool{"Q5": true}, nil, func(string, []string) {}); err == nil {
		t.Error("a truncated dump was accepted")
	}
}

func FuzzEntityLine(f *testing.F) {
	f.Add(`{"type":"item","id":"Q5","claims":{"P31":[{"mainsnak":{"snaktype":"value","datavalue":{"value":{"numeric-id":5},"type":"wikibase-entityid"}}}]}},`)
	f.Add(`{"id":"Q1"}`)
	f.Add(`"id":"Q`)
	f.Fuzz(func(t *testing.T, line string) {
		entityID([]byte(line))
		ScanEntities(strings.NewReader("[\n"+line+"\n]\n"), "f", map[string]bool{"Q5": true, "Q1": true}, nil, func(string, []string) {})
	})
}

// Entities as the wbgetentities API returns them (current value form).
func TestP31WBGetEntities(t *testing.T) {
	data, err := os.ReadFile(testfixtures.Path(t, "wikidata/wdtk/wbgetentities-Q6-Q42-P31.json"))
	if err != nil {
		t.Fatal(err)
	}
	var resp struct {
		Entities map[string]json.RawMessage `json:"entities"`
	}
	if err := json.Unmarshal(data, &resp); err != nil {
		t.Fatal(err)
	}
	_, items, err := P31(resp.Entities["Q42"])
	if err != nil || !reflect.DeepEqual(items, []string{"Q5"}) {
		t.Errorf("Q42: %v, %v; want [Q5]", items, err)
	}
	if _, items, _ := P31(resp.Entities["Q6"]); len(items) != 0 {
		t.Errorf("Q6 (missing): %v", items)
	}
}
