// Package follow keeps a pool of link recommendations fresh from Wikimedia's
// recent-changes stream (`addlink follow`): it reads the EventStreams feed (or a
// recording of it), keeps the main-namespace edits of the wikis it has models for,
// fetches each edited page's wikitext at the event's revision, recommends links for
// it and stores the answer in a table with GrowthExperiments' columns, one row per
// page at its latest revision; deletions remove the row.
//
// The same code runs over a recording and over the live feed: a source yields events,
// Step (pure) decides what each asks for, workers fetch and recommend, and a committer
// writes the results in the order of the events, with the stream position in the same
// transaction, so that a process killed at any moment resumes where the pool says
// and the upserts make a replayed event harmless.
package follow

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/addlink/addlink/datasets"
)

// Page is a revision's wikitext as MediaWiki returns it.
type Page struct {
	PageID   int64
	RevID    int64
	Wikitext string
}

// ErrGone is wrapped by a Fetcher's error when the revision or its page no longer
// exists (deleted, hidden): the event is done and nothing is stored. Other errors are
// retried.
var ErrGone = errors.New("follow: the revision no longer exists")

// Fetcher fetches the wikitext of the page an action names, at its revision.
type Fetcher interface {
	Fetch(ctx context.Context, a Action) (Page, error)
}

// Recommender answers for a page as the Link Recommendation service does: data is the
// service's JSON answer (without a trailing newline) and links its number of links.
type Recommender interface {
	Recommend(ctx context.Context, wiki, title string, pageID, revID int64, wikitext string) (data []byte, links int, err error)
}

// Options configures a follower.
type Options struct {
	Wikis       []string // wikis with a model; events of others are skipped
	IncludeBots bool

	// Stream is the live feed; Replay, when set, is a recording read instead
	// (ReplaySpeed 0: as fast as possible, 1: at the recorded pace, 2: twice as fast).
	Stream      StreamOptions
	Replay      string
	ReplaySpeed float64
	// Record, when set, appends every event read to this file in text/event-stream
	// framing (a recording Replay reads).
	Record string

	Pool        PoolOptions
	Fetcher     Fetcher
	Recommender Recommender
	// Settings are the Recommender's (threshold, links, tokens), recorded in the pool
	// for each wiki: a pool holds the answers of one setting, and serve answers from it
	// only requests with the same.
	Settings datasets.PoolSettings
	// KeepText stores each pooled revision's wikitext beside its answer (the wiki's
	// <prefix><wiki>_text table), so that `addlink review import --from-pool` can make
	// review items of the pool's pages without a dump.
	KeepText bool

	// Concurrency is the number of pages fetched and recommended at once (default 4);
	// QueueSize the number of events read ahead of the last one stored (default 256):
	// when it is full the stream is not read (backpressure).
	Concurrency int
	QueueSize   int
	// RatePerWiki bounds MediaWiki fetches per second and wiki (default 10; negative:
	// no limit).
	RatePerWiki float64
	// RetryMin and RetryMax bound the wait between attempts of a failed fetch,
	// recommendation or commit (defaults 1s and 60s); attempts go on until the process
	// stops, and the position never passes an event not done.
	RetryMin, RetryMax time.Duration
	// MaxEvents stops after this many events (0: never; a replay stops at its end).
	MaxEvents int64
	// ShutdownGrace is how long pages in progress may finish after ctx ends (default
	// 10s); what is not done then is redone by the next run.
	ShutdownGrace time.Duration
	// Listen, when set, serves /metrics and the status page there; Ready is called
	// with the address.
	Listen   string
	Ready    func(addr net.Addr)
	Registry *prometheus.Registry
	Logger   *slog.Logger
}

// Validate checks the options and fills in the defaults.
func (o *Options) Validate() error {
	if len(o.Wikis) == 0 {
		return errors.New("follow: no wiki (--wikis)")
	}
	if o.Replay == "" && o.Stream.URL == "" {
		return errors.New("follow: no stream URL and no recording to replay")
	}
	if o.ReplaySpeed < 0 {
		return fmt.Errorf("follow: negative replay speed %g", o.ReplaySpeed)
	}
	if err := o.Pool.Validate(); err != nil {
		return err
	}
	if o.Concurrency <= 0 {
		o.Concurrency = 4
	}
	if o.QueueSize <= 0 {
		o.QueueSize = 256
	}
	if o.RatePerWiki == 0 {
		o.RatePerWiki = 10
	}
	if o.RetryMin <= 0 {
		o.RetryMin = time.Second
	}
	if o.RetryMax < o.RetryMin {
		o.RetryMax = max(60*time.Second, o.RetryMin)
	}
	if o.ShutdownGrace <= 0 {
		o.ShutdownGrace = 10 * time.Second
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Settings.Tokens == "" {
		o.Settings.Tokens = "default"
	}
	if o.Registry == nil {
		o.Registry = prometheus.NewRegistry()
	}
	return nil
}

// Summary is what a run did.
type Summary struct {
	Events    int64            // events read
	Committed int64            // events whose outcome is in the pool
	Outcomes  map[string]int64 // ops by outcome (Stored, Older, Removed, ...)
	Position  string           // the position stored last
}

// item is one event on its way through the pipeline.
type item struct {
	ev       Event
	pos      string
	act      Action
	received time.Time
	done     chan struct{} // closed when op is ready or the work was abandoned
	op       Op
	err      error // the work was abandoned (shutdown)
	fetchD   time.Duration
	recD     time.Duration
}

var closed = func() chan struct{} { c := make(chan struct{}); close(c); return c }()

// Run follows the stream (or replays the recording) into the pool until ctx ends,
// MaxEvents are read or the recording ends; it returns nil after a clean stop.
func Run(ctx context.Context, o Options) (*Summary, error) {
	if err := o.Validate(); err != nil {
		return nil, err
	}
	if o.Fetcher == nil || o.Recommender == nil {
		return nil, errors.New("follow: no MediaWiki client or recommender")
	}
	pool, err := OpenPool(ctx, o.Pool, o.Wikis)
	if err != nil {
		return nil, err
	}
	defer pool.Close()
	for _, w := range o.Wikis {
		if err := datasets.SetPoolSettings(ctx, pool.db, pool.prefix, w, o.Settings); err != nil {
			return nil, fmt.Errorf("follow: %w", err)
		}
	}
	f := &follower{opts: o, pool: pool, log: o.Logger, filter: Filter{Wikis: map[string]bool{}, IncludeBots: o.IncludeBots},
		sum: &Summary{Outcomes: map[string]int64{}}, limits: map[string]*limiter{}}
	for _, w := range o.Wikis {
		f.filter.Wikis[w] = true
		f.limits[w] = newLimiter(o.RatePerWiki)
	}
	f.m = newMetrics(o.Registry, pool, o.Wikis)
	f.stream = o.Stream.URL
	if o.Replay != "" {
		f.stream = "replay"
	}
	pos, count, err := pool.Position(ctx, f.stream)
	if err != nil {
		return nil, fmt.Errorf("follow: pool: %w", err)
	}
	f.sum.Position = pos
	var src source
	if o.Replay != "" {
		src, err = openReplay(o.Replay, pos, o.ReplaySpeed, o.Stream.MaxEventBytes, f.filter)
		if err != nil {
			return nil, fmt.Errorf("follow: replay: %w", err)
		}
	} else {
		so := o.Stream
		so.LastEventID = pos
		if so.Logger == nil {
			so.Logger = o.Logger
		}
		so.OnConnect = func(status int) { f.m.connections.WithLabelValues(fmt.Sprint(status)).Inc() }
		src = liveSource{NewStream(so)}
	}
	defer src.close()
	if o.Record != "" {
		rec, err := os.OpenFile(o.Record, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
		if err != nil {
			return nil, fmt.Errorf("follow: --record: %w", err)
		}
		defer rec.Close()
		f.record = rec
	}
	o.Logger.Info("following", slog.String("stream", f.stream), slog.String("position", pos),
		slog.Int64("events_before", count), slog.Any("wikis", o.Wikis))

	// work ends ShutdownGrace after ctx: pages in progress may finish meanwhile.
	work, cancelWork := context.WithCancel(context.WithoutCancel(ctx))
	defer cancelWork()
	stopGrace := context.AfterFunc(ctx, func() {
		t := time.NewTimer(o.ShutdownGrace)
		defer t.Stop()
		select {
		case <-t.C:
			cancelWork()
		case <-work.Done():
		}
	})
	defer stopGrace()

	var srvErr chan error
	if o.Listen != "" {
		ln, err := net.Listen("tcp", o.Listen)
		if err != nil {
			return nil, err
		}
		srv := &http.Server{Handler: f.handler(), ReadHeaderTimeout: 10 * time.Second}
		srvErr = make(chan error, 1)
		go func() { srvErr <- srv.Serve(ln) }()
		defer func() {
			sctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
			defer cancel()
			srv.Shutdown(sctx)
		}()
		o.Logger.Info("listening", slog.String("addr", ln.Addr().String()))
		if o.Ready != nil {
			o.Ready(ln.Addr())
		}
	}

	ordered := make(chan *item, o.QueueSize)
	queue := make(chan *item, o.QueueSize)
	var wg sync.WaitGroup
	for range o.Concurrency {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for it := range queue {
				it.op, it.err = f.process(work, it)
				close(it.done)
			}
		}()
	}
	readErr := make(chan error, 1)
	go func() {
		readErr <- f.read(ctx, work, src, ordered, queue)
		close(ordered)
		close(queue)
	}()
	commitErr := f.commit(work, ordered)
	cancelWork() // a commit failure abandons the work in progress
	for range ordered {
	}
	wg.Wait()
	rerr := <-readErr
	switch {
	case commitErr != nil:
		return f.sum, commitErr
	case rerr != nil && !errors.Is(rerr, io.EOF) && ctx.Err() == nil:
		return f.sum, rerr
	}
	o.Logger.Info("stopped", slog.Int64("events", f.sum.Events), slog.Int64("committed", f.sum.Committed),
		slog.String("position", f.sum.Position))
	return f.sum, nil
}

type follower struct {
	opts   Options
	pool   *Pool
	log    *slog.Logger
	filter Filter
	stream string
	record *os.File
	limits map[string]*limiter
	m      *metrics

	mu  sync.Mutex // guards sum
	sum *Summary
}

// read feeds events to the committer (all, in order) and to the workers (those that
// need MediaWiki). It stops when ctx ends, at the end of a recording, after MaxEvents,
// or when the stream fails for good.
func (f *follower) read(ctx, work context.Context, src source, ordered, queue chan<- *item) error {
	var n int64
	for f.opts.MaxEvents == 0 || n < f.opts.MaxEvents {
		ev, pos, err := src.next(ctx)
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			return err
		}
		n++
		it := &item{ev: ev, pos: pos, received: time.Now(), done: closed}
		it.act = Step(f.filter, ev)
		f.m.read.Inc()
		if f.record != nil {
			if _, err := f.record.Write(AppendSSE(nil, ev)); err != nil {
				return fmt.Errorf("follow: --record: %w", err)
			}
		}
		switch it.act.Kind {
		case Skip:
			f.m.skipped.WithLabelValues(it.act.Reason).Inc()
			if it.act.Reason == ReasonMalformed || it.act.Reason == ReasonOversize {
				f.log.Warn("event skipped", slog.String("reason", it.act.Reason), slog.String("error", it.act.Err),
					slog.String("id", ev.ID), slog.Int("bytes", len(ev.Data)))
			}
		default:
			f.m.kept.WithLabelValues(it.act.Wiki, it.act.Kind.String()).Inc()
		}
		if it.act.Kind == Refresh {
			it.done = make(chan struct{})
		}
		select {
		case ordered <- it:
		case <-work.Done():
			return nil
		}
		if it.act.Kind == Refresh {
			select {
			case queue <- it:
			case <-work.Done():
				return nil
			}
		}
		f.mu.Lock()
		f.sum.Events++
		f.mu.Unlock()
		f.m.queued.Set(float64(len(ordered)))
	}
	return nil
}

// process fetches and recommends for one Refresh, retrying failures until work ends.
func (f *follower) process(work context.Context, it *item) (Op, error) {
	a := it.act
	op := Op{Action: a}
	var page Page
	err := f.retry(work, "mediawiki", a, func() error {
		if err := f.limits[a.Wiki].wait(work); err != nil {
			return err
		}
		t := time.Now()
		var err error
		page, err = f.opts.Fetcher.Fetch(work, a)
		it.fetchD = time.Since(t)
		return err
	})
	if errors.Is(err, ErrGone) {
		op.Gone = true
		return op, nil
	}
	if err != nil {
		return op, err
	}
	op.PageID = a.PageID
	if op.PageID == 0 {
		op.PageID = page.PageID
	}
	if op.PageID <= 0 {
		op.Gone = true // MediaWiki did not say which page: nothing to key a row on
		return op, nil
	}
	err = f.retry(work, "recommend", a, func() error {
		t := time.Now()
		data, links, err := f.opts.Recommender.Recommend(work, a.Wiki, a.Title, op.PageID, a.Rev, page.Wikitext)
		it.recD = time.Since(t)
		op.Links = links
		op.Data = nil
		if links > 0 {
			op.Data = data
		}
		return err
	})
	if f.opts.KeepText {
		op.Wikitext = &page.Wikitext
	}
	return op, err
}

// retry calls fn until it succeeds, fails with ErrGone, or work ends.
func (f *follower) retry(work context.Context, kind string, a Action, fn func() error) error {
	d := f.opts.RetryMin
	for attempt := 1; ; attempt++ {
		err := fn()
		if err == nil || errors.Is(err, ErrGone) {
			return err
		}
		if work.Err() != nil {
			return work.Err()
		}
		f.m.errors.WithLabelValues(kind).Inc()
		f.log.Warn("retrying", slog.String("kind", kind), slog.String("wiki", a.Wiki), slog.String("title", a.Title),
			slog.Int64("rev", a.Rev), slog.Int("attempt", attempt), slog.Duration("wait", d), slog.String("error", err.Error()))
		t := time.NewTimer(d)
		select {
		case <-work.Done():
			t.Stop()
			return work.Err()
		case <-t.C:
		}
		d = min(2*d, f.opts.RetryMax)
	}
}

// maxBatch bounds the events committed in one transaction.
const maxBatch = 256

// commit writes the events' outcomes to the pool in their order, as many at once as
// are done, each transaction storing the position of its last event. It stops at the
// first event whose work was abandoned.
func (f *follower) commit(work context.Context, ordered <-chan *item) error {
	var batch []*item
	var next *item
	for {
		if next == nil {
			var ok bool
			if len(batch) > 0 {
				select {
				case next, ok = <-ordered:
				default:
					if err := f.store(work, batch); err != nil {
						return err
					}
					batch = batch[:0]
					continue
				}
			} else {
				next, ok = <-ordered
			}
			if !ok {
				if len(batch) > 0 {
					return f.store(work, batch)
				}
				return nil
			}
		}
		select {
		case <-next.done:
		default:
			if len(batch) > 0 {
				if err := f.store(work, batch); err != nil {
					return err
				}
				batch = batch[:0]
			}
			select {
			case <-next.done:
			case <-work.Done():
				return nil
			}
		}
		if next.err != nil {
			return f.store(work, batch) // abandoned: what follows waits for the next run
		}
		batch = append(batch, next)
		next = nil
		if len(batch) >= maxBatch {
			if err := f.store(work, batch); err != nil {
				return err
			}
			batch = batch[:0]
		}
	}
}

// store commits a batch (retrying failures until work ends), then logs and counts it.
func (f *follower) store(work context.Context, batch []*item) error {
	if len(batch) == 0 {
		return nil
	}
	ops := make([]Op, len(batch))
	for i, it := range batch {
		ops[i] = it.op
		ops[i].Action = it.act
	}
	pos := batch[len(batch)-1].pos
	var outs []string
	err := f.retry(work, "pool", Action{}, func() error {
		var err error
		outs, err = f.pool.Commit(work, f.stream, pos, len(batch), ops)
		return err
	})
	if err != nil {
		if work.Err() != nil {
			return nil // shutting down: the next run redoes these events
		}
		return err
	}
	now := time.Now()
	f.mu.Lock()
	f.sum.Committed += int64(len(batch))
	f.sum.Position = pos
	for _, o := range outs {
		f.sum.Outcomes[o]++
	}
	f.mu.Unlock()
	for i, it := range batch {
		a := it.act
		if a.Kind == Skip {
			continue
		}
		f.m.processed.WithLabelValues(a.Wiki, outs[i]).Inc()
		lat := now.Sub(it.received)
		f.m.latency.Observe(lat.Seconds())
		attrs := []slog.Attr{
			slog.String("wiki", a.Wiki), slog.String("title", a.Title), slog.String("action", a.Kind.String()),
			slog.String("outcome", outs[i]), slog.Int64("page_id", it.op.PageID), slog.Int64("rev", a.Rev),
			slog.Float64("latency_ms", ms(lat)),
		}
		if a.Kind == Refresh && !it.op.Gone {
			attrs = append(attrs, slog.Int("links", it.op.Links), slog.Float64("fetch_ms", ms(it.fetchD)),
				slog.Float64("recommend_ms", ms(it.recD)))
		}
		if a.Time > 0 {
			age := now.Sub(time.UnixMilli(a.Time))
			attrs = append(attrs, slog.Float64("event_age_ms", ms(age)))
			f.m.lag.Set(age.Seconds())
		}
		f.log.LogAttrs(context.Background(), slog.LevelInfo, "page", attrs...)
		if outs[i] == Stored {
			f.m.noteStored(a.Wiki, a.Title, it.op.PageID, a.Rev, it.op.Links, a.Time)
		}
	}
	f.m.committed.Add(float64(len(batch)))
	return nil
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

// limiter spaces calls at least 1/rate apart (no burst).
type limiter struct {
	mu    sync.Mutex
	every time.Duration
	next  time.Time
}

func newLimiter(rate float64) *limiter {
	if rate <= 0 {
		return &limiter{}
	}
	return &limiter{every: time.Duration(float64(time.Second) / rate)}
}

func (l *limiter) wait(ctx context.Context) error {
	if l.every == 0 {
		return nil
	}
	l.mu.Lock()
	now := time.Now()
	t := l.next
	if t.Before(now) {
		t = now
	}
	l.next = t.Add(l.every)
	l.mu.Unlock()
	d := time.Until(t)
	if d <= 0 {
		return nil
	}
	tm := time.NewTimer(d)
	defer tm.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-tm.C:
		return nil
	}
}
