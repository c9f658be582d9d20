// Pass two, once every redirect and article is known: the counted targets resolved,
// the anchors counted as text in the part files, and the rows of the dictionaries made.

package dictionaries

import (
	"bufio"
	"context"
	"encoding/binary"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"

	"github.com/addlink/addlink/datasets"
	"github.com/addlink/addlink/internal/progress"
	"github.com/klauspost/compress/s2"
	"golang.org/x/sync/errgroup"
)

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
