// Package dictionaries is the first pipeline stage: from a pages-articles dump it builds
// the anchor dictionary (anchor -> candidate targets with counts), the link-probability
// statistics, the page-id table and the redirect table, exactly as the reference's
// Spark job (docs/reference.md "Stage 1").
//
// The dump is decompressed once. Pass one counts each article's links by anchor and
// target as written, and keeps the lower-cased plain text the reference counts anchors
// in in s2-compressed temporary files; once every redirect and article is known, pass
// two resolves the counted targets and counts the anchors as text.
package dictionaries

import (
	"bufio"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/maphash"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/klauspost/compress/s2"
	"golang.org/x/sync/errgroup"

	"github.com/addlink/addlink/atomicfile"
	"github.com/addlink/addlink/datasets"
	"github.com/addlink/addlink/internal/articles"
	"github.com/addlink/addlink/internal/dump"
	"github.com/addlink/addlink/internal/progress"
)

// MinLinkProb is the reference's link-probability threshold (lp_min).
const MinLinkProb = 0.065

// maxNgram is the longest n-gram counted as anchor text.
const maxNgram = 10

// Options configures the stage.
type Options struct {
	Wiki     string
	DataDir  string
	Dumps    []string // dump files; when empty they are discovered under DumpsDir
	DumpsDir string
	Threads  int
	TempDir  string // for the intermediate files; default: the wiki's data directory
	// AllowWikiMismatch reads dump files whose <dbname> or file name names another
	// wiki (a renamed dump); by default they are refused.
	AllowWikiMismatch bool
}

// Validate checks the options and discovers the dump files when none are given.
func (o *Options) Validate() error {
	if err := datasets.CheckWikiID(o.Wiki); err != nil {
		return err
	}
	if o.DataDir == "" {
		return errors.New("dictionaries: no data directory")
	}
	if o.Threads < 1 {
		o.Threads = 1
	}
	if len(o.Dumps) == 0 {
		if o.DumpsDir == "" {
			return errors.New("dictionaries: no --dump files and no --dumps-dir")
		}
		files, err := dump.Discover(o.DumpsDir, o.Wiki)
		if err != nil {
			return err
		}
		o.Dumps = files
	}
	for _, f := range o.Dumps {
		if _, err := os.Stat(f); err != nil {
			return fmt.Errorf("dictionaries: dump %w", err)
		}
	}
	return nil
}

// Summary is what the stage reports and writes to <wiki>/dictionaries.summary.json.
type Summary struct {
	Wiki                string   `json:"wiki"`
	Dumps               []string `json:"dumps"`
	Pages               int64    `json:"pages"`
	Articles            int      `json:"articles"`
	Redirects           int      `json:"redirects"`
	Links               int64    `json:"links"`
	LinksKept           int64    `json:"links_to_articles"`
	AnchorsAsLink       int      `json:"anchors_as_link"`
	Anchors             int      `json:"anchors"`
	AnchorTargetPairs   int      `json:"anchor_target_pairs"`
	ReplacedInvalidUTF8 int64    `json:"replaced_invalid_utf8"`
	CompressedBytes     int64    `json:"compressed_bytes"`
	XMLBytes            int64    `json:"xml_bytes"`
	Seconds             float64  `json:"seconds"`
	XMLMBPerSecond      float64  `json:"xml_mb_per_second"`
}

// Run executes the stage. On error or cancellation no output is left under a final
// name (earlier outputs stay as they were).
func Run(ctx context.Context, o Options, p progress.Reporter) (Summary, error) {
	start := time.Now()
	p = progress.OrNop(p)
	layout := datasets.Layout{DataDir: o.DataDir, Wiki: o.Wiki}
	if err := os.MkdirAll(layout.Dir(), 0o755); err != nil {
		return Summary{}, err
	}
	tmpRoot := o.TempDir
	if tmpRoot == "" {
		tmpRoot = layout.Dir()
	}
	tmp, err := os.MkdirTemp(tmpRoot, atomicfile.TempPrefix(".dictionaries"))
	if err != nil {
		return Summary{}, err
	}
	defer os.RemoveAll(tmp)

	var total int64
	for _, f := range o.Dumps {
		if st, err := os.Stat(f); err == nil {
			total += st.Size()
		}
	}
	p.Phase("dictionaries: reading dump", total, "bytes")
	one, err := passOne(ctx, o, tmp, p)
	if err != nil {
		return Summary{}, err
	}
	defer func() { <-one.cacheDone }()
	// The datasets are encoded as soon as their rows are known (page ids and
	// redirects now, while the links are resolved and counted) to temporary files,
	// committed together once all are encoded: a failure or cancellation leaves the
	// outputs of an earlier run as they were.
	var (
		encoders errgroup.Group
		emu      sync.Mutex
		encoded  = map[string]*atomicfile.File{}
	)
	encode := func(path string, fn func() (*atomicfile.File, error)) {
		encoders.Go(func() error {
			f, err := fn()
			if err == nil {
				emu.Lock()
				encoded[path] = f
				emu.Unlock()
			}
			return err
		})
	}
	defer func() {
		encoders.Wait()
		for _, f := range encoded {
			f.Abort() // a no-op once committed
		}
	}()
	encode(layout.PageIDs(), func() (*atomicfile.File, error) {
		return datasets.EncodeParquet(layout.PageIDs(), rowsByKey(one.articles, func(t string, id int64) datasets.PageID {
			return datasets.PageID{Title: t, PageID: id}
		}))
	})
	encode(layout.Redirects(), func() (*atomicfile.File, error) {
		return datasets.EncodeParquet(layout.Redirects(), rowsByKey(one.redirects, func(from, to string) datasets.Redirect {
			return datasets.Redirect{From: from, To: to}
		}))
	})

	p.Phase("dictionaries: resolving links", 0, "pages")
	links, err := resolveLinks(ctx, one, p)
	if err != nil {
		return Summary{}, err
	}
	p.Phase("dictionaries: counting anchors as text", 0, "pages")
	astext, err := countAsText(ctx, one, links.anchorIndex, p)
	if err != nil {
		return Summary{}, err
	}

	anchors, stats := finish(links, astext)
	encode(layout.Anchors(), func() (*atomicfile.File, error) { return datasets.EncodeParquet(layout.Anchors(), anchors) })
	encode(layout.AnchorStats(), func() (*atomicfile.File, error) { return datasets.EncodeParquet(layout.AnchorStats(), stats) })
	if err := encoders.Wait(); err != nil {
		return Summary{}, err
	}
	var commits errgroup.Group // each commit waits for its file's sync
	for _, f := range encoded {
		commits.Go(f.Commit)
	}
	if err := commits.Wait(); err != nil {
		return Summary{}, err
	}
	// The dictionary before any Wikidata filter, and the dictionary in use (which the
	// filter stage replaces by a filtered one) start as the same file.
	if _, err := atomicfile.CopyFile(layout.AnchorsUnfiltered(), layout.Anchors()); err != nil {
		return Summary{}, err
	}
	kept := 0 // anchors kept (each has a pair: it was linked more than once)
	for _, st := range stats {
		kept += int(st.Kept)
	}
	s := Summary{
		Wiki: o.Wiki, Dumps: o.Dumps,
		Pages: one.stats.Pages, Articles: len(one.articles), Redirects: len(one.redirects),
		Links: one.links, LinksKept: links.kept,
		AnchorsAsLink: len(links.anchors), Anchors: kept, AnchorTargetPairs: len(anchors),
		ReplacedInvalidUTF8: one.stats.ReplacedInvalidUTF8,
		CompressedBytes:     one.stats.CompressedBytes, XMLBytes: one.stats.XMLBytes,
		Seconds: time.Since(start).Seconds(),
	}
	if s.Seconds > 0 {
		s.XMLMBPerSecond = float64(s.XMLBytes) / 1e6 / s.Seconds
	}
	if s.ReplacedInvalidUTF8 > 0 {
		p.Note(fmt.Sprintf("dictionaries: %d invalid UTF-8 sequences replaced", s.ReplacedInvalidUTF8))
	}
	return s, datasets.WriteSummary(layout, "dictionaries", s)
}

// rowsByKey makes a row of each entry of m, in the order of the keys.
func rowsByKey[V, R any](m map[string]V, row func(string, V) R) []R {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	rows := make([]R, len(keys))
	for i, k := range keys {
		rows[i] = row(k, m[k])
	}
	return rows
}

// passOneResult is what the first pass over the dump found.
type passOneResult struct {
	articles  map[string]int64  // title -> page id
	redirects map[string]string // title -> target title
	links     int64
	counted   *linkCounts
	cacheDone chan struct{} // closed when the articles cache is finished (or abandoned)
	parts     []string      // per-worker temporary files (links and text)
	stats     dump.Stats
}

// linkCounts counts links by (anchor, target as written, normalised): the links, and
// the articles they are in. The reference counts an (anchor, target) pair once per
// article after resolving redirects; counting by the written target gives the same
// counts when each anchor of an article has one written target, so the links of an
// anchor written with several targets in one article go to the links file instead,
// to be counted after resolution.
//
// The pass-one workers share the counts, in shards by anchor, each with its lock: one
// table per worker kept the pairs common to their articles once per worker (peak RSS
// 308 MB on the 300 MB synthetic dump, against 200 MB when every link went through
// the links file).
type linkCounts struct {
	seed   maphash.Seed
	shards [linkShards]linkShard
}

const linkShards = 64

type linkShard struct {
	mu    sync.Mutex
	index map[string]int32 // key: uvarint length of the anchor, anchor, target
	n     []struct{ links, articles int64 }
}

func newLinkCounts() *linkCounts {
	c := &linkCounts{seed: maphash.MakeSeed()}
	for i := range c.shards {
		c.shards[i].index = map[string]int32{}
	}
	return c
}

// add counts links links of (anchor, target) in one article; key is scratch space,
// returned for reuse.
func (c *linkCounts) add(anchor, target string, links int64, key []byte) []byte {
	key = binary.AppendUvarint(key[:0], uint64(len(anchor)))
	key = append(append(key, anchor...), target...)
	sh := &c.shards[maphash.String(c.seed, anchor)%linkShards]
	sh.mu.Lock()
	i, ok := sh.index[string(key)] // no allocation for the look-up
	if !ok {
		i = int32(len(sh.n))
		sh.index[string(key)] = i
		sh.n = append(sh.n, struct{ links, articles int64 }{})
	}
	sh.n[i].links += links
	sh.n[i].articles++
	sh.mu.Unlock()
	return key
}

// each calls fn with every counted (anchor, target) of shard k (0 <= k < linkShards):
// an anchor's pairs are all in one shard.
func (c *linkCounts) each(k int, fn func(anchor, target string, links, articles int64)) {
	sh := &c.shards[k]
	for key, i := range sh.index {
		n, w := 0, 0 // the uvarint, read from the string without copying it
		for shift := 0; ; shift += 7 {
			b := key[w]
			w++
			n |= int(b&0x7f) << shift
			if b < 0x80 {
				break
			}
		}
		fn(key[w:w+n], key[w+n:], sh.n[i].links, sh.n[i].articles)
	}
}

type article struct {
	id    int64
	title string
	text  string
}

// worker state of pass one: its temporary files.
type partWriter struct {
	linkFile, textFile *os.File
	links, text        *s2.Writer
	lbuf               []byte
	n                  int64
}

func newPartWriter(dir string, i int) (*partWriter, error) {
	lf, err := os.Create(filepath.Join(dir, fmt.Sprintf("links-%d.s2", i)))
	if err != nil {
		return nil, err
	}
	tf, err := os.Create(filepath.Join(dir, fmt.Sprintf("text-%d.s2", i)))
	if err != nil {
		lf.Close()
		return nil, err
	}
	return &partWriter{linkFile: lf, textFile: tf, links: s2.NewWriter(lf, s2.WriterConcurrency(1)), text: s2.NewWriter(tf, s2.WriterConcurrency(1))}, nil
}

func (w *partWriter) close() error {
	return errors.Join(w.links.Close(), w.text.Close(), w.linkFile.Close(), w.textFile.Close())
}

// writeLinks appends one article's links: uvarint count, then anchor and target as
// length-prefixed strings.
func (w *partWriter) writeLinks(pairs [][2]string) error {
	b := w.lbuf[:0]
	b = binary.AppendUvarint(b, uint64(len(pairs)))
	for _, pr := range pairs {
		b = binary.AppendUvarint(b, uint64(len(pr[0])))
		b = append(b, pr[0]...)
		b = binary.AppendUvarint(b, uint64(len(pr[1])))
		b = append(b, pr[1]...)
	}
	w.lbuf = b
	_, err := w.links.Write(b)
	return err
}

func passOne(ctx context.Context, o Options, tmp string, p progress.Reporter) (*passOneResult, error) {
	r, err := dump.Open(ctx, o.Dumps, dump.Options{Threads: o.Threads, Progress: p, Wiki: o.Wiki, AllowWikiMismatch: o.AllowWikiMismatch})
	if err != nil {
		return nil, err
	}
	defer r.Close()
	// Anchors are lower-cased with the wiki language's rules (NewArticleReader), as the
	// features and the recommendation do.
	res := &passOneResult{articles: map[string]int64{}, redirects: map[string]string{}, cacheDone: make(chan struct{})}
	writers := make([]*partWriter, o.Threads)
	for i := range writers {
		w, err := newPartWriter(tmp, i)
		if err != nil {
			for _, w := range writers[:i] {
				w.close()
			}
			return nil, err
		}
		writers[i] = w
		res.parts = append(res.parts, filepath.Join(tmp, fmt.Sprintf("%%s-%d.s2", i)))
	}
	g, gctx := errgroup.WithContext(ctx)
	work := make(chan article, 256)
	var mu sync.Mutex
	// The articles are kept for the later stages (internal/articles); a failure to
	// write them costs only speed.
	cache, cacheErr := articles.Create(datasets.Layout{DataDir: o.DataDir, Wiki: o.Wiki}.ArticlesCache(), o.Dumps)
	if cacheErr != nil {
		p.Note("dictionaries: the articles cache is not written: " + cacheErr.Error())
		cache = nil
	}
	g.Go(func() error {
		defer close(work)
		handed := false // to the goroutine that finishes the cache
		defer func() {
			if cache != nil {
				cache.Abort()
			}
			if !handed {
				close(res.cacheDone)
			}
		}()
		for {
			pg, err := r.Next()
			if err == io.EOF {
				if cache != nil {
					// Finishing the cache waits for the disk (the file is synced before
					// its rename): it goes on while the links are resolved and counted.
					c := cache
					go func() {
						if err := c.Close(); err != nil {
							p.Note("dictionaries: the articles cache was not written: " + err.Error())
						}
						close(res.cacheDone)
					}()
					cache, handed = nil, true
				}
				return nil
			}
			if err != nil {
				return err
			}
			if cache != nil {
				if err := cache.Add(pg); err != nil {
					p.Note("dictionaries: the articles cache was not written: " + err.Error())
					cache.Abort()
					cache = nil
				}
			}
			title, target, ok := Classify(pg)
			if !ok {
				continue
			}
			mu.Lock()
			if target != "" {
				res.redirects[title] = target
				mu.Unlock()
				continue
			}
			res.articles[title] = pg.ID
			mu.Unlock()
			select {
			case work <- article{id: pg.ID, title: title, text: pg.Text}:
			case <-gctx.Done():
				return gctx.Err()
			}
		}
	})
	var links int64
	var lmu sync.Mutex
	res.counted = newLinkCounts()
	for i := range writers {
		w := writers[i]
		g.Go(func() error {
			var key []byte
			var n int64
			var several [][2]string
			var tb []byte
			ar := NewArticleReader(o.Wiki)
			single := func(anchor, target string, links int64) {
				key = res.counted.add(anchor, target, links, key)
			}
			for a := range work {
				if err := gctx.Err(); err != nil {
					return err
				}
				pairs := ar.Links(a.text)
				n += int64(len(pairs))
				several = SplitByAnchor(pairs, single, several[:0])
				if len(several) > 0 {
					if err := w.writeLinks(several); err != nil {
						return err
					}
				}
				var err error
				if tb, err = ar.AppendTextContext(gctx, tb[:0], a.text); err != nil {
					return err
				}
				tb = append(tb, 0) // end of the article
				if _, err := w.text.Write(tb); err != nil {
					return err
				}
			}
			lmu.Lock()
			links += n
			lmu.Unlock()
			return nil
		})
	}
	err = g.Wait()
	for _, w := range writers {
		if cerr := w.close(); err == nil {
			err = cerr
		}
	}
	if err != nil {
		<-res.cacheDone
		return nil, err
	}
	res.links = links
	res.stats = r.Stats()
	return res, nil
}

// linkResult is the outcome of resolving the links.
type linkResult struct {
	anchors     map[string]int64 // anchor -> number of links (aslink), after the filters
	anchorIndex map[string]int   // anchors with aslink > 1 -> index in order
	order       []string         // anchors with aslink > 1, sorted
	pairs       map[[2]string]int64
	kept        int64
}

func isDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// excludedAnchor applies the reference's filters: empty, all digits, or digits
// separated by one '/' or '-' (like 12/3 or 1999-2000).
func excludedAnchor(a string) bool {
	if a == "" || isDigits(a) {
		return true
	}
	if i := strings.IndexAny(a, "/-"); i > 0 && isDigits(a[:i]) && isDigits(a[i+1:]) {
		return true
	}
	return false
}

func resolveLinks(ctx context.Context, one *passOneResult, p progress.Reporter) (*linkResult, error) {
	type partial struct {
		aslink map[string]int64
		pairs  map[[2]string]int64
		kept   int64
	}
	parts := make([]partial, len(one.parts))
	g, _ := errgroup.WithContext(ctx)
	for i, pattern := range one.parts {
		g.Go(func() error {
			f, err := os.Open(fmt.Sprintf(pattern, "links"))
			if err != nil {
				return err
			}
			defer f.Close()
			br := bufio.NewReaderSize(s2.NewReader(f), 1<<16)
			pt := partial{aslink: map[string]int64{}, pairs: map[[2]string]int64{}}
			count := func(anchor, link string, links, articles int64) {
				if to, ok := one.redirects[link]; ok {
					link = to
				}
				if _, ok := one.articles[link]; !ok {
					return
				}
				pt.kept += links
				if excludedAnchor(anchor) {
					return
				}
				pt.aslink[anchor] += links
				pt.pairs[[2]string{anchor, link}] += articles
			}
			for k := i; k < linkShards; k += len(one.parts) {
				one.counted.each(k, count)
				one.counted.shards[k] = linkShard{} // done with: free it as the totals grow
			}
			// The links of anchors with several targets in one article.
			seen := map[[2]string]bool{}
			for {
				if err := ctx.Err(); err != nil {
					return err
				}
				n, err := binary.ReadUvarint(br)
				if err == io.EOF {
					break
				}
				if err != nil {
					return err
				}
				clear(seen)
				for j := uint64(0); j < n; j++ {
					anchor, err := readString(br)
					if err != nil {
						return err
					}
					link, err := readString(br)
					if err != nil {
						return err
					}
					if to, ok := one.redirects[link]; ok {
						link = to
					}
					if _, ok := one.articles[link]; !ok {
						continue
					}
					pt.kept++
					if excludedAnchor(anchor) {
						continue
					}
					pt.aslink[anchor]++
					key := [2]string{anchor, link}
					if !seen[key] {
						seen[key] = true
						pt.pairs[key]++
					}
				}
				p.Add(1)
			}
			parts[i] = pt
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}
	one.counted = nil
	// The first part's maps become the totals; the others are added to them.
	res := &linkResult{anchors: parts[0].aslink, pairs: parts[0].pairs, kept: parts[0].kept}
	for _, pt := range parts[1:] {
		for a, n := range pt.aslink {
			res.anchors[a] += n
		}
		for k, n := range pt.pairs {
			res.pairs[k] += n
		}
		res.kept += pt.kept
	}
	for a, n := range res.anchors {
		if n > 1 {
			res.order = append(res.order, a)
		}
	}
	slices.Sort(res.order)
	res.anchorIndex = make(map[string]int, len(res.order))
	for i, a := range res.order {
		res.anchorIndex[a] = i
	}
	return res, nil
}

func readString(br *bufio.Reader) (string, error) {
	n, err := binary.ReadUvarint(br)
	if err != nil {
		return "", noEOF(err)
	}
	b := make([]byte, n)
	if _, err := io.ReadFull(br, b); err != nil {
		return "", noEOF(err)
	}
	return string(b), nil
}

func noEOF(err error) error {
	if err == io.EOF {
		return io.ErrUnexpectedEOF
	}
	return err
}

// countAsText counts, for every anchor in index, its occurrences as an n-gram
// (n = 10..1) of the articles' text chunks.
func countAsText(ctx context.Context, one *passOneResult, index map[string]int, p progress.Reporter) ([]int64, error) {
	trie := newAnchorTrie(index)
	counts := make([][]int64, len(one.parts))
	g, _ := errgroup.WithContext(ctx)
	for i, pattern := range one.parts {
		g.Go(func() error {
			f, err := os.Open(fmt.Sprintf(pattern, "text"))
			if err != nil {
				return err
			}
			defer f.Close()
			br := bufio.NewReaderSize(s2.NewReader(f), 1<<16)
			c := make([]int64, len(index))
			var ids []uint32
			for lines := 0; ; lines++ {
				line, err := br.ReadSlice('\n')
				if err == bufio.ErrBufferFull {
					full := append([]byte(nil), line...)
					for err == bufio.ErrBufferFull {
						line, err = br.ReadSlice('\n')
						full = append(full, line...)
					}
					line = full
				}
				if err == io.EOF && len(line) == 0 {
					break
				}
				if err != nil && err != io.EOF {
					return err
				}
				// Article separators (NUL bytes) sit at line starts.
				for len(line) > 0 && line[0] == 0 {
					line = line[1:]
					p.Add(1)
				}
				line = line[:len(line)-boolInt(len(line) > 0 && line[len(line)-1] == '\n')]
				if len(line) == 0 {
					continue
				}
				if lines%4096 == 0 && ctx.Err() != nil {
					return ctx.Err()
				}
				ids = trie.countLine(line, c, ids)
			}
			counts[i] = c
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}
	total := make([]int64, len(index))
	for _, c := range counts {
		for k, n := range c {
			total[k] += n
		}
	}
	return total, nil
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

// finish computes link probabilities and the final dictionary.
func finish(links *linkResult, astext []int64) ([]datasets.Anchor, []datasets.AnchorStat) {
	stats := make([]datasets.AnchorStat, len(links.order))
	for i, a := range links.order {
		stats[i] = AnchorStat(a, links.anchors[a], astext[i])
	}
	var anchors []datasets.Anchor
	for k, n := range links.pairs {
		// Anchors linked once are not in the index, and not kept.
		if i, ok := links.anchorIndex[k[0]]; ok && stats[i].Kept == 1 {
			anchors = append(anchors, datasets.Anchor{Anchor: k[0], Target: k[1], N: n})
		}
	}
	slices.SortFunc(anchors, func(a, b datasets.Anchor) int {
		if c := strings.Compare(a.Anchor, b.Anchor); c != 0 {
			return c
		}
		return strings.Compare(a.Target, b.Target)
	})
	return anchors, stats
}
