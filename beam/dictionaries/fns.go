package dictionaries

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"hash/fnv"
	"io"
	"slices"
	"strings"
	"sync"

	"github.com/apache/beam/sdks/v2/go/pkg/beam"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/io/filesystem"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/register"

	"github.com/addlink/addlink/datasets"
	"github.com/addlink/addlink/internal/dump"
	stage "github.com/addlink/addlink/pipeline/dictionaries"
)

func init() {
	register.DoFn7x1[context.Context, Split, func(string, int64), func(string, string), func(string, LinkCount), func([]string), func([]byte), error](&readFn{})
	register.Emitter2[string, int64]()
	register.Emitter2[string, string]()
	register.Emitter2[string, LinkCount]()
	register.Emitter1[[]string]()
	register.Emitter1[[]byte]()
	register.Emitter1[string]()
	register.Emitter2[int, Row]()
	register.Iter2[string, int64]()
	register.Iter2[string, string]()
	register.Iter1[string]()
	register.Iter1[Row]()
	register.DoFn7x0[context.Context, string, LinkCount, func(*string, *int64) bool, func(*string, *string) bool, func(string, int64), func(string, int64)](&resolveFn{})
	register.DoFn6x0[context.Context, []string, func(*string, *int64) bool, func(*string, *string) bool, func(string, int64), func(string, int64)](&resolveSeveralFn{})
	register.DoFn3x0[[]byte, func(*string) bool, func(string, int64)](&countFn{})
	register.Function3x0[string, int64, func(string)](linkedMoreThanOnce)
	register.DoFn3x0[string, int64, func(int, Row)](&rowFn{})
	register.DoFn3x0[string, string, func(int, Row)](&redirectRowFn{})
	register.Function2x0[int, func(int, Row)](markerRow)
	register.DoFn3x1[context.Context, int, func(*Row) bool, error](&writeShardFn{})
	register.Function2x1[LinkCount, LinkCount, LinkCount](addCounts)
	register.Function2x1[int64, int64, int64](addInt)
}

// Counters of what the pipeline read, for the stage's summary.
var (
	pagesRead       = beam.NewCounter("addlink", "pages")
	xmlBytes        = beam.NewCounter("addlink", "xml_bytes")
	compressedBytes = beam.NewCounter("addlink", "compressed_bytes")
	replacedUTF8    = beam.NewCounter("addlink", "replaced_invalid_utf8")
	linksRead       = beam.NewCounter("addlink", "links")
	linksKept       = beam.NewCounter("addlink", "links_to_articles")
	anchorsAsLink   = beam.NewCounter("addlink", "anchors_as_link")
)

// LinkCount counts the links of one (anchor, target as written) pair in articles where
// the anchor has that one target, and those articles.
type LinkCount struct{ Links, Articles int64 }

func addCounts(a, b LinkCount) LinkCount {
	return LinkCount{a.Links + b.Links, a.Articles + b.Articles}
}

func addInt(a, b int64) int64 { return a + b }

// pairKey encodes (anchor, target) as one string key: the anchor's length as a uvarint,
// the anchor, the target.
func pairKey(buf []byte, anchor, target string) []byte {
	buf = binary.AppendUvarint(buf[:0], uint64(len(anchor)))
	return append(append(buf, anchor...), target...)
}

func splitPairKey(k string) (anchor, target string) {
	n, w := binary.Uvarint([]byte(k[:min(len(k), binary.MaxVarintLen64)]))
	return k[w : w+int(n)], k[w+int(n):]
}

// bundleLimit is the number of keys a DoFn counts in a map before it emits them: the
// counts are combined before the shuffle, within a bounded memory.
const bundleLimit = 1 << 20

// textBatch is the size of the text elements (whole lines of several articles).
const textBatch = 1 << 20

// readFn reads the pages of a split with the single-machine stage's per-page functions:
// it emits the articles' titles and ids, the redirects, the text the anchors are counted
// in, the links of anchors written with several targets in an article (one element per
// article), and, combined within the bundle, the counts of the other links by (anchor,
// target as written).
type readFn struct {
	Wiki              string
	Threads           int
	AllowWikiMismatch bool

	ar     *stage.ArticleReader
	counts map[string]LinkCount
	key    []byte
}

func (f *readFn) Setup() { f.ar = stage.NewArticleReader(f.Wiki) }

func (f *readFn) ProcessElement(ctx context.Context, s Split, emitPage func(string, int64), emitRedirect func(string, string), emitPair func(string, LinkCount), emitSeveral func([]string), emitText func([]byte)) error {
	src, err := openSplit(ctx, s)
	if err != nil {
		return err
	}
	defer src.Close()
	// A split may hold no article (a part of the dump); Run checks the whole.
	r, err := dump.NewReader(ctx, s.String(), src, s.dumpRange(), dump.Options{Threads: f.Threads,
		Wiki: f.Wiki, AllowWikiMismatch: f.AllowWikiMismatch, AllowNoArticles: true})
	if err != nil {
		return err
	}
	defer r.Close()
	if f.counts == nil {
		f.counts = map[string]LinkCount{}
	}
	single := func(anchor, target string, links int64) {
		f.key = pairKey(f.key, anchor, target)
		c := f.counts[string(f.key)]
		c.Links += links
		c.Articles++
		f.counts[string(f.key)] = c
	}
	var several [][2]string
	text := make([]byte, 0, textBatch+64<<10)
	var links int64
	for {
		pg, err := r.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return err
		}
		title, target, ok := stage.Classify(pg)
		if !ok {
			continue
		}
		if target != "" {
			emitRedirect(title, target)
			continue
		}
		emitPage(title, pg.ID)
		pairs := f.ar.Links(pg.Text)
		links += int64(len(pairs))
		several = stage.SplitByAnchor(pairs, single, several[:0])
		if len(several) > 0 {
			flat := make([]string, 0, 2*len(several))
			for _, p := range several {
				flat = append(flat, p[0], p[1])
			}
			emitSeveral(flat)
		}
		text = f.ar.AppendText(text, pg.Text)
		if len(text) >= textBatch {
			emitText(text)
			text = make([]byte, 0, textBatch+64<<10)
		}
		if len(f.counts) >= bundleLimit {
			f.flush(emitPair)
		}
	}
	if len(text) > 0 {
		emitText(text)
	}
	st := r.Stats()
	pagesRead.Inc(ctx, st.Pages)
	xmlBytes.Inc(ctx, st.XMLBytes)
	compressedBytes.Inc(ctx, st.CompressedBytes)
	replacedUTF8.Inc(ctx, st.ReplacedInvalidUTF8)
	linksRead.Inc(ctx, links)
	return r.Close()
}

func (f *readFn) flush(emit func(string, LinkCount)) {
	for k, c := range f.counts {
		emit(k, c)
	}
	clear(f.counts)
}

func (f *readFn) FinishBundle(_ func(string, int64), _ func(string, string), emitPair func(string, LinkCount), _ func([]string), _ func([]byte)) {
	f.flush(emitPair)
}

// titles are the articles and redirects, as the side inputs give them. One copy per
// worker process and pipeline run is built (sideCache), whatever the number of DoFn
// instances.
type titles struct {
	articles  map[string]struct{}
	redirects map[string]string
}

// resolve follows a redirect and reports whether the target is an article.
func (t *titles) resolve(link string) (string, bool) {
	if to, ok := t.redirects[link]; ok {
		link = to
	}
	_, ok := t.articles[link]
	return link, ok
}

type cached struct {
	once sync.Once
	v    any
}

// sideCache holds what DoFns build from side inputs, by run and kind.
var sideCache sync.Map

func cachedSide(key string, build func() any) any {
	c, _ := sideCache.LoadOrStore(key, &cached{})
	e := c.(*cached)
	e.once.Do(func() { e.v = build() })
	return e.v
}

// forgetRun drops what the DoFns of a run cached in this process.
func forgetRun(run string) {
	sideCache.Range(func(k, _ any) bool {
		if strings.HasPrefix(k.(string), run+"\x00") {
			sideCache.Delete(k)
		}
		return true
	})
}

func loadTitles(run string, articles func(*string, *int64) bool, redirects func(*string, *string) bool) *titles {
	return cachedSide(run+"\x00titles", func() any {
		t := &titles{articles: map[string]struct{}{}, redirects: map[string]string{}}
		var k, v string
		var id int64
		for articles(&k, &id) {
			t.articles[k] = struct{}{}
		}
		for redirects(&k, &v) {
			t.redirects[k] = v
		}
		return t
	}).(*titles)
}

// resolved counts, within a bundle, the links of each anchor and the articles of each
// (anchor, resolved target) pair, after the reference's filters.
type resolved struct {
	aslink map[string]int64
	pairs  map[string]int64
	key    []byte
	kept   int64
}

func (r *resolved) add(anchor, target string, links, articles int64) {
	if r.aslink == nil {
		r.aslink, r.pairs = map[string]int64{}, map[string]int64{}
	}
	r.kept += links
	if stage.ExcludedAnchor(anchor) {
		return
	}
	r.aslink[anchor] += links
	r.key = pairKey(r.key, anchor, target)
	r.pairs[string(r.key)] += articles
}

func (r *resolved) full() bool { return len(r.pairs) >= bundleLimit }

func (r *resolved) flush(ctx context.Context, emitAsLink, emitPair func(string, int64)) {
	for a, n := range r.aslink {
		emitAsLink(a, n)
	}
	for k, n := range r.pairs {
		emitPair(k, n)
	}
	clear(r.aslink)
	clear(r.pairs)
	linksKept.Inc(ctx, r.kept)
	r.kept = 0
}

// resolveFn resolves the targets of the pairs counted by readFn.
type resolveFn struct {
	Run string // the run's unique name, to key sideCache

	r resolved
}

func (f *resolveFn) ProcessElement(ctx context.Context, key string, c LinkCount, articles func(*string, *int64) bool, redirects func(*string, *string) bool, emitAsLink, emitPair func(string, int64)) {
	t := loadTitles(f.Run, articles, redirects)
	anchor, target := splitPairKey(key)
	target, ok := t.resolve(target)
	if !ok {
		return
	}
	f.r.add(anchor, target, c.Links, c.Articles)
	if f.r.full() {
		f.r.flush(ctx, emitAsLink, emitPair)
	}
}

func (f *resolveFn) FinishBundle(ctx context.Context, _ func(*string, *int64) bool, _ func(*string, *string) bool, emitAsLink, emitPair func(string, int64)) {
	f.r.flush(ctx, emitAsLink, emitPair)
}

// resolveSeveralFn resolves the links of an article whose anchors have several
// targets: a pair counts once for the article, however many of its links resolve to it.
type resolveSeveralFn struct {
	Run string

	r    resolved
	seen map[[2]string]bool
}

func (f *resolveSeveralFn) ProcessElement(ctx context.Context, flat []string, articles func(*string, *int64) bool, redirects func(*string, *string) bool, emitAsLink, emitPair func(string, int64)) {
	t := loadTitles(f.Run, articles, redirects)
	if f.seen == nil {
		f.seen = map[[2]string]bool{}
	}
	clear(f.seen)
	for i := 0; i+1 < len(flat); i += 2 {
		anchor, target := flat[i], flat[i+1]
		target, ok := t.resolve(target)
		if !ok {
			continue
		}
		first := !f.seen[[2]string{anchor, target}]
		f.seen[[2]string{anchor, target}] = true
		articles := int64(0)
		if first {
			articles = 1
		}
		f.r.add(anchor, target, 1, articles)
	}
	if f.r.full() {
		f.r.flush(ctx, emitAsLink, emitPair)
	}
}

func (f *resolveSeveralFn) FinishBundle(ctx context.Context, _ func(*string, *int64) bool, _ func(*string, *string) bool, emitAsLink, emitPair func(string, int64)) {
	f.r.flush(ctx, emitAsLink, emitPair)
}

// linkedMoreThanOnce keeps the anchors whose text is counted (aslink > 1).
func linkedMoreThanOnce(anchor string, aslink int64, emit func(string)) {
	if aslink > 1 {
		emit(anchor)
	}
}

// anchorIndex is the anchors counted in the text, in order, and their counter.
type anchorIndex struct {
	order   []string
	counter *stage.AnchorCounter
}

// countFn counts the anchors linked more than once in the text, within the bundle.
type countFn struct {
	Run string

	idx    *anchorIndex
	counts []int64
	ids    []uint32
}

func (f *countFn) ProcessElement(text []byte, anchors func(*string) bool, emit func(string, int64)) {
	if f.idx == nil {
		f.idx = cachedSide(f.Run+"\x00anchors", func() any {
			var order []string
			var a string
			for anchors(&a) {
				order = append(order, a)
			}
			slices.Sort(order)
			index := make(map[string]int, len(order))
			for i, a := range order {
				index[a] = i
			}
			return &anchorIndex{order, stage.NewAnchorCounter(index)}
		}).(*anchorIndex)
	}
	if f.counts == nil {
		f.counts = make([]int64, len(f.idx.order))
	}
	f.ids = f.idx.counter.Count(text, f.counts, f.ids)
}

func (f *countFn) FinishBundle(_ func(*string) bool, emit func(string, int64)) {
	for i, n := range f.counts {
		if n > 0 {
			emit(f.idx.order[i], n)
		}
	}
	f.counts = nil
}

// Row is one row of any of the datasets on its way to its shard.
type Row struct {
	Kind int8
	A, B string
	N    int64
}

// Kinds of rows.
const (
	kindMarker   int8 = iota // makes every shard exist, even empty
	kindAsLink               // A anchor, N links
	kindAsText               // A anchor, N occurrences in the text
	kindPair                 // A anchor, B target, N articles
	kindPage                 // A title, N page id
	kindRedirect             // A from, B to
)

func shardOf(s string, shards int) int {
	h := fnv.New32a()
	h.Write([]byte(s))
	return int(h.Sum32() % uint32(shards))
}

// rowFn sends a count (keyed by anchor, pair or title) to the shard of its anchor or
// title.
type rowFn struct {
	Kind   int8
	Shards int
}

func (f *rowFn) ProcessElement(key string, n int64, emit func(int, Row)) {
	r := Row{Kind: f.Kind, A: key, N: n}
	if f.Kind == kindPair {
		r.A, r.B = splitPairKey(key)
	}
	emit(shardOf(r.A, f.Shards), r)
}

type redirectRowFn struct{ Shards int }

func (f *redirectRowFn) ProcessElement(from, to string, emit func(int, Row)) {
	emit(shardOf(from, f.Shards), Row{Kind: kindRedirect, A: from, B: to})
}

func markerRow(shard int, emit func(int, Row)) { emit(shard, Row{Kind: kindMarker}) }

// The datasets, by the names of their shard files.
const (
	shardAnchors   = "anchors"
	shardStats     = "anchors_stats"
	shardPageIDs   = "pageids"
	shardRedirects = "redirects"
)

func shardFile(dir, name string, shard, shards int) string {
	return fmt.Sprintf("%s/%s-%05d-of-%05d.parquet", strings.TrimSuffix(dir, "/"), name, shard, shards)
}

// writeShardFn computes the link probabilities of a shard's anchors (an anchor's
// counts are all in its shard) and writes the shard of each dataset, sorted, with the
// datasets package's Parquet writer.
type writeShardFn struct {
	Dir    string
	Shards int
}

func (f *writeShardFn) ProcessElement(ctx context.Context, shard int, rows func(*Row) bool) error {
	aslink, astext := map[string]int64{}, map[string]int64{}
	var pairs []datasets.Anchor
	var pages []datasets.PageID
	var redirects []datasets.Redirect
	var r Row
	for rows(&r) {
		switch r.Kind {
		case kindAsLink:
			aslink[r.A] += r.N
		case kindAsText:
			astext[r.A] += r.N
		case kindPair:
			pairs = append(pairs, datasets.Anchor{Anchor: r.A, Target: r.B, N: r.N})
		case kindPage:
			pages = append(pages, datasets.PageID{Title: r.A, PageID: r.N})
		case kindRedirect:
			redirects = append(redirects, datasets.Redirect{From: r.A, To: r.B})
		}
	}
	anchorsAsLink.Inc(ctx, int64(len(aslink)))
	stats := make([]datasets.AnchorStat, 0, len(aslink))
	kept := map[string]bool{}
	for a, n := range aslink {
		if n > 1 {
			st := stage.AnchorStat(a, n, astext[a])
			stats = append(stats, st)
			kept[a] = st.Kept == 1
		}
	}
	slices.SortFunc(stats, func(a, b datasets.AnchorStat) int { return strings.Compare(a.Anchor, b.Anchor) })
	anchors := pairs[:0]
	for _, p := range pairs {
		if kept[p.Anchor] {
			anchors = append(anchors, p)
		}
	}
	sortAnchors(anchors)
	slices.SortFunc(pages, func(a, b datasets.PageID) int { return strings.Compare(a.Title, b.Title) })
	slices.SortFunc(redirects, func(a, b datasets.Redirect) int { return strings.Compare(a.From, b.From) })

	fs, err := filesystem.New(ctx, f.Dir)
	if err != nil {
		return err
	}
	defer fs.Close()
	return firstErr(
		writeShard(ctx, fs, shardFile(f.Dir, shardAnchors, shard, f.Shards), anchors),
		writeShard(ctx, fs, shardFile(f.Dir, shardStats, shard, f.Shards), stats),
		writeShard(ctx, fs, shardFile(f.Dir, shardPageIDs, shard, f.Shards), pages),
		writeShard(ctx, fs, shardFile(f.Dir, shardRedirects, shard, f.Shards), redirects),
	)
}

func firstErr(errs ...error) error {
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}

func sortAnchors(anchors []datasets.Anchor) {
	slices.SortFunc(anchors, func(a, b datasets.Anchor) int {
		if c := strings.Compare(a.Anchor, b.Anchor); c != 0 {
			return c
		}
		return strings.Compare(a.Target, b.Target)
	})
}

func writeShard[T any](ctx context.Context, fs filesystem.Interface, name string, rows []T) error {
	var buf bytes.Buffer
	if err := datasets.WriteParquetTo(&buf, rows); err != nil {
		return fmt.Errorf("shard %s: %w", name, err)
	}
	w, err := fs.OpenWrite(ctx, name)
	if err != nil {
		return fmt.Errorf("shard %s: %w", name, err)
	}
	if _, err := w.Write(buf.Bytes()); err != nil {
		w.Close()
		return fmt.Errorf("shard %s: %w", name, err)
	}
	if err := w.Close(); err != nil {
		return fmt.Errorf("shard %s: %w", name, err)
	}
	return nil
}
