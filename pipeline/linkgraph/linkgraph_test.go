package linkgraph

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/addlink/addlink/datasets"
)

func pageXML(id int, title, text string) string {
	return fmt.Sprintf("<page><title>%s</title><ns>0</ns><id>%d</id><revision><id>%d</id><text>%s</text></revision></page>\n", title, id, id, text)
}

func TestRun(t *testing.T) {
	dir := t.TempDir()
	l := datasets.Layout{DataDir: dir, Wiki: "xwiki"}
	os.MkdirAll(l.Dir(), 0o755)
	if _, err := datasets.WriteParquet(l.PageIDs(), []datasets.PageID{{Title: "Alpha", PageID: 1}, {Title: "Beta", PageID: 2}, {Title: "Gamma one", PageID: 3}}); err != nil {
		t.Fatal(err)
	}
	if _, err := datasets.WriteParquet(l.Redirects(), []datasets.Redirect{{From: "B", To: "Beta"}}); err != nil {
		t.Fatal(err)
	}
	dump := filepath.Join(dir, "dump.xml")
	pages := []string{
		// Redirect resolved, repeats and the self-link dropped, a red link dropped,
		// order of first links kept, a section link and underscores normalised.
		pageXML(1, "Alpha", "[[gamma_one#History|g]] [[B]] [[Beta]] [[Alpha]] [[Nowhere]] [[Beta|b]]"),
		pageXML(2, "Beta", "[[alpha]]"),
		pageXML(3, "Gamma one", "no links"),
		pageXML(4, "Delta", "[[Alpha]] (not an article of pageids)"),
	}
	if err := os.WriteFile(dump, []byte("<mediawiki>\n"+strings.Join(pages, "")+"</mediawiki>\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	s, err := Run(context.Background(), Options{Wiki: "xwiki", DataDir: dir, Dumps: []string{dump}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if s.Articles != 3 || s.Links != 3 {
		t.Errorf("summary %+v", s)
	}
	got, err := datasets.ReadParquet[datasets.Link](l.LinkGraph())
	if err != nil {
		t.Fatal(err)
	}
	want := []datasets.Link{{PageID: 1, TargetID: 3}, {PageID: 1, TargetID: 2}, {PageID: 2, TargetID: 1}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("links %v, want %v", got, want)
	}
	if _, err := Run(context.Background(), Options{Wiki: "ywiki", DataDir: dir, Dumps: []string{dump}}, nil); err == nil || !strings.Contains(err.Error(), "dictionaries") {
		t.Errorf("without page ids: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	os.Remove(l.LinkGraph())
	if _, err := Run(ctx, Options{Wiki: "xwiki", DataDir: dir, Dumps: []string{dump}}, nil); err == nil {
		t.Error("cancelled run succeeded")
	}
	if _, err := os.Stat(l.LinkGraph()); err == nil {
		t.Error("a cancelled run left a link graph")
	}
}
