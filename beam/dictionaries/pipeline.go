// Package dictionaries is the dictionaries stage (pipeline/dictionaries) as an Apache
// Beam pipeline, for Dataflow, Flink or Spark when one machine is not enough: the same
// per-page functions, the same datasets byte for byte.
//
// The pipeline reads splits of the dump (part files, or stream ranges of a multistream
// file by its index) in parallel, counts links and their anchors combined within each
// bundle before the shuffle, resolves redirects with the articles and redirects as
// side inputs, counts the anchors linked more than once in the text, and writes each
// dataset in shards by anchor (or title) hash with the datasets package's Parquet
// writer. Run then merges the shards into the files `addlink dictionaries` writes.
package dictionaries

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"time"

	"github.com/apache/beam/sdks/v2/go/pkg/beam"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/io/filesystem"

	"github.com/addlink/addlink/atomicfile"
	"github.com/addlink/addlink/datasets"
	"github.com/addlink/addlink/internal/dump"
	"github.com/addlink/addlink/internal/progress"
	stage "github.com/addlink/addlink/pipeline/dictionaries"
)

// Options configures a run.
type Options struct {
	Wiki     string
	DataDir  string   // where the datasets are written (a local directory)
	Dumps    []string // dump files, multistream index files and globs, on any Beam filesystem
	DumpsDir string   // when Dumps is empty, the latest complete dump under it (local)
	// TempLocation is the directory (any Beam filesystem; the workers write to it) of
	// the shards; a directory of its own is made in it and removed. Default: the
	// wiki's data directory, which suits local runners only.
	TempLocation string
	Shards       int   // shards of each dataset; default 16
	SplitBytes   int64 // compressed bytes per split of a multistream file; default 64 MiB
	Threads      int   // bzip2 goroutines per split; default: the cores of the worker
	// AllowWikiMismatch reads dump files whose <dbname> or file name names another wiki.
	AllowWikiMismatch bool
	// DryRun is set when the runner only builds and validates the job (Dataflow's
	// --dry_run): Run stops after the executor returns, with nothing to merge.
	DryRun bool
}

// ErrDryRun is what Run returns after a dry run: the job was built and validated by
// the runner, not run, and nothing was written.
var ErrDryRun = errors.New("addlink-beam: dry run: the job was built and validated, not run; nothing was written")

// Validate checks the options (its errors are usage errors, for the command to prefix),
// sets the defaults and discovers the dump files when none are given.
func (o *Options) Validate() error {
	if err := datasets.CheckWikiID(o.Wiki); err != nil {
		return err
	}
	if o.DataDir == "" {
		return errors.New("no data directory")
	}
	if strings.Contains(o.DataDir, "://") {
		return fmt.Errorf("--data-dir %s: the datasets are written to a local directory (the shards go to --temp-location)", o.DataDir)
	}
	if o.Shards == 0 {
		o.Shards = 16
	}
	if o.Shards < 1 || o.Shards > 99999 {
		return fmt.Errorf("--shards %d: want 1 to 99999", o.Shards)
	}
	if o.SplitBytes == 0 {
		o.SplitBytes = 64 << 20
	}
	if o.SplitBytes < 1 {
		return fmt.Errorf("--split-bytes %d: want a positive size", o.SplitBytes)
	}
	if o.Threads < 1 {
		o.Threads = runtime.NumCPU()
	}
	if len(o.Dumps) == 0 {
		if o.DumpsDir == "" {
			return errors.New("no --dump files and no --dumps-dir")
		}
		files, err := dump.Discover(o.DumpsDir, o.Wiki)
		if err != nil {
			return err
		}
		o.Dumps = files
	}
	for _, f := range o.Dumps {
		if w := dump.FileWiki(f); w != "" && w != o.Wiki && !o.AllowWikiMismatch {
			return &dump.WikiMismatchError{File: f, Wiki: o.Wiki, Found: w, Source: "file name"}
		}
		if strings.Contains(f, "://") || strings.ContainsAny(f, "*?[") {
			continue // checked when the splits are made
		}
		if _, err := os.Stat(f); err != nil {
			return fmt.Errorf("dump %w", err)
		}
	}
	return nil
}

// Executor runs a pipeline: beamx.RunWithMetrics (the --runner flag) for the command,
// ptest.RunWithMetrics in tests.
type Executor func(context.Context, *beam.Pipeline) (beam.PipelineResult, error)

// Build adds the pipeline to s: it reads splits and writes the shards of the datasets
// (Shards of each) into dir. run names the run uniquely (it keys what the DoFns of one
// worker process share).
func Build(s beam.Scope, splits []Split, o Options, dir, run string) {
	s = s.Scope("dictionaries")
	in := beam.Reshuffle(s, beam.CreateList(s, splits))
	pages, redirects, pairs, several, texts := beam.ParDo5(s, &readFn{Wiki: o.Wiki, Threads: o.Threads, AllowWikiMismatch: o.AllowWikiMismatch}, in)
	pairs = beam.CombinePerKey(s, addCounts, pairs)

	side := []beam.Option{beam.SideInput{Input: pages}, beam.SideInput{Input: redirects}}
	al1, pc1 := beam.ParDo2(s, &resolveFn{Run: run}, pairs, side...)
	al2, pc2 := beam.ParDo2(s, &resolveSeveralFn{Run: run}, several, side...)
	aslink := beam.CombinePerKey(s, addInt, beam.Flatten(s, al1, al2))
	pairN := beam.CombinePerKey(s, addInt, beam.Flatten(s, pc1, pc2))

	index := beam.ParDo(s, linkedMoreThanOnce, aslink)
	astext := beam.CombinePerKey(s, addInt, beam.ParDo(s, &countFn{Run: run}, texts, beam.SideInput{Input: index}))

	shards := make([]int, o.Shards)
	for i := range shards {
		shards[i] = i
	}
	rows := beam.Flatten(s,
		beam.ParDo(s, markerRow, beam.CreateList(s, shards)),
		beam.ParDo(s, &rowFn{Kind: kindAsLink, Shards: o.Shards}, aslink),
		beam.ParDo(s, &rowFn{Kind: kindAsText, Shards: o.Shards}, astext),
		beam.ParDo(s, &rowFn{Kind: kindPair, Shards: o.Shards}, pairN),
		beam.ParDo(s, &rowFn{Kind: kindPage, Shards: o.Shards}, pages),
		beam.ParDo(s, &redirectRowFn{Shards: o.Shards}, redirects),
	)
	beam.ParDo0(s, &writeShardFn{Dir: dir, Shards: o.Shards}, beam.GroupByKey(s, rows))
}

// Run builds the pipeline, executes it with exec, and merges the shards into the
// datasets of `addlink dictionaries` under the data directory, committed together (on
// error none is changed). Its summary is the single-machine stage's, counted by the
// pipeline's metrics. o must have been validated.
func Run(ctx context.Context, o Options, exec Executor, p progress.Reporter) (stage.Summary, error) {
	start := time.Now()
	p = progress.OrNop(p)
	layout := datasets.Layout{DataDir: o.DataDir, Wiki: o.Wiki}
	if !o.DryRun { // a dry run writes nothing
		if err := os.MkdirAll(layout.Dir(), 0o755); err != nil {
			return stage.Summary{}, err
		}
	}
	splits, err := Splits(ctx, o.Dumps, o.SplitBytes)
	if err != nil {
		return stage.Summary{}, fmt.Errorf("addlink-beam: %w", err)
	}
	var id [8]byte
	rand.Read(id[:])
	run := "addlink-beam-" + o.Wiki + "-" + hex.EncodeToString(id[:])
	defer forgetRun(run)
	tempLoc := o.TempLocation
	if tempLoc == "" {
		tempLoc = layout.Dir()
	}
	dir := strings.TrimSuffix(tempLoc, "/") + "/." + run
	if !o.DryRun {
		defer removeShards(context.WithoutCancel(ctx), dir, o.Shards)
	}

	p.Note(fmt.Sprintf("addlink-beam: running the pipeline (%d splits, %d shards)", len(splits), o.Shards))
	pl, scope := beam.NewPipelineWithRoot()
	Build(scope, splits, o, dir, run)
	res, err := exec(ctx, pl)
	if err != nil {
		return stage.Summary{}, fmt.Errorf("addlink-beam: pipeline: %w", err)
	}
	if o.DryRun {
		// The job was built and validated, not run: no shard was written.
		return stage.Summary{Wiki: o.Wiki, Dumps: o.Dumps}, ErrDryRun
	}
	p.Phase("addlink-beam: merging the shards", int64(o.Shards), "shards")
	m, err := merge(ctx, layout, dir, o.Shards, p)
	if err != nil {
		return stage.Summary{}, err
	}
	s := stage.Summary{
		Wiki: o.Wiki, Dumps: o.Dumps,
		Articles: m.pages, Redirects: m.redirects, Anchors: m.kept, AnchorTargetPairs: m.anchors,
		Seconds: time.Since(start).Seconds(),
	}
	if res != nil {
		for _, c := range res.Metrics().AllMetrics().Counters() {
			if c.Namespace() != "addlink" {
				continue
			}
			n := c.Result()
			switch c.Name() {
			case "pages":
				s.Pages += n
			case "xml_bytes":
				s.XMLBytes += n
			case "compressed_bytes":
				s.CompressedBytes += n
			case "replaced_invalid_utf8":
				s.ReplacedInvalidUTF8 += n
			case "links":
				s.Links += n
			case "links_to_articles":
				s.LinksKept += n
			case "anchors_as_link":
				s.AnchorsAsLink += int(n)
			}
		}
	}
	if s.Seconds > 0 {
		s.XMLMBPerSecond = float64(s.XMLBytes) / 1e6 / s.Seconds
	}
	b, err := jsonIndent(s)
	if err != nil {
		return s, err
	}
	_, err = atomicfile.WriteFile(layout.Summary("dictionaries"), b)
	return s, err
}

type merged struct{ pages, redirects, anchors, kept int }

// merge reads every shard of every dataset and writes the datasets where the
// single-machine stage writes them, committed once all are encoded.
func merge(ctx context.Context, layout datasets.Layout, dir string, shards int, p progress.Reporter) (merged, error) {
	fs, err := filesystem.New(ctx, dir)
	if err != nil {
		return merged{}, err
	}
	defer fs.Close()
	var (
		anchors   []datasets.Anchor
		stats     []datasets.AnchorStat
		pages     []datasets.PageID
		redirects []datasets.Redirect
	)
	for k := range shards {
		if err := firstErr(
			readShard(ctx, fs, shardFile(dir, shardAnchors, k, shards), &anchors),
			readShard(ctx, fs, shardFile(dir, shardStats, k, shards), &stats),
			readShard(ctx, fs, shardFile(dir, shardPageIDs, k, shards), &pages),
			readShard(ctx, fs, shardFile(dir, shardRedirects, k, shards), &redirects),
		); err != nil {
			return merged{}, err
		}
		p.Add(1)
	}
	if len(pages) == 0 {
		// As the single-machine stage refuses (dump.ErrNoArticles): empty datasets
		// would replace good ones.
		return merged{}, fmt.Errorf("addlink-beam: %w in the dump files: refusing to build anything from them", dump.ErrNoArticles)
	}
	sortAnchors(anchors)
	slices.SortFunc(stats, func(a, b datasets.AnchorStat) int { return strings.Compare(a.Anchor, b.Anchor) })
	slices.SortFunc(pages, func(a, b datasets.PageID) int { return strings.Compare(a.Title, b.Title) })
	slices.SortFunc(redirects, func(a, b datasets.Redirect) int { return strings.Compare(a.From, b.From) })

	var files []*atomicfile.File
	defer func() {
		for _, f := range files {
			f.Abort() // a no-op once committed
		}
	}()
	for _, enc := range []func() (*atomicfile.File, error){
		func() (*atomicfile.File, error) { return datasets.EncodeParquet(layout.PageIDs(), pages) },
		func() (*atomicfile.File, error) { return datasets.EncodeParquet(layout.Redirects(), redirects) },
		func() (*atomicfile.File, error) { return datasets.EncodeParquet(layout.Anchors(), anchors) },
		func() (*atomicfile.File, error) { return datasets.EncodeParquet(layout.AnchorStats(), stats) },
	} {
		f, err := enc()
		if err != nil {
			return merged{}, err
		}
		files = append(files, f)
	}
	for _, f := range files {
		if err := f.Commit(); err != nil {
			return merged{}, err
		}
	}
	// As the single-machine stage: the dictionary before any filter starts as the same file.
	if _, err := atomicfile.CopyFile(layout.AnchorsUnfiltered(), layout.Anchors()); err != nil {
		return merged{}, err
	}
	m := merged{pages: len(pages), redirects: len(redirects), anchors: len(anchors)}
	for _, st := range stats {
		m.kept += int(st.Kept)
	}
	return m, nil
}

func readShard[T any](ctx context.Context, fs filesystem.Interface, name string, rows *[]T) error {
	b, err := filesystem.Read(ctx, fs, name)
	if err != nil {
		return fmt.Errorf("addlink-beam: shard %s: %w", name, err)
	}
	got, err := datasets.ReadParquetFrom[T](name, bytes.NewReader(b), int64(len(b)))
	if err != nil {
		return err
	}
	*rows = append(*rows, got...)
	return nil
}

// removeShards removes the run's shard files and, when local, their directory.
func removeShards(ctx context.Context, dir string, shards int) {
	fs, err := filesystem.New(ctx, dir)
	if err != nil {
		return
	}
	defer fs.Close()
	if rm, ok := fs.(filesystem.Remover); ok {
		for k := range shards {
			for _, name := range []string{shardAnchors, shardStats, shardPageIDs, shardRedirects} {
				rm.Remove(ctx, shardFile(dir, name, k, shards))
			}
		}
	}
	if !strings.Contains(dir, "://") {
		os.RemoveAll(filepath.Clean(dir))
	}
}
