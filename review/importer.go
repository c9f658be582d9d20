package review

import (
	"container/heap"
	"context"
	"database/sql"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/fnv"
	"io"
	"math"
	"os"
	"sort"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/go-sql-driver/mysql"

	"github.com/addlink/addlink/checksum"
	"github.com/addlink/addlink/datasets"
	"github.com/addlink/addlink/internal/dump"
	"github.com/addlink/addlink/internal/linker"
	"github.com/addlink/addlink/internal/mysqlenv"
	"github.com/addlink/addlink/internal/progress"
	"github.com/addlink/addlink/internal/wikitext"
)

// DefaultThreshold is the import's threshold: low, so that judgments cover the whole
// range of scores a model may be run at.
const DefaultThreshold = 0.2

// DefaultPages is the number of articles an import samples.
const DefaultPages = 50

// ImportOptions configures Import.
type ImportOptions struct {
	Wiki    string
	DataDir string
	// Dumps are the pages-articles dump files the articles are read from; when they
	// and Pool are empty, Validate finds the wiki's latest dump under DumpsDir.
	Dumps    []string
	DumpsDir string
	// Pool, when set, is a follow pool whose pages (kept with their wikitext,
	// `addlink follow --keep-text`) are read instead of a dump.
	Pool *PoolSource
	// Model is the model file (default: the wiki's <wiki>.linkmodel.json).
	Model     string
	Pages     int     // articles sampled (default DefaultPages)
	Threshold float64 // lowest score imported (default DefaultThreshold)
	Seed      uint64  // seeds the sample
	// FromLinks removes the page's links to articles before asking for suggestions
	// and records in each item the target the page had linked the mention to
	// (Item.DumpTarget): the dump's own links become a golden set to check the
	// tools against (FromLinksReviewer).
	FromLinks bool
}

// PoolSource says where a follow pool is: an SQLite file, or the MySQL database of
// MySQL, with the tables' prefix (default datasets.DefaultPoolPrefix).
type PoolSource struct {
	SQLitePath string
	MySQL      *mysql.Config
	Prefix     string
}

// ErrNoPoolText says a pool holds none of its pages' wikitext.
var ErrNoPoolText = errors.New("review: the pool holds no wikitext")

// FromLinksReviewer is the reviewer whose judgments JudgeFromLinks writes.
const FromLinksReviewer = "dump-links"

// Validate checks the options and fills the defaults.
func (o *ImportOptions) Validate() error {
	if err := datasets.CheckWikiID(o.Wiki); err != nil {
		return err
	}
	if o.Pages == 0 {
		o.Pages = DefaultPages
	}
	if o.Pages < 0 {
		return fmt.Errorf("review: --pages %d: want a positive number", o.Pages)
	}
	if o.Threshold < 0 || o.Threshold > 1 || math.IsNaN(o.Threshold) {
		return fmt.Errorf("review: --threshold %g: want a number between 0 and 1", o.Threshold)
	}
	if p := o.Pool; p != nil {
		if len(o.Dumps) > 0 {
			return errors.New("review: both a pool and dump files to read the articles from: give one")
		}
		if p.SQLitePath == "" && p.MySQL == nil {
			return errors.New("review: no pool (an SQLite file or a MySQL configuration)")
		}
		if p.Prefix == "" {
			p.Prefix = datasets.DefaultPoolPrefix
		}
		if err := datasets.CheckPoolPrefix(p.Prefix); err != nil {
			return fmt.Errorf("review: pool: %w", err)
		}
		return nil
	}
	if len(o.Dumps) == 0 {
		if o.DumpsDir == "" {
			return errors.New("review: no dump files to read the articles from")
		}
		files, err := dump.Discover(o.DumpsDir, o.Wiki)
		if err != nil {
			return fmt.Errorf("review: no dump given and %w", err)
		}
		o.Dumps = files
	}
	return nil
}

// ImportSummary is what Import did.
type ImportSummary struct {
	Articles         int    `json:"articles"`          // articles in the dump or the pool
	NoText           int    `json:"no_text,omitempty"` // pooled pages without their wikitext (skipped)
	TrainingArticles int    `json:"training_articles"` // of them, training articles (skipped)
	Pages            int    `json:"pages"`             // pages sampled
	Items            int    `json:"items"`             // suggestions found
	Added            int    `json:"added"`             // items new to the store
	ModelChecksum    string `json:"model_checksum"`
}

// ErrNoModel says the wiki has no model to suggest links with.
var ErrNoModel = errors.New("review: no model")

// Import samples articles of the wiki (from its dump, or the pages of a follow pool)
// that are not training articles (the titles of training/sentences_train.csv), asks the wiki's model for its suggestions on each at
// o.Threshold through linker.OpenWiki and linker.Recommend (what serve answers with), and stores
// the pages and their suggestions as items. The sample is the o.Pages articles with the
// smallest seeded hash of their page id: the same dump, model and seed give the same
// items.
func Import(ctx context.Context, st *Store, o ImportOptions, p progress.Reporter) (ImportSummary, error) {
	p = progress.OrNop(p)
	if err := o.Validate(); err != nil {
		return ImportSummary{}, err
	}
	l := datasets.Layout{DataDir: o.DataDir, Wiki: o.Wiki}
	modelFile := l.Model()
	if o.Model != "" {
		modelFile = o.Model
	}
	if _, err := os.Stat(modelFile); err != nil {
		return ImportSummary{}, fmt.Errorf("%w for %s: %s does not exist (train one with addlink run --wiki %s, or give --model)", ErrNoModel, o.Wiki, modelFile, o.Wiki)
	}
	sum, err := checksum.File(modelFile)
	if err != nil {
		return ImportSummary{}, err
	}
	train, err := datasets.ReadSentences(l.SentencesTrain())
	if err != nil {
		return ImportSummary{}, fmt.Errorf("review: the training articles: %w (run the sentences stage first)", err)
	}
	training := map[string]bool{}
	for _, s := range train {
		training[s.Title] = true
	}
	p.Phase("review import: loading the model and datasets", 0, "")
	q, err := linker.OpenWikiModel(l, linker.Parquet, modelFile)
	if err != nil {
		return ImportSummary{}, fmt.Errorf("review: %w", err)
	}
	rules, err := linker.ModelCandidates(q.Model)
	if err != nil {
		return ImportSummary{}, err
	}
	linkProbs := map[string]float64{}
	if stats, err := datasets.ReadParquet[datasets.AnchorStat](l.AnchorStats()); err == nil {
		for _, s := range stats {
			if s.AsLink+s.AsText > 0 {
				linkProbs[s.Anchor] = float64(s.AsLink) / float64(s.AsLink+s.AsText)
			}
		}
	}
	s := ImportSummary{ModelChecksum: sum}
	// The sample: the o.Pages non-training articles with the smallest hashes.
	p.Phase("review import: sampling articles", 0, "pages")
	h := &pageHeap{}
	err = eachPage(ctx, o, &s, func(pg *dump.Page) {
		p.Add(1)
		if pg.NS != 0 || pg.IsRedirect() || pg.Text == "" {
			return
		}
		s.Articles++
		if training[pg.Title] {
			s.TrainingArticles++
			return
		}
		k := sampleKey(o.Seed, pg.ID)
		if h.Len() < o.Pages {
			heap.Push(h, sampled{k, pg})
		} else if k < (*h)[0].key {
			(*h)[0] = sampled{k, pg}
			heap.Fix(h, 0)
		}
	})
	if err != nil {
		return s, err
	}
	pages := make([]sampled, h.Len())
	copy(pages, *h)
	sort.Slice(pages, func(i, j int) bool { return pages[i].key < pages[j].key })
	p.Phase("review import: suggesting links", int64(len(pages)), "pages")
	for _, sp := range pages {
		if err := ctx.Err(); err != nil {
			return s, err
		}
		pg := sp.page
		text := pg.Text
		var gold map[string]string
		if o.FromLinks {
			gold, _ = q.Dict.Gold(text, false)
			text = Unlink(q.Dict, text)
		}
		res := linker.Recommend(q.Dict, q.Model, wikitext.NormalizeTitle(pg.Title), text, linker.RecommendOptions{Threshold: o.Threshold, Ctx: ctx})
		sections := wikitext.Sections(text)
		var items []Item
		for _, rec := range res.Links {
			mention := linker.NormalizeMention(rec.LinkText, q.Dict.Lower)
			it := Item{Wiki: o.Wiki, PageID: pg.ID, PageTitle: pg.Title, Revision: pg.RevID, Mention: rec.LinkText,
				Offset: rec.WikitextOffset, Target: rec.LinkTarget, Score: rec.Score, ModelChecksum: sum,
				Section: sectionAt(sections, rec.ByteOffset), LinkProb: math.NaN(),
				InQuote: InQuote(text, rec.ByteOffset, rec.ByteOffset+len(rec.LinkText))}
			it.ContextBefore, it.ContextAfter = Context(text, rec.ByteOffset, rec.ByteOffset+len(rec.LinkText))
			if lp, ok := linkProbs[mention]; ok {
				it.LinkProb = lp
			}
			if m, _ := q.Dict.Mention(mention, rules); m != nil {
				it.Candidates = len(m.Candidates)
				for _, c := range m.Candidates {
					it.MentionLinks += c.Count
				}
				it.TargetLinks, _ = m.Freq(rec.LinkTarget)
			}
			if o.FromLinks {
				it.DumpTarget = gold[mention]
				if it.DumpTarget != "" && it.DumpTarget == q.Dict.Resolve(rec.LinkTarget) {
					it.DumpTarget = rec.LinkTarget
				}
			}
			items = append(items, it)
		}
		n, err := st.AddPage(ctx, Page{Wiki: o.Wiki, PageID: pg.ID, Title: pg.Title, Revision: pg.RevID, Wikitext: text}, items)
		if err != nil {
			return s, fmt.Errorf("review: store %s: %w", pg.Title, err)
		}
		s.Pages++
		s.Items += len(items)
		s.Added += n
		p.Add(1)
	}
	return s, nil
}

// eachPage calls fn with every page of the dump, or of the pool (as main-namespace
// pages at the revision the pool holds; those without wikitext are counted in
// s.NoText).
func eachPage(ctx context.Context, o ImportOptions, s *ImportSummary, fn func(*dump.Page)) error {
	if o.Pool == nil {
		r, err := dump.Open(ctx, o.Dumps, dump.Options{})
		if err != nil {
			return err
		}
		defer r.Close()
		for {
			pg, err := r.Next()
			if err == io.EOF {
				return nil
			}
			if err != nil {
				return err
			}
			fn(pg)
		}
	}
	pages, where, err := readPool(ctx, o.Wiki, *o.Pool)
	if err != nil {
		return err
	}
	if len(pages) == 0 {
		return fmt.Errorf("review: the pool %s holds no page of %s", where, o.Wiki)
	}
	for _, pp := range pages {
		if !pp.HasText {
			s.NoText++
			continue
		}
		fn(&dump.Page{Title: pp.Title, ID: pp.PageID, RevID: pp.Revision, Text: pp.Wikitext})
	}
	if s.NoText == len(pages) {
		return fmt.Errorf("%w for %s in %s (%d pages): run addlink follow with --keep-text", ErrNoPoolText, o.Wiki, where, len(pages))
	}
	return nil
}

// readPool reads a wiki's pages from a follow pool; where names the pool in errors.
func readPool(ctx context.Context, wiki string, ps PoolSource) ([]datasets.PoolPage, string, error) {
	db, where, err := openPool(ps)
	if err != nil {
		return nil, where, fmt.Errorf("review: pool: %w", err)
	}
	defer db.Close()
	pages, err := datasets.ReadPoolPages(ctx, db, ps.Prefix, wiki)
	if err != nil {
		return nil, where, fmt.Errorf("review: the pool %s has no pages of %s: %w", where, wiki, err)
	}
	return pages, where, nil
}

// openPool opens a follow pool to read; an SQLite file must exist.
func openPool(ps PoolSource) (*sql.DB, string, error) {
	if ps.MySQL != nil {
		db, err := mysqlenv.Open(ps.MySQL)
		return db, "the MySQL pool", err
	}
	if _, err := os.Stat(ps.SQLitePath); err != nil {
		return nil, ps.SQLitePath, err
	}
	db, err := sql.Open("sqlite", "file:"+ps.SQLitePath+"?mode=ro&_pragma=busy_timeout(10000)")
	return db, ps.SQLitePath, err
}

// sampleKey is the seeded hash that orders the articles of the sample.
func sampleKey(seed uint64, id int64) uint64 {
	h := fnv.New64a()
	var b [16]byte
	binary.LittleEndian.PutUint64(b[:8], seed)
	binary.LittleEndian.PutUint64(b[8:], uint64(id))
	h.Write(b[:])
	return h.Sum64()
}

type sampled struct {
	key  uint64
	page *dump.Page
}

// pageHeap is a max-heap of sampled pages by key.
type pageHeap []sampled

func (h pageHeap) Len() int           { return len(h) }
func (h pageHeap) Less(i, j int) bool { return h[i].key > h[j].key }
func (h pageHeap) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *pageHeap) Push(x any)        { *h = append(*h, x.(sampled)) }
func (h *pageHeap) Pop() any {
	old := *h
	x := old[len(old)-1]
	*h = old[:len(old)-1]
	return x
}

// Unlink replaces every link to an article of the dictionary by its text (the anchor,
// or the title when the link has none), leaving other links (files, categories, other
// namespaces, missing pages) as they are.
func Unlink(d *linker.Dict, text string) string {
	var b strings.Builder
	last := 0
	wikitext.ScanLinks(text, func(l wikitext.Link) bool {
		target := d.Resolve(wikitext.NormalizeTitle(l.Target))
		if _, ok := d.PageIDs[target]; !ok {
			return true
		}
		b.WriteString(text[last:l.Start])
		if l.Anchor != "" {
			b.WriteString(l.Anchor)
		} else {
			b.WriteString(l.Target)
		}
		last = l.End
		return true
	})
	b.WriteString(text[last:])
	return b.String()
}

// sectionAt returns the heading of the section holding byte offset off.
func sectionAt(sections []wikitext.Section, off int) string {
	h := ""
	for _, s := range sections {
		if s.Start > off {
			break
		}
		h = s.Heading
	}
	return h
}

// ContextRunes is the most characters of context kept on each side of a mention.
const ContextRunes = 300

// Context returns the text of the mention's paragraph (its line of wikitext) before
// and after the mention [start, end), as plain text (markup removed), at most
// ContextRunes characters each.
func Context(text string, start, end int) (before, after string) {
	ls := strings.LastIndexByte(text[:start], '\n') + 1
	le := strings.IndexByte(text[end:], '\n')
	if le < 0 {
		le = len(text)
	} else {
		le += end
	}
	before = squeezeSpaces(wikitext.StripCode(text[ls:start]))
	after = squeezeSpaces(wikitext.StripCode(text[end:le]))
	// StripCode trims the pieces: keep the space next to the mention.
	if start > ls && isSpaceBefore(text[:start]) && before != "" && !isSpaceBefore(before) {
		before += " "
	}
	if end < le && isSpaceAfter(text[end:]) && after != "" && !isSpaceAfter(after) {
		after = " " + after
	}
	if n := utf8.RuneCountInString(before); n > ContextRunes {
		r := []rune(before)
		before = "…" + string(r[n-ContextRunes:])
	}
	if n := utf8.RuneCountInString(after); n > ContextRunes {
		after = string([]rune(after)[:ContextRunes]) + "…"
	}
	return before, after
}

// squeezeSpaces replaces runs of spaces and tabs (what removed templates and
// references leave) by one space.
func squeezeSpaces(s string) string {
	var b strings.Builder
	space := false
	for _, r := range s {
		if r == ' ' || r == '\t' {
			if !space {
				b.WriteByte(' ')
			}
			space = true
			continue
		}
		space = false
		b.WriteRune(r)
	}
	return b.String()
}

func isSpaceBefore(s string) bool {
	r, _ := utf8.DecodeLastRuneInString(s)
	return r == ' ' || r == '\t' || r == '\u00a0'
}

func isSpaceAfter(s string) bool {
	r, _ := utf8.DecodeRuneInString(s)
	return r == ' ' || r == '\t' || r == '\u00a0'
}

// quotePairs are opening and closing quotation marks; '"' opens and closes.
var quotePairs = map[rune]rune{'"': '"', '«': '»', '“': '”', '„': '“', '‘': '’', '「': '」', '『': '』', '‹': '›'}

// InQuote reports whether [start, end) of text lies inside quotation marks that open
// and close on the same line.
func InQuote(text string, start, end int) bool {
	ls := strings.LastIndexByte(text[:start], '\n') + 1
	le := strings.IndexByte(text[end:], '\n')
	if le < 0 {
		le = len(text)
	} else {
		le += end
	}
	var open []rune // closing marks awaited, innermost last
	for _, r := range text[ls:start] {
		if n := len(open); n > 0 && r == open[n-1] {
			open = open[:n-1]
			continue
		}
		if c, ok := quotePairs[r]; ok {
			open = append(open, c)
		}
	}
	if len(open) == 0 {
		return false
	}
	want := open[len(open)-1]
	return strings.ContainsRune(text[end:le], want)
}

// JudgeFromLinks stores, for every item of the wiki imported with FromLinks and not
// yet judged by FromLinksReviewer, that reviewer's judgment from the dump's own links:
// accept when the page linked the mention to the item's target, reject otherwise. It
// returns the number of judgments written.
func JudgeFromLinks(ctx context.Context, st *Store, wiki string) (int, error) {
	items, err := st.Items(ctx, wiki)
	if err != nil {
		return 0, err
	}
	js, err := st.Judgments(ctx, wiki)
	if err != nil {
		return 0, err
	}
	eff := Effective(js)
	n := 0
	for _, it := range items {
		if _, done := eff[it.ID][FromLinksReviewer]; done {
			continue
		}
		l := Reject
		if it.DumpTarget != "" && it.DumpTarget == it.Target {
			l = Accept
		}
		req := fmt.Sprintf("%s-%s-%d", FromLinksReviewer, wiki, it.ID)
		if _, dup, err := st.Judge(ctx, Judgment{ItemID: it.ID, Reviewer: FromLinksReviewer, Label: l, RequestID: req}, time.Unix(0, 0)); err != nil {
			return n, err
		} else if !dup {
			n++
		}
	}
	return n, nil
}
