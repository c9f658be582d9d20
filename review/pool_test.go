package review

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/addlink/addlink/datasets"
	"github.com/addlink/addlink/follow"
	"github.com/addlink/addlink/internal/dump"
	"github.com/addlink/addlink/internal/fakewiki"
	"github.com/addlink/addlink/internal/linker"
	"github.com/addlink/addlink/internal/wikitext"
)

// revFetcher serves the scenario's revisions as MediaWiki would.
type revFetcher map[int64]fakewiki.Revision

func (f revFetcher) Fetch(ctx context.Context, a follow.Action) (follow.Page, error) {
	r, ok := f[a.Rev]
	if !ok {
		return follow.Page{}, fmt.Errorf("%w: revision %d", follow.ErrGone, a.Rev)
	}
	return follow.Page{PageID: r.PageID, RevID: a.Rev, Wikitext: r.Text}, nil
}

// modelRecommender answers with the wiki's model, the links in the service's fields.
type modelRecommender struct {
	q         *linker.Wiki
	threshold float64
}

func (m modelRecommender) Recommend(ctx context.Context, wiki, title string, pageID, revID int64, text string) ([]byte, int, error) {
	res := linker.Recommend(m.q.Dict, m.q.Model, wikitext.NormalizeTitle(title), text, linker.RecommendOptions{Threshold: m.threshold, Ctx: ctx})
	b, err := json.Marshal(map[string]any{"links": res.Links, "page_title": title, "revid": revID})
	return b, len(res.Links), err
}

// pooledAnswer is the part of a pooled answer the test reads.
type pooledAnswer struct {
	Links []linker.Recommendation `json:"links"`
}

// followPool runs the follower over a replay of fakewiki's scenario of edits to the
// first 30 articles of the wiki's dump, recommending with the wiki's model at 0.5, into
// a new SQLite pool, and returns the pool's file.
func followPool(t *testing.T, wiki, dir, dumpFile string, keepText bool) string {
	t.Helper()
	pool := filepath.Join(t.TempDir(), "follow.sqlite")
	followInto(t, wiki, dir, dumpFile, keepText, follow.PoolOptions{SQLitePath: pool})
	return pool
}

// followInto is followPool into the pool po.
func followInto(t *testing.T, wiki, dir, dumpFile string, keepText bool, po follow.PoolOptions) {
	t.Helper()
	var pages []fakewiki.Page
	r, err := dump.Open(context.Background(), []string{dumpFile}, dump.Options{})
	if err != nil {
		t.Fatal(err)
	}
	for len(pages) < 30 {
		p, err := r.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if p.NS == 0 && !p.IsRedirect() && p.Text != "" {
			pages = append(pages, fakewiki.Page{ID: p.ID, Title: p.Title, Text: p.Text})
		}
	}
	r.Close()
	events, revs := fakewiki.Scenario(wiki, pages, 120, time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC))
	tmp := t.TempDir()
	replay := filepath.Join(tmp, "events.jsonl")
	var b strings.Builder
	for _, e := range events {
		b.Write(e)
		b.WriteByte('\n')
	}
	if err := os.WriteFile(replay, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	q, err := linker.OpenWiki(datasets.Layout{DataDir: dir, Wiki: wiki}, linker.Parquet)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	sum, err := follow.Run(ctx, follow.Options{Wikis: []string{wiki}, Replay: replay, Pool: po,
		Fetcher: revFetcher(revs), Recommender: modelRecommender{q: q, threshold: 0.5}, KeepText: keepText,
		Settings: datasets.PoolSettings{Threshold: 0.5, MaxLinks: 1000}, Concurrency: 1, RatePerWiki: -1,
		RetryMin: time.Millisecond, RetryMax: 10 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	if sum.Outcomes[follow.Stored] == 0 || sum.Outcomes[follow.Removed] == 0 {
		t.Fatalf("the follower stored %d pages and removed %d", sum.Outcomes[follow.Stored], sum.Outcomes[follow.Removed])
	}
}

// Review items from a follow pool, end to end: the follower keeps the pages of a
// replayed stream with their wikitext (--keep-text); importing the pool makes items
// of exactly its non-training pages at the revisions it holds, without the dump, and
// each link the pool holds is among them with the same score. A pool kept without
// the text is a clear error.
func TestImportFromFollowPool(t *testing.T) {
	if testing.Short() {
		t.Skip("short")
	}
	ctx := context.Background()
	const wiki = "ukwiki"
	dir, dumpFile := trainedWiki(t, wiki)
	pool := followPool(t, wiki, dir, dumpFile, true)

	db, _, err := openPool(PoolSource{SQLitePath: pool})
	if err != nil {
		t.Fatal(err)
	}
	pooled, err := datasets.ReadPoolPages(ctx, db, datasets.DefaultPoolPrefix, wiki)
	db.Close()
	if err != nil || len(pooled) == 0 {
		t.Fatalf("%d pooled pages (%v)", len(pooled), err)
	}
	train, err := datasets.ReadSentences(datasets.Layout{DataDir: dir, Wiki: wiki}.SentencesTrain())
	if err != nil {
		t.Fatal(err)
	}
	training := map[string]bool{}
	for _, s := range train {
		training[s.Title] = true
	}
	want := map[int64]datasets.PoolPage{}
	for _, p := range pooled {
		if !p.HasText {
			t.Fatalf("page %d pooled without its text", p.PageID)
		}
		if !training[p.Title] {
			want[p.PageID] = p
		}
	}
	if len(want) == 0 || len(want) == len(pooled) {
		t.Fatalf("%d of %d pooled pages are not training articles: the test needs both kinds", len(want), len(pooled))
	}

	st := newStore(t)
	o := ImportOptions{Wiki: wiki, DataDir: dir, Pool: &PoolSource{SQLitePath: pool}, Pages: 1000, Seed: 1, Threshold: DefaultThreshold}
	s, err := Import(ctx, st, o, nil)
	if err != nil {
		t.Fatal(err)
	}
	if s.Articles != len(pooled) || s.TrainingArticles != len(pooled)-len(want) || s.Pages != len(want) || s.Items == 0 || s.NoText != 0 {
		t.Fatalf("import %+v; the pool has %d pages, %d not training articles", s, len(pooled), len(want))
	}
	items, err := st.Items(ctx, wiki)
	if err != nil || len(items) != s.Items {
		t.Fatalf("%d items (%v), want %d", len(items), err, s.Items)
	}
	type key struct {
		page          int64
		mention, targ string
		offset        int
	}
	got := map[key]Item{}
	for _, it := range items {
		p, ok := want[it.PageID]
		if !ok || it.Revision != p.Revision || it.PageTitle != p.Title {
			t.Errorf("item %+v: not a pooled page at its revision", it)
		}
		got[key{it.PageID, it.Mention, it.Target, it.Offset}] = it
	}
	links := 0
	for _, p := range want {
		page, err := st.PageText(ctx, wiki, p.PageID)
		if err != nil || page.Wikitext != p.Wikitext || page.Revision != p.Revision {
			t.Errorf("page %d stored at %d (%v), the pool holds %d", p.PageID, page.Revision, err, p.Revision)
		}
		if p.Data == nil {
			continue
		}
		var a pooledAnswer
		if err := json.Unmarshal(p.Data, &a); err != nil {
			t.Fatal(err)
		}
		for _, l := range a.Links {
			links++
			it, ok := got[key{p.PageID, l.LinkText, l.LinkTarget, l.WikitextOffset}]
			if !ok || math.Abs(it.Score-l.Score) > 1e-12 {
				t.Errorf("%s: the pool's link %q -> %q (%g) is not an item (%+v)", p.Title, l.LinkText, l.LinkTarget, l.Score, it)
			}
		}
	}
	if links == 0 {
		t.Fatal("the pool holds no link on the imported pages: nothing compared")
	}
	t.Logf("%d pooled pages, %d imported, %d items at %g; %d pooled links at 0.5 all among them", len(pooled), s.Pages, s.Items, DefaultThreshold, links)

	// A golden set from the pool's pages' own links, as from a dump.
	gs := newStore(t)
	o.FromLinks = true
	fs, err := Import(ctx, gs, o, nil)
	if err != nil || fs.Items == 0 {
		t.Fatalf("--from-links from the pool: %+v %v", fs, err)
	}
	if n, err := JudgeFromLinks(ctx, gs, wiki); err != nil || n != fs.Items {
		t.Errorf("JudgeFromLinks wrote %d (%v), want %d", n, err, fs.Items)
	}

	// A pool without the pages' text, and one that does not exist.
	bare := followPool(t, wiki, dir, dumpFile, false)
	if _, err := Import(ctx, newStore(t), ImportOptions{Wiki: wiki, DataDir: dir, Pool: &PoolSource{SQLitePath: bare}, Threshold: DefaultThreshold}, nil); !errors.Is(err, ErrNoPoolText) || !strings.Contains(err.Error(), "--keep-text") {
		t.Errorf("a pool without text: %v", err)
	}
	if _, err := Import(ctx, newStore(t), ImportOptions{Wiki: wiki, DataDir: dir, Pool: &PoolSource{SQLitePath: filepath.Join(t.TempDir(), "none.sqlite")}, Threshold: DefaultThreshold}, nil); err == nil {
		t.Error("a missing pool file was accepted")
	}
	if _, _, err := readPool(ctx, "viwiki", PoolSource{SQLitePath: pool, Prefix: datasets.DefaultPoolPrefix}); err == nil || !strings.Contains(err.Error(), "viwiki") {
		t.Errorf("a wiki the pool does not hold: %v", err)
	}
}
