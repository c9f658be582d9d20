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
	"context"
	"errors"
	"fmt"
	"os"
	"slices"
	"sync"
	"time"

	"github.com/addlink/addlink/atomicfile"
	"github.com/addlink/addlink/datasets"
	"github.com/addlink/addlink/internal/dump"
	"github.com/addlink/addlink/internal/progress"
	"golang.org/x/sync/errgroup"
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
