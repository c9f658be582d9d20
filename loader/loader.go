// Package loader loads published Link Recommendation datasets into MySQL/MariaDB, as
// the service's load-datasets.py does, into the same tables: lr_<wiki>_<name> for
// anchors, pageids, redirects and w2vfiltered, lr_model (the model's JSON text per wiki)
// and lr_checksum (the sha256 of every loaded file, keyed <wiki>_<dataset>).
//
// What it keeps from the reference: a dataset whose published checksum equals the one in
// lr_checksum is skipped; every file's sha256 is checked before anything is written; a
// wiki's datasets and checksums change together. What it does better: datasets are
// loaded into staging tables and swapped in with one RENAME TABLE, so readers never see
// a half-loaded wiki and are never blocked; downloads stream to a file with the sha256
// computed on the way, time out when stalled, are retried with backoff and resumed with
// Range requests; rows go in with LOAD DATA LOCAL INFILE or multi-row INSERTs; a MySQL
// user lock keeps two loaders apart; a failed wiki leaves the database as it was and
// does not stop the others.
package loader

import (
	"cmp"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/klauspost/compress/gzip"
	"golang.org/x/sync/errgroup"

	"github.com/addlink/addlink/checksum"
	"github.com/addlink/addlink/datasets"
	"github.com/addlink/addlink/internal/mysqlenv"
	"github.com/addlink/addlink/internal/progress"
)

// The reference's default publication addresses.
const (
	DefaultBaseURL       = "https://analytics.wikimedia.org/published/wmf-ml-models/addalink/v2/"
	DefaultLegacyBaseURL = "https://analytics.wikimedia.org/published/datasets/one-off/research-mwaddlink/"
)

// DefaultDatasets are the reference's datasets, in its import order.
var DefaultDatasets = []string{"anchors", "redirects", "pageids", "w2vfiltered", "model"}

// How rows are sent to the server.
const (
	MethodAuto     = "auto"      // LOAD DATA when the server allows local_infile, else INSERT
	MethodLoadData = "load-data" // LOAD DATA LOCAL INFILE, streamed
	MethodInsert   = "insert"    // multi-row INSERTs of BatchBytes
)

// Options configures a load.
type Options struct {
	WikiID   string   // one wiki; "" for every published wiki
	Datasets []string // some of DefaultDatasets
	// Path is the parent directory of the per-wiki directories: downloads go to
	// <Path>/<wiki>/; without Download the files are read from there.
	Path     string
	Download bool
	// BaseURL and LegacyBaseURL are http(s) URLs or directories (publish roots).
	// LegacyBaseURL "" means none.
	BaseURL, LegacyBaseURL string
	DSN                    string // go-sql-driver/mysql data source name (see DSNFromEnv)
	DryRun                 bool
	// Force loads datasets whose checksum equals lr_checksum's too.
	Force bool

	Timeout    time.Duration // an HTTP request that sends nothing for this long fails
	Retries    int           // further attempts of a failed HTTP request
	Backoff    time.Duration // first wait between attempts, doubled each time
	LockWait   time.Duration // how long to wait for another loader's lock
	Method     string        // MethodAuto, MethodLoadData or MethodInsert
	BatchBytes int           // the size of one INSERT with MethodInsert
	Parallel   int           // datasets imported at once, each on its own connection

	// IndexDir, when set, is where each wiki's serving index is built from its tables
	// once they are loaded (mysqlenv.BuildServeIndex): serve's --index-dir, where the
	// mysql backend then maps it instead of reading the tables. An index already made
	// from the same checksums is kept.
	IndexDir string

	Log        *slog.Logger      // messages; nil: discarded
	Progress   progress.Reporter // nil: none
	HTTPClient *http.Client      // nil: one with Timeout

	// explicitDatasets says Datasets was given: the extended datasets are then loaded
	// only when named.
	explicitDatasets bool
}

// DefaultParallel is how many datasets are imported at once unless Options.Parallel
// says: every dataset of a wiki.
const DefaultParallel = 4

// Defaults fills unset fields with their defaults.
func (o *Options) Defaults() {
	if len(o.Datasets) == 0 {
		o.Datasets = slices.Clone(DefaultDatasets)
	} else if !slices.Equal(o.Datasets, DefaultDatasets) {
		o.explicitDatasets = true
	}
	if o.Timeout == 0 {
		o.Timeout = time.Minute
	}
	if o.Backoff == 0 {
		o.Backoff = 2 * time.Second
	}
	if o.Method == "" {
		o.Method = MethodAuto
	}
	if o.BatchBytes == 0 {
		o.BatchBytes = 4 << 20
	}
	if o.Parallel == 0 {
		o.Parallel = DefaultParallel
	}
	if o.Log == nil {
		o.Log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	o.Progress = progress.OrNop(o.Progress)
}

// Validate checks the options.
func (o *Options) Validate() error {
	if o.WikiID != "" {
		if err := datasets.CheckWikiID(o.WikiID); err != nil {
			return err
		}
	}
	for _, d := range o.Datasets {
		if !slices.Contains(DefaultDatasets, d) && !datasets.IsExtendedDataset(d) {
			return fmt.Errorf("unknown dataset %q: want some of %s %s", d, strings.Join(DefaultDatasets, " "), strings.Join(datasets.ExtendedDatasetNames, " "))
		}
	}
	if o.Path == "" {
		return errors.New("no --path: the directory of the per-wiki dataset directories")
	}
	if o.Download && o.BaseURL == "" {
		return errors.New("--download needs a base URL (ANALYTICS_BASE_URL)")
	}
	if o.DSN == "" {
		return errors.New("no database: set DB_DATABASE (and DB_HOST, DB_USER, ...)")
	}
	switch o.Method {
	case "", MethodAuto, MethodLoadData, MethodInsert:
	default:
		return fmt.Errorf("unknown method %q: want auto, load-data or insert", o.Method)
	}
	if o.Retries < 0 || o.Timeout < 0 || o.BatchBytes < 0 || o.Parallel < 0 {
		return errors.New("negative --retries, --timeout, --parallel or batch size")
	}
	return nil
}

// WikiReport is what happened to one wiki.
type WikiReport struct {
	Wiki      string
	Source    string
	Loaded    []string         // datasets loaded (or, in a dry run, that would be)
	UpToDate  []string         // datasets skipped: checksum equal to lr_checksum's
	Rows      map[string]int64 // rows loaded per dataset
	Bytes     int64            // bytes downloaded or read
	Duration  time.Duration
	Err       error
	Checksums map[string]string // the checksums now in lr_checksum for Loaded
	// Index is the serving index built (IndexBuilt) or found up to date in
	// Options.IndexDir, "" when none was asked for or the wiki's model is not served
	// from one; IndexErr is why it could not be built (the tables are loaded).
	Index      string
	IndexBuilt bool
	IndexErr   error
}

// Report is the outcome of a load.
type Report struct {
	DryRun bool
	Wikis  []WikiReport
}

// Failed returns the wikis that failed.
func (r Report) Failed() []WikiReport {
	var out []WikiReport
	for _, w := range r.Wikis {
		if w.Err != nil {
			out = append(out, w)
		}
	}
	return out
}

// Changed reports whether the load changed the database.
func (r Report) Changed() bool {
	for _, w := range r.Wikis {
		if w.Err == nil && len(w.Loaded) > 0 && !r.DryRun {
			return true
		}
	}
	return false
}

type wikiSource struct {
	wiki string
	src  source
	// extended: the source is an extended tree (extendedSource).
	extended bool
}

// Run loads the datasets. Errors that stop everything (no database, the lock held by
// another loader, an unreadable wikis.txt) are returned; a failed wiki is recorded in
// its WikiReport and the next wiki is loaded. Cancelling ctx stops the load at the next
// read or statement; the wiki in progress is left as it was.
func Run(ctx context.Context, o Options) (Report, error) {
	o.Defaults()
	rep := Report{DryRun: o.DryRun}
	if err := o.Validate(); err != nil {
		return rep, err
	}
	wikis, err := resolveWikis(ctx, &o)
	if err != nil {
		return rep, err
	}
	db, err := openDB(o.DSN, o.Log)
	if err != nil {
		return rep, err
	}
	defer db.Close()
	s, err := connect(ctx, db, &o, !o.DryRun)
	if err != nil {
		return rep, err
	}
	defer func() { s.close() }()
	if !o.DryRun {
		for _, t := range []string{"lr_checksum", "lr_model"} {
			if err := s.createTable(ctx, t); err != nil {
				return rep, err
			}
		}
		left, err := s.leftovers(ctx)
		if err != nil {
			return rep, err
		}
		if len(left) > 0 {
			o.Log.Warn("dropping tables an interrupted load left", "tables", strings.Join(left, " "))
			if err := dropTables(ctx, s.conn, left); err != nil {
				return rep, err
			}
		}
	}
	o.Log.Info("loading", "wikis", len(wikis), "datasets", strings.Join(o.Datasets, " "), "dry_run", o.DryRun)
	for _, w := range wikis {
		if ctx.Err() != nil {
			return rep, ctx.Err()
		}
		if !s.alive(ctx) { // killed under us: a new connection, and the lock again
			s.conn.Close()
			if s, err = connect(ctx, db, &o, !o.DryRun); err != nil {
				return rep, err
			}
		}
		start := time.Now()
		wr := loadWiki(ctx, s, &o, w)
		wr.Duration = time.Since(start)
		if wr.Err != nil {
			o.Log.Error("wiki failed; the database keeps its previous datasets", "wiki", w.wiki, "error", wr.Err.Error())
		} else if len(wr.Loaded) == 0 {
			o.Log.Info("all datasets are up to date", "wiki", w.wiki)
		}
		if wr.Err == nil && !o.DryRun && o.IndexDir != "" {
			buildIndex(ctx, db, &o, &wr)
		}
		rep.Wikis = append(rep.Wikis, wr)
	}
	return rep, ctx.Err()
}

// buildIndex builds the serving index of a loaded wiki from its tables, streamed, into
// Options.IndexDir, and records it in wr.
func buildIndex(ctx context.Context, db *sql.DB, o *Options, wr *WikiReport) {
	start := time.Now()
	path, built, err := mysqlenv.BuildServeIndex(ctx, db, o.IndexDir, wr.Wiki)
	switch {
	case errors.Is(err, mysqlenv.ErrNotIndexed):
		o.Log.Info("no serving index: the wiki is served from memory", "wiki", wr.Wiki, "reason", err.Error())
	case err != nil:
		wr.IndexErr = err
		o.Log.Error("serving index not built; serve builds it on the first request", "wiki", wr.Wiki, "error", err.Error())
	case built:
		wr.Index, wr.IndexBuilt = path, true
		o.Log.Info("built the serving index", "wiki", wr.Wiki, "path", path, "seconds", fmt.Sprintf("%.1f", time.Since(start).Seconds()))
	default:
		wr.Index = path
		o.Log.Info("the serving index is up to date", "wiki", wr.Wiki, "path", path)
	}
}

// resolveWikis returns the wikis to load and where each comes from: a wiki published
// under an extended tree (extendedSource) comes from there.
func resolveWikis(ctx context.Context, o *Options) ([]wikiSource, error) {
	ws, err := resolveReferenceWikis(ctx, o)
	if err != nil {
		return nil, err
	}
	index := map[string]int{}
	for i, w := range ws {
		index[w.wiki] = i
	}
	add := func(w string, src source) {
		if o.WikiID != "" && w != o.WikiID {
			return
		}
		if i, ok := index[w]; ok {
			ws[i] = wikiSource{w, src, true}
			return
		}
		index[w] = len(ws)
		ws = append(ws, wikiSource{w, src, true})
	}
	if !o.Download {
		ext, err := extendedDirWikis(o.Path)
		if err != nil {
			return nil, err
		}
		for _, w := range ext {
			add(w, dirSource(filepath.Join(o.Path, datasets.ExtendedRootName)))
		}
		return ws, nil
	}
	for _, u := range []string{o.LegacyBaseURL, o.BaseURL} {
		if u == "" {
			continue
		}
		src := extendedSource(u, o)
		ext, err := listExtendedWikis(ctx, src)
		if err != nil {
			return nil, err
		}
		for _, w := range ext {
			if err := datasets.CheckWikiID(w); err != nil {
				o.Log.Warn("skipping a wikis.txt line", "source", src.String(), "error", err.Error())
				continue
			}
			add(w, src)
		}
	}
	return ws, nil
}

// resolveReferenceWikis returns the wikis of the base URLs (or --path) themselves.
func resolveReferenceWikis(ctx context.Context, o *Options) ([]wikiSource, error) {
	base := func(u string) source {
		if o.Download {
			return newSource(u, o.Path, o)
		}
		return dirSource(o.Path)
	}
	if o.WikiID != "" {
		if o.Download {
			return []wikiSource{{o.WikiID, base(o.BaseURL), false}}, nil
		}
		return []wikiSource{{o.WikiID, dirSource(o.Path), false}}, nil
	}
	if !o.Download {
		ws, err := listDirWikis(o.Path)
		if err != nil {
			return nil, err
		}
		var out []wikiSource
		for _, w := range ws {
			out = append(out, wikiSource{w, dirSource(o.Path), false})
		}
		return out, nil
	}
	// The union of both lists; a wiki in both comes from the v2 base.
	var out []wikiSource
	index := map[string]int{}
	for _, u := range []string{o.LegacyBaseURL, o.BaseURL} {
		if u == "" {
			continue
		}
		src := base(u)
		ws, err := listWikis(ctx, src)
		if err != nil {
			return nil, err
		}
		for _, w := range ws {
			if err := datasets.CheckWikiID(w); err != nil {
				o.Log.Warn("skipping a wikis.txt line", "source", src.String(), "error", err.Error())
				continue
			}
			if i, ok := index[w]; ok {
				out[i].src = src
				continue
			}
			index[w] = len(out)
			out = append(out, wikiSource{w, src, false})
		}
	}
	return out, nil
}

// fetched is a dataset file ready to import.
type fetched struct {
	dataset string
	file    *os.File
	sum     string
}

// loadWiki loads the changed datasets of one wiki. On any error before the swap the
// database is as it was.
func loadWiki(ctx context.Context, s *session, o *Options, w wikiSource) (wr WikiReport) {
	wr = WikiReport{Wiki: w.wiki, Source: joinURL(w.src.String(), w.wiki), Rows: map[string]int64{}, Checksums: map[string]string{}}
	log := o.Log.With("wiki", w.wiki)
	names := wikiDatasets(o, w)
	stored, err := s.storedChecksums(ctx, w.wiki, names)
	if err != nil {
		wr.Err = err
		return wr
	}
	// 1. Which datasets changed: the published checksum against lr_checksum's.
	want := map[string]string{}
	for _, d := range names {
		rel := w.wiki + "/" + datasets.PublishedName(w.wiki, d) + ".checksum"
		text, err := w.src.text(ctx, rel)
		if err != nil {
			wr.Err = fmt.Errorf("checksum of %s: %w", d, err)
			return wr
		}
		sum, err := checksum.ParseDigest(joinURL(w.src.String(), rel), text)
		if err != nil {
			wr.Err = err
			return wr
		}
		if stored[d] == sum && !o.Force {
			log.Info("up to date", "dataset", d, "checksum", sum)
			wr.UpToDate = append(wr.UpToDate, d)
			continue
		}
		if stored[d] == sum {
			log.Info("unchanged, loading again (--force)", "dataset", d, "checksum", sum)
		} else {
			log.Info("changed", "dataset", d, "published", sum, "loaded", stored[d])
		}
		want[d] = sum
		wr.Loaded = append(wr.Loaded, d)
	}
	if len(wr.Loaded) == 0 || o.DryRun {
		return wr
	}
	// 2. Every file fetched and verified before anything is written.
	var files []fetched
	defer func() {
		for _, f := range files {
			f.file.Close()
		}
	}()
	for _, d := range wr.Loaded {
		rel := w.wiki + "/" + datasets.PublishedName(w.wiki, d)
		f, sum, err := w.src.fetch(ctx, rel, o.Progress)
		if err != nil {
			wr.Err = fmt.Errorf("fetching %s: %w", d, err)
			return wr
		}
		files = append(files, fetched{d, f, sum})
		if st, err := f.Stat(); err == nil {
			wr.Bytes += st.Size()
		}
		if sum != want[d] {
			wr.Err = fmt.Errorf("%w: %s has sha256 %s, its .checksum says %s", ErrChecksum, f.Name(), sum, want[d])
			return wr
		}
		if !w.src.local() { // keep the checksum next to the download, as the reference does
			if err := checksum.WriteSidecar(f.Name(), sum); err != nil {
				wr.Err = err
				return wr
			}
		}
		if d == "model" && w.extended {
			// A model with extended features comes with the datasets they read.
			err := checkModelDatasets(f, names)
			if err == nil {
				_, err = f.Seek(0, io.SeekStart)
			}
			if err != nil {
				wr.Err = err
				return wr
			}
		}
		log.Info("verified", "dataset", d, "file", f.Name(), "sha256", sum)
	}
	// 3. Staging tables, dropped unless swapped in.
	var staged, olds []string
	defer func() {
		if len(staged)+len(olds) == 0 {
			return
		}
		// The session may be dead (killed) or ctx cancelled: use a fresh connection.
		cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
		defer cancel()
		if err := dropTables(cctx, s.db, append(staged, olds...)); err != nil {
			log.Warn("could not drop staging tables; the next load drops them", "error", err.Error())
		}
	}()
	var model []byte
	var imports []fetched
	for _, f := range files {
		if f.dataset != "model" {
			imports = append(imports, f)
			staged = append(staged, datasets.SQLTable(w.wiki, f.dataset)+newSuffix)
		} else if model, err = io.ReadAll(f.file); err != nil {
			wr.Err = err
			return wr
		}
	}
	if err := dropTables(ctx, s.conn, staged); err != nil {
		wr.Err = err
		return wr
	}
	// Datasets are imported side by side, each on its own connection (one LOAD DATA
	// per table: InnoDB's AUTO-INC lock serializes two into one table), the largest
	// files first so that the longest imports start at once.
	o.Progress.Phase("import "+w.wiki, 0, "rows")
	rows := make([]int64, len(imports))
	size := make([]int64, len(imports))
	order := make([]int, len(imports))
	for i, f := range imports {
		order[i] = i
		if st, err := f.file.Stat(); err == nil {
			size[i] = st.Size()
		}
	}
	slices.SortStableFunc(order, func(a, b int) int { return cmp.Compare(size[b], size[a]) })
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(o.Parallel)
	for _, i := range order {
		f := imports[i]
		g.Go(func() error {
			ws, err := s.fork(gctx)
			if err != nil {
				return err
			}
			defer ws.conn.Close()
			table := datasets.SQLTable(w.wiki, f.dataset)
			if err := ws.createStaging(gctx, staged[i]); err != nil {
				return err
			}
			n, err := ws.importDump(gctx, f.file, table, staged[i], o, o.Progress)
			if err != nil {
				return fmt.Errorf("%s: %w", f.file.Name(), err)
			}
			if err := ws.addIndex(gctx, staged[i]); err != nil {
				return fmt.Errorf("indexing %s: %w", staged[i], err)
			}
			rows[i] = n
			log.Info("imported", "dataset", f.dataset, "rows", n)
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		wr.Err = err
		return wr
	}
	for i, f := range imports {
		wr.Rows[f.dataset] = rows[i]
	}
	// 4. The swap: every staged table takes its place in one RENAME TABLE; then the
	// model and the checksums in one transaction.
	if len(staged) > 0 {
		var pairs []string
		for _, st := range staged {
			table := strings.TrimSuffix(st, newSuffix)
			if err := s.createTable(ctx, table); err != nil {
				wr.Err = err
				return wr
			}
			olds = append(olds, table+oldSuffix)
			pairs = append(pairs, quoteID(table)+" TO "+quoteID(table+oldSuffix), quoteID(st)+" TO "+quoteID(table))
		}
		if err := dropTables(ctx, s.conn, olds); err != nil {
			wr.Err = err
			return wr
		}
		if _, err := s.conn.ExecContext(ctx, "RENAME TABLE "+strings.Join(pairs, ", ")); err != nil {
			wr.Err = fmt.Errorf("swapping in the new tables: %w", err)
			return wr
		}
		staged = nil
	}
	if err := s.commitChecksums(ctx, w.wiki, want, model); err != nil {
		// The new tables are in but lr_checksum is not: the next load sees the old
		// checksums and loads these datasets again.
		wr.Err = fmt.Errorf("recording the checksums (the tables are new, the next load redoes them): %w", err)
		return wr
	}
	for d, sum := range want {
		wr.Checksums[d] = sum
	}
	return wr
}

// ErrChecksum is a downloaded or local file whose sha256 differs from its .checksum.
var ErrChecksum = errors.New("loader: checksum mismatch")

// commitChecksums writes the model (when given) and the checksums of wiki in one
// transaction, as the reference does (delete, then insert).
func (s *session) commitChecksums(ctx context.Context, wiki string, sums map[string]string, model []byte) error {
	tx, err := s.conn.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	exec := func(q string, args ...any) {
		if err == nil {
			_, err = tx.ExecContext(ctx, q, args...)
		}
	}
	if _, ok := sums["model"]; ok {
		exec("DELETE FROM lr_model WHERE lookup = ?", wiki)
		exec("INSERT INTO lr_model (lookup, value) VALUES (?, ?)", wiki, model)
	}
	for _, d := range slices.Sorted(maps.Keys(sums)) {
		exec("DELETE FROM lr_checksum WHERE lookup = ?", wiki+"_"+d)
		exec("INSERT INTO lr_checksum (lookup, value) VALUES (?, ?)", wiki+"_"+d, []byte(sums[d]))
	}
	if err != nil {
		return err
	}
	return tx.Commit()
}

func newGzipReader(r io.Reader) (*gzip.Reader, error) {
	zr, err := gzip.NewReader(r)
	if err != nil {
		return nil, fmt.Errorf("not a gzip file: %w", err)
	}
	return zr, nil
}
