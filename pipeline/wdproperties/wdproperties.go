// Package wdproperties is the stage that finds, for every page of a wiki, the Wikidata
// items its item is an instance of (P31), from the wiki's page_props table dump and the
// Wikidata entity dump (docs/reference.md "Stage 2"). Pages flagged as disambiguation pages
// in page_props get Q4167410 even without the entity dump.
package wdproperties

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"time"

	"github.com/addlink/addlink/datasets"
	"github.com/addlink/addlink/internal/dump"
	"github.com/addlink/addlink/internal/progress"
	"github.com/addlink/addlink/internal/wikidata"
)

// Disambiguation is the item of disambiguation pages.
const Disambiguation = "Q4167410"

// Options configures the stage.
type Options struct {
	Wiki        string
	DataDir     string
	PageProps   string // <wiki>-<date>-page_props.sql(.gz); discovered under DumpsDir when empty
	Wikidata    string // wikidata-<date>-all.json(.gz|.bz2); discovered, optional
	DumpsDir    string
	Threads     int
	SkipBadRows bool
}

// Validate checks the options and discovers the input files.
func (o *Options) Validate() error {
	if err := datasets.CheckWikiID(o.Wiki); err != nil {
		return err
	}
	if o.PageProps == "" {
		p, err := FindPageProps(o.DumpsDir, o.Wiki)
		if err != nil {
			return err
		}
		o.PageProps = p
	}
	if o.Wikidata == "" && o.DumpsDir != "" {
		o.Wikidata, _ = FindEntityDump(o.DumpsDir)
	}
	for _, f := range []string{o.PageProps, o.Wikidata} {
		if f == "" {
			continue
		}
		if _, err := os.Stat(f); err != nil {
			return fmt.Errorf("wdproperties: %w", err)
		}
	}
	return nil
}

var datePattern = regexp.MustCompile(`^\d{8}$`)

// latest returns the path made by name(date) in the newest <dir>/<YYYYMMDD>/ that has it.
func latest(dir string, name func(date string) []string) (string, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return "", err
	}
	var dates []string
	for _, e := range entries {
		if e.IsDir() && datePattern.MatchString(e.Name()) {
			dates = append(dates, e.Name())
		}
	}
	sort.Sort(sort.Reverse(sort.StringSlice(dates)))
	for _, d := range dates {
		for _, n := range name(d) {
			p := filepath.Join(dir, d, n)
			if _, err := os.Stat(p); err == nil {
				return p, nil
			}
		}
	}
	return "", os.ErrNotExist
}

// FindPageProps finds <root>/<wiki>/<date>/<wiki>-<date>-page_props.sql.gz, latest date.
func FindPageProps(root, wiki string) (string, error) {
	p, err := latest(filepath.Join(root, wiki), func(d string) []string {
		return []string{wiki + "-" + d + "-page_props.sql.gz", wiki + "-" + d + "-page_props.sql"}
	})
	if err != nil {
		return "", fmt.Errorf("wdproperties: no page_props dump of %s under %s (give --page-props)", wiki, filepath.Join(root, wiki))
	}
	return p, nil
}

// FindEntityDump finds <root>/wikidatawiki/entities/<date>/wikidata-<date>-all.json.gz
// (or .bz2), latest date.
func FindEntityDump(root string) (string, error) {
	return latest(filepath.Join(root, "wikidatawiki", "entities"), func(d string) []string {
		return []string{"wikidata-" + d + "-all.json.gz", "wikidata-" + d + "-all.json.bz2"}
	})
}

// Summary is what the stage reports.
type Summary struct {
	PageProps         string  `json:"page_props"`
	Wikidata          string  `json:"wikidata,omitempty"`
	PagesWithItem     int     `json:"pages_with_item"`
	Disambiguations   int     `json:"disambiguation_pages"`
	EntitiesScanned   int64   `json:"entities_scanned"`
	EntitiesDecoded   int64   `json:"entities_decoded"`
	EntityJSONMB      float64 `json:"entity_json_mb"`
	Rows              int     `json:"rows"`
	SkippedBadRows    int     `json:"skipped_bad_rows"`
	Seconds           float64 `json:"seconds"`
	EntityMBPerSecond float64 `json:"entity_mb_per_second,omitempty"`
}

// Run writes <wiki>.wdproperties.parquet: one (page_id, qid) row per page and P31 value,
// sorted.
func Run(ctx context.Context, o Options, p progress.Reporter) (Summary, error) {
	start := time.Now()
	p = progress.OrNop(p)
	s := Summary{PageProps: o.PageProps, Wikidata: o.Wikidata}
	items := map[int64]string{}
	disamb := map[int64]bool{}
	p.Phase("wdproperties: reading page_props", 0, "rows")
	rc, err := dump.OpenCompressed(ctx, o.PageProps, o.Threads)
	if err != nil {
		return s, err
	}
	r := wikidata.NewSQLReader(rc, o.PageProps)
	r.SkipBadRows = o.SkipBadRows
	ppRows := 0
	for {
		table, row, err := r.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			rc.Close()
			return s, err
		}
		if table != "page_props" {
			continue
		}
		ppRows++
		page, name, value := column(r, table, row, "pp_page", 0), column(r, table, row, "pp_propname", 1), column(r, table, row, "pp_value", 2)
		id, err := strconv.ParseInt(page.Num, 10, 64)
		if err != nil {
			if o.SkipBadRows {
				r.Skipped++
				continue
			}
			rc.Close()
			return s, fmt.Errorf("wdproperties: %s: pp_page %q is not a page id", o.PageProps, page.String())
		}
		switch name.Str {
		case "wikibase_item":
			items[id] = value.Str
		case "disambiguation":
			disamb[id] = true
		}
		p.Add(1)
	}
	if err := rc.Close(); err != nil {
		return s, err
	}
	if ppRows == 0 {
		// An empty file, or not a page_props dump: an empty table made from it would
		// replace a good one and filter nothing.
		return s, fmt.Errorf("wdproperties: %s holds no page_props rows (empty, or not a page_props dump): nothing is replaced", o.PageProps)
	}
	s.PagesWithItem, s.Disambiguations, s.SkippedBadRows = len(items), len(disamb), r.Skipped
	p31 := map[string][]string{}
	if o.Wikidata != "" {
		wanted := make(map[string]bool, len(items))
		for _, q := range items {
			wanted[q] = true
		}
		p.Phase("wdproperties: scanning entities (bytes of JSON)", 0, "bytes")
		ec, err := dump.OpenCompressed(ctx, o.Wikidata, o.Threads)
		if err != nil {
			return s, err
		}
		skipped := (*int)(nil)
		if o.SkipBadRows {
			skipped = &s.SkippedBadRows
		}
		t0 := time.Now()
		stats, err := wikidata.ScanEntities(progressReader{ec, p}, o.Wikidata, wanted, skipped, func(id string, qs []string) { p31[id] = qs })
		ec.Close()
		if err != nil {
			return s, err
		}
		if stats.Entities == 0 {
			return s, fmt.Errorf("wdproperties: %s holds no entities (empty, or not a Wikidata JSON dump): nothing is replaced", o.Wikidata)
		}
		s.EntitiesScanned, s.EntitiesDecoded = stats.Entities, stats.Decoded
		s.EntityJSONMB = float64(stats.Bytes) / 1e6
		if el := time.Since(t0).Seconds(); el > 0 {
			s.EntityMBPerSecond = s.EntityJSONMB / el
		}
	} else {
		p.Note("wdproperties: no Wikidata entity dump: only disambiguation pages (Q4167410) are known")
	}
	var rows []datasets.WDProperty
	for page, q := range items {
		seen := map[string]bool{}
		for _, v := range p31[q] {
			if !seen[v] {
				seen[v] = true
				rows = append(rows, datasets.WDProperty{PageID: page, QID: v})
			}
		}
		if disamb[page] && !seen[Disambiguation] {
			rows = append(rows, datasets.WDProperty{PageID: page, QID: Disambiguation})
		}
	}
	for page := range disamb {
		if _, ok := items[page]; !ok {
			rows = append(rows, datasets.WDProperty{PageID: page, QID: Disambiguation})
		}
	}
	sort.Slice(rows, func(i, j int) bool {
		if rows[i].PageID != rows[j].PageID {
			return rows[i].PageID < rows[j].PageID
		}
		return rows[i].QID < rows[j].QID
	})
	s.Rows = len(rows)
	l := datasets.Layout{DataDir: o.DataDir, Wiki: o.Wiki}
	if _, err := datasets.WriteParquet(l.WDProperties(), rows); err != nil {
		return s, err
	}
	s.Seconds = time.Since(start).Seconds()
	return s, datasets.WriteSummary(l, "wdproperties", s)
}

// column returns the value of the named column (or the one at position i when the
// dump has no CREATE TABLE).
func column(r *wikidata.SQLReader, table string, row []wikidata.Value, name string, i int) wikidata.Value {
	if cols := r.Columns(table); cols != nil {
		for j, c := range cols {
			if c == name && j < len(row) {
				return row[j]
			}
		}
	}
	if i < len(row) {
		return row[i]
	}
	return wikidata.Value{Null: true}
}

// progressReader reports the bytes read through it.
type progressReader struct {
	r io.Reader
	p progress.Reporter
}

func (r progressReader) Read(b []byte) (int, error) {
	n, err := r.r.Read(b)
	r.p.Add(int64(n))
	return n, err
}
