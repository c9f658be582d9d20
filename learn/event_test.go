package learn

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"
)

func impressionJSON(id string) string {
	return fmt.Sprintf(`{"id":%q,"type":"impression","wiki":"elwikivoyage","page":"Αθήνα","page_id":12,"revision":99,`+
		`"target":"Πειραιάς","mention":"Πειραιά","score":0.73,"threshold":0.6,"timestamp":"2026-01-02T03:04:05+02:00"}`, id)
}

func TestValidateBatch(t *testing.T) {
	good := impressionJSON("a")
	for _, tc := range []struct {
		name, body, field string
	}{
		{"ok", `{"events":[` + good + `]}`, ""},
		{"not json", `{"events":`, "(body)"},
		{"unknown top field", `{"events":[` + good + `],"x":1}`, "x"},
		{"no events", `{}`, "events"},
		{"empty", `{"events":[]}`, "events"},
		{"events not array", `{"events":{}}`, "events"},
		{"event not object", `{"events":[` + good + `,3]}`, "events[1]"},
		{"missing id", `{"events":[` + strings.Replace(good, `"id":"a",`, ``, 1) + `]}`, "events[0].id"},
		{"empty id", `{"events":[` + impressionJSON("") + `]}`, "events[0].id"},
		{"bad type", `{"events":[` + strings.Replace(good, `"impression"`, `"click"`, 1) + `]}`, "events[0].type"},
		{"wiki upper", `{"events":[` + strings.Replace(good, `"elwikivoyage"`, `"ElWiki"`, 1) + `]}`, "events[0].wiki"},
		{"revision string", `{"events":[` + strings.Replace(good, `99`, `"99"`, 1) + `]}`, "events[0].revision"},
		{"revision zero", `{"events":[` + strings.Replace(good, `99`, `0`, 1) + `]}`, "events[0].revision"},
		{"revision float", `{"events":[` + strings.Replace(good, `99`, `9.5`, 1) + `]}`, "events[0].revision"},
		{"score above 1", `{"events":[` + good + `,` + strings.Replace(impressionJSON("b"), `0.73`, `1.5`, 1) + `]}`, "events[1].score"},
		{"score string", `{"events":[` + strings.Replace(good, `0.73`, `"0.73"`, 1) + `]}`, "events[0].score"},
		{"impression without score", `{"events":[` + strings.Replace(good, `"score":0.73,`, ``, 1) + `]}`, "events[0].score"},
		{"bad timestamp", `{"events":[` + strings.Replace(good, `2026-01-02T03:04:05+02:00`, `yesterday`, 1) + `]}`, "events[0].timestamp"},
		{"unknown field", `{"events":[` + strings.Replace(good, `"id":"a"`, `"id":"a","extra":true`, 1) + `]}`, "events[0].extra"},
		{"accept without score", `{"events":[{"id":"x","type":"accept","wiki":"enwiki","page":"P","revision":1,"target":"T","timestamp":"2026-01-01T00:00:00Z"}]}`, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			events, err := ValidateBatch([]byte(tc.body))
			if tc.field == "" {
				if err != nil {
					t.Fatalf("error %v", err)
				}
				if len(events) != 1 {
					t.Fatalf("%d events", len(events))
				}
				return
			}
			var fe *FieldError
			if !errors.As(err, &fe) {
				t.Fatalf("error %v, want a FieldError on %s", err, tc.field)
			}
			if fe.Field != tc.field {
				t.Errorf("field %q (%v), want %q", fe.Field, err, tc.field)
			}
			if events != nil {
				t.Errorf("events returned with an error")
			}
		})
	}
}

func TestTimestampNormalised(t *testing.T) {
	events, err := ValidateBatch([]byte(`{"events":[` + impressionJSON("a") + `]}`))
	if err != nil {
		t.Fatal(err)
	}
	if got := events[0].Timestamp; got != "2026-01-02T01:04:05Z" {
		t.Errorf("timestamp %q, want UTC", got)
	}
}

// The schema served names every field the validator knows and requires the same ones.
func TestSchemaMatchesValidator(t *testing.T) {
	var s struct {
		Properties struct {
			Events struct {
				Items struct {
					Required   []string                   `json:"required"`
					Properties map[string]json.RawMessage `json:"properties"`
				} `json:"items"`
			} `json:"events"`
		} `json:"properties"`
	}
	if err := json.Unmarshal([]byte(SchemaJSON), &s); err != nil {
		t.Fatal(err)
	}
	items := s.Properties.Events.Items
	if len(items.Properties) != 11 {
		t.Errorf("%d properties in the schema, want the 11 of Event", len(items.Properties))
	}
	full := map[string]any{"id": "x", "type": "impression", "wiki": "enwiki", "page_id": 1, "page": "P", "revision": 1,
		"target": "T", "mention": "m", "score": 0.5, "threshold": 0.5, "timestamp": "2026-01-01T00:00:00Z"}
	for k := range items.Properties {
		if _, ok := full[k]; !ok {
			t.Errorf("schema property %q unknown to the test", k)
		}
	}
	for _, k := range items.Required {
		ev := map[string]any{}
		for kk, v := range full {
			if kk != k {
				ev[kk] = v
			}
		}
		b, _ := json.Marshal(map[string]any{"events": []any{ev}})
		_, err := ValidateBatch(b)
		var fe *FieldError
		if !errors.As(err, &fe) || fe.Field != "events[0]."+k {
			t.Errorf("without required %q: %v", k, err)
		}
	}
}

func TestSubmissionEvents(t *testing.T) {
	body := `{"wiki":"enwiki","page":"Cat","page_id":5,"revision":42,"timestamp":"2026-03-01T10:00:00Z",` +
		`"acceptedTargets":["Dog"],"rejectedTargets":["Mouse","Bird"],"skippedTargets":[]}`
	events, err := SubmissionEvents([]byte(body))
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, e := range events {
		got = append(got, e.Type+":"+e.Target+":"+e.ID)
	}
	want := []string{"accept:Dog:ge:enwiki:42:Dog", "reject:Mouse:ge:enwiki:42:Mouse", "reject:Bird:ge:enwiki:42:Bird"}
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("events %v, want %v", got, want)
	}
	for _, tc := range []struct{ body, field string }{
		{`{"wiki":"enwiki","page":"Cat","revision":42,"timestamp":"2026-03-01T10:00:00Z"}`, "acceptedTargets"},
		{`{"wiki":"enwiki","page":"Cat","revision":42,"timestamp":"2026-03-01T10:00:00Z","acceptedTargets":[1]}`, "acceptedTargets"},
		{`{"wiki":"enwiki","page":"Cat","revision":0,"timestamp":"2026-03-01T10:00:00Z","acceptedTargets":["A"]}`, "revision"},
		{`{"wiki":"enwiki","revision":3,"timestamp":"2026-03-01T10:00:00Z","acceptedTargets":["A"]}`, "page"},
		{`{"wiki":"enwiki","page":"Cat","revision":3,"timestamp":"2026-03-01T10:00:00Z","acceptedTargets":["A"],"who":1}`, "who"},
	} {
		_, err := SubmissionEvents([]byte(tc.body))
		var fe *FieldError
		if !errors.As(err, &fe) || fe.Field != tc.field {
			t.Errorf("%s: error %v, want one on %s", tc.body, err, tc.field)
		}
	}
}

func FuzzValidateBatch(f *testing.F) {
	f.Add([]byte(`{"events":[` + impressionJSON("a") + `]}`))
	f.Add([]byte(`{"events":[{"id":"x","type":"accept","wiki":"enwiki","page":"P","revision":1,"target":"T","timestamp":"2026-01-01T00:00:00Z"}]}`))
	f.Add([]byte(`{"events":[1,2]}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		events, err := ValidateBatch(body)
		if err != nil {
			if events != nil {
				t.Fatal("events with an error")
			}
			return
		}
		// What is accepted survives its own round trip through the log's encoding.
		for _, e := range events {
			b, err := json.Marshal(e)
			if err != nil {
				t.Fatal(err)
			}
			again, err := ValidateBatch([]byte(`{"events":[` + string(b) + `]}`))
			if err != nil {
				t.Fatalf("stored form %s does not validate: %v", b, err)
			}
			b2, _ := json.Marshal(again[0])
			if string(b) != string(b2) {
				t.Fatalf("round trip %s -> %s", b, b2)
			}
		}
	})
}

func FuzzSubmissionEvents(f *testing.F) {
	f.Add([]byte(`{"wiki":"enwiki","page":"Cat","revision":42,"timestamp":"2026-03-01T10:00:00Z","acceptedTargets":["Dog"]}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		events, err := SubmissionEvents(body)
		if err == nil && len(events) == 0 {
			t.Fatal("no events and no error")
		}
	})
}
