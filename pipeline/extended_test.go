package pipeline

import (
	"strings"
	"testing"
)

func stageNames(stages []Stage) string {
	var n []string
	for _, s := range stages {
		n = append(n, s.Name)
	}
	return strings.Join(n, " ")
}

// Without --features extended the stage graph and the stages' parameters are those of
// before (so manifests, and with them the six-feature model, stay as they were); with
// it, the linkgraph stage comes after embeddings and the recipe's parameters are
// recorded.
func TestStagesForExtended(t *testing.T) {
	ref := &Config{Wiki: "xxwiki", DataDir: t.TempDir()}
	if got, want := stageNames(StagesFor(ref)), stageNames(Stages()); got != want {
		t.Errorf("reference stages %s, want %s", got, want)
	}
	for _, s := range StagesFor(ref) {
		for k := range params(ref, &s) {
			if k == "features" || k == "candidates" || k == "drop_linked_elsewhere" {
				t.Errorf("%s: the reference run records %s", s.Name, k)
			}
		}
	}
	ext := &Config{Wiki: "xxwiki", DataDir: ref.DataDir, Features: FeaturesExtended}
	stages := StagesFor(ext)
	if got, want := stageNames(stages), "dictionaries wdproperties filter embeddings linkgraph sentences features train backtest export"; got != want {
		t.Errorf("extended stages %s, want %s", got, want)
	}
	want := map[string]map[string]string{
		"sentences": {"train_per_article": "all"},
		"features":  {"features": "extended", "candidates": "titles", "drop_linked_elsewhere": "true"},
		"train":     {"features": "extended", "candidates": "titles"},
	}
	for _, s := range stages {
		p := params(ext, &s)
		for k, v := range want[s.Name] {
			if p[k] != v {
				t.Errorf("%s: %s = %q, want %q", s.Name, k, p[k], v)
			}
		}
	}
	for _, name := range []string{"features", "backtest"} {
		for _, s := range stages {
			if s.Name != name {
				continue
			}
			in, _ := s.Inputs(ext)
			if j := strings.Join(in, " "); !strings.Contains(j, "xxwiki.linkgraph.parquet") || !strings.Contains(j, "xxwiki.anchors_stats.parquet") {
				t.Errorf("%s inputs: %s", name, j)
			}
		}
	}
}
