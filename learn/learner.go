package learn

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"hash/fnv"
	"log/slog"
	"math"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"time"
)

// Options configures the learner (`addlink learn`).
type Options struct {
	LogDir   string // the collector's directory (events.log)
	StateDir string // learn.sqlite: checkpoint, alerts, posteriors (default store)
	Store    string // where the service reads the posteriors: "" (sqlite) or redis://...

	Window      time.Duration // tumbling window of the acceptance rate (default 1h)
	Attribution time.Duration // how long after a request's first event its decisions count (default 24h)
	Arms        []float64     // thresholds (default 0.5 .. 0.9)
	Discount    float64       // in (0, 1]: weight kept by old rewards at each new one (default 1: none)
	Reward      RewardParams
	LearnRate   float64 // calibration SGD step (default 0.05)

	HST        HSTParams
	AlertScore float64 // a window scoring at least this raises an alert (default 0.95)
	Webhook    string  // Slack-compatible incoming webhook URL; "" keeps alerts in the database only
	Retries    int     // delivery attempts per alert and run (default 5)
	Backoff    time.Duration

	CheckpointEvery int    // events between checkpoints (default 1000)
	Seed            uint64 // seeds the detectors' trees
	Follow          bool   // keep reading the log as it grows until ctx ends
	Poll            time.Duration
	Logger          *slog.Logger
}

// Validate checks the options and fills in defaults.
func (o *Options) Validate() error {
	if o.LogDir == "" {
		return errors.New("learn: no event log directory")
	}
	if o.StateDir == "" {
		return errors.New("learn: no state directory")
	}
	if o.Window <= 0 {
		o.Window = time.Hour
	}
	if o.Attribution <= 0 {
		o.Attribution = 24 * time.Hour
	}
	if len(o.Arms) == 0 {
		o.Arms = DefaultArms
	}
	for i, a := range o.Arms {
		if a < 0 || a > 1 {
			return fmt.Errorf("learn: arm %g is not a threshold in [0, 1]", a)
		}
		if i > 0 && a <= o.Arms[i-1] {
			return fmt.Errorf("learn: arms must be given in increasing order (%g after %g)", a, o.Arms[i-1])
		}
	}
	if o.Discount == 0 {
		o.Discount = 1
	}
	if o.Discount < 0 || o.Discount > 1 {
		return fmt.Errorf("learn: discount %g is not in (0, 1]", o.Discount)
	}
	o.Reward.defaults()
	if o.LearnRate <= 0 {
		o.LearnRate = 0.05
	}
	o.HST.defaults()
	if o.AlertScore <= 0 {
		o.AlertScore = 0.95
	}
	if o.Retries <= 0 {
		o.Retries = 5
	}
	if o.Backoff <= 0 {
		o.Backoff = time.Second
	}
	if o.CheckpointEvery <= 0 {
		o.CheckpointEvery = 1000
	}
	if o.Poll <= 0 {
		o.Poll = time.Second
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	return nil
}

// State is everything the learner knows, checkpointed with the log position it has
// read up to. Its JSON form is deterministic (maps marshal with sorted keys).
type State struct {
	// Model is the bandit model the arms' evidence was gathered for (BanditModel).
	Model  int                   `json:"model"`
	Offset int64                 `json:"offset"`
	Events int64                 `json:"events"`
	Wikis  map[string]*WikiState `json:"wikis"`
	Outbox []Alert               `json:"outbox,omitempty"` // alerts raised since the last checkpoint
}

// BanditModel numbers the bandit model of the State: 2 keeps the evidence per score
// bin (Observe); checkpoints of model 1 (evidence per arm, no model field) are not
// converted: the learner reads the event log again from its start.
const BanditModel = 2

// WikiState is one wiki's part of the State.
type WikiState struct {
	Calibration Calibration `json:"calibration"`
	Prequential Prequential `json:"prequential"`

	WindowStart int64   `json:"window_start"` // unix seconds; 0: no window open
	Current     Counts  `json:"current"`
	Windows     int64   `json:"windows"` // windows closed
	LastScore   float64 `json:"last_score"`
	HST         *HST    `json:"hst,omitempty"`

	Arms       []Arm               `json:"arms"`
	Requests   map[string]*Request `json:"requests,omitempty"` // by revision, awaiting attribution
	Closed     map[string]int64    `json:"closed,omitempty"`   // revisions attributed -> first event time, kept for another attribution window
	MaxTime    int64               `json:"max_time"`           // latest event time seen, unix nanoseconds
	NextExpiry int64               `json:"next_expiry"`
	Late       int64               `json:"late"` // decisions arriving after their request was attributed
}

// Counts are a window's events.
type Counts struct {
	Impressions int64 `json:"impressions"`
	Accepts     int64 `json:"accepts"`
	Rejects     int64 `json:"rejects"`
	Skips       int64 `json:"skips"`
}

// Request is one revision's suggestions awaiting attribution.
type Request struct {
	First  int64              `json:"first"`            // unix nanoseconds of its first event
	Arm    int                `json:"arm"`              // -1: served with no bandit arm
	Scores map[string]float64 `json:"scores,omitempty"` // target -> score, from impressions
	Done   map[string]bool    `json:"done,omitempty"`   // targets decided
	// Decisions are the decisions in the order they came, each with its suggestion's
	// score (the event's, else its impression's, else the arm's threshold).
	Decisions []Decision `json:"decisions,omitempty"`
}

// Calibration is an online logistic model of P(accept | score) on the score's logit,
// p = sigmoid(A*logit(score) + B), starting at the identity (A=1, B=0).
type Calibration struct {
	A float64 `json:"a"`
	B float64 `json:"b"`
	N int64   `json:"n"`
}

// Predict returns the calibrated probability of an accept at score.
func (c *Calibration) Predict(score float64) float64 {
	return sigmoid(c.A*logit(score) + c.B)
}

// Learn takes one SGD step of the log loss on (score, accepted).
func (c *Calibration) Learn(score float64, accepted bool, rate float64) {
	x := logit(score)
	g := c.Predict(score)
	if accepted {
		g--
	}
	c.A -= rate * g * x
	c.B -= rate * g
	c.N++
}

func logit(p float64) float64 {
	p = math.Min(1-1e-6, math.Max(1e-6, p))
	return math.Log(p / (1 - p))
}

func sigmoid(x float64) float64 { return 1 / (1 + math.Exp(-x)) }

// Prequential sums each decision's loss, scored before it is learned, for the
// calibrated probability and for the raw score taken as a probability.
type Prequential struct {
	N          int64   `json:"n"`
	LogLoss    float64 `json:"log_loss_sum"`
	Brier      float64 `json:"brier_sum"`
	RawLogLoss float64 `json:"raw_log_loss_sum"`
	RawBrier   float64 `json:"raw_brier_sum"`
}

func (p *Prequential) add(prob, raw float64, y bool) {
	yy := 0.0
	if y {
		yy = 1
	}
	ll := func(q float64) float64 {
		q = math.Min(1-1e-15, math.Max(1e-15, q))
		return -(yy*math.Log(q) + (1-yy)*math.Log(1-q))
	}
	p.N++
	p.LogLoss += ll(prob)
	p.Brier += (prob - yy) * (prob - yy)
	p.RawLogLoss += ll(raw)
	p.RawBrier += (raw - yy) * (raw - yy)
}

// Alert is an anomalous window.
type Alert struct {
	ID          string  `json:"id"` // <wiki>/<window start>: the same window never alerts twice
	Wiki        string  `json:"wiki"`
	WindowStart string  `json:"window_start"`
	Score       float64 `json:"score"`
	Acceptance  float64 `json:"acceptance"`
	Decisions   int64   `json:"decisions"`
}

// SlackJSON returns the alert as a Slack incoming-webhook message.
func (a Alert) SlackJSON() []byte {
	b, _ := json.Marshal(map[string]string{"text": fmt.Sprintf(
		"addlink: %s: acceptance %.1f%% over %d decisions in the window from %s is anomalous (Half-Space-Trees score %.3f) [alert %s]",
		a.Wiki, 100*a.Acceptance, a.Decisions, a.WindowStart, a.Score, a.ID)})
	return b
}

// Step applies one event to the state: the pure core of the learner, called the same
// way live and on replay. Time comes from the event.
func Step(o *Options, st *State, e *Event, next int64) {
	st.Offset = next
	st.Events++
	if st.Wikis == nil {
		st.Wikis = map[string]*WikiState{}
	}
	w := st.Wikis[e.Wiki]
	if w == nil {
		w = &WikiState{Calibration: Calibration{A: 1}, Arms: NewArms(o.Arms)}
		st.Wikis[e.Wiki] = w
	}
	t := e.Time()
	ts := t.UnixNano()
	if ts > w.MaxTime {
		w.MaxTime = ts
	}
	// Tumbling windows, by event time; a late event counts in the open window.
	ws := t.Truncate(o.Window).Unix()
	if w.WindowStart == 0 {
		w.WindowStart = ws
	} else if ws > w.WindowStart {
		closeWindow(o, st, e.Wiki, w)
		w.WindowStart, w.Current = ws, Counts{}
	}
	switch e.Type {
	case Impression:
		w.Current.Impressions++
	case Accept:
		w.Current.Accepts++
	case Reject:
		w.Current.Rejects++
	case Skip:
		w.Current.Skips++
	}
	// Requests: the suggestions of one revision, attributed after the window.
	key := strconv.FormatInt(e.Revision, 10)
	req := w.Requests[key]
	if req == nil {
		if _, closed := w.Closed[key]; closed {
			w.Late++ // its reward is given: a late decision changes nothing
			return
		}
		arm := -1
		if e.Threshold != nil {
			arm = ArmIndex(w.Arms, *e.Threshold)
		}
		req = &Request{First: ts, Arm: arm}
		if w.Requests == nil {
			w.Requests = map[string]*Request{}
		}
		w.Requests[key] = req
		if exp := ts + int64(o.Attribution); w.NextExpiry == 0 || exp < w.NextExpiry {
			w.NextExpiry = exp
		}
	}
	score, hasScore := 0.0, false
	if e.Score != nil {
		score, hasScore = *e.Score, true
	} else if s, ok := req.Scores[e.Target]; ok {
		score, hasScore = s, true
	}
	switch e.Type {
	case Impression:
		if req.Scores == nil {
			req.Scores = map[string]float64{}
		}
		req.Scores[e.Target] = score
	case Accept, Reject:
		if req.Done[e.Target] {
			break // a second decision on the same suggestion counts once
		}
		if req.Done == nil {
			req.Done = map[string]bool{}
		}
		req.Done[e.Target] = true
		y := e.Type == Accept
		d := Decision{Score: score, Accepted: y}
		if !hasScore && req.Arm >= 0 {
			d.Score = w.Arms[req.Arm].Threshold
		}
		req.Decisions = append(req.Decisions, d)
		if hasScore {
			w.Prequential.add(w.Calibration.Predict(score), score, y)
			w.Calibration.Learn(score, y, o.LearnRate)
		}
	}
	if w.NextExpiry != 0 && w.MaxTime >= w.NextExpiry {
		w.attribute(o)
	}
}

// attribute closes the requests whose attribution window has passed, oldest first,
// and rewards their arms.
func (w *WikiState) attribute(o *Options) {
	type due struct {
		key   string
		first int64
	}
	var dues []due
	next := int64(0)
	for k, r := range w.Requests {
		if exp := r.First + int64(o.Attribution); exp <= w.MaxTime {
			dues = append(dues, due{k, r.First})
		} else if next == 0 || exp < next {
			next = exp
		}
	}
	for i := 1; i < len(dues); i++ {
		for j := i; j > 0 && (dues[j].first < dues[j-1].first || dues[j].first == dues[j-1].first && dues[j].key < dues[j-1].key); j-- {
			dues[j], dues[j-1] = dues[j-1], dues[j]
		}
	}
	for k, first := range w.Closed {
		if first+2*int64(o.Attribution) <= w.MaxTime {
			delete(w.Closed, k)
		}
	}
	if w.Closed == nil && len(dues) > 0 {
		w.Closed = map[string]int64{}
	}
	for _, d := range dues {
		r := w.Requests[d.key]
		delete(w.Requests, d.key)
		w.Closed[d.key] = d.first
		if r.Arm >= 0 {
			shown := make([]float64, 0, len(r.Scores))
			for _, t := range sortedKeys(r.Scores) {
				shown = append(shown, r.Scores[t])
			}
			Observe(w.Arms, r.Arm, Outcome{Shown: shown, Decided: r.Decisions}, o.Discount)
		}
	}
	w.NextExpiry = next
}

// closeWindow scores the closed window with the wiki's detector before learning it,
// and raises an alert when the score reaches AlertScore. Windows without a decision
// carry no acceptance rate and are skipped.
func closeWindow(o *Options, st *State, wiki string, w *WikiState) {
	c := w.Current
	dec := c.Accepts + c.Rejects
	if dec == 0 {
		return
	}
	rate := float64(c.Accepts) / float64(dec)
	x := []float64{rate}
	if w.HST == nil {
		h := fnv.New64a()
		h.Write([]byte(wiki))
		w.HST = NewHST(o.HST, len(x), o.Seed^h.Sum64())
	}
	score := w.HST.Score(x)
	w.HST.Learn(x)
	w.Windows++
	w.LastScore = score
	if w.HST.Windows > 0 && score >= o.AlertScore {
		start := time.Unix(w.WindowStart, 0).UTC().Format(time.RFC3339)
		st.Outbox = append(st.Outbox, Alert{ID: wiki + "/" + start, Wiki: wiki, WindowStart: start,
			Score: score, Acceptance: rate, Decisions: dec})
	}
}

// Learner consumes the event log into its State, checkpointing to SQLite.
type Learner struct {
	o     Options
	db    *sql.DB
	store Store // nil: the posteriors go into db in the checkpoint's transaction
	st    State
	dirty map[string]bool // wikis whose posteriors the external store has not got yet
	http  *http.Client
	// storeDown: the external store failed at this many checkpoints in a row; the
	// next ones skip it but for every 20th and the last, so that a store down does
	// not slow the reading down.
	storeDown int
	snapshot  snapshotPtr // for Metrics
}

// Open opens the state directory and loads the last checkpoint.
func Open(o Options) (*Learner, error) {
	if err := o.Validate(); err != nil {
		return nil, err
	}
	if err := os.MkdirAll(o.StateDir, 0o755); err != nil {
		return nil, err
	}
	db, err := openStateDB(filepath.Join(o.StateDir, StateName))
	if err != nil {
		return nil, err
	}
	l := &Learner{o: o, db: db, dirty: map[string]bool{}, http: &http.Client{Timeout: 10 * time.Second}}
	if o.Store != "" && o.Store != "sqlite" {
		if l.store, err = OpenStore(o.Store, o.StateDir); err != nil {
			db.Close()
			return nil, err
		}
	}
	var blob []byte
	err = db.QueryRow(`SELECT state FROM checkpoint WHERE id = 1`).Scan(&blob)
	switch {
	case errors.Is(err, sql.ErrNoRows):
	case err != nil:
		l.Close()
		return nil, err
	default:
		if err := json.Unmarshal(blob, &l.st); err != nil {
			l.Close()
			return nil, fmt.Errorf("learn: checkpoint: %w", err)
		}
		if l.st.Model != BanditModel {
			l.o.Logger.Warn("the checkpoint's bandit evidence is of an older model: reading the event log again from its start",
				slog.Int("checkpoint_model", l.st.Model), slog.Int("model", BanditModel), slog.Int64("offset", l.st.Offset))
			l.st = State{}
		}
	}
	l.st.Model = BanditModel
	for w := range l.st.Wikis {
		l.dirty[w] = true // the external store may have missed the last publication
	}
	return l, nil
}

// State returns the learner's state (not a copy: read it only between calls).
func (l *Learner) State() *State { return &l.st }

// Close closes the databases.
func (l *Learner) Close() error {
	err := l.db.Close()
	if l.store != nil {
		if serr := l.store.Close(); err == nil {
			err = serr
		}
	}
	return err
}

// Run reads the log from the checkpointed position to its end (and on, with Follow,
// until ctx ends), checkpointing every CheckpointEvery events and at the end, then
// delivers the alerts not yet delivered. It returns ctx's error only when ctx ended
// before the log's end was reached without Follow.
func (l *Learner) Run(ctx context.Context) error {
	path := filepath.Join(l.o.LogDir, LogName)
	for {
		n := 0
		errStop := errors.New("stop")
		_, err := ReadLog(path, l.st.Offset, func(e *Event, next int64) error {
			Step(&l.o, &l.st, e, next)
			l.dirty[e.Wiki] = true
			n++
			if n%l.o.CheckpointEvery == 0 {
				if err := l.Checkpoint(ctx); err != nil {
					return err
				}
				if ctx.Err() != nil {
					return errStop
				}
			}
			return nil
		})
		if err != nil && !errors.Is(err, errStop) {
			return err
		}
		if n > 0 || l.snapshot.Load() == nil {
			if err := l.Checkpoint(ctx); err != nil {
				return err
			}
		}
		if l.store != nil && len(l.dirty) > 0 {
			l.publish(context.WithoutCancel(ctx), true)
		}
		l.Deliver(ctx)
		if !l.o.Follow {
			return ctx.Err()
		}
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(l.o.Poll):
		}
	}
}

// Checkpoint writes the position, the state, the new alerts and (with the SQLite
// store) the posteriors in one transaction, then publishes the posteriors to an
// external store: a crash replays at most the events after the last checkpoint, and
// the replay recomputes the same state.
func (l *Learner) Checkpoint(ctx context.Context) error {
	outbox := l.st.Outbox
	l.st.Outbox = nil
	blob, err := json.Marshal(&l.st)
	if err != nil {
		return err
	}
	// The checkpoint is written even when ctx has ended: it is what an interrupted run keeps.
	ctx = context.WithoutCancel(ctx)
	tx, err := l.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	err = func() error {
		if _, err := tx.Exec(`INSERT INTO checkpoint (id, offset, state) VALUES (1, ?, ?)
			ON CONFLICT (id) DO UPDATE SET offset = excluded.offset, state = excluded.state`, l.st.Offset, blob); err != nil {
			return err
		}
		for _, a := range outbox {
			p, _ := json.Marshal(a)
			if _, err := tx.Exec(`INSERT OR IGNORE INTO alerts (id, wiki, payload) VALUES (?, ?, ?)`, a.ID, a.Wiki, string(p)); err != nil {
				return err
			}
		}
		if l.store == nil {
			for _, w := range sortedKeys(l.dirty) {
				if err := putArmsTx(ctx, tx, w, l.st.Wikis[w].Arms); err != nil {
					return err
				}
			}
		}
		return nil
	}()
	if err != nil {
		tx.Rollback()
		l.st.Outbox = outbox
		return fmt.Errorf("learn: checkpoint: %w", err)
	}
	if err := tx.Commit(); err != nil {
		l.st.Outbox = outbox
		return fmt.Errorf("learn: checkpoint: %w", err)
	}
	l.snapshot.Store(&snapshot{events: l.st.Events, offset: l.st.Offset, reports: l.st.Reports()})
	if l.store == nil {
		clear(l.dirty)
		return nil
	}
	return l.publish(ctx, false)
}

// publish puts the posteriors of the wikis that changed into the external store. A
// store that is down is retried at every 20th checkpoint and at the end of a run
// (final); meanwhile the service answers with its default threshold.
func (l *Learner) publish(ctx context.Context, final bool) error {
	if l.storeDown > 0 && !final && l.storeDown%20 != 0 {
		l.storeDown++
		return nil
	}
	for _, w := range sortedKeys(l.dirty) {
		if err := l.store.Put(ctx, w, l.st.Wikis[w].Arms); err != nil {
			l.storeDown++
			l.o.Logger.Warn("posteriors not published", slog.String("wiki", w), slog.Any("error", err))
			return nil
		}
		delete(l.dirty, w)
	}
	l.storeDown = 0
	return nil
}

// Deliver posts the undelivered alerts to the webhook, oldest first, each retried with
// doubling backoff; an alert is marked delivered once the webhook answered 2xx. It
// stops at the first alert that cannot be delivered (the next run retries it) and
// returns how many were delivered.
func (l *Learner) Deliver(ctx context.Context) int {
	if l.o.Webhook == "" {
		return 0
	}
	rows, err := l.db.QueryContext(ctx, `SELECT id, payload FROM alerts WHERE delivered = 0 ORDER BY seq`)
	if err != nil {
		l.o.Logger.Error("alerts", slog.Any("error", err))
		return 0
	}
	type pending struct{ id, payload string }
	var ps []pending
	for rows.Next() {
		var p pending
		if err := rows.Scan(&p.id, &p.payload); err == nil {
			ps = append(ps, p)
		}
	}
	rows.Close()
	n := 0
	for _, p := range ps {
		var a Alert
		if err := json.Unmarshal([]byte(p.payload), &a); err != nil {
			continue
		}
		if err := l.post(ctx, a); err != nil {
			l.o.Logger.Warn("alert not delivered", slog.String("alert", a.ID), slog.Any("error", err))
			return n
		}
		if _, err := l.db.ExecContext(context.WithoutCancel(ctx), `UPDATE alerts SET delivered = 1 WHERE id = ?`, a.ID); err != nil {
			l.o.Logger.Error("alert delivered but not marked", slog.String("alert", a.ID), slog.Any("error", err))
			return n
		}
		l.o.Logger.Info("alert delivered", slog.String("alert", a.ID))
		n++
	}
	return n
}

func (l *Learner) post(ctx context.Context, a Alert) error {
	backoff := l.o.Backoff
	var err error
	for try := 0; try < l.o.Retries; try++ {
		if try > 0 {
			select {
			case <-ctx.Done():
				return ctx.Err()
			case <-time.After(backoff):
			}
			backoff *= 2
		}
		var req *http.Request
		req, err = http.NewRequestWithContext(ctx, http.MethodPost, l.o.Webhook, bytes.NewReader(a.SlackJSON()))
		if err != nil {
			return err
		}
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Idempotency-Key", a.ID)
		var resp *http.Response
		resp, err = l.http.Do(req)
		if err != nil {
			continue
		}
		resp.Body.Close()
		if resp.StatusCode/100 == 2 {
			return nil
		}
		err = fmt.Errorf("webhook answered %s", resp.Status)
	}
	return err
}

// Report is the learner's summary per wiki.
type Report struct {
	Wiki          string  `json:"wiki"`
	Decisions     int64   `json:"decisions"`
	LogLoss       float64 `json:"log_loss"`
	RawLogLoss    float64 `json:"raw_log_loss"`
	Brier         float64 `json:"brier"`
	RawBrier      float64 `json:"raw_brier"`
	CalibrationA  float64 `json:"calibration_a"`
	CalibrationB  float64 `json:"calibration_b"`
	Windows       int64   `json:"windows"`
	LastScore     float64 `json:"last_anomaly_score"`
	Arms          []Arm   `json:"arms"`
	PendingReqs   int     `json:"pending_requests"`
	LateDecisions int64   `json:"late_decisions"`
}

// Reports returns one Report per wiki, sorted by wiki.
func (st *State) Reports() []Report {
	var out []Report
	for _, name := range sortedKeys(st.Wikis) {
		w := st.Wikis[name]
		r := Report{Wiki: name, Decisions: w.Prequential.N, CalibrationA: w.Calibration.A, CalibrationB: w.Calibration.B,
			Windows: w.Windows, LastScore: w.LastScore, Arms: append([]Arm(nil), w.Arms...), PendingReqs: len(w.Requests), LateDecisions: w.Late}
		if n := float64(w.Prequential.N); n > 0 {
			r.LogLoss, r.RawLogLoss = w.Prequential.LogLoss/n, w.Prequential.RawLogLoss/n
			r.Brier, r.RawBrier = w.Prequential.Brier/n, w.Prequential.RawBrier/n
		}
		out = append(out, r)
	}
	return out
}
