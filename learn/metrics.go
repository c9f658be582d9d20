package learn

import (
	"sync/atomic"

	"github.com/prometheus/client_golang/prometheus"
)

// Metrics exports the learner's figures per wiki as of its last checkpoint, for
// Prometheus: register it (prometheus.Registry.MustRegister) and serve the registry.
type Metrics struct{ l *Learner }

// Metrics returns the learner's Prometheus collector.
func (l *Learner) Metrics() *Metrics { return &Metrics{l: l} }

var (
	descEvents = prometheus.NewDesc("addlink_learn_events_total", "Events learned from the log.", nil, nil)
	descOffset = prometheus.NewDesc("addlink_learn_log_offset_bytes", "Position in the event log of the last checkpoint.", nil, nil)
	descDec    = prometheus.NewDesc("addlink_learn_decisions_total", "Accepts and rejects scored by the calibration, by wiki.", []string{"wiki"}, nil)
	descLoss   = prometheus.NewDesc("addlink_learn_prequential_log_loss", "Mean prequential log loss of P(accept | score), by wiki and model (calibrated or raw score).", []string{"wiki", "model"}, nil)
	descBrier  = prometheus.NewDesc("addlink_learn_prequential_brier", "Mean prequential Brier score of P(accept | score), by wiki and model.", []string{"wiki", "model"}, nil)
	descScore  = prometheus.NewDesc("addlink_learn_anomaly_score", "Half-Space-Trees score of the last closed window of the acceptance rate, by wiki.", []string{"wiki"}, nil)
	descWin    = prometheus.NewDesc("addlink_learn_windows_total", "Windows of the acceptance rate closed, by wiki.", []string{"wiki"}, nil)
	descPulls  = prometheus.NewDesc("addlink_learn_bandit_rewards_total", "Rewards given to each threshold, by wiki.", []string{"wiki", "threshold"}, nil)
	descMean   = prometheus.NewDesc("addlink_learn_bandit_utility_mean", "Expected utility per request of each threshold at the posterior means, by wiki.", []string{"wiki", "threshold"}, nil)
)

// Describe implements prometheus.Collector.
func (m *Metrics) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{descEvents, descOffset, descDec, descLoss, descBrier, descScore, descWin, descPulls, descMean} {
		ch <- d
	}
}

// Collect implements prometheus.Collector.
func (m *Metrics) Collect(ch chan<- prometheus.Metric) {
	s := m.l.snapshot.Load()
	if s == nil {
		return
	}
	ch <- prometheus.MustNewConstMetric(descEvents, prometheus.CounterValue, float64(s.events))
	ch <- prometheus.MustNewConstMetric(descOffset, prometheus.GaugeValue, float64(s.offset))
	for _, r := range s.reports {
		ch <- prometheus.MustNewConstMetric(descDec, prometheus.CounterValue, float64(r.Decisions), r.Wiki)
		if r.Decisions > 0 {
			ch <- prometheus.MustNewConstMetric(descLoss, prometheus.GaugeValue, r.LogLoss, r.Wiki, "calibrated")
			ch <- prometheus.MustNewConstMetric(descLoss, prometheus.GaugeValue, r.RawLogLoss, r.Wiki, "raw")
			ch <- prometheus.MustNewConstMetric(descBrier, prometheus.GaugeValue, r.Brier, r.Wiki, "calibrated")
			ch <- prometheus.MustNewConstMetric(descBrier, prometheus.GaugeValue, r.RawBrier, r.Wiki, "raw")
		}
		ch <- prometheus.MustNewConstMetric(descScore, prometheus.GaugeValue, r.LastScore, r.Wiki)
		ch <- prometheus.MustNewConstMetric(descWin, prometheus.CounterValue, float64(r.Windows), r.Wiki)
		us := MeanUtilities(r.Arms, m.l.o.Reward)
		for k, a := range r.Arms {
			th := formatThreshold(a.Threshold)
			ch <- prometheus.MustNewConstMetric(descPulls, prometheus.CounterValue, float64(a.Pulls), r.Wiki, th)
			ch <- prometheus.MustNewConstMetric(descMean, prometheus.GaugeValue, us[k], r.Wiki, th)
		}
	}
}

// snapshot is what the metrics read: the state's figures at the last checkpoint,
// taken by the learner's goroutine so that a scrape never reads a state being changed.
type snapshot struct {
	events, offset int64
	reports        []Report
}

type snapshotPtr = atomic.Pointer[snapshot]
