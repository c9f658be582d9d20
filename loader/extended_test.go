package loader

import (
	"strings"
	"testing"
)

// A wiki of an extended tree loads the extended datasets before its model, unless the
// datasets to load were named; a wiki of the reference's tree loads what it did.
func TestWikiDatasets(t *testing.T) {
	for _, c := range []struct {
		datasets []string
		extended bool
		want     string
	}{
		{nil, false, "anchors redirects pageids w2vfiltered model"},
		{nil, true, "anchors redirects pageids w2vfiltered anchors_stats linkgraph model"},
		{[]string{"anchors", "model"}, true, "anchors model"},
		{[]string{"linkgraph"}, true, "linkgraph"},
		{[]string{"anchors", "redirects", "pageids", "w2vfiltered", "model"}, true, "anchors redirects pageids w2vfiltered anchors_stats linkgraph model"},
	} {
		o := Options{Datasets: c.datasets}
		o.Defaults()
		if got := strings.Join(wikiDatasets(&o, wikiSource{wiki: "xxwiki", extended: c.extended}), " "); got != c.want {
			t.Errorf("%v extended %v: %s, want %s", c.datasets, c.extended, got, c.want)
		}
	}
	o := Options{Datasets: []string{"linkgraph", "nope"}, Path: "p", DSN: "d"}
	if err := o.Validate(); err == nil || !strings.Contains(err.Error(), "nope") {
		t.Errorf("Validate: %v", err)
	}
}
