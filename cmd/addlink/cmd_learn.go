package main

import (
	"encoding/json"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/urfave/cli/v2"

	"github.com/addlink/addlink/datasets"
	"github.com/addlink/addlink/learn"
)

func newLearnCommand() *cli.Command {
	return &cli.Command{
		Name:      "learn",
		Usage:     "learn from readers' feedback: calibration, acceptance alerts and the bandit's thresholds",
		ArgsUsage: "[simulate]",
		UsageText: "addlink learn [--events-dir DIR] [--state-dir DIR] [--state redis://HOST:PORT] [--webhook URL] [--follow]\n" +
			"addlink learn simulate --wiki W [--curve FILE] [--requests 10000] [--seeds 20]",
		Description: `Reads the event log that addlink serve --events-dir writes (events.log: one JSON event
per line) in order from the position checkpointed in <state-dir>/learn.sqlite, and keeps
per wiki:
  - an online logistic calibration of P(accept | score), each decision scored before it is
    learned (prequential log loss and Brier score, against the raw score's);
  - tumbling windows (--window, by event time) of the acceptance rate, each scored by a
    Half-Space-Trees anomaly detector before it learns it; a window scoring --alert-score or
    more is an alert, posted to --webhook (Slack-compatible JSON {"text": ...}), retried with
    backoff, marked delivered once the webhook answered 2xx;
  - the Thompson-sampling posteriors of the thresholds --arms (in increasing order), kept
    per score bin (from one threshold to the next): a Beta posterior of the acceptance of
    a reviewed suggestion of the bin (from the accepts and rejects, by their score) and a
    Gamma posterior of the bin's suggestions per request (from the impressions). A request
    served with a threshold is evidence about its bin and every bin above it. Its outcome
    is counted once --attribution has passed since its first event, so a late accept is
    not a failure; --discount < 1
    weighs old requests less. serve --bandit compares the thresholds on the reader's
    utility: accepted links minus --rejection-cost per rejected one, over at most
    --max-reviewed reviewed suggestions.
The position, the state and the new alerts are written in one transaction every
--checkpoint-every events: a run killed at any point (kill -9 included) continues where the
last checkpoint left off and reaches the state of an uninterrupted run. The posteriors go
to the same database, or to Redis with --state redis://HOST:PORT, where addlink serve
--bandit reads them. Without --follow it stops at the end of the log and prints a report
per wiki (JSON). --metrics-listen serves the figures as of the last checkpoint for
Prometheus (addlink_learn_*).

addlink learn simulate --wiki W compares Thompson sampling, epsilon-greedy, UCB1 and fixed
thresholds on a simulated wiki whose acceptance by score comes from the wiki's backtest
precision curve (addlink backtest's <data-dir>/W/testing/W.backtest.eval.csv, or any eval
CSV given with --curve) and prints each policy's cumulative regret in expected utility,
mean over --seeds runs, against the best fixed threshold (an oracle: its regret is 0). A
backtest that predicted no link at any threshold has no curve and is refused.`,
		Flags: []cli.Flag{
			wikiFlag(false),
			&cli.StringFlag{Name: "events-dir", Usage: "the collector's `DIR` (default <data-dir>/events)"},
			&cli.StringFlag{Name: "state-dir", Usage: "checkpoint `DIR` (default <data-dir>/learn)"},
			&cli.StringFlag{Name: "state", Usage: "where the posteriors go: sqlite (the state database) or redis://`HOST:PORT`[/DB]"},
			&cli.DurationFlag{Name: "window", Value: 3600e9, Usage: "tumbling window of the acceptance rate"},
			&cli.DurationFlag{Name: "attribution", Value: 24 * 3600e9, Usage: "how long after a request's first event its decisions count"},
			&cli.StringFlag{Name: "arms", Value: "0.5,0.6,0.7,0.8,0.9", Usage: "the bandit's thresholds, comma-separated"},
			&cli.Float64Flag{Name: "discount", Value: 1, Usage: "weight old rewards keep at each new one, in (0, 1]; 1: none"},
			&cli.Float64Flag{Name: "rejection-cost", Value: 1, Usage: "a rejected link's cost, in accepted links"},
			&cli.IntFlag{Name: "max-reviewed", Value: 3, Usage: "decisions per request counted at most (the links a task shows)"},
			&cli.StringFlag{Name: "webhook", Usage: "Slack-compatible incoming webhook `URL` for alerts"},
			&cli.Float64Flag{Name: "alert-score", Value: 0.95, Usage: "anomaly score in [0, 1] from which a window is an alert"},
			&cli.IntFlag{Name: "hst-trees", Value: 10, Usage: "Half-Space-Trees: trees"},
			&cli.IntFlag{Name: "hst-height", Value: 6, Usage: "Half-Space-Trees: tree height"},
			&cli.IntFlag{Name: "hst-window", Value: 25, Usage: "Half-Space-Trees: windows per reference mass"},
			&cli.IntFlag{Name: "checkpoint-every", Value: 1000, Usage: "events between checkpoints"},
			&cli.Uint64Flag{Name: "seed", Value: 1, Usage: "seed of the detectors' trees and the simulation"},
			&cli.BoolFlag{Name: "follow", Usage: "keep reading the log as it grows, until interrupted"},
			&cli.StringFlag{Name: "metrics-listen", Usage: "serve GET /metrics (Prometheus) on `ADDR` while running"},
			&cli.StringFlag{Name: "curve", Usage: "simulate: backtest eval CSV `FILE` (default <data-dir>/W/testing/W.backtest.eval.csv)"},
			&cli.IntFlag{Name: "requests", Value: 10000, Usage: "simulate: requests per run"},
			&cli.IntFlag{Name: "seeds", Value: 20, Usage: "simulate: runs per policy"},
			&cli.Float64Flag{Name: "candidates-per-page", Value: 4, Usage: "simulate: mean suggestions per page at the curve's lowest threshold"},
			&cli.Float64Flag{Name: "epsilon", Value: 0.1, Usage: "simulate: epsilon-greedy's exploration rate"},
			&cli.Float64Flag{Name: "spread", Usage: "simulate: pages and readers differ by `S` against the bandit's model (counts overdispersed with a Gamma factor of sd S, a reader's log-odds shifted by a normal of sd S); 0: the model exactly"},
			&cli.StringFlag{Name: "format", Value: "markdown", Usage: "simulate: markdown or json"},
		},
		Action: func(c *cli.Context) error {
			co := commonOptions(c)
			arms, err := parseArms(c.String("arms"))
			if err != nil {
				return usageError{err}
			}
			reward := learn.RewardParams{RejectionCost: c.Float64("rejection-cost"), MaxReviewed: c.Int("max-reviewed")}
			switch c.Args().First() {
			case "simulate":
				return runSimulate(c, co, arms, reward)
			case "":
			default:
				return usagef("learn: unknown argument %q (did you mean simulate?)", c.Args().First())
			}
			opts := learn.Options{
				LogDir: c.String("events-dir"), StateDir: c.String("state-dir"), Store: c.String("state"),
				Window: c.Duration("window"), Attribution: c.Duration("attribution"), Arms: arms,
				Discount: c.Float64("discount"), Reward: reward, Webhook: c.String("webhook"),
				AlertScore:      c.Float64("alert-score"),
				HST:             learn.HSTParams{Trees: c.Int("hst-trees"), Height: c.Int("hst-height"), WindowSize: c.Int("hst-window")},
				CheckpointEvery: c.Int("checkpoint-every"), Seed: c.Uint64("seed"), Follow: c.Bool("follow"),
				Logger: slog.New(slog.NewJSONHandler(os.Stderr, nil)),
			}
			if opts.LogDir == "" {
				opts.LogDir = filepath.Join(co.DataDir, "events")
			}
			if opts.StateDir == "" {
				opts.StateDir = filepath.Join(co.DataDir, "learn")
			}
			if err := opts.Validate(); err != nil {
				return usageError{err}
			}
			l, err := learn.Open(opts)
			if err != nil {
				return err
			}
			if addr := c.String("metrics-listen"); addr != "" {
				stop, err := serveMetrics(addr, l.Metrics())
				if err != nil {
					l.Close()
					return err
				}
				defer stop()
			}
			runErr := l.Run(c.Context)
			b, _ := json.MarshalIndent(l.State().Reports(), "", "  ")
			fmt.Fprintf(c.App.Writer, "%s\n", b)
			if err := l.Close(); runErr == nil {
				runErr = err
			}
			return runErr
		},
	}
}

// serveMetrics serves the learner's metrics (and the Go runtime's) on addr until stop.
func serveMetrics(addr string, m prometheus.Collector) (stop func(), err error) {
	reg := prometheus.NewRegistry()
	reg.MustRegister(m, collectors.NewGoCollector())
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("--metrics-listen: %w", err)
	}
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second, WriteTimeout: time.Minute}
	go srv.Serve(ln)
	return func() { srv.Close() }, nil
}

func parseArms(s string) ([]float64, error) {
	var arms []float64
	for _, f := range strings.Split(s, ",") {
		v, err := strconv.ParseFloat(strings.TrimSpace(f), 64)
		if err != nil || v < 0 || v > 1 {
			return nil, fmt.Errorf("--arms: %q is not a threshold in [0, 1]", f)
		}
		arms = append(arms, v)
	}
	return arms, nil
}

func runSimulate(c *cli.Context, co common, arms []float64, reward learn.RewardParams) error {
	wiki := c.String(flagWiki)
	path := c.String("curve")
	if path == "" {
		if wiki == "" {
			return usagef("learn simulate: give --wiki (or --curve)")
		}
		path = datasets.Layout{DataDir: co.DataDir, Wiki: wiki}.BacktestEval()
	}
	curve, err := learn.ReadCurve(path)
	if err != nil {
		return err
	}
	rep, err := learn.Simulate(learn.SimOptions{Curve: curve, Arms: arms, Requests: c.Int("requests"), Seeds: c.Int("seeds"),
		Seed: c.Uint64("seed"), CandidatesPerPage: c.Float64("candidates-per-page"), Reward: reward,
		Epsilon: c.Float64("epsilon"), Discount: c.Float64("discount"), Spread: c.Float64("spread")})
	if err != nil {
		return err
	}
	switch c.String("format") {
	case "json":
		b, _ := json.MarshalIndent(rep, "", "  ")
		fmt.Fprintf(c.App.Writer, "%s\n", b)
	case "markdown":
		name := wiki
		if name == "" {
			name = path
		}
		fmt.Fprint(c.App.Writer, rep.Markdown(name))
	default:
		return usagef("--format: want markdown or json, got %q", c.String("format"))
	}
	return nil
}
