// Package embeddings is the stage that learns entity vectors for the w2v feature
// (docs/reference.md "Stage 3"): by default it reads the dump once to build a corpus of
// words, links and articles, trains skip-gram with negative sampling over words and
// entities (internal/embed), and writes <wiki>.w2vfiltered.parquet: one vector per
// article. With MethodGraph it reads only the articles' links and writes the vectors
// of a truncated SVD of the link graph (internal/graphvec) to the same file.
package embeddings

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"
	"unicode"

	"github.com/addlink/addlink/datasets"
	"github.com/addlink/addlink/internal/articles"
	"github.com/addlink/addlink/internal/dump"
	"github.com/addlink/addlink/internal/embed"
	"github.com/addlink/addlink/internal/graphvec"
	"github.com/addlink/addlink/internal/progress"
	"github.com/addlink/addlink/internal/wikitext"
)

// MinWordCount drops rarer words from the vocabulary.
const MinWordCount = 5

// Options configures the stage.
type Options struct {
	Wiki    string
	DataDir string
	Dumps   []string
	// Method is MethodSkipGram ("" too) or MethodGraph.
	Method string
	// Params are skip-gram's parameters; with MethodGraph only Threads is read.
	Params embed.Params
	// Graph are MethodGraph's parameters (its Threads is Params.Threads).
	Graph graphvec.Params
	// WriteCorpus, when set, also writes the token sequences the trainer sees to this
	// file and linked and random entity pairs to <file>.pairs (for bench/embeddings.sh).
	WriteCorpus string
	// AllowWikiMismatch reads dump files whose <dbname> or file name names another
	// wiki (a renamed dump); by default they are refused.
	AllowWikiMismatch bool
}

// Summary is what the stage reports.
type Summary struct {
	// Method is "graph" for MethodGraph, empty for skip-gram.
	Method   string  `json:"method,omitempty"`
	Articles int     `json:"articles"`
	Words    int     `json:"vocabulary_words"`
	Tokens   int64   `json:"tokens"`
	Links    int64   `json:"links"`
	Dim      int     `json:"dim"`
	Epochs   int     `json:"epochs"`
	Seconds  float64 `json:"seconds"`
	// TrainSeconds is the training alone, without reading the dump.
	TrainSeconds float64 `json:"train_seconds"`
	TokensPerS   float64 `json:"tokens_per_second"`
	// Pairs are the (input, output) pairs trained (word-word, entity-entity, anchor
	// context), negatives not counted.
	Pairs     int64   `json:"pairs"`
	PairsPerS float64 `json:"pairs_per_second"`
	// MatrixEntries is MethodGraph's number of weighted (article, feature) entries.
	MatrixEntries int `json:"matrix_entries,omitempty"`
}

// Run builds the corpus, trains, and writes the vectors.
func Run(ctx context.Context, o Options, p progress.Reporter) (Summary, error) {
	start := time.Now()
	p = progress.OrNop(p)
	if err := datasets.CheckWikiID(o.Wiki); err != nil {
		return Summary{}, err
	}
	if len(o.Dumps) == 0 {
		return Summary{}, errors.New("embeddings: no dump files")
	}
	method, err := ParseMethod(o.Method)
	if err != nil {
		return Summary{}, err
	}
	if method == MethodGraph {
		if o.WriteCorpus != "" {
			return Summary{}, errors.New("embeddings: the corpus is written only for skip-gram")
		}
		return runGraph(ctx, o, p)
	}
	l := datasets.Layout{DataDir: o.DataDir, Wiki: o.Wiki}
	c, err := BuildCorpus(ctx, l, o.Dumps, o.Params.Threads, o.AllowWikiMismatch, p)
	if err != nil {
		return Summary{}, err
	}
	if f, ok := c.Docs.(*docFile); ok {
		defer f.remove()
	}
	if o.WriteCorpus != "" {
		if err := WriteCorpus(o.WriteCorpus, c); err != nil {
			return Summary{}, err
		}
	}
	s := Summary{Articles: len(c.Entities), Words: len(c.Words), Dim: o.Params.Dim, Epochs: o.Params.Epochs,
		Tokens: c.Tokens, Links: c.Links}
	t0 := time.Now()
	m, err := embed.Train(ctx, c, o.Params, p)
	if err != nil {
		return s, err
	}
	s.TrainSeconds = time.Since(t0).Seconds()
	if s.TrainSeconds > 0 {
		s.TokensPerS = float64(s.Tokens) * float64(o.Params.Epochs) / s.TrainSeconds
		s.PairsPerS = float64(m.Pairs) / s.TrainSeconds
	}
	s.Pairs = m.Pairs
	progress.End(p) // the last phase's line before the summary
	p.Note(fmt.Sprintf("embeddings: %d articles, %d pairs trained in %.1fs (%.0f pairs/s)",
		s.Articles, s.Pairs, s.TrainSeconds, s.PairsPerS))
	rows := make([]datasets.Embedding, len(c.Entities))
	for i, t := range c.Entities {
		rows[i] = datasets.Embedding{Title: t, Vector: m.Vector(i)}
	}
	if _, err := datasets.WriteParquetThreads(l.Embeddings(), rows, o.Params.Threads); err != nil {
		return s, err
	}
	s.Seconds = time.Since(start).Seconds()
	return s, datasets.WriteSummary(l, "embeddings", s)
}

// BuildCorpus reads the dictionaries' page ids and redirects and the dump: every article
// becomes a Doc of its lower-cased words, with its links (resolved through redirects, to
// articles) at the positions of their anchor text. A dump of another wiki than l.Wiki
// is refused unless allowWikiMismatch.
func BuildCorpus(ctx context.Context, l datasets.Layout, dumps []string, threads int, allowWikiMismatch bool, p progress.Reporter) (*embed.Corpus, error) {
	p = progress.OrNop(p)
	ids, err := datasets.ReadParquet[datasets.PageID](l.PageIDs())
	if err != nil {
		return nil, fmt.Errorf("embeddings: %w (run the dictionaries stage first)", err)
	}
	reds, err := datasets.ReadParquet[datasets.Redirect](l.Redirects())
	if err != nil {
		return nil, fmt.Errorf("embeddings: %w", err)
	}
	c := &embed.Corpus{}
	entity := make(map[string]int32, len(ids))
	for _, r := range ids {
		c.Entities = append(c.Entities, r.Title)
	}
	sort.Strings(c.Entities)
	for i, t := range c.Entities {
		entity[t] = int32(i)
	}
	redirect := make(map[string]string, len(reds))
	for _, r := range reds {
		redirect[r.From] = r.To
	}
	c.EntityFreq = make([]int64, len(c.Entities))
	vocab := map[string]int32{}
	var freq []int64
	r, cached, err := articles.OpenSource(ctx, l.ArticlesCache(), dumps, dump.Options{Threads: threads, Progress: p, Wiki: l.Wiki, AllowWikiMismatch: allowWikiMismatch})
	if err != nil {
		return nil, err
	}
	defer r.Close()
	if cached {
		p.Phase("embeddings: reading the articles cache", 0, "")
	} else {
		p.Phase("embeddings: reading dump", 0, "bytes")
	}
	word := func(w string) int32 {
		id, ok := vocab[w]
		if !ok {
			id = int32(len(freq))
			vocab[w] = id
			freq = append(freq, 0)
		}
		freq[id]++
		return id
	}
	docs, err := newDocFile(filepath.Join(l.Dir(), "cache"))
	if err != nil {
		return nil, err
	}
	ok := false
	defer func() {
		if !ok {
			docs.remove()
		}
	}()
	var doc embed.Doc
	for n := 0; ; n++ {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		pg, err := r.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, err
		}
		if pg.NS != 0 || pg.IsRedirect() || pg.Text == "" {
			continue
		}
		e, ok := entity[wikitext.NormalizeTitle(pg.Title)]
		if !ok {
			continue
		}
		doc = embed.Doc{Entity: e, Words: doc.Words[:0], Links: doc.Links[:0]}
		last := 0
		var cancelled error // a page of any size stops promptly on cancellation
		addText := func(s string) {
			plain, err := wikitext.PlainTextContext(ctx, s)
			if err != nil {
				cancelled = err
				return
			}
			for _, w := range words(wikitext.Lower(plain)) {
				doc.Words = append(doc.Words, word(w))
			}
		}
		wikitext.ScanLinks(pg.Text, func(lk wikitext.Link) bool {
			addText(pg.Text[last:lk.Start])
			if cancelled != nil {
				return false
			}
			last = lk.End
			target := wikitext.NormalizeTitle(lk.Target)
			if to, ok := redirect[target]; ok {
				target = to
			}
			anchor := lk.Anchor
			if anchor == "" {
				anchor = lk.Target
			}
			if t, ok := entity[target]; ok {
				doc.Links = append(doc.Links, embed.Link{Entity: t, Pos: int32(len(doc.Words))})
				c.EntityFreq[t]++
			}
			addText(anchor)
			return true
		})
		addText(pg.Text[last:])
		if cancelled != nil {
			return nil, cancelled
		}
		c.Tokens += int64(len(doc.Words))
		c.Links += int64(len(doc.Links))
		if err := docs.add(&doc); err != nil {
			return nil, err
		}
	}
	// Drop rare words and number the others in sorted order (deterministic ids).
	var keep []string
	for w, id := range vocab {
		if freq[id] >= MinWordCount {
			keep = append(keep, w)
		}
	}
	sort.Strings(keep)
	remap := make([]int32, len(freq))
	for i := range remap {
		remap[i] = -1
	}
	for i, w := range keep {
		id := vocab[w]
		remap[id] = int32(i)
		c.Words = append(c.Words, w)
		c.WordFreq = append(c.WordFreq, freq[id])
	}
	if err := docs.finish(remap); err != nil {
		return nil, err
	}
	c.Docs = docs
	ok = true
	return c, nil
}

// words splits text into words: runs of letters, digits and combining marks.
func words(s string) []string {
	return strings.FieldsFunc(s, func(r rune) bool {
		return !(unicode.IsLetter(r) || unicode.IsDigit(r) || unicode.Is(unicode.Mn, r))
	})
}

// WriteCorpus writes one line per document: "E:<entity id>", then its words, with
// "E:<id>" of each link at its position; and to path+".pairs" one line per distinct
// linked pair "<a> <b> 1" and as many random pairs "<a> <b> 0" (ids are rows of
// <wiki>.w2vfiltered.parquet, i.e. titles in sorted order).
func WriteCorpus(path string, c *embed.Corpus) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	defer f.Close()
	w := bufio.NewWriterSize(f, 1<<16)
	dr, err := c.Docs.Open()
	if err != nil {
		return err
	}
	defer dr.Close()
	type pair struct{ a, b int32 }
	seen := map[pair]bool{}
	var pairs []pair
	var d embed.Doc
	for {
		if err := dr.Next(&d); err == io.EOF {
			break
		} else if err != nil {
			return err
		}
		fmt.Fprintf(w, "E:%d", d.Entity)
		li := 0
		for i, wd := range d.Words {
			for li < len(d.Links) && int(d.Links[li].Pos) <= i {
				fmt.Fprintf(w, " E:%d", d.Links[li].Entity)
				li++
			}
			w.WriteByte(' ')
			w.WriteString(c.Words[wd])
		}
		for ; li < len(d.Links); li++ {
			fmt.Fprintf(w, " E:%d", d.Links[li].Entity)
		}
		w.WriteByte('\n')
		for _, l := range d.Links {
			p := pair{d.Entity, l.Entity}
			if p.a != p.b && !seen[p] {
				seen[p] = true
				pairs = append(pairs, p)
			}
		}
	}
	if err := w.Flush(); err != nil {
		return err
	}
	pf, err := os.Create(path + ".pairs")
	if err != nil {
		return err
	}
	defer pf.Close()
	pw := bufio.NewWriter(pf)
	r := rand.New(rand.NewPCG(9, 9))
	for _, p := range pairs {
		fmt.Fprintf(pw, "%d %d 1\n", p.a, p.b)
	}
	for n := 0; n < len(pairs); {
		a, b := r.IntN(len(c.Entities)), r.IntN(len(c.Entities))
		if a != b {
			fmt.Fprintf(pw, "%d %d 0\n", a, b)
			n++
		}
	}
	return pw.Flush()
}
