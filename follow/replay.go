package follow

import (
	"bufio"
	"bytes"
	"context"
	"io"
	"os"
	"strconv"
	"time"
)

// source is where events come from: the live stream or a recording. Everything after
// it is the same code for both.
type source interface {
	// next returns the next event and the position to store once it is processed;
	// io.EOF at the end of a recording.
	next(ctx context.Context) (Event, string, error)
	close() error
}

// liveSource reads a Stream; an event's position is its id (Last-Event-ID on resume).
type liveSource struct{ s *Stream }

func (l liveSource) next(ctx context.Context) (Event, string, error) {
	ev, err := l.s.Next(ctx)
	return ev, ev.ID, err
}

func (l liveSource) close() error { return l.s.Close() }

// replaySource reads a recording: one JSON object per line, or text/event-stream as
// --record writes it (or as curl saves the stream). An event's position is its
// ordinal in the file (1 for the first), and a replay resumed from a position skips the
// events up to it. Speed 0 replays as fast as possible; otherwise events are paced by
// their times (the Action's Time) divided by speed.
type replaySource struct {
	f       *os.File
	jsonl   *bufio.Reader
	sse     *SSEReader
	max     int
	n       int64
	skip    int64
	speed   float64
	filter  Filter
	t0      int64
	started time.Time
}

func openReplay(path string, after string, speed float64, maxBytes int, f Filter) (*replaySource, error) {
	file, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	if maxBytes <= 0 {
		maxBytes = 16 << 20
	}
	r := &replaySource{f: file, max: maxBytes, speed: speed, filter: f}
	if after != "" {
		if r.skip, err = strconv.ParseInt(after, 10, 64); err != nil {
			file.Close()
			return nil, err
		}
	}
	br := bufio.NewReaderSize(file, 64<<10)
	head, _ := br.Peek(4096)
	if first := bytes.TrimLeft(head, " \t\r\n\ufeff"); len(first) > 0 && first[0] == '{' {
		r.jsonl = br
	} else {
		r.sse = NewSSEReader(br, maxBytes)
	}
	return r, nil
}

func (r *replaySource) next(ctx context.Context) (Event, string, error) {
	for {
		ev, err := r.read()
		if err != nil {
			return Event{}, "", err
		}
		r.n++
		if r.n <= r.skip {
			continue
		}
		if r.speed > 0 {
			if err := r.pace(ctx, ev); err != nil {
				return Event{}, "", err
			}
		}
		return ev, strconv.FormatInt(r.n, 10), nil
	}
}

func (r *replaySource) read() (Event, error) {
	if r.sse != nil {
		return r.sse.Next()
	}
	for {
		line, err := readLine(r.jsonl, r.max)
		if err == errLineTooLong {
			return Event{Oversize: true}, nil
		}
		if len(bytes.TrimSpace(line)) == 0 {
			if err != nil {
				return Event{}, err
			}
			continue // blank lines separate nothing
		}
		return Event{Data: line}, nil
	}
}

// readLine reads one line of at most max bytes (a longer one is consumed and reported
// as errLineTooLong); the last line may lack its newline.
func readLine(r *bufio.Reader, max int) ([]byte, error) {
	var line []byte
	long := false
	for {
		chunk, err := r.ReadSlice('\n')
		if !long {
			if len(line)+len(chunk) > max+2 { // room for a CRLF
				long, line = true, nil
			} else {
				line = append(line, chunk...)
			}
		}
		if err == bufio.ErrBufferFull {
			continue
		}
		line = bytes.TrimRight(line, "\r\n")
		if long || len(line) > max {
			if err != nil && err != io.EOF {
				return nil, err
			}
			return nil, errLineTooLong
		}
		if err != nil && (err != io.EOF || len(line) == 0) {
			return line, err
		}
		return line, nil
	}
}

func (r *replaySource) pace(ctx context.Context, ev Event) error {
	t := Step(r.filter, ev).Time
	if t == 0 {
		return nil
	}
	if r.started.IsZero() {
		r.t0, r.started = t, time.Now()
		return nil
	}
	due := r.started.Add(time.Duration(float64(t-r.t0)/r.speed) * time.Millisecond)
	d := time.Until(due)
	if d <= 0 {
		return nil
	}
	tm := time.NewTimer(d)
	defer tm.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-tm.C:
		return nil
	}
}

func (r *replaySource) close() error { return r.f.Close() }
