package filter

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/addlink/addlink/datasets"
	"github.com/addlink/addlink/pipeline/wdproperties"
)

// A constructed case: page_props and an entity dump decide which candidates go.
func setup(t *testing.T) (dir string, l datasets.Layout, pageProps, entities string) {
	t.Helper()
	dir = t.TempDir()
	l = datasets.Layout{DataDir: dir, Wiki: "xxwiki"}
	anchors := []datasets.Anchor{
		{Anchor: "berlin", Target: "Berlin", N: 5},
		{Anchor: "list of x", Target: "List of X", N: 2},
		{Anchor: "paris", Target: "Paris (city)", N: 10}, {Anchor: "paris", Target: "Paris (disambiguation)", N: 3}, {Anchor: "paris", Target: "Paris (given name)", N: 1},
		{Anchor: "rome", Target: "Rome", N: 4}, // no page id: kept
	}
	if _, err := datasets.WriteParquet(l.AnchorsUnfiltered(), anchors); err != nil {
		t.Fatal(err)
	}
	ids := []datasets.PageID{{Title: "Berlin", PageID: 5}, {Title: "List of X", PageID: 4}, {Title: "Paris (city)", PageID: 1}, {Title: "Paris (disambiguation)", PageID: 2}, {Title: "Paris (given name)", PageID: 3}}
	if _, err := datasets.WriteParquet(l.PageIDs(), ids); err != nil {
		t.Fatal(err)
	}
	pageProps = filepath.Join(dir, "xxwiki-20260101-page_props.sql")
	os.WriteFile(pageProps, []byte("CREATE TABLE `page_props` (\n  `pp_page` int(10) unsigned NOT NULL,\n  `pp_propname` varbinary(60) NOT NULL,\n  `pp_value` blob NOT NULL,\n  `pp_sortkey` float DEFAULT NULL\n) ENGINE=InnoDB;\n"+
		"INSERT INTO `page_props` VALUES (1,'wikibase_item','Q90',NULL),(2,'wikibase_item','Q1000',NULL),(2,'disambiguation','',NULL),(3,'wikibase_item','Q2000',NULL);\n"+
		"INSERT INTO `page_props` VALUES (4,'wikibase_item','Q4000',NULL),(5,'wikibase_item','Q64',NULL),(5,'page_image','Berlin.jpg',NULL);\n"), 0o644)
	claim := func(v string) string {
		return `{"mainsnak":{"snaktype":"value","property":"P31","datavalue":{"value":` + v + `,"type":"wikibase-entityid"},"datatype":"wikibase-item"},"type":"statement"}`
	}
	entities = filepath.Join(dir, "wikidata-20260101-all.json")
	os.WriteFile(entities, []byte("[\n"+
		`{"type":"item","id":"Q90","claims":{"P31":[`+claim(`{"entity-type":"item","numeric-id":515,"id":"Q515"}`)+`]}},`+"\n"+
		`{"type":"item","id":"Q1000","claims":{}},`+"\n"+
		`{"type":"item","id":"Q2000","claims":{"P31":[`+claim(`{"entity-type":"item","numeric-id":202444}`)+`]}},`+"\n"+
		`{"type":"item","id":"Q4000","claims":{"P31":[`+claim(`{"entity-type":"item","id":"Q13406463"}`)+`]}},`+"\n"+
		`{"type":"item","id":"Q64","claims":{"P31":[`+claim(`{"entity-type":"item","id":"Q515"}`)+`,`+claim(`{"entity-type":"item","id":"Q1549591"}`)+`]}},`+"\n"+
		`{"type":"item","id":"Q77","claims":{"P31":[`+claim(`{"entity-type":"item","id":"Q4167410"}`)+`]}}`+"\n]\n"), 0o644)
	return dir, l, pageProps, entities
}

func anchorsOf(t *testing.T, path string) string {
	rows, err := datasets.ReadParquet[datasets.Anchor](path)
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	for _, r := range rows {
		b.WriteString(r.Anchor + "=" + r.Target + ";")
	}
	return b.String()
}

func TestWDPropertiesAndFilter(t *testing.T) {
	dir, l, pp, ent := setup(t)
	o := wdproperties.Options{Wiki: "xxwiki", DataDir: dir, PageProps: pp, Wikidata: ent}
	if err := o.Validate(); err != nil {
		t.Fatal(err)
	}
	s, err := wdproperties.Run(context.Background(), o, nil)
	if err != nil {
		t.Fatal(err)
	}
	props, _ := datasets.ReadParquet[datasets.WDProperty](l.WDProperties())
	want := []datasets.WDProperty{{PageID: 1, QID: "Q515"}, {PageID: 2, QID: "Q4167410"}, {PageID: 3, QID: "Q202444"}, {PageID: 4, QID: "Q13406463"}, {PageID: 5, QID: "Q1549591"}, {PageID: 5, QID: "Q515"}}
	if !reflect.DeepEqual(props, want) {
		t.Fatalf("wdproperties %v, want %v", props, want)
	}
	if s.EntitiesScanned != 6 || s.EntitiesDecoded != 5 {
		t.Errorf("summary %+v", s)
	}
	for i := 0; i < 2; i++ { // running the filter again gives the same result
		fs, err := Run(context.Background(), Options{Wiki: "xxwiki", DataDir: dir}, nil)
		if err != nil {
			t.Fatal(err)
		}
		if got := anchorsOf(t, l.Anchors()); got != "berlin=Berlin;paris=Paris (city);rome=Rome;" {
			t.Fatalf("filtered anchors %s", got)
		}
		if !reflect.DeepEqual(fs.RemovedByQID, map[string]int{"Q4167410": 1, "Q202444": 1, "Q13406463": 1}) ||
			fs.AnchorsBefore != 4 || fs.AnchorsAfter != 3 || fs.CandidatesAfter != 3 || fs.TargetsWithoutID != 1 {
			t.Fatalf("summary %+v", fs)
		}
	}
	if got := anchorsOf(t, l.AnchorsUnfiltered()); !strings.Contains(got, "Paris (given name)") {
		t.Error("the unfiltered dictionary was changed")
	}
	// A config that replaces the list.
	cfg := filepath.Join(dir, "filter.json")
	os.WriteFile(cfg, []byte(`{"default": {"mode": "extend", "qids": ["Q1"]}, "wikis": {"xxwiki": {"mode": "replace", "qids": ["Q515"]}}}`), 0o644)
	fs, err := Run(context.Background(), Options{Wiki: "xxwiki", DataDir: dir, FilterConfig: cfg}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if got := anchorsOf(t, l.Anchors()); got != "list of x=List of X;paris=Paris (disambiguation);paris=Paris (given name);rome=Rome;" || !reflect.DeepEqual(fs.QIDs, []string{"Q515"}) {
		t.Fatalf("with config: %s, %v", got, fs.QIDs)
	}
	os.WriteFile(cfg, []byte(`{"default": {"mode": "sometimes"}}`), 0o644)
	if _, err := Run(context.Background(), Options{Wiki: "xxwiki", DataDir: dir, FilterConfig: cfg}, nil); err == nil {
		t.Error("a bad config was accepted")
	}
}

// Without an entity dump, disambiguation pages are still filtered.
func TestDisambiguationWithoutEntityDump(t *testing.T) {
	dir, l, pp, _ := setup(t)
	o := wdproperties.Options{Wiki: "xxwiki", DataDir: dir, PageProps: pp}
	if err := o.Validate(); err != nil {
		t.Fatal(err)
	}
	if _, err := wdproperties.Run(context.Background(), o, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := Run(context.Background(), Options{Wiki: "xxwiki", DataDir: dir}, nil); err != nil {
		t.Fatal(err)
	}
	if got := anchorsOf(t, l.Anchors()); strings.Contains(got, "disambiguation") || !strings.Contains(got, "List of X") {
		t.Fatalf("anchors %s", got)
	}
}

// Without wdproperties the stage copies the dictionary and says why.
func TestNoWDProperties(t *testing.T) {
	dir, l, _, _ := setup(t)
	s, err := Run(context.Background(), Options{Wiki: "xxwiki", DataDir: dir}, nil)
	if err != nil {
		t.Fatal(err)
	}
	a, _ := os.ReadFile(l.Anchors())
	b, _ := os.ReadFile(l.AnchorsUnfiltered())
	if s.Applied || s.Reason == "" || !bytes.Equal(a, b) {
		t.Fatalf("summary %+v, identical %v", s, bytes.Equal(a, b))
	}
}
