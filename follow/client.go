package follow

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"sync"
	"time"
)

// StreamOptions configures a live stream.
type StreamOptions struct {
	URL       string // e.g. https://stream.wikimedia.org/v2/stream/recentchange
	UserAgent string // sent on every connection (Wikimedia's User-Agent policy)
	// LastEventID resumes after this event (the id the pool stored); Since (any value
	// EventStreams' ?since= accepts) is used only when it is empty.
	LastEventID string
	Since       string
	// MinBackoff and MaxBackoff bound the wait between reconnections (defaults 1s and
	// 60s); it doubles after each failed attempt and starts again from MinBackoff (or the
	// server's retry: value) once a connection delivered an event.
	MinBackoff, MaxBackoff time.Duration
	// IdleTimeout reconnects when nothing arrives for this long (default 60s: the
	// server sends no heartbeat, but the public feeds carry several events a second).
	IdleTimeout   time.Duration
	MaxEventBytes int // default 16 MiB
	Transport     http.RoundTripper
	Logger        *slog.Logger
	// OnConnect, when set, is called after each connection is established (metrics).
	OnConnect func(status int)
}

// Stream reads a live event stream, reconnecting as needed.
type Stream struct {
	opts   StreamOptions
	client *http.Client
	log    *slog.Logger

	body   io.ReadCloser
	reader *SSEReader
	lastID string
	retry  time.Duration // the server's retry: value, 0 when none
	fails  int           // failed attempts since the last event

	mu    sync.Mutex
	timer *time.Timer
}

// ErrFatalStatus is wrapped by the error Next returns when the server refuses the
// request in a way a retry cannot mend (a 4xx other than 408 and 429).
var ErrFatalStatus = errors.New("follow: the stream server refused the request")

// NewStream returns a stream; nothing is connected before the first Next.
func NewStream(o StreamOptions) *Stream {
	if o.MinBackoff <= 0 {
		o.MinBackoff = time.Second
	}
	if o.MaxBackoff < o.MinBackoff {
		o.MaxBackoff = max(60*time.Second, o.MinBackoff)
	}
	if o.IdleTimeout <= 0 {
		o.IdleTimeout = 60 * time.Second
	}
	if o.Transport == nil {
		o.Transport = http.DefaultTransport
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	return &Stream{opts: o, client: &http.Client{Transport: o.Transport}, log: o.Logger, lastID: o.LastEventID}
}

// Next returns the next event, connecting or reconnecting (with Last-Event-ID) as
// needed. It returns an error only when ctx ends or the server refuses the request for
// good (ErrFatalStatus).
func (s *Stream) Next(ctx context.Context) (Event, error) {
	for {
		if s.reader == nil {
			if err := s.connect(ctx); err != nil {
				if errors.Is(err, ErrFatalStatus) || ctx.Err() != nil {
					return Event{}, err
				}
				if err := s.wait(ctx, err); err != nil {
					return Event{}, err
				}
				continue
			}
		}
		s.armIdle()
		ev, err := s.reader.Next()
		if err == nil {
			s.fails = 0
			if ev.Retry > 0 {
				s.retry = time.Duration(ev.Retry) * time.Millisecond
			}
			s.lastID = ev.ID
			return ev, nil
		}
		s.disconnect()
		if ctx.Err() != nil {
			return Event{}, ctx.Err()
		}
		if err == io.EOF {
			err = errors.New("the server closed the stream")
		}
		if err := s.wait(ctx, err); err != nil {
			return Event{}, err
		}
	}
}

// LastID is the id to resume after: that of the last event Next returned.
func (s *Stream) LastID() string { return s.lastID }

// Close closes the connection.
func (s *Stream) Close() error {
	s.disconnect()
	return nil
}

func (s *Stream) connect(ctx context.Context) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, s.opts.URL, nil)
	if err != nil {
		return fmt.Errorf("%w: %v", ErrFatalStatus, err)
	}
	req.Header.Set("Accept", "text/event-stream")
	req.Header.Set("Cache-Control", "no-cache")
	if s.opts.UserAgent != "" {
		req.Header.Set("User-Agent", s.opts.UserAgent)
	}
	if s.lastID != "" {
		req.Header.Set("Last-Event-ID", s.lastID)
	} else if s.opts.Since != "" {
		q := req.URL.Query()
		q.Set("since", s.opts.Since)
		req.URL.RawQuery = q.Encode()
	}
	resp, err := s.client.Do(req)
	if err != nil {
		return err
	}
	if s.opts.OnConnect != nil {
		s.opts.OnConnect(resp.StatusCode)
	}
	if resp.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
		resp.Body.Close()
		err := &statusError{status: resp.StatusCode, body: string(b), retryAfter: retryAfter(resp.Header.Get("Retry-After"))}
		if resp.StatusCode >= 400 && resp.StatusCode < 500 && resp.StatusCode != http.StatusTooManyRequests &&
			resp.StatusCode != http.StatusRequestTimeout {
			return fmt.Errorf("%w: %v", ErrFatalStatus, err)
		}
		return err
	}
	s.log.Info("connected", slog.String("url", s.opts.URL), slog.String("last_event_id", s.lastID))
	s.body = resp.Body
	s.reader = NewSSEReader(resp.Body, s.opts.MaxEventBytes)
	s.reader.SetLastID(s.lastID)
	return nil
}

// armIdle closes the connection when no event arrives within the idle timeout, which
// makes the blocked read fail and Next reconnect.
func (s *Stream) armIdle() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.timer != nil {
		s.timer.Stop()
	}
	body := s.body
	s.timer = time.AfterFunc(s.opts.IdleTimeout, func() {
		s.log.Warn("no event within the idle timeout; reconnecting", slog.Duration("idle_timeout", s.opts.IdleTimeout))
		body.Close()
	})
}

func (s *Stream) disconnect() {
	s.mu.Lock()
	if s.timer != nil {
		s.timer.Stop()
		s.timer = nil
	}
	s.mu.Unlock()
	if s.body != nil {
		s.body.Close()
	}
	s.body, s.reader = nil, nil
}

// wait sleeps before the next connection attempt: the server's Retry-After on a 429 or
// 503, otherwise a backoff doubling from MinBackoff (or the server's retry: value).
func (s *Stream) wait(ctx context.Context, cause error) error {
	s.fails++
	d := s.opts.MinBackoff
	if s.retry > d {
		d = s.retry
	}
	for i := 1; i < s.fails && d < s.opts.MaxBackoff; i++ {
		d *= 2
	}
	d = min(d, s.opts.MaxBackoff)
	var se *statusError
	if errors.As(cause, &se) && se.retryAfter > 0 {
		d = max(d, min(se.retryAfter, 10*time.Minute)) // the server asked; a bound against nonsense
	}
	s.log.Warn("stream interrupted; reconnecting", slog.String("error", cause.Error()),
		slog.Duration("wait", d), slog.Int("attempt", s.fails))
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

type statusError struct {
	status     int
	body       string
	retryAfter time.Duration
}

func (e *statusError) Error() string {
	msg := "HTTP " + strconv.Itoa(e.status)
	if e.status == http.StatusTooManyRequests {
		msg += " (too many connections from this address)"
	}
	if e.body != "" {
		msg += ": " + e.body
	}
	return msg
}

func retryAfter(v string) time.Duration {
	if v == "" {
		return 0
	}
	if n, err := strconv.Atoi(v); err == nil && n >= 0 {
		return time.Duration(n) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil {
		return time.Until(t)
	}
	return 0
}
