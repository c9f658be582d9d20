package backtest_test

import (
	"bytes"
	"context"
	"math"
	"os"
	"strings"
	"testing"

	"github.com/addlink/addlink/compare"
	"github.com/addlink/addlink/datasets"
	"github.com/addlink/addlink/internal/evaluation"
	"github.com/addlink/addlink/internal/linker"
	"github.com/addlink/addlink/pipeline"
	"github.com/addlink/addlink/pipeline/backtest"
	"github.com/addlink/addlink/pipeline/export"
	"github.com/addlink/addlink/pipeline/features"
	"github.com/addlink/addlink/pipeline/linkgraph"
	"github.com/addlink/addlink/pipeline/train"
)

// TestExtendedFeatures runs the extended path on the sample wiki: link graph,
// features --features extended (link_train.csv unchanged), train --features extended
// (the model records its features), backtest and query (which compute them because
// the model says so), intervals in the summary, compare, and export refusing the
// model.
func TestExtendedFeatures(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	dumpFile, err := pipeline.EnsureSample(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	const wiki = "samplewiki"
	cfg := &pipeline.Config{Wiki: wiki, DataDir: dir, Dumps: []string{dumpFile}, Threads: 2, Version: "test"}
	if _, err := pipeline.Run(ctx, cfg, pipeline.Stages(), pipeline.RunOptions{}, nil); err != nil {
		t.Fatal(err)
	}
	l := datasets.Layout{DataDir: dir, Wiki: wiki}
	refRows, err := os.ReadFile(l.LinkTrain())
	if err != nil {
		t.Fatal(err)
	}
	refSummary, err := backtest.Run(ctx, backtest.Options{Wiki: wiki, DataDir: dir, Options: evaluation.Options{Threads: 2}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(dir+"/reference.summary.json", mustRead(t, l.Summary("backtest")), 0o644); err != nil {
		t.Fatal(err)
	}

	if _, err := features.Run(ctx, features.Options{Wiki: wiki, DataDir: dir, Threads: 2, Features: linker.ExtendedFeatures}, nil); err == nil ||
		!strings.Contains(err.Error(), "linkgraph") {
		t.Fatalf("extended features without a link graph: %v, want an error naming addlink linkgraph", err)
	}
	lg, err := linkgraph.Run(ctx, linkgraph.Options{Wiki: wiki, DataDir: dir, Dumps: []string{dumpFile}, Threads: 2}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if lg.Articles == 0 || lg.Links == 0 {
		t.Fatalf("link graph %+v", lg)
	}
	fs, err := features.Run(ctx, features.Options{Wiki: wiki, DataDir: dir, Threads: 2, Features: linker.ExtendedFeatures}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if got := mustRead(t, l.LinkTrain()); !bytes.Equal(got, refRows) {
		t.Error("link_train.csv changed with --features extended")
	}
	ext := mustRead(t, l.LinkTrainExtended())
	if !strings.HasPrefix(string(ext), "page\tmention\ttarget\tngram\tfreq\tambig\tkurtosis\tw2v\tjaro\tlinkprob\trelatedness\tposition\tlabel\n") ||
		bytes.Count(ext, []byte{'\n'}) != fs.Rows+1 {
		t.Errorf("extended training file: %d rows, starts %.200q", fs.Rows, ext)
	}
	opts := train.DefaultOptions()
	opts.Wiki, opts.DataDir, opts.Features = wiki, dir, linker.ExtendedFeatures
	if err := opts.Validate(); err != nil {
		t.Fatal(err)
	}
	if _, err := train.Run(ctx, opts, nil); err != nil {
		t.Fatal(err)
	}
	s, err := backtest.Run(ctx, backtest.Options{Wiki: wiki, DataDir: dir, Options: evaluation.Options{Threads: 2}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if s.Features != "extended" || s.Bootstrap != evaluation.DefaultBootstrap || s.Sentences != refSummary.Sentences {
		t.Errorf("summary: features %q, %d resamples, %d sentences (reference run: %d)", s.Features, s.Bootstrap, s.Sentences, refSummary.Sentences)
	}
	for _, r := range s.Rows {
		if !math.IsNaN(r.MicroRecall) && !(r.RecallLow <= r.MicroRecall && r.MicroRecall <= r.RecallHigh) {
			t.Errorf("threshold %v: recall %v outside its interval [%v, %v]", r.Threshold, r.MicroRecall, r.RecallLow, r.RecallHigh)
		}
	}
	if svg := string(mustRead(t, l.BacktestPlot())); !strings.Contains(svg, "95%") {
		t.Error("the plot does not mention the intervals")
	}
	// The same thread count-independent result from the library call.
	q, err := linker.OpenWiki(l, linker.Parquet)
	if err != nil {
		t.Fatal(err)
	}
	if set, _ := linker.ModelFeatures(q.Model); set.String() != "extended" || q.Dict.Graph == nil {
		t.Fatalf("query: model features %v, graph loaded %v", set, q.Dict.Graph != nil)
	}
	// compare reads both summaries.
	a, err := compare.Load(dir + "/reference.summary.json")
	if err != nil {
		t.Fatal(err)
	}
	b, err := compare.Load(l.Dir())
	if err != nil {
		t.Fatal(err)
	}
	table, err := compare.Table(a, b)
	if err != nil || !strings.Contains(table, "features extended") || !strings.Contains(table, "PR AUC") {
		t.Errorf("compare: %v\n%s", err, table)
	}
	if svg, err := compare.Plot(a, b); err != nil || !bytes.HasPrefix(bytes.TrimSpace(svg), []byte("<?xml")) {
		t.Errorf("compare plot: %v", err)
	}
	// Export writes the datasets the extended model reads and says so in the set
	// (publish puts such a set under its own tree: publish's TestExtendedModelOwnTree).
	eo := export.Options{Wiki: wiki, DataDir: dir}
	if _, err := export.Run(ctx, eo, nil); err != nil {
		t.Fatalf("export of an extended model: %v", err)
	}
	set, err := datasets.ReadExportSet(l.ExportDir())
	if err != nil {
		t.Fatal(err)
	}
	if set.Model == nil || set.Model.Features != "extended" || strings.Join(set.Model.Datasets, ",") != "anchors_stats,linkgraph" {
		t.Errorf("export set's model %+v", set.Model)
	}
	if err := datasets.VerifyExportSet(l.ExportDir()); err != nil {
		t.Error(err)
	}

	// The extended candidate rules: recorded in the model, applied by the backtest
	// (its summary says so) and by query; link_train.csv still the reference's.
	fo := features.Options{Wiki: wiki, DataDir: dir, Threads: 2, Features: linker.ExtendedFeatures}
	fo.Training.Candidates = linker.ExtendedCandidates
	if _, err := features.Run(ctx, fo, nil); err != nil {
		t.Fatal(err)
	}
	if got := mustRead(t, l.LinkTrain()); !bytes.Equal(got, refRows) {
		t.Error("link_train.csv changed with the extended candidate rules")
	}
	opts.Candidates = linker.ExtendedCandidates
	if _, err := train.Run(ctx, opts, nil); err != nil {
		t.Fatal(err)
	}
	s, err = backtest.Run(ctx, backtest.Options{Wiki: wiki, DataDir: dir, Options: evaluation.Options{Threads: 2}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if s.Candidates != linker.ExtendedCandidates.String() || s.Sentences != refSummary.Sentences {
		t.Errorf("backtest with the extended rules: candidates %q, %d sentences", s.Candidates, s.Sentences)
	}
	q, err = linker.OpenWiki(l, linker.Parquet)
	if err != nil {
		t.Fatal(err)
	}
	if r, err := linker.ModelCandidates(q.Model); err != nil || r != linker.ExtendedCandidates {
		t.Errorf("query: model candidate rules %+v %v", r, err)
	}
	opts.Candidates = linker.ReferenceCandidates
	if _, err := train.Run(ctx, opts, nil); err == nil {
		t.Error("train accepted rows of other candidate rules")
	}
}

func mustRead(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
