// Package linkgraph is the stage that writes the articles' link graph,
// <wiki>.linkgraph.parquet: for every article, the articles it links (targets
// normalised as the dictionaries stage does, resolved through one redirect, kept when
// they are articles; self-links and repeats dropped), in the order of their first link.
// The extended features (internal/linker's relatedness) read it. It is a light pass
// over the articles cache the dictionaries stage leaves (or the dump when the cache is
// missing).
package linkgraph

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/addlink/addlink/datasets"
	"github.com/addlink/addlink/internal/articles"
	"github.com/addlink/addlink/internal/dump"
	"github.com/addlink/addlink/internal/progress"
	"github.com/addlink/addlink/internal/wikitext"
)

// Options configures the stage.
type Options struct {
	Wiki    string
	DataDir string
	Dumps   []string
	Threads int
}

// Validate checks the options.
func (o Options) Validate() error {
	if err := datasets.CheckWikiID(o.Wiki); err != nil {
		return err
	}
	if len(o.Dumps) == 0 {
		return errors.New("linkgraph: no dump files")
	}
	return nil
}

// Summary is what the stage reports.
type Summary struct {
	Articles int     `json:"articles"`
	Links    int     `json:"links"`
	Seconds  float64 `json:"seconds"`
}

// Run reads the articles and writes the link graph. It returns ctx.Err() when
// cancelled, leaving no output behind.
func Run(ctx context.Context, o Options, p progress.Reporter) (Summary, error) {
	start := time.Now()
	p = progress.OrNop(p)
	if err := o.Validate(); err != nil {
		return Summary{}, err
	}
	l := datasets.Layout{DataDir: o.DataDir, Wiki: o.Wiki}
	ids, err := datasets.ReadParquet[datasets.PageID](l.PageIDs())
	if err != nil {
		return Summary{}, fmt.Errorf("linkgraph: %w (run the dictionaries stage first)", err)
	}
	reds, err := datasets.ReadParquet[datasets.Redirect](l.Redirects())
	if err != nil {
		return Summary{}, fmt.Errorf("linkgraph: %w", err)
	}
	pageID := make(map[string]int64, len(ids))
	for _, r := range ids {
		pageID[r.Title] = r.PageID
	}
	redirect := make(map[string]string, len(reds))
	for _, r := range reds {
		redirect[r.From] = r.To
	}
	src, cached, err := articles.OpenSource(ctx, l.ArticlesCache(), o.Dumps, dump.Options{Threads: o.Threads, Progress: p})
	if err != nil {
		return Summary{}, fmt.Errorf("linkgraph: %w", err)
	}
	defer src.Close()
	if cached {
		p.Phase("linkgraph: reading the articles cache", 0, "")
	} else {
		p.Phase("linkgraph: reading dump", 0, "bytes")
	}
	var rows []datasets.Link
	var s Summary
	seen := map[int64]bool{}
	for n := 0; ; n++ {
		if n%1024 == 0 && ctx.Err() != nil {
			return Summary{}, ctx.Err()
		}
		pg, err := src.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return Summary{}, fmt.Errorf("linkgraph: %w", err)
		}
		if pg.NS != 0 || pg.IsRedirect() || pg.Text == "" {
			continue
		}
		from, ok := pageID[wikitext.NormalizeTitle(pg.Title)]
		if !ok {
			continue
		}
		s.Articles++
		clear(seen)
		seen[from] = true
		wikitext.ScanLinks(pg.Text, func(lk wikitext.Link) bool {
			t := wikitext.NormalizeTitle(lk.Target)
			if to, ok := redirect[t]; ok {
				t = to
			}
			if id, ok := pageID[t]; ok && !seen[id] {
				seen[id] = true
				rows = append(rows, datasets.Link{PageID: from, TargetID: id})
			}
			return true
		})
	}
	s.Links = len(rows)
	if _, err := datasets.WriteParquet(l.LinkGraph(), rows); err != nil {
		return Summary{}, fmt.Errorf("linkgraph: %w", err)
	}
	s.Seconds = time.Since(start).Seconds()
	if err := datasets.WriteSummary(l, "linkgraph", s); err != nil {
		return s, err
	}
	p.Note(fmt.Sprintf("linkgraph: %d articles, %d links in %.2fs", s.Articles, s.Links, s.Seconds))
	return s, nil
}
