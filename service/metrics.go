package service

import (
	"maps"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// metrics are the service's Prometheus metrics.
type metrics struct {
	requests  *prometheus.CounterVec
	latency   *prometheus.HistogramVec
	inflight  prometheus.Gauge
	checksums *prometheus.GaugeVec
	models    *prometheus.GaugeVec
	handler   http.Handler

	mu       sync.Mutex
	seen     map[string]map[string]string // wiki -> checksums exported
	versions map[string]string            // wiki -> model version exported
}

func newRegistry() *prometheus.Registry {
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return reg
}

func newMetrics(reg *prometheus.Registry) *metrics {
	m := &metrics{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "linkrecommendation_requests_total",
			Help: "HTTP requests answered, by route, method and status code.",
		}, []string{"route", "method", "code"}),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "linkrecommendation_request_duration_seconds",
			Help:    "Time to answer an HTTP request, by route.",
			Buckets: []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30},
		}, []string{"route"}),
		inflight: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "linkrecommendation_requests_running",
			Help: "Recommendation requests being computed now.",
		}),
		checksums: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "linkrecommendation_dataset_info",
			Help: "1 for the sha256 of each dataset currently served, by wiki and dataset.",
		}, []string{"wiki", "dataset", "sha256"}),
		models: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "linkrecommendation_model_info",
			Help: "1 for the version (v1: six inputs, v2: seven, extended: addlink's named features) of the model each wiki is served with.",
		}, []string{"wiki", "version"}),
		seen:     map[string]map[string]string{},
		versions: map[string]string{},
	}
	reg.MustRegister(m.requests, m.latency, m.inflight, m.checksums, m.models)
	m.handler = promhttp.HandlerFor(reg, promhttp.HandlerOpts{})
	return m
}

func (m *metrics) observe(route, method string, status int, d time.Duration) {
	m.requests.WithLabelValues(route, method, strconv.Itoa(status)).Inc()
	m.latency.WithLabelValues(route).Observe(d.Seconds())
}

// observeWiki exports the version of a wiki's model and the checksums of the
// datasets it is served from.
func (m *metrics) observeWiki(wiki, version string, sums map[string]string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if old, ok := m.versions[wiki]; !ok || old != version {
		m.models.DeletePartialMatch(prometheus.Labels{"wiki": wiki})
		m.models.WithLabelValues(wiki, version).Set(1)
		m.versions[wiki] = version
	}
	if old, ok := m.seen[wiki]; ok && maps.Equal(old, sums) {
		return
	}
	m.checksums.DeletePartialMatch(prometheus.Labels{"wiki": wiki})
	for name, sum := range sums {
		m.checksums.WithLabelValues(wiki, name, sum).Set(1)
	}
	m.seen[wiki] = maps.Clone(sums)
}
