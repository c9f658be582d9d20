package embeddings

import (
	"context"
	"fmt"
	"sort"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/addlink/addlink/datasets"
	"github.com/addlink/addlink/internal/articles"
	"github.com/addlink/addlink/internal/dump"
	"github.com/addlink/addlink/internal/graphvec"
	"github.com/addlink/addlink/internal/progress"
	"github.com/addlink/addlink/internal/wikitext"
)

// The methods of the stage.
const (
	MethodSkipGram = "skipgram"
	MethodGraph    = "graph"
)

// ParseMethod checks a --method value; "" is the default, skip-gram.
func ParseMethod(s string) (string, error) {
	switch s {
	case "", MethodSkipGram:
		return MethodSkipGram, nil
	case MethodGraph:
		return MethodGraph, nil
	}
	return "", fmt.Errorf("embeddings: unknown method %q (skipgram or graph)", s)
}

// runGraph is Run for MethodGraph: it reads only the articles' links (from the
// articles cache the dictionaries stage leaves, or the dump), resolves them as the
// skip-gram corpus does, and writes the vectors of internal/graphvec for the same
// articles, in the same order and dimension.
func runGraph(ctx context.Context, o Options, p progress.Reporter) (Summary, error) {
	start := time.Now()
	l := datasets.Layout{DataDir: o.DataDir, Wiki: o.Wiki}
	gp := o.Graph
	gp.Threads = max(1, o.Params.Threads)
	if err := gp.Validate(); err != nil {
		return Summary{}, err
	}
	titles, res, err := readResolver(l)
	if err != nil {
		return Summary{}, err
	}
	parts, err := readLinks(ctx, l, o, res, gp.Threads, p)
	if err != nil {
		return Summary{}, err
	}
	s := Summary{Method: MethodGraph, Articles: len(titles), Dim: gp.Dim}
	for _, e := range parts {
		s.Links += int64(len(e))
	}
	p.Phase("embeddings: the link graph's vectors", 0, "")
	t0 := time.Now()
	vecs, nnz, err := graphvec.EmbedParts(ctx, len(titles), parts, gp)
	if err != nil {
		return s, err
	}
	s.TrainSeconds = time.Since(t0).Seconds()
	s.MatrixEntries = nnz
	progress.End(p)
	p.Note(fmt.Sprintf("embeddings: %d articles, %d links, a matrix of %d entries decomposed in %.1fs",
		s.Articles, s.Links, nnz, s.TrainSeconds))
	rows := make([]datasets.Embedding, len(titles))
	for i, t := range titles {
		rows[i] = datasets.Embedding{Title: t, Vector: vecs[i*gp.Dim : (i+1)*gp.Dim : (i+1)*gp.Dim]}
	}
	if _, err := datasets.WriteParquetThreads(l.Embeddings(), rows, gp.Threads); err != nil {
		return s, err
	}
	s.Seconds = time.Since(start).Seconds()
	return s, datasets.WriteSummary(l, "embeddings", s)
}

// readResolver reads the page ids and redirects: the articles' titles in sorted order
// (the rows of <wiki>.w2vfiltered.parquet) and a resolver of link targets to them. The
// redirects are read, and their map built, on a goroutine of their own while the page
// ids are read, sorted and indexed.
func readResolver(l datasets.Layout) ([]string, *graphvec.Resolver, error) {
	var g errgroup.Group
	var redirect map[string]string
	g.Go(func() error {
		reds, err := datasets.ReadParquet[datasets.Redirect](l.Redirects())
		if err != nil {
			return fmt.Errorf("embeddings: %w", err)
		}
		redirect = make(map[string]string, len(reds))
		for _, r := range reds {
			redirect[r.From] = r.To
		}
		return nil
	})
	ids, err := datasets.ReadParquet[datasets.PageID](l.PageIDs())
	if err != nil {
		g.Wait() // its error, if any, says less than this one
		return nil, nil, fmt.Errorf("embeddings: %w (run the dictionaries stage first)", err)
	}
	titles := make([]string, len(ids))
	for i, r := range ids {
		titles[i] = r.Title
	}
	sort.Strings(titles)
	index := graphvec.TitleIndex(titles)
	if err := g.Wait(); err != nil {
		return nil, nil, err
	}
	return titles, graphvec.NewResolver(index, redirect), nil
}

// readLinks streams the articles and returns their links as edges, scanned by
// `threads` goroutines (articles.Each), one slice of edges for each (which edges
// each has depends on the threads: graphvec.BuildMatrix sorts them). It returns
// ctx.Err() when cancelled.
func readLinks(ctx context.Context, l datasets.Layout, o Options, res *graphvec.Resolver, threads int, p progress.Reporter) ([][]graphvec.Edge, error) {
	src, cached, err := articles.OpenSource(ctx, l.ArticlesCache(), o.Dumps, dump.Options{Threads: threads, Progress: p, Wiki: l.Wiki, AllowWikiMismatch: o.AllowWikiMismatch})
	if err != nil {
		return nil, err
	}
	defer src.Close()
	if cached {
		p.Phase("embeddings: reading the articles cache's links", 0, "")
	} else {
		p.Phase("embeddings: reading the dump's links", 0, "bytes")
	}
	parts := make([][]graphvec.Edge, threads)
	err = articles.Each(ctx, src, threads, func(w int, pg *dump.Page) error {
		if from, ok := res.Article(wikitext.NormalizeTitle(pg.Title)); ok {
			parts[w] = res.AppendLinks(parts[w], from, pg.Text)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return parts, nil
}
