package follow

import (
	"bufio"
	"bytes"
	"context"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// readReplay returns the events of a recording and their positions.
func readReplay(t testing.TB, path, after string, max int) ([]Event, []string) {
	t.Helper()
	r, err := openReplay(path, after, 0, max, testFilter)
	if err != nil {
		t.Fatal(err)
	}
	defer r.close()
	var evs []Event
	var pos []string
	for {
		ev, p, err := r.next(context.Background())
		if err == io.EOF {
			return evs, pos
		}
		if err != nil {
			t.Fatal(err)
		}
		evs = append(evs, ev)
		pos = append(pos, p)
	}
}

// JSON lines (blank lines and CRLF tolerated, a last line without newline, a line over
// the limit reported as oversize) and SSE recordings, told apart by their first byte.
func TestReplayFormats(t *testing.T) {
	dir := t.TempDir()
	for _, tc := range []struct {
		name, content string
		want          []string // data, "!" for oversize
	}{
		{"json lines", "{\"a\":1}\r\n\n{\"b\":2}\n{\"c\":3}", []string{`{"a":1}`, `{"b":2}`, `{"c":3}`}},
		{"json lines with a long line", "{\"a\":1}\n{\"" + strings.Repeat("x", 300) + "\":0}\n{\"c\":3}\n", []string{`{"a":1}`, "!", `{"c":3}`}},
		{"sse", ":ok\n\nevent: message\nid: [1]\ndata: {\"a\":1}\n\nevent: message\nid: [2]\ndata: {\"b\":2}\n\n", []string{`{"a":1}`, `{"b":2}`}},
		{"sse as curl saves it, unfinished last event", "event: message\ndata: {\"a\":1}\n\ndata: {\"b\"", []string{`{"a":1}`}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(dir, strings.ReplaceAll(tc.name, " ", "_"))
			if err := os.WriteFile(path, []byte(tc.content), 0o644); err != nil {
				t.Fatal(err)
			}
			evs, pos := readReplay(t, path, "", 100)
			var got []string
			for _, e := range evs {
				if e.Oversize {
					got = append(got, "!")
				} else {
					got = append(got, string(e.Data))
				}
			}
			if strings.Join(got, " ") != strings.Join(tc.want, " ") {
				t.Errorf("events %q, want %q", got, tc.want)
			}
			for i, p := range pos {
				if p != itoa(i+1) {
					t.Errorf("position %d is %q", i, p)
				}
			}
			// Resuming after the first event gives the rest.
			if len(tc.want) > 1 {
				rest, pos := readReplay(t, path, "1", 100)
				if len(rest) != len(tc.want)-1 || pos[0] != "2" {
					t.Errorf("resumed after 1: %d events from %v", len(rest), pos)
				}
			}
		})
	}
}

func FuzzReadLine(f *testing.F) {
	f.Add([]byte("{\"a\":1}\n\n{\"b\":2}"), 8)
	f.Add([]byte(strings.Repeat("x", 100)+"\r\nyy\n"), 10)
	f.Fuzz(func(t *testing.T, in []byte, max int) {
		if max < 1 || max > 1<<12 {
			max = 1 << 12
		}
		r := bufio.NewReaderSize(bytes.NewReader(in), 16)
		n := 0
		for {
			line, err := readLine(r, max)
			if err == errLineTooLong {
				n++
				continue
			}
			if len(line) > max {
				t.Fatalf("a line of %d bytes, over %d", len(line), max)
			}
			if bytes.ContainsAny(line, "\n") {
				t.Fatalf("a line with a newline: %q", line)
			}
			if err != nil {
				if err != io.EOF {
					t.Fatal(err)
				}
				break
			}
			n++
			if n > len(in)+1 {
				t.Fatalf("%d lines from %d bytes", n, len(in))
			}
		}
	})
}
