package learn

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/common/expfmt"
)

// synthLog writes n requests' events to a new log in dir: per request an impression
// of three suggestions served with a random arm, then decisions whose acceptance is
// acceptance(score, request index); one request per minute of event time.
func synthLog(t testing.TB, dir string, wikis []string, n int, seed uint64, acceptance func(score float64, i int) float64) {
	t.Helper()
	synthLogFrom(t, dir, wikis, 0, n, seed, acceptance)
}

// synthLogFrom appends requests from..from+n-1.
func synthLogFrom(t testing.TB, dir string, wikis []string, from, n int, seed uint64, acceptance func(score float64, i int) float64) {
	t.Helper()
	lg, err := OpenLog(context.Background(), dir)
	if err != nil {
		t.Fatal(err)
	}
	defer lg.Close()
	rng := rand.New(rand.NewPCG(seed, 9))
	start := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	var events []Event
	flush := func() {
		if _, _, err := lg.Append(context.Background(), events); err != nil {
			t.Fatal(err)
		}
		events = nil
	}
	for i := from; i < from+n; i++ {
		wiki := wikis[i%len(wikis)]
		ts := start.Add(time.Duration(i) * time.Minute)
		arm := DefaultArms[rng.IntN(len(DefaultArms))]
		for j := 0; j < 3; j++ {
			score := arm + rng.Float64()*(1-arm)
			target := fmt.Sprintf("T%d", j)
			id := fmt.Sprintf("%s-%d-%d", wiki, i, j)
			events = append(events, Event{ID: id + "-i", Type: Impression, Wiki: wiki, Page: fmt.Sprintf("P%d", i),
				Revision: int64(1000 + i), Target: target, Mention: "m", Score: &score, Threshold: &arm,
				Timestamp: ts.Format(time.RFC3339Nano)})
			typ := Reject
			if rng.Float64() < acceptance(score, i) {
				typ = Accept
			}
			if rng.Float64() < 0.1 {
				typ = Skip
			}
			events = append(events, Event{ID: id + "-d", Type: typ, Wiki: wiki, Page: fmt.Sprintf("P%d", i),
				Revision: int64(1000 + i), Target: target, Threshold: &arm,
				Timestamp: ts.Add(time.Duration(rng.IntN(120)) * time.Minute).Format(time.RFC3339Nano)})
		}
		if len(events) >= 300 {
			flush()
		}
	}
	if len(events) > 0 {
		flush()
	}
}

func testOptions(logDir, stateDir string) Options {
	return Options{LogDir: logDir, StateDir: stateDir, Window: time.Hour, Attribution: 6 * time.Hour,
		CheckpointEvery: 50, Seed: 7, Backoff: 10 * time.Millisecond}
}

func runLearner(t testing.TB, o Options) *Learner {
	t.Helper()
	l, err := Open(o)
	if err != nil {
		t.Fatal(err)
	}
	if err := l.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	return l
}

// miscalibrated: the score overstates acceptance.
func miscalibrated(score float64, _ int) float64 { return 0.15 + 0.6*(score-0.5) }

func TestCalibrationBeatsRawScore(t *testing.T) {
	logDir := t.TempDir()
	synthLog(t, logDir, []string{"enwiki"}, 3000, 1, miscalibrated)
	l := runLearner(t, testOptions(logDir, t.TempDir()))
	defer l.Close()
	reps := l.State().Reports()
	if len(reps) != 1 || reps[0].Decisions < 5000 {
		t.Fatalf("reports %+v", reps)
	}
	r := reps[0]
	t.Logf("prequential log loss %.4f (raw %.4f), Brier %.4f (raw %.4f)", r.LogLoss, r.RawLogLoss, r.Brier, r.RawBrier)
	if !(r.LogLoss < r.RawLogLoss) || !(r.Brier < r.RawBrier) {
		t.Errorf("calibrated losses %.4f/%.4f not below the raw score's %.4f/%.4f", r.LogLoss, r.Brier, r.RawLogLoss, r.RawBrier)
	}
	// The same figures in Prometheus' exposition.
	reg := prometheus.NewRegistry()
	reg.MustRegister(l.Metrics())
	var out bytes.Buffer
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		expfmt.MetricFamilyToText(&out, mf)
	}
	for _, want := range []string{
		fmt.Sprintf(`addlink_learn_prequential_log_loss{model="calibrated",wiki="enwiki"} %g`, r.LogLoss),
		fmt.Sprintf(`addlink_learn_prequential_log_loss{model="raw",wiki="enwiki"} %g`, r.RawLogLoss),
		`addlink_learn_bandit_rewards_total{threshold="0.5",wiki="enwiki"}`,
		fmt.Sprintf(`addlink_learn_bandit_utility_mean{threshold="0.5",wiki="enwiki"} %g`, MeanUtilities(r.Arms, RewardParams{})[0]),
		fmt.Sprintf("addlink_learn_events_total %d", l.State().Events),
	} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("metrics lack %q:\n%s", want, out.String())
		}
	}
}

// The learner's whole state after a run: the checkpoint, the alerts, the posteriors.
func dumpState(t testing.TB, stateDir string) string {
	t.Helper()
	db, err := sql.Open("sqlite", "file:"+filepath.Join(stateDir, StateName)+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var b strings.Builder
	for _, q := range []string{`SELECT offset, state FROM checkpoint`, `SELECT seq, id, wiki, payload, delivered FROM alerts ORDER BY seq`,
		`SELECT wiki, threshold, requests, shown, accepts, rejects, pulls FROM bandit_arms ORDER BY wiki, threshold`} {
		rows, err := db.Query(q)
		if err != nil {
			t.Fatal(err)
		}
		cols, _ := rows.Columns()
		for rows.Next() {
			vals := make([]any, len(cols))
			ptrs := make([]any, len(cols))
			for i := range vals {
				ptrs[i] = &vals[i]
			}
			if err := rows.Scan(ptrs...); err != nil {
				t.Fatal(err)
			}
			for _, v := range vals {
				if bs, ok := v.([]byte); ok {
					v = string(bs)
				}
				fmt.Fprintf(&b, "%v\t", v)
			}
			b.WriteString("\n")
		}
		rows.Close()
	}
	return b.String()
}

const helperEnv = "ADDLINK_LEARN_HELPER"

// TestLearnerHelper is the learner run as a subprocess by TestKill9ResumesExactly.
func TestLearnerHelper(t *testing.T) {
	dirs := os.Getenv(helperEnv)
	if dirs == "" {
		t.Skip("run by TestKill9ResumesExactly")
	}
	logDir, stateDir, _ := strings.Cut(dirs, "|")
	l := runLearner(t, testOptions(logDir, stateDir))
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
}

// A learner killed with SIGKILL at random points and restarted until it finishes ends
// in the state of an uninterrupted run, byte for byte.
func TestKill9ResumesExactly(t *testing.T) {
	if testing.Short() {
		t.Skip("-short")
	}
	logDir := t.TempDir()
	drift := func(score float64, i int) float64 {
		if i > 5000 && i < 5300 {
			return 0.05 // an acceptance collapse: alerts
		}
		return miscalibrated(score, i)
	}
	synthLog(t, logDir, []string{"enwiki", "dewiki"}, 8000, 2, drift)
	whole := t.TempDir()
	l := runLearner(t, testOptions(logDir, whole))
	l.Close()
	want := dumpState(t, whole)
	if !strings.Contains(want, "enwiki/") {
		t.Fatalf("the uninterrupted run raised no alert: the test would not check the alerts")
	}

	killed := t.TempDir()
	rng := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 1))
	kills := 0
	maxDelay := 400 * time.Millisecond
	for run := 0; ; run++ {
		if run > 300 {
			t.Fatal("the learner never finished")
		}
		cmd := exec.Command(os.Args[0], "-test.run=^TestLearnerHelper$", "-test.count=1")
		cmd.Env = append(os.Environ(), helperEnv+"="+logDir+"|"+killed)
		var out bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &out
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		done := make(chan error, 1)
		go func() { done <- cmd.Wait() }()
		// Random points, in a range that widens after each kill so that a run slowed
		// down by a loaded machine still gets to the end.
		delay := time.Duration(rng.Int64N(int64(maxDelay)))
		maxDelay = maxDelay * 11 / 10
		select {
		case err := <-done:
			if err != nil {
				t.Fatalf("learner failed: %v\n%s", err, out.String())
			}
			t.Logf("finished after %d kills", kills)
			if got := dumpState(t, killed); got != want {
				t.Fatalf("state after %d kills differs from an uninterrupted run's", kills)
			}
			if kills == 0 {
				t.Log("no kill landed before the end (the run was too quick)")
			}
			return
		case <-time.After(delay):
			cmd.Process.Signal(syscall.SIGKILL)
			<-done
			kills++
		}
	}
}

// receiver is a Slack-compatible webhook that fails its first fails calls.
type receiver struct {
	mu    sync.Mutex
	fails int
	calls int
	texts []string
}

func (r *receiver) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.calls++
	if r.fails > 0 {
		r.fails--
		http.Error(w, "try later", http.StatusServiceUnavailable)
		return
	}
	b, _ := io.ReadAll(req.Body)
	var m struct {
		Text string `json:"text"`
	}
	if err := json.Unmarshal(b, &m); err != nil || m.Text == "" || req.Header.Get("Content-Type") != "application/json" {
		http.Error(w, "invalid_payload", http.StatusBadRequest)
		return
	}
	r.texts = append(r.texts, m.Text)
	w.Write([]byte("ok"))
}

func TestWebhookEachAlertOnce(t *testing.T) {
	logDir, stateDir := t.TempDir(), t.TempDir()
	drop := func(score float64, i int) float64 {
		if i >= 3000 && i < 3240 {
			return 0.02
		}
		return 0.8
	}
	synthLog(t, logDir, []string{"enwiki"}, 4000, 3, drop)
	rec := &receiver{fails: 2}
	ts := httptest.NewServer(rec)
	defer ts.Close()
	o := testOptions(logDir, stateDir)
	o.Webhook = ts.URL
	l := runLearner(t, o)
	l.Close()
	if len(rec.texts) == 0 {
		t.Fatal("no alert delivered")
	}
	first := append([]string(nil), rec.texts...)
	seen := map[string]bool{}
	for _, s := range first {
		if seen[s] {
			t.Errorf("alert delivered twice: %s", s)
		}
		seen[s] = true
		if !strings.Contains(s, "enwiki") {
			t.Errorf("alert %q does not name the wiki", s)
		}
	}
	// The alerts are in the collapse (requests 3000..3240 are hours 50..54).
	for _, s := range first {
		if !strings.Contains(s, "2026-03-03T") {
			t.Errorf("alert outside the collapse: %s", s)
		}
	}
	if rec.calls != len(first)+2 {
		t.Errorf("%d calls for %d alerts and 2 failures", rec.calls, len(first))
	}
	// A second run over the same log delivers nothing again.
	l = runLearner(t, o)
	l.Close()
	if len(rec.texts) != len(first) {
		t.Errorf("the second run delivered %d more alerts", len(rec.texts)-len(first))
	}
	t.Logf("%d alerts, e.g. %s", len(first), first[0])
}

// A webhook down for the whole run keeps the alerts; the next run delivers them.
func TestWebhookDownThenUp(t *testing.T) {
	logDir, stateDir := t.TempDir(), t.TempDir()
	synthLog(t, logDir, []string{"enwiki"}, 4000, 3, func(score float64, i int) float64 {
		if i >= 3000 && i < 3240 {
			return 0.02
		}
		return 0.8
	})
	rec := &receiver{fails: 1 << 30}
	ts := httptest.NewServer(rec)
	defer ts.Close()
	o := testOptions(logDir, stateDir)
	o.Webhook, o.Retries = ts.URL, 2
	runLearner(t, o).Close()
	if len(rec.texts) != 0 || rec.calls != 2 {
		t.Fatalf("%d delivered, %d calls", len(rec.texts), rec.calls)
	}
	rec.mu.Lock()
	rec.fails = 0
	rec.mu.Unlock()
	runLearner(t, o).Close()
	if len(rec.texts) == 0 {
		t.Error("the alerts kept were not delivered")
	}
}

func f64(x float64) *float64 { return &x }

// A reward is given once the attribution window has passed since the request's first
// event: an accept arriving late within it counts, one after it does not.
func TestAttribution(t *testing.T) {
	o := Options{LogDir: "x", StateDir: "y", Attribution: 6 * time.Hour}
	if err := o.Validate(); err != nil {
		t.Fatal(err)
	}
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	ev := func(id, typ string, rev int64, target string, at time.Duration) *Event {
		return &Event{ID: id, Type: typ, Wiki: "enwiki", Page: "P", Revision: rev, Target: target, Mention: "m",
			Score: f64(0.75), Threshold: f64(0.7), Timestamp: t0.Add(at).Format(time.RFC3339Nano)}
	}
	var st State
	Step(&o, &st, ev("1", Impression, 1, "A", 0), 1)
	Step(&o, &st, ev("2", Impression, 1, "B", 0), 2)
	Step(&o, &st, ev("3", Accept, 1, "A", 5*time.Hour), 3) // late, but within the window
	w := st.Wikis["enwiki"]
	if w.Arms[2].Pulls != 0 {
		t.Fatal("rewarded before the window passed")
	}
	Step(&o, &st, ev("4", Impression, 2, "C", 7*time.Hour), 4) // another request moves time on
	a := w.Arms[2]
	if want := (Arm{Threshold: 0.7, Requests: 1, Shown: 2, Accepts: 1, Pulls: 1}); a != want {
		t.Errorf("arm 0.7 after one accept: %+v, want %+v (two shown, one accepted)", a, want)
	}
	Step(&o, &st, ev("5", Reject, 1, "B", 8*time.Hour), 5) // after its request was attributed
	if w.Late != 1 || w.Arms[2].Pulls != 1 {
		t.Errorf("a decision after attribution changed the arm (late %d, %+v)", w.Late, w.Arms[2])
	}
	for i, arm := range w.Arms {
		if i != 2 && arm.Pulls != 0 {
			t.Errorf("arm %g rewarded", arm.Threshold)
		}
	}
}

func TestHST(t *testing.T) {
	h := NewHST(HSTParams{Trees: 10, Height: 6, WindowSize: 25}, 1, 3)
	rng := rand.New(rand.NewPCG(1, 2))
	for i := 0; i < 25; i++ {
		x := []float64{0.75 + 0.05*rng.NormFloat64()}
		if s := h.Score(x); s != 0 {
			t.Fatalf("score %g during the first window", s)
		}
		h.Learn(x)
	}
	for i := 0; i < 50; i++ {
		h.Learn([]float64{0.75 + 0.05*rng.NormFloat64()})
	}
	normal, outlier := h.Score([]float64{0.75}), h.Score([]float64{0.1})
	if !(normal < 0.7 && outlier > 0.95) {
		t.Errorf("scores: usual value %.3f, outlier %.3f", normal, outlier)
	}
	if normal < 0 || outlier > 1 {
		t.Errorf("scores outside [0, 1]")
	}
}

// With Follow the learner reads events appended while it runs, until ctx ends.
func TestFollow(t *testing.T) {
	logDir, stateDir := t.TempDir(), t.TempDir()
	synthLog(t, logDir, []string{"enwiki"}, 100, 1, miscalibrated)
	o := testOptions(logDir, stateDir)
	o.Follow, o.Poll = true, 20*time.Millisecond
	l, err := Open(o)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- l.Run(ctx) }()
	waitFor := func(events int64) {
		t.Helper()
		deadline := time.Now().Add(time.Minute)
		for {
			if s := l.snapshot.Load(); s != nil && s.events == events {
				return
			}
			if time.Now().After(deadline) {
				t.Fatalf("the learner did not reach %d events", events)
			}
			time.Sleep(10 * time.Millisecond)
		}
	}
	waitFor(600)
	synthLogFrom(t, logDir, []string{"enwiki"}, 100, 50, 2, miscalibrated)
	waitFor(900)
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}

func BenchmarkStep(b *testing.B) {
	o := testOptions("x", "y")
	if err := o.Validate(); err != nil {
		b.Fatal(err)
	}
	score, th := 0.7, 0.6
	start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	events := make([]Event, 1000)
	for i := range events {
		typ := []string{Impression, Accept, Impression, Reject}[i%4]
		events[i] = Event{ID: fmt.Sprint(i), Type: typ, Wiki: "enwiki", Page: "P", Revision: int64(i / 4), Target: fmt.Sprint(i % 2),
			Mention: "m", Score: &score, Threshold: &th, Timestamp: start.Add(time.Duration(i) * time.Minute).Format(time.RFC3339)}
	}
	var st State
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		e := events[i%len(events)]
		e.Timestamp = start.Add(time.Duration(i) * time.Minute).Format(time.RFC3339)
		Step(&o, &st, &e, int64(i))
	}
}

// A checkpoint of the older bandit model (evidence per arm, no model number) is not
// mixed with the per-bin evidence: the learner reads the log again from its start and
// ends where a run from scratch does.
func TestOlderModelCheckpointReplays(t *testing.T) {
	logDir := t.TempDir()
	synthLog(t, logDir, []string{"enwiki", "dewiki"}, 400, 3, miscalibrated)
	fresh := runLearner(t, testOptions(logDir, t.TempDir()))
	want, err := json.Marshal(fresh.State())
	fresh.Close()
	if err != nil {
		t.Fatal(err)
	}
	stateDir := t.TempDir()
	l := runLearner(t, testOptions(logDir, stateDir))
	l.Close()
	db, err := sql.Open("sqlite", filepath.Join(stateDir, StateName))
	if err != nil {
		t.Fatal(err)
	}
	// what a model-1 learner left: its state without the model field, arms inflated
	var blob []byte
	if err := db.QueryRow(`SELECT state FROM checkpoint WHERE id = 1`).Scan(&blob); err != nil {
		t.Fatal(err)
	}
	var old map[string]any
	if err := json.Unmarshal(blob, &old); err != nil {
		t.Fatal(err)
	}
	if old["model"] != float64(BanditModel) {
		t.Fatalf("checkpoint's model %v, want %d", old["model"], BanditModel)
	}
	delete(old, "model")
	blob, _ = json.Marshal(old)
	if _, err := db.Exec(`UPDATE checkpoint SET state = ? WHERE id = 1`, blob); err != nil {
		t.Fatal(err)
	}
	db.Close()
	var logs bytes.Buffer
	o := testOptions(logDir, stateDir)
	o.Logger = slog.New(slog.NewTextHandler(&logs, nil))
	l2, err := Open(o)
	if err != nil {
		t.Fatal(err)
	}
	defer l2.Close()
	if st := l2.State(); st.Offset != 0 || st.Events != 0 || st.Model != BanditModel {
		t.Fatalf("older checkpoint kept: offset %d, %d events, model %d", st.Offset, st.Events, st.Model)
	}
	if !strings.Contains(logs.String(), "older model") {
		t.Errorf("no warning in the log: %q", logs.String())
	}
	if err := l2.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	got, err := json.Marshal(l2.State())
	if err != nil {
		t.Fatal(err)
	}
	if l2.State().Events == 0 || !bytes.Equal(got, want) {
		t.Errorf("state after the replay differs from a run from scratch (%d events)", l2.State().Events)
	}
}
