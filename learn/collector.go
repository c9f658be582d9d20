package learn

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"sync"

	"github.com/prometheus/client_golang/prometheus"
)

// Collector is the HTTP side of the event log:
//
//	GET  /v1/events/schema      the JSON Schema of a batch (SchemaJSON)
//	POST /v1/events             a batch {"events": [...]}
//	POST /v1/events/submission  a GrowthExperiments-shaped submission (Submission)
//
// A batch is validated whole before anything is stored: an event that breaks the
// schema answers 400 with the field named ({"error": ..., "field": "events[3].score"})
// and none of its batch is kept. A 200 answer ({"stored": n, "duplicates": d}) comes
// after the events are synced to disk.
type Collector struct {
	Log          *Log
	MaxBodyBytes int64        // default 8 MiB
	Logger       *slog.Logger // nil: discard

	once                  sync.Once
	stored, dups, refused prometheus.Counter
	failed                prometheus.Counter
}

func (c *Collector) init() {
	c.once.Do(func() {
		c.stored = prometheus.NewCounter(prometheus.CounterOpts{Name: "addlink_events_stored_total", Help: "Events appended to the event log."})
		c.dups = prometheus.NewCounter(prometheus.CounterOpts{Name: "addlink_events_duplicates_total", Help: "Events dropped because their id was stored already."})
		c.refused = prometheus.NewCounter(prometheus.CounterOpts{Name: "addlink_event_batches_refused_total", Help: "Batches refused whole for an event that breaks the schema."})
		c.failed = prometheus.NewCounter(prometheus.CounterOpts{Name: "addlink_event_batches_failed_total", Help: "Batches not stored because the log could not be written (503)."})
	})
}

// Metrics returns the collector's Prometheus counters, to register with the service's
// registry.
func (c *Collector) Metrics() []prometheus.Collector {
	c.init()
	return []prometheus.Collector{c.stored, c.dups, c.refused, c.failed}
}

// Routes returns the collector's routes as Go 1.22 mux patterns.
func (c *Collector) Routes() map[string]http.Handler {
	return map[string]http.Handler{
		"GET " + SchemaURL:           http.HandlerFunc(c.serveSchema),
		"POST /v1/events":            c.handler(ValidateBatch),
		"POST /v1/events/submission": c.handler(SubmissionEvents),
	}
}

func (c *Collector) serveSchema(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/schema+json")
	w.Write([]byte(SchemaJSON))
}

func (c *Collector) handler(parse func([]byte) ([]Event, error)) http.Handler {
	c.init()
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		max := c.MaxBodyBytes
		if max <= 0 {
			max = 8 << 20
		}
		var buf bytes.Buffer
		if _, err := buf.ReadFrom(http.MaxBytesReader(w, r.Body, max)); err != nil {
			var tooBig *http.MaxBytesError
			if errors.As(err, &tooBig) {
				writeJSON(w, http.StatusRequestEntityTooLarge, map[string]any{"error": fmt.Sprintf("the body is larger than %d bytes", max)})
				return
			}
			writeJSON(w, http.StatusBadRequest, map[string]any{"error": "reading the body: " + err.Error()})
			return
		}
		events, err := parse(buf.Bytes())
		if err != nil {
			c.refused.Inc()
			var fe *FieldError
			if errors.As(err, &fe) {
				writeJSON(w, http.StatusBadRequest, map[string]any{"error": fe.Error(), "field": fe.Field, "schema": SchemaURL})
				return
			}
			writeJSON(w, http.StatusBadRequest, map[string]any{"error": err.Error()})
			return
		}
		stored, dups, err := c.Log.Append(r.Context(), events)
		if err != nil {
			c.failed.Inc()
			if c.Logger != nil {
				c.Logger.Error("events not stored", slog.Any("error", err))
			}
			writeJSON(w, http.StatusServiceUnavailable, map[string]any{"error": "the events could not be stored; retry later"})
			return
		}
		c.stored.Add(float64(stored))
		c.dups.Add(float64(dups))
		writeJSON(w, http.StatusOK, map[string]any{"stored": stored, "duplicates": dups})
	})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	b, _ := json.Marshal(v)
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	w.Write(append(b, '\n'))
}
