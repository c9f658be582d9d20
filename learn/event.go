// Package learn collects what readers do with link suggestions and learns from it
// while it arrives: an HTTP collector that validates batches of events against a
// published JSON schema and appends them to a durable log (Collector, Log); a learner
// that consumes the log in order from a checkpointed position and keeps, per wiki, an
// online logistic calibration of P(accept | score) evaluated prequentially, tumbling
// windows of the acceptance rate watched by a Half-Space-Trees anomaly detector whose
// alerts go to a Slack-compatible webhook, and the Beta posteriors of a Thompson-sampling
// choice among thresholds (Learner); the stores those posteriors are read from when
// serving (SQLite or Redis, Store, Chooser); and a simulator comparing bandit policies
// on a wiki's backtest precision curve (Simulate).
//
// Time always comes from the events, never from the clock, so that a replay of the log
// gives the same state as the run that first read it.
package learn

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"regexp"
	"strings"
	"time"
	"unicode/utf8"
)

// Event types.
const (
	Impression = "impression" // a suggestion was shown
	Accept     = "accept"     // the reader accepted it (linked the target)
	Reject     = "reject"     // the reader rejected it
	Skip       = "skip"       // the reader moved on without deciding
)

// Event is one thing that happened to one suggestion. Its JSON form is the schema's
// (SchemaJSON); optional fields are omitted when zero.
type Event struct {
	ID        string   `json:"id"`   // the client's event id; a second event with an id already stored is dropped
	Type      string   `json:"type"` // impression, accept, reject or skip
	Wiki      string   `json:"wiki"` // wiki id, e.g. enwiki
	PageID    int64    `json:"page_id,omitempty"`
	Page      string   `json:"page"`     // the page's title
	Revision  int64    `json:"revision"` // the revision the suggestion was made for
	Target    string   `json:"target"`   // the suggested link target's title
	Mention   string   `json:"mention,omitempty"`
	Score     *float64 `json:"score,omitempty"`     // the model's score of the suggestion
	Threshold *float64 `json:"threshold,omitempty"` // the threshold the suggestion was served with
	Timestamp string   `json:"timestamp"`           // RFC 3339, when it happened
}

// Time returns the event's timestamp (validated events always have one).
func (e *Event) Time() time.Time {
	t, _ := time.Parse(time.RFC3339Nano, e.Timestamp)
	return t
}

// SchemaURL is the path the collector serves SchemaJSON at.
const SchemaURL = "/v1/events/schema"

// SchemaJSON is the JSON Schema (draft 2020-12) of a batch of events, as
// ValidateBatch enforces it.
const SchemaJSON = `{
  "$schema": "https://json-schema.org/draft/2020-12/schema",
  "$id": "` + SchemaURL + `",
  "title": "addlink events batch",
  "type": "object",
  "required": ["events"],
  "additionalProperties": false,
  "properties": {
    "events": {
      "type": "array",
      "minItems": 1,
      "maxItems": 10000,
      "items": {
        "type": "object",
        "additionalProperties": false,
        "required": ["id", "type", "wiki", "page", "revision", "target", "timestamp"],
        "properties": {
          "id": {"type": "string", "minLength": 1, "maxLength": 200},
          "type": {"enum": ["impression", "accept", "reject", "skip"]},
          "wiki": {"type": "string", "pattern": "^[a-z][a-z0-9_]{0,63}$"},
          "page_id": {"type": "integer", "minimum": 0},
          "page": {"type": "string", "minLength": 1, "maxLength": 1000},
          "revision": {"type": "integer", "minimum": 1},
          "target": {"type": "string", "minLength": 1, "maxLength": 1000},
          "mention": {"type": "string", "maxLength": 1000},
          "score": {"type": "number", "minimum": 0, "maximum": 1},
          "threshold": {"type": "number", "minimum": 0, "maximum": 1},
          "timestamp": {"type": "string", "format": "date-time"}
        },
        "if": {"properties": {"type": {"const": "impression"}}},
        "then": {"required": ["mention", "score", "threshold"]}
      }
    }
  }
}
`

// FieldError says which field of which event broke the schema.
type FieldError struct {
	Field string // e.g. events[3].score
	Msg   string
}

func (e *FieldError) Error() string { return e.Field + ": " + e.Msg }

var wikiRE = regexp.MustCompile(`^[a-z][a-z0-9_]{0,63}$`)

// ValidateBatch decodes a batch ({"events": [...]}) and checks every event against
// the schema. The first violation is returned as a *FieldError; then no event of the
// batch is valid.
func ValidateBatch(body []byte) ([]Event, error) {
	var top map[string]json.RawMessage
	if err := json.Unmarshal(body, &top); err != nil {
		return nil, &FieldError{Field: "(body)", Msg: "not a JSON object: " + err.Error()}
	}
	for k := range top {
		if k != "events" {
			return nil, &FieldError{Field: k, Msg: "unknown field"}
		}
	}
	raw, ok := top["events"]
	if !ok {
		return nil, &FieldError{Field: "events", Msg: "required"}
	}
	var items []json.RawMessage
	if err := json.Unmarshal(raw, &items); err != nil || items == nil {
		return nil, &FieldError{Field: "events", Msg: "must be an array"}
	}
	if len(items) == 0 || len(items) > 10000 {
		return nil, &FieldError{Field: "events", Msg: fmt.Sprintf("must hold 1 to 10000 events, has %d", len(items))}
	}
	out := make([]Event, len(items))
	for i, it := range items {
		if err := decodeEvent(it, &out[i]); err != nil {
			var fe *FieldError
			if errors.As(err, &fe) {
				fe.Field = fmt.Sprintf("events[%d].%s", i, fe.Field)
				fe.Field = strings.TrimSuffix(fe.Field, ".")
			}
			return nil, err
		}
	}
	return out, nil
}

// decodeEvent decodes one event and checks it against the schema.
func decodeEvent(raw json.RawMessage, e *Event) error {
	var m map[string]json.RawMessage
	if err := json.Unmarshal(raw, &m); err != nil || m == nil {
		return &FieldError{Field: "", Msg: "must be an object"}
	}
	seen := map[string]bool{}
	str := func(k string, min, max int, dst *string) error {
		v, ok := m[k]
		if !ok {
			return nil
		}
		seen[k] = true
		if err := json.Unmarshal(v, dst); err != nil || v[0] != '"' {
			return &FieldError{Field: k, Msg: "must be a string"}
		}
		if !utf8.ValidString(*dst) {
			return &FieldError{Field: k, Msg: "must be valid UTF-8"}
		}
		if n := utf8.RuneCountInString(*dst); n < min || n > max {
			return &FieldError{Field: k, Msg: fmt.Sprintf("must have %d to %d characters", min, max)}
		}
		return nil
	}
	integer := func(k string, min int64, dst *int64) error {
		v, ok := m[k]
		if !ok {
			return nil
		}
		seen[k] = true
		d := json.NewDecoder(bytes.NewReader(v))
		d.UseNumber()
		var n json.Number
		if err := d.Decode(&n); err != nil || v[0] == '"' {
			return &FieldError{Field: k, Msg: "must be an integer"}
		}
		x, err := n.Int64()
		if err != nil {
			return &FieldError{Field: k, Msg: "must be an integer"}
		}
		if x < min {
			return &FieldError{Field: k, Msg: fmt.Sprintf("must be at least %d", min)}
		}
		*dst = x
		return nil
	}
	number := func(k string, dst **float64) error {
		v, ok := m[k]
		if !ok {
			return nil
		}
		seen[k] = true
		var f float64
		if err := json.Unmarshal(v, &f); err != nil || v[0] == '"' {
			return &FieldError{Field: k, Msg: "must be a number"}
		}
		if math.IsNaN(f) || f < 0 || f > 1 {
			return &FieldError{Field: k, Msg: "must be a number in [0, 1]"}
		}
		*dst = &f
		return nil
	}
	for _, err := range []error{
		str("id", 1, 200, &e.ID), str("type", 0, 20, &e.Type), str("wiki", 1, 64, &e.Wiki),
		integer("page_id", 0, &e.PageID), str("page", 1, 1000, &e.Page), integer("revision", 1, &e.Revision),
		str("target", 1, 1000, &e.Target), str("mention", 0, 1000, &e.Mention),
		number("score", &e.Score), number("threshold", &e.Threshold), str("timestamp", 1, 64, &e.Timestamp),
	} {
		if err != nil {
			return err
		}
	}
	for _, k := range sortedKeys(m) {
		if !seen[k] {
			return &FieldError{Field: k, Msg: "unknown field"}
		}
	}
	for _, k := range []string{"id", "type", "wiki", "page", "revision", "target", "timestamp"} {
		if !seen[k] {
			return &FieldError{Field: k, Msg: "required"}
		}
	}
	switch e.Type {
	case Impression:
		for _, k := range []string{"mention", "score", "threshold"} {
			if !seen[k] {
				return &FieldError{Field: k, Msg: "required for an impression"}
			}
		}
	case Accept, Reject, Skip:
	default:
		return &FieldError{Field: "type", Msg: fmt.Sprintf("must be impression, accept, reject or skip, got %q", e.Type)}
	}
	if !wikiRE.MatchString(e.Wiki) {
		return &FieldError{Field: "wiki", Msg: "must be a wiki id such as enwiki (lower-case letters, digits, _)"}
	}
	t, err := time.Parse(time.RFC3339Nano, e.Timestamp)
	if err != nil {
		return &FieldError{Field: "timestamp", Msg: "must be an RFC 3339 date-time"}
	}
	e.Timestamp = t.UTC().Format(time.RFC3339Nano)
	return nil
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	for i := 1; i < len(keys); i++ {
		for j := i; j > 0 && keys[j] < keys[j-1]; j-- {
			keys[j], keys[j-1] = keys[j-1], keys[j]
		}
	}
	return keys
}

// Submission is a GrowthExperiments-shaped record of what a reader did with the
// suggestions of one revision: the targets accepted, rejected and skipped (titles).
type Submission struct {
	Wiki      string   `json:"wiki"`
	Page      string   `json:"page"`
	PageID    int64    `json:"page_id,omitempty"`
	Revision  int64    `json:"revision"`
	Threshold *float64 `json:"threshold,omitempty"`
	Timestamp string   `json:"timestamp"`
	Accepted  []string `json:"acceptedTargets"`
	Rejected  []string `json:"rejectedTargets"`
	Skipped   []string `json:"skippedTargets"`
}

// SubmissionEvents validates a submission body and turns it into events whose ids are
// derived from (wiki, revision, target), so that a second submission for the same
// revision is dropped as duplicates, as GrowthExperiments refuses it.
func SubmissionEvents(body []byte) ([]Event, error) {
	var m map[string]json.RawMessage
	if err := json.Unmarshal(body, &m); err != nil || m == nil {
		return nil, &FieldError{Field: "(body)", Msg: "not a JSON object"}
	}
	known := map[string]bool{"wiki": true, "page": true, "page_id": true, "revision": true, "threshold": true,
		"timestamp": true, "acceptedTargets": true, "rejectedTargets": true, "skippedTargets": true}
	for _, k := range sortedKeys(m) {
		if !known[k] {
			return nil, &FieldError{Field: k, Msg: "unknown field"}
		}
	}
	var s Submission
	for _, k := range []string{"acceptedTargets", "rejectedTargets", "skippedTargets"} {
		if v, ok := m[k]; ok {
			var xs []string
			if err := json.Unmarshal(v, &xs); err != nil {
				return nil, &FieldError{Field: k, Msg: "must be an array of titles"}
			}
		}
	}
	if err := json.Unmarshal(body, &s); err != nil {
		return nil, &FieldError{Field: "(body)", Msg: err.Error()}
	}
	if len(s.Accepted)+len(s.Rejected)+len(s.Skipped) == 0 {
		return nil, &FieldError{Field: "acceptedTargets", Msg: "no target accepted, rejected or skipped"}
	}
	var events []json.RawMessage
	add := func(typ string, targets []string) {
		for _, t := range targets {
			ev := map[string]any{"id": fmt.Sprintf("ge:%s:%d:%s", s.Wiki, s.Revision, t), "type": typ,
				"wiki": s.Wiki, "page": s.Page, "revision": s.Revision, "target": t, "timestamp": s.Timestamp}
			if s.PageID != 0 {
				ev["page_id"] = s.PageID
			}
			if s.Threshold != nil {
				ev["threshold"] = *s.Threshold
			}
			b, _ := json.Marshal(ev)
			events = append(events, b)
		}
	}
	add(Accept, s.Accepted)
	add(Reject, s.Rejected)
	add(Skip, s.Skipped)
	out := make([]Event, len(events))
	for i, raw := range events {
		if err := decodeEvent(raw, &out[i]); err != nil {
			var fe *FieldError
			if errors.As(err, &fe) {
				switch fe.Field {
				case "target":
					fe.Field = "targets"
				case "id":
				}
			}
			return nil, err
		}
	}
	return out, nil
}
