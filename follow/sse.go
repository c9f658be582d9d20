package follow

import (
	"bytes"
	"errors"
	"io"
	"strconv"
)

// Event is one server-sent event as dispatched by a blank line, or one line of a
// JSON-lines recording.
type Event struct {
	Name string // the event field; "" means "message"
	ID   string // the last event id in force when it was dispatched (raw, e.g. a JSON array)
	Data []byte // the data lines joined with "\n"
	// Retry is the reconnection time in milliseconds the event carried, 0 when none.
	Retry int
	// Oversize is set, with Data empty, for an event whose lines exceeded the reader's
	// limit: it is reported (so that the position still moves past it) but not kept.
	Oversize bool
}

// SSEReader parses a text/event-stream as the HTML standard describes it: lines end
// with CR, LF or CRLF; a line starting with ":" is a comment; a field's name is what
// precedes the first ":" and one leading space of its value is dropped; a blank line
// dispatches the event; an event cut off by the end of the stream is discarded. Unlike
// bufio.Scanner it has no 64 KB line limit: an event may be up to max bytes, and a
// larger one is skipped (reported with Oversize) without holding it in memory.
type SSEReader struct {
	r   io.Reader
	buf []byte
	beg int // unread bytes are buf[beg:end]
	end int
	eof error
	max int

	skipLF bool   // the previous line ended with CR: a following LF belongs to it
	lastID string // the id in force (it persists across events)

	// the event being read
	name     string
	data     []byte
	hasData  bool
	retry    int
	oversize bool
	size     int
}

// NewSSEReader returns a reader of events of at most max bytes (default 16 MiB).
func NewSSEReader(r io.Reader, max int) *SSEReader {
	if max <= 0 {
		max = 16 << 20
	}
	return &SSEReader{r: r, buf: make([]byte, 64<<10), max: max}
}

// SetLastID sets the id in force before the first event (the one a reconnection sent
// as Last-Event-ID), as a browser's EventSource keeps it across connections.
func (s *SSEReader) SetLastID(id string) { s.lastID = id }

// errLineTooLong is returned by line when a line does not fit in max bytes; the line
// has then been consumed.
var errLineTooLong = errors.New("sse: line too long")

// line returns the next line without its terminator, valid until the next call.
func (s *SSEReader) line() ([]byte, error) {
	long := false
	scanned := 0 // bytes after beg known to hold no line end
	for {
		if s.skipLF && s.beg < s.end {
			if s.buf[s.beg] == '\n' {
				s.beg++
			}
			s.skipLF = false
		}
		if i := bytes.IndexAny(s.buf[s.beg+scanned:s.end], "\r\n"); i >= 0 {
			i += scanned
			ln := s.buf[s.beg : s.beg+i]
			s.skipLF = s.buf[s.beg+i] == '\r'
			s.beg += i + 1
			if long {
				return nil, errLineTooLong
			}
			return ln, nil
		}
		scanned = s.end - s.beg
		if s.eof != nil {
			return nil, s.eof // a line without its terminator is not a line
		}
		// Make room: move the unread bytes to the front, grow up to max, or drop what
		// is already known to be too long.
		if s.beg > 0 {
			n := copy(s.buf, s.buf[s.beg:s.end])
			s.beg, s.end = 0, n
		}
		if s.end == len(s.buf) {
			if len(s.buf) >= s.max {
				long = true
				s.end, scanned = 0, 0
			} else {
				nb := make([]byte, min(2*len(s.buf), s.max))
				copy(nb, s.buf[:s.end])
				s.buf = nb
			}
		}
		n, err := s.r.Read(s.buf[s.end:])
		s.end += n
		if err != nil {
			s.eof = err
		}
	}
}

// Next returns the next dispatched event. At the end of the stream it returns io.EOF
// (or the read error), discarding an event not finished by a blank line.
func (s *SSEReader) Next() (Event, error) {
	for {
		ln, err := s.line()
		if err == errLineTooLong {
			s.oversize = true
			continue
		}
		if err != nil {
			s.reset()
			return Event{}, err
		}
		if len(ln) == 0 {
			if !s.hasData && !s.oversize {
				s.reset() // nothing to dispatch (the standard: data buffer empty)
				continue
			}
			ev := Event{Name: s.name, ID: s.lastID, Retry: s.retry, Oversize: s.oversize}
			if !s.oversize {
				ev.Data = s.data
			}
			s.data = nil
			s.reset()
			return ev, nil
		}
		if ln[0] == ':' {
			continue
		}
		field, value := ln, []byte(nil)
		if i := bytes.IndexByte(ln, ':'); i >= 0 {
			field, value = ln[:i], ln[i+1:]
			if len(value) > 0 && value[0] == ' ' {
				value = value[1:]
			}
		}
		switch string(field) {
		case "event":
			s.name = string(value)
		case "data":
			s.size += len(value) + 1
			if s.size > s.max {
				s.oversize = true
				s.data = s.data[:0]
				continue
			}
			if s.oversize {
				continue
			}
			if s.hasData {
				s.data = append(s.data, '\n')
			}
			s.data = append(s.data, value...)
			s.hasData = true
		case "id":
			if bytes.IndexByte(value, 0) < 0 {
				s.lastID = string(value)
			}
		case "retry":
			if n, err := strconv.Atoi(string(value)); err == nil && n >= 0 && isDigits(value) {
				s.retry = n
			}
		}
	}
}

func (s *SSEReader) reset() {
	s.name, s.hasData, s.retry, s.oversize, s.size = "", false, 0, false, 0
	s.data = s.data[:0]
}

func isDigits(b []byte) bool {
	for _, c := range b {
		if c < '0' || c > '9' {
			return false
		}
	}
	return len(b) > 0
}

// OversizeName is the event name a recording gives an event that was over the size
// limit (its data was not kept), so that its replay is skipped for the same reason.
const OversizeName = "addlink-oversize"

// AppendSSE appends ev in text/event-stream framing (what --record writes and a
// replay reads back): event, id, one data line per line of Data, a blank line.
func AppendSSE(b []byte, ev Event) []byte {
	name := ev.Name
	if name == "" {
		name = "message"
	}
	if ev.Oversize {
		name = OversizeName
	}
	b = append(b, "event: "...)
	b = append(b, name...)
	b = append(b, '\n')
	if ev.ID != "" {
		b = append(b, "id: "...)
		b = append(b, ev.ID...)
		b = append(b, '\n')
	}
	for _, ln := range bytes.Split(ev.Data, []byte("\n")) {
		b = append(b, "data: "...)
		b = append(b, bytes.TrimSuffix(ln, []byte("\r"))...)
		b = append(b, '\n')
	}
	return append(b, '\n')
}
