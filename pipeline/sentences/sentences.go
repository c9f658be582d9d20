// Package sentences is the stage that picks, for each article, the first sentence that
// is made only of text and wikilinks and has at least one link (docs/reference.md "Stage 4"),
// shuffles them with the reference's generator and seed, and writes the first half to
// training/sentences_train.csv and the second to testing/sentences_test.csv.
//
// Each line is `title<TAB>sentence wikitext`. A tab, newline or backslash inside a
// value is escaped as \t, \n and \\ (the reference writes them raw, which splits the
// line or makes its reader drop it).
package sentences

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/addlink/addlink/datasets"
	"github.com/addlink/addlink/internal/articles"
	"github.com/addlink/addlink/internal/dump"
	"github.com/addlink/addlink/internal/progress"
	"github.com/addlink/addlink/internal/pyrandom"
	"github.com/addlink/addlink/internal/wikitext"
)

// DefaultLimit is the reference's number of sentences.
const DefaultLimit = 200000

// DefaultSeed is the reference's random.seed for the split.
const DefaultSeed = 2

// Options configures the stage.
type Options struct {
	Wiki     string
	DataDir  string
	Dumps    []string
	Limit    int    // at most this many sentences (default 200,000)
	Seed     uint64 // Python random.seed of the shuffle (default 2)
	Threads  int
	Sentence wikitext.SentenceOptions
	// PerArticle is the number of sentences taken from each article: 1 (the
	// reference's choice, the default) takes the first qualifying sentence; more gives
	// more sentences to both halves.
	PerArticle int
	// TrainPerArticle is the number of sentences an article whose first sentence went
	// to the training half contributes to it (no fewer than PerArticle): the test half
	// stays the reference's while the model learns from more rows. 1 is the
	// reference's choice.
	TrainPerArticle int
	// AllowWikiMismatch reads dump files whose <dbname> or file name names another
	// wiki (a renamed dump); by default they are refused.
	AllowWikiMismatch bool
}

// DefaultOptions returns the reference's settings with our defect fixes.
func DefaultOptions() Options {
	return Options{Limit: DefaultLimit, Seed: DefaultSeed, PerArticle: 1, TrainPerArticle: DefaultTrainPerArticle}
}

// DefaultTrainPerArticle is the default of Options.TrainPerArticle. Measured on the
// fixture wikis over six embedding seeds (README "Stage 4"), three sentences per
// training article raise the backtest's mean recall at 0.5 at about the same precision.
const DefaultTrainPerArticle = 3

// AllPerArticle is the TrainPerArticle that takes every qualifying sentence of a
// training article.
const AllPerArticle = math.MaxInt32

// ParsePerArticle reads a number of sentences per article: a positive number or "all"
// (AllPerArticle).
func ParsePerArticle(s string) (int, error) {
	if s == "all" {
		return AllPerArticle, nil
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 0 {
		return 0, fmt.Errorf("sentences: sentences per article must be a number or all, got %q", s)
	}
	return n, nil
}

// Validate checks the options.
func (o Options) Validate() error {
	if err := datasets.CheckWikiID(o.Wiki); err != nil {
		return err
	}
	if len(o.Dumps) == 0 {
		return errors.New("sentences: no dump files")
	}
	if o.PerArticle <= 0 {
		return fmt.Errorf("sentences: --per-article must be positive, got %d", o.PerArticle)
	}
	if o.TrainPerArticle < 0 {
		return fmt.Errorf("sentences: --train-per-article must not be negative, got %d", o.TrainPerArticle)
	}
	if o.Limit <= 0 {
		return fmt.Errorf("sentences: --limit must be positive, got %d", o.Limit)
	}
	return nil
}

// Summary is what the stage reports.
type Summary struct {
	Articles  int64   `json:"articles"`
	Sentences int     `json:"sentences"`
	Train     int     `json:"train"`
	Test      int     `json:"test"`
	Seconds   float64 `json:"seconds"`
}

// Sentence is one extracted sentence; the files of sentences are read and written by
// datasets (ReadSentences, WriteSentences), which the stages after this one use.
type Sentence = datasets.Sentence

// Unit is a sentence that is shuffled into one half, with the further sentences of
// its article that follow it into the training half (Options.TrainPerArticle).
type Unit struct {
	Sentence
	Extra []Sentence
}

// Run extracts, shuffles, splits and writes the sentences.
func Run(ctx context.Context, o Options, p progress.Reporter) (Summary, error) {
	start := time.Now()
	p = progress.OrNop(p)
	if err := o.Validate(); err != nil {
		return Summary{}, err
	}
	units, articles, err := Extract(ctx, o, p)
	if err != nil {
		return Summary{}, err
	}
	train, test := Split(units, o.Seed)
	l := datasets.Layout{DataDir: o.DataDir, Wiki: o.Wiki}
	if err := datasets.WriteSentences(l.SentencesTrain(), train); err != nil {
		return Summary{}, err
	}
	if err := datasets.WriteSentences(l.SentencesTest(), test); err != nil {
		return Summary{}, err
	}
	s := Summary{Articles: articles, Sentences: len(train) + len(test), Train: len(train), Test: len(test),
		Seconds: time.Since(start).Seconds()}
	if err := datasets.WriteSummary(l, "sentences", s); err != nil {
		return s, err
	}
	progress.End(p) // the last phase's line before the summary
	p.Note(fmt.Sprintf("sentences: %d articles, %d sentences (%d training, %d testing) in %.2fs",
		articles, s.Sentences, len(train), len(test), s.Seconds))
	return s, nil
}

// Split shuffles the unit indices as random.seed(seed); random.shuffle(...) does and
// returns the first half (rounded down), each unit followed by its extra sentences,
// and the rest without them.
func Split(units []Unit, seed uint64) (train, test []Sentence) {
	idx := make([]int, len(units))
	for i := range idx {
		idx[i] = i
	}
	pyrandom.New(seed).Shuffle(len(idx), func(i, j int) { idx[i], idx[j] = idx[j], idx[i] })
	half := len(units) / 2
	for k, i := range idx {
		if k < half {
			train = append(train, units[i].Sentence)
			train = append(train, units[i].Extra...)
		} else {
			test = append(test, units[i].Sentence)
		}
	}
	return train, test
}

// testHookReading, when set by a test, is called with a page's title before the page
// is read for sentences.
var testHookReading func(title string)

// Extract reads the dump and returns the first o.PerArticle qualifying sentences of
// each article in page order as units, at most o.Limit of them, the first one carrying
// the article's next sentences up to o.TrainPerArticle, and the number of articles read.
func Extract(ctx context.Context, o Options, p progress.Reporter) ([]Unit, int64, error) {
	p = progress.OrNop(p)
	threads := o.Threads
	if threads <= 0 {
		threads = runtime.GOMAXPROCS(0)
	}
	l := datasets.Layout{DataDir: o.DataDir, Wiki: o.Wiki}
	r, cached, err := articles.OpenSource(ctx, l.ArticlesCache(), o.Dumps, dump.Options{Threads: threads, Progress: p, Wiki: o.Wiki, AllowWikiMismatch: o.AllowWikiMismatch})
	if err != nil {
		return nil, 0, err
	}
	defer r.Close()
	if cached {
		p.Phase("sentences: reading the articles cache", 0, "")
	} else {
		p.Phase("sentences: reading dump", 0, "bytes")
	}

	type batch struct {
		pages []*dump.Page
		out   [][]string
		done  chan struct{}
	}
	per := max(o.PerArticle, 1)
	perTrain := max(per, o.TrainPerArticle)
	parent := ctx
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	work := make(chan *batch, threads)
	order := make(chan *batch, 4*threads)
	var wg sync.WaitGroup
	for w := 0; w < threads; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for b := range work {
				b.out = make([][]string, len(b.pages))
				for i, pg := range b.pages {
					if testHookReading != nil {
						testHookReading(pg.Title)
					}
					// A page of any size stops promptly when the run is cancelled.
					out, err := wikitext.LinkedSentencesContext(ctx, pg.Text, o.Sentence, perTrain)
					if err != nil {
						break
					}
					b.out[i] = out
				}
				close(b.done)
			}
		}()
	}
	var readErr error
	var articles int64
	atEOF := false
	go func() {
		defer close(order)
		defer close(work)
		const size = 64
		cur := &batch{done: make(chan struct{})}
		flush := func() bool {
			select {
			case order <- cur:
			case <-ctx.Done():
				return false
			}
			select {
			case work <- cur:
			case <-ctx.Done():
				return false
			}
			cur = &batch{done: make(chan struct{})}
			return true
		}
		for {
			pg, err := r.Next()
			if err == io.EOF {
				atEOF = true
				break
			}
			if err != nil {
				readErr = err
				return
			}
			if pg.NS != 0 || pg.IsRedirect() || pg.Text == "" || strings.HasPrefix(pg.Title, "Wikipedia:") {
				continue
			}
			articles++
			cur.pages = append(cur.pages, pg)
			if len(cur.pages) == size && !flush() {
				return
			}
		}
		if len(cur.pages) > 0 {
			flush()
		}
	}()
	var units []Unit
	for b := range order {
		select {
		case <-b.done:
		case <-ctx.Done():
		}
		if ctx.Err() != nil {
			break
		}
		for i, pg := range b.pages {
			first := len(units)
			for k, s := range b.out[i] {
				switch {
				case k < per && len(units) < o.Limit:
					units = append(units, Unit{Sentence: Sentence{Title: pg.Title, Text: s}})
				case k >= per && first < len(units):
					units[first].Extra = append(units[first].Extra, Sentence{Title: pg.Title, Text: s})
				}
			}
		}
		if len(units) >= o.Limit {
			cancel()
			break
		}
	}
	cancel()
	for range order {
	}
	wg.Wait()
	if err := parent.Err(); err != nil {
		return nil, 0, err
	}
	if err := context.Cause(ctx); err != nil && !errors.Is(err, context.Canceled) {
		return nil, 0, err
	}
	if readErr != nil {
		return nil, 0, readErr
	}
	if !cached && !atEOF {
		// The limit may be reached before the end of the dump: read the rest, so that
		// no sentences are taken from a dump the reader refuses (cut, of another wiki).
		p.Phase("sentences: checking the rest of the dump", 0, "bytes")
		for {
			if _, err := r.Next(); err == io.EOF {
				break
			} else if err != nil {
				return nil, 0, err
			}
		}
	}
	return units, articles, nil
}
