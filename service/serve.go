package service

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"time"
)

// Serve answers on ln until ctx ends, then drains: /healthz answers 503 at once
// while the server keeps accepting and answering for drain, every answer carrying
// Connection: close, so that a load balancer stops sending before the listener
// closes and no connection the kernel queued or a client kept alive is reset. Then
// it stops accepting connections and waits up to grace for the requests in progress
// to finish (http.Server.Shutdown). drain 0 closes the listener at once.
// It returns nil after a clean shutdown. The server's timeouts bound slow clients:
// headers within 10s, the whole request within a minute, the answer within the time
// budget plus a minute, idle connections two minutes.
func (s *Server) Serve(ctx context.Context, ln net.Listener, drain, grace time.Duration) error {
	h := s.Handler()
	srv := &http.Server{
		Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if s.draining.Load() {
				w.Header().Set("Connection", "close") // net/http closes the connection after the answer
			}
			h.ServeHTTP(w, r)
		}),
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       time.Minute,
		WriteTimeout:      s.opts.TimeBudget + s.opts.QueueTimeout + time.Minute,
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    64 << 10,
		BaseContext:       func(net.Listener) context.Context { return context.WithoutCancel(ctx) },
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	if drain > 0 {
		s.draining.Store(true)
		s.log.Info("draining: /healthz answers 503, new requests are still answered, with Connection: close",
			slog.Float64("drain_seconds", drain.Seconds()))
		t := time.NewTimer(drain)
		select {
		case err := <-errc:
			t.Stop()
			return err
		case <-t.C:
		}
	}
	// Said when the signal arrives, and again when the last request has finished (or
	// the grace period ended with some still running).
	s.log.Info("shutting down: no new connections, finishing the requests in progress",
		slog.Int("requests", len(s.queue)), slog.Float64("grace_seconds", grace.Seconds()))
	sctx, cancel := context.WithTimeout(context.Background(), grace)
	defer cancel()
	err := srv.Shutdown(sctx)
	if serr := <-errc; serr != nil && !errors.Is(serr, http.ErrServerClosed) && err == nil {
		err = serr
	}
	if errors.Is(err, context.DeadlineExceeded) {
		s.log.Warn("shut down: the grace period ended; requests still in progress were cut off",
			slog.Int("requests", len(s.queue)))
		return fmt.Errorf("service: %d requests still in progress after the grace period of %s", len(s.queue), grace)
	}
	if err == nil {
		s.log.Info("shut down: every request in progress finished")
	}
	return err
}
