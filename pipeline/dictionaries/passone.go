// Pass one over the dump: each article's links counted by anchor and target as written
// (sharded), and its lower-cased plain text kept in s2-compressed part files for pass two.

package dictionaries

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/maphash"
	"io"
	"os"
	"path/filepath"
	"sync"

	"github.com/addlink/addlink/datasets"
	"github.com/addlink/addlink/internal/articles"
	"github.com/addlink/addlink/internal/dump"
	"github.com/addlink/addlink/internal/progress"
	"github.com/klauspost/compress/s2"
	"golang.org/x/sync/errgroup"
)

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
