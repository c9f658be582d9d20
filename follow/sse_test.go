package follow

import (
	"bytes"
	"errors"
	"io"
	"reflect"
	"strings"
	"testing"
	"testing/iotest"
)

func readAll(t testing.TB, r *SSEReader) ([]Event, error) {
	var out []Event
	for {
		ev, err := r.Next()
		if err != nil {
			return out, err
		}
		out = append(out, ev)
	}
}

// The parsing rules of the HTML standard's event-stream format.
func TestSSEReader(t *testing.T) {
	big := strings.Repeat("x", 200<<10) // over bufio.Scanner's 64 KB
	for _, tc := range []struct {
		name string
		in   string
		want []Event
	}{
		{"one event", "event: message\nid: [1]\ndata: {\"a\":1}\n\n", []Event{{Name: "message", ID: "[1]", Data: []byte(`{"a":1}`)}}},
		{"comment first, as EventStreams sends", ":ok\n\nevent: message\ndata: x\n\n", []Event{{Name: "message", Data: []byte("x")}}},
		{"CRLF", "data: a\r\ndata: b\r\n\r\n", []Event{{Data: []byte("a\nb")}}},
		{"CR alone", "data: a\rdata: b\r\r", []Event{{Data: []byte("a\nb")}}},
		{"one space stripped", "data:  two\n\n", []Event{{Data: []byte(" two")}}},
		{"no space", "data:x\n\n", []Event{{Data: []byte("x")}}},
		{"space before the colon is another field", "data : x\ndata: y\n\n", []Event{{Data: []byte("y")}}},
		{"field without colon", "data\n\n", []Event{{Data: []byte("")}}},
		{"id persists", "id: 1\ndata: a\n\ndata: b\n\n", []Event{{ID: "1", Data: []byte("a")}, {ID: "1", Data: []byte("b")}}},
		{"id without data dispatches nothing but sets the id", "id: 7\n\ndata: b\n\n", []Event{{ID: "7", Data: []byte("b")}}},
		{"retry", "retry: 2500\ndata: a\n\n", []Event{{Retry: 2500, Data: []byte("a")}}},
		{"bad retry ignored", "retry: 25x\ndata: a\n\n", []Event{{Data: []byte("a")}}},
		{"unfinished event discarded", "data: a\n\ndata: b\n", []Event{{Data: []byte("a")}}},
		{"unterminated line discarded", "data: a\n\ndata: b", []Event{{Data: []byte("a")}}},
		{"event over 64 KB", "data: " + big + "\n\n", []Event{{Data: []byte(big)}}},
		{"error event", "event: error\ndata: {\"message\":\"x\"}\n\n", []Event{{Name: "error", Data: []byte(`{"message":"x"}`)}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for _, r := range []io.Reader{strings.NewReader(tc.in), iotest.OneByteReader(strings.NewReader(tc.in))} {
				got, err := readAll(t, NewSSEReader(r, 0))
				if err != io.EOF {
					t.Fatalf("error %v, want EOF", err)
				}
				if len(got) != len(tc.want) {
					t.Fatalf("got %d events %+v, want %d", len(got), got, len(tc.want))
				}
				for i := range got {
					if got[i].Data == nil {
						got[i].Data = []byte{}
					}
					if !reflect.DeepEqual(got[i], tc.want[i]) {
						t.Errorf("event %d: got %+v, want %+v", i, got[i], tc.want[i])
					}
				}
			}
		})
	}
}

// An event over the limit is reported as Oversize (so the position moves past it)
// without its data, whether it is one long line or many lines; the next one is read.
func TestSSEReaderOversize(t *testing.T) {
	long := "data: " + strings.Repeat("y", 5000) + "\n\n"
	many := strings.Repeat("data: "+strings.Repeat("z", 100)+"\n", 100) + "\n"
	for _, in := range []string{long, many} {
		r := NewSSEReader(strings.NewReader("id: 1\n"+in+"id: 2\ndata: ok\n\n"), 1024)
		got, err := readAll(t, r)
		if err != io.EOF || len(got) != 2 {
			t.Fatalf("got %v, %v", got, err)
		}
		if !got[0].Oversize || len(got[0].Data) != 0 || got[0].ID != "1" {
			t.Errorf("first event %+v, want oversize with id 1", got[0])
		}
		if got[1].Oversize || string(got[1].Data) != "ok" || got[1].ID != "2" {
			t.Errorf("second event %+v", got[1])
		}
	}
}

// What AppendSSE writes reads back as the same events.
func TestAppendSSERoundTrip(t *testing.T) {
	evs := []Event{{Name: "message", ID: `[{"topic":"t","partition":0,"offset":3}]`, Data: []byte(`{"a":"b"}`)},
		{Name: "message", ID: "x", Data: []byte("two\nlines")}, {Name: "error", ID: "x", Data: []byte("")}}
	var b []byte
	for _, e := range evs {
		b = AppendSSE(b, e)
	}
	got, err := readAll(t, NewSSEReader(bytes.NewReader(b), 0))
	if err != io.EOF {
		t.Fatal(err)
	}
	if len(got) != len(evs) {
		t.Fatalf("%d events back, want %d", len(got), len(evs))
	}
	for i := range evs {
		if got[i].Name != evs[i].Name || got[i].ID != evs[i].ID || !bytes.Equal(got[i].Data, evs[i].Data) {
			t.Errorf("event %d: %+v, want %+v", i, got[i], evs[i])
		}
	}
}

func FuzzSSEReader(f *testing.F) {
	f.Add([]byte("event: message\nid: [1]\ndata: {\"a\":1}\n\n"), 64)
	f.Add([]byte(":ok\r\n\r\ndata: a\rdata: b\r\r"), 4)
	f.Add([]byte("data: "+strings.Repeat("x", 300)+"\n\nid: 2\n\n"), 100)
	f.Fuzz(func(t *testing.T, in []byte, max int) {
		if max < 1 || max > 1<<16 {
			max = 1 << 16
		}
		one, err1 := readAll(t, NewSSEReader(bytes.NewReader(in), max))
		two, err2 := readAll(t, NewSSEReader(iotest.OneByteReader(bytes.NewReader(in)), max))
		if !errors.Is(err1, io.EOF) || !errors.Is(err2, io.EOF) {
			t.Fatalf("errors %v, %v", err1, err2)
		}
		if len(one) != len(two) {
			t.Fatalf("%d events read at once, %d byte by byte", len(one), len(two))
		}
		for i := range one {
			if !reflect.DeepEqual(one[i], two[i]) && !(len(one[i].Data) == 0 && len(two[i].Data) == 0) {
				t.Fatalf("event %d: %+v vs %+v", i, one[i], two[i])
			}
			if len(one[i].Data) > max {
				t.Fatalf("event %d has %d bytes, over the limit %d", i, len(one[i].Data), max)
			}
			// What is written back reads back the same.
			if !one[i].Oversize && bytes.IndexByte(one[i].Data, '\r') < 0 {
				back, _ := readAll(t, NewSSEReader(bytes.NewReader(AppendSSE(nil, one[i])), 0))
				if len(back) != 1 || !bytes.Equal(back[0].Data, one[i].Data) {
					t.Fatalf("event %+v written and read back: %+v", one[i], back)
				}
			}
		}
	})
}
