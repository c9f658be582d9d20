package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/addlink/addlink/internal/synth"
	"github.com/addlink/addlink/pipeline"
	"github.com/addlink/addlink/pipeline/embeddings"
)

// run --embeddings graph makes the embeddings stage's vectors from the link graph; its
// manifest records the method, so that switching methods reruns the stage and status
// with the same --embeddings calls it current.
func TestRunEmbeddingsGraph(t *testing.T) {
	data := t.TempDir()
	f := filepath.Join(t.TempDir(), "cswiki-20260101-pages-articles.xml")
	if err := synth.WriteFile(f, synth.Options{Wiki: "cswiki", Articles: 60, Seed: 1}); err != nil {
		t.Fatal(err)
	}
	if code, err := runIn("--data-dir", data, "run", "--wiki", "cswiki", "--dump", f, "--to", "embeddings", "--embeddings", "graph"); code != 0 {
		t.Fatalf("exit %d: %v", code, err)
	}
	b, err := os.ReadFile(filepath.Join(data, "cswiki", "embeddings.summary.json"))
	if err != nil {
		t.Fatal(err)
	}
	var s embeddings.Summary
	if err := json.Unmarshal(b, &s); err != nil {
		t.Fatal(err)
	}
	if s.Method != embeddings.MethodGraph || s.Articles == 0 || s.MatrixEntries == 0 {
		t.Errorf("summary %s", b)
	}
	status := func(method string) string {
		cfg := &pipeline.Config{Wiki: "cswiki", DataDir: data, Dumps: []string{f}, Embeddings: method, Version: version}
		for _, st := range pipeline.Inspect(cfg, pipeline.Stages()) {
			if st.Stage == "embeddings" {
				t.Logf("%s: %s %s", method, st.Status, st.Reason)
				return st.Status
			}
		}
		return ""
	}
	if got := status(embeddings.MethodGraph); got != "current" {
		t.Errorf("with the graph method the stage is %q, want current", got)
	}
	if got := status(embeddings.MethodSkipGram); got != "stale" {
		t.Errorf("with skip-gram the stage is %q, want stale", got)
	}
	if code, err := runIn("--data-dir", data, "run", "--wiki", "cswiki", "--dump", f, "--embeddings", "svd"); code != exitUsage {
		t.Errorf("--embeddings svd: exit %d, %v; want a usage error", code, err)
	}
}
