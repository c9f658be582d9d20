package follow

import (
	"context"
	"encoding/json"
	"net/http"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// metrics are the follower's Prometheus metrics (names: addlink_follow_*).
type metrics struct {
	reg         *prometheus.Registry
	read        prometheus.Counter
	skipped     *prometheus.CounterVec
	kept        *prometheus.CounterVec
	processed   *prometheus.CounterVec
	committed   prometheus.Counter
	errors      *prometheus.CounterVec
	connections *prometheus.CounterVec
	queued      prometheus.Gauge
	lag         prometheus.Gauge
	latency     prometheus.Histogram

	mu     sync.Mutex
	latest []StatusPage // newest first, at most statusPages
}

const statusPages = 50

func newMetrics(reg *prometheus.Registry, pool *Pool, wikis []string) *metrics {
	m := &metrics{
		reg: reg,
		read: prometheus.NewCounter(prometheus.CounterOpts{Name: "addlink_follow_events_read_total",
			Help: "Events read from the stream or the recording."}),
		skipped: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "addlink_follow_events_skipped_total",
			Help: "Events skipped, by reason (malformed, oversize, canary, wiki, namespace, type, bot, other)."}, []string{"reason"}),
		kept: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "addlink_follow_events_kept_total",
			Help: "Events kept, by wiki and action (refresh, remove)."}, []string{"wiki", "action"}),
		processed: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "addlink_follow_pages_processed_total",
			Help: "Kept events whose outcome is in the pool, by wiki and outcome (stored, older, removed, absent, gone)."}, []string{"wiki", "outcome"}),
		committed: prometheus.NewCounter(prometheus.CounterOpts{Name: "addlink_follow_events_committed_total",
			Help: "Events whose outcome and position are in the pool."}),
		errors: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "addlink_follow_errors_total",
			Help: "Failed attempts (each retried), by kind (mediawiki, recommend, pool)."}, []string{"kind"}),
		connections: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "addlink_follow_stream_connections_total",
			Help: "Connections to the stream, by HTTP status."}, []string{"code"}),
		queued: prometheus.NewGauge(prometheus.GaugeOpts{Name: "addlink_follow_queue_events",
			Help: "Events read and not yet stored."}),
		lag: prometheus.NewGauge(prometheus.GaugeOpts{Name: "addlink_follow_lag_seconds",
			Help: "Seconds between the last stored event's time and its storing (how far behind the stream)."}),
		latency: prometheus.NewHistogram(prometheus.HistogramOpts{Name: "addlink_follow_event_to_row_seconds",
			Help:    "Time from reading a kept event to its outcome being committed.",
			Buckets: []float64{.005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30, 60}}),
	}
	reg.MustRegister(m.read, m.skipped, m.kept, m.processed, m.committed, m.errors, m.connections, m.queued, m.lag, m.latency)
	for _, w := range wikis {
		reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "addlink_follow_pool_rows",
			Help: "Rows in the wiki's pool table.", ConstLabels: prometheus.Labels{"wiki": w}}, func() float64 {
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			n, err := pool.Count(ctx, w)
			if err != nil {
				return -1
			}
			return float64(n)
		}))
	}
	return m
}

// StatusPage is one refreshed page on the status page.
type StatusPage struct {
	Wiki   string `json:"wiki"`
	Title  string `json:"title"`
	PageID int64  `json:"page_id"`
	Rev    int64  `json:"rev"`
	Links  int    `json:"links"`
	Time   string `json:"time,omitempty"` // the event's time
}

func (m *metrics) noteStored(wiki, title string, page, rev int64, links int, t int64) {
	p := StatusPage{Wiki: wiki, Title: title, PageID: page, Rev: rev, Links: links}
	if t > 0 {
		p.Time = time.UnixMilli(t).UTC().Format(time.RFC3339)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	m.latest = append([]StatusPage{p}, m.latest[:min(len(m.latest), statusPages-1)]...)
}

// status is the JSON the status page polls.
type status struct {
	Stream    string       `json:"stream"`
	Position  string       `json:"position"`
	Events    int64        `json:"events"`
	Committed int64        `json:"committed"`
	Latest    []StatusPage `json:"latest"`
}

func (f *follower) handler() http.Handler {
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", promhttp.HandlerFor(f.m.reg, promhttp.HandlerOpts{}))
	mux.HandleFunc("GET /status.json", func(w http.ResponseWriter, r *http.Request) {
		f.mu.Lock()
		st := status{Stream: f.stream, Position: f.sum.Position, Events: f.sum.Events, Committed: f.sum.Committed}
		f.mu.Unlock()
		f.m.mu.Lock()
		st.Latest = append([]StatusPage{}, f.m.latest...)
		f.m.mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Cache-Control", "no-store")
		json.NewEncoder(w).Encode(st)
	})
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Write([]byte(statusHTML))
	})
	return mux
}

// statusHTML lists the latest refreshed pages and polls /status.json every second.
const statusHTML = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>addlink follow</title>
<style>
body{font:14px system-ui,sans-serif;margin:2em;color:#202122}
table{border-collapse:collapse}td,th{padding:.25em .75em;border-bottom:1px solid #c8ccd1;text-align:left}
td.n{text-align:right}#summary{margin-bottom:1em}
</style></head>
<body><h1>addlink follow</h1>
<p id="summary">loading…</p>
<table><thead><tr><th>time</th><th>wiki</th><th>page</th><th>revision</th><th>links</th></tr></thead>
<tbody id="pages"></tbody></table>
<script>
"use strict";
function cell(tr, text, cls) { const td = document.createElement("td"); td.textContent = text; if (cls) td.className = cls; tr.appendChild(td); }
async function refresh() {
  try {
    const r = await fetch("status.json", {cache: "no-store"});
    const s = await r.json();
    document.getElementById("summary").textContent =
      s.events + " events read, " + s.committed + " stored; stream " + s.stream;
    const body = document.getElementById("pages");
    body.replaceChildren();
    for (const p of s.latest || []) {
      const tr = document.createElement("tr");
      tr.className = "page";
      cell(tr, p.time || ""); cell(tr, p.wiki); cell(tr, p.title); cell(tr, String(p.rev), "n"); cell(tr, String(p.links), "n");
      body.appendChild(tr);
    }
    document.body.dataset.ready = "true";
    document.body.dataset.committed = String(s.committed);
    document.body.dataset.refreshes = String(Number(document.body.dataset.refreshes || 0) + 1);
  } catch (e) {
    document.getElementById("summary").textContent = "status unavailable: " + e;
  }
}
refresh();
setInterval(refresh, 1000);
</script></body></html>
`
