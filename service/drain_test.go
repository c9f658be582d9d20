package service

import (
	"bufio"
	"context"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/addlink/addlink/internal/linker"
)

// -drain=0 shows the resets of a server that closes its listener at the signal.
var testDrain = flag.Duration("drain", time.Second, "TestDrainResetsNoConnection's drain period")

// Issue 27, item 5: SIGTERM under load resets no connection. Clients keep opening
// connections and sending requests on them (several on one while the server keeps it
// alive) across the signal; every request on a connection established before the drain
// period ends gets an HTTP answer, none a reset or an EOF, /healthz turns 503 at the
// signal, other requests are still answered, and every answer of the drain period says
// Connection: close.
func TestDrainResetsNoConnection(t *testing.T) {
	const clients = 32
	drain := *testDrain
	margin := 200 * time.Millisecond // connections opened later may meet the listener closing
	var logs logBuffer
	s, err := New(Options{Backend: mustFileBackend(t, dataDir(t), linker.SQLite), Logger: jsonLogger(&logs), Version: "v"})
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	served := make(chan error, 1)
	go func() { served <- s.Serve(ctx, ln, drain, 10*time.Second) }()
	addr := ln.Addr().String()

	var sigterm atomic.Int64 // when the signal was sent (unix ns), 0 before
	type tally struct {
		before, ok, unavailable, keptAlive, resets, refused int
		firstReset                                          string
	}
	results := make(chan tally, clients)
	for range clients {
		go func() {
			var n tally
			var sent int // requests, alternately /healthz and another route
			defer func() { results <- n }()
			for {
				at := sigterm.Load()
				if at != 0 && time.Since(time.Unix(0, at)) > drain-margin {
					return
				}
				c, err := net.DialTimeout("tcp", addr, 5*time.Second)
				if err != nil {
					if at != 0 {
						n.refused++
						return
					}
					continue
				}
				br := bufio.NewReader(c)
				for k := 0; ; k++ {
					path := "/healthz"
					if sent++; sent%2 == 0 {
						path = "/apispec_1.json"
					}
					after := sigterm.Load()
					c.SetDeadline(time.Now().Add(10 * time.Second))
					_, err := fmt.Fprintf(c, "GET %s HTTP/1.1\r\nHost: x\r\n\r\n", path)
					var resp *http.Response
					if err == nil {
						resp, err = http.ReadResponse(br, nil)
					}
					if err != nil {
						if n.resets++; n.firstReset == "" {
							n.firstReset = fmt.Sprintf("GET %s, request %d on its connection: %v", path, k+1, err)
						}
						break
					}
					io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
					switch {
					case after == 0:
						n.before++
					case !resp.Close:
						n.keptAlive++
					case resp.StatusCode == http.StatusServiceUnavailable && path == "/healthz":
						n.unavailable++
					case resp.StatusCode == http.StatusOK && path != "/healthz":
						n.ok++
					}
					if resp.Close {
						break
					}
				}
				c.Close()
			}
		}()
	}
	time.Sleep(300 * time.Millisecond)
	cancel() // SIGTERM
	// The drain period begins when the server has seen the signal: an answer to a
	// request sent before then may keep its connection alive, so the clients count
	// from there (under load, and the race detector, that can take a millisecond or more).
	for wait := time.Now(); !s.draining.Load(); time.Sleep(100 * time.Microsecond) {
		if time.Since(wait) > 5*time.Second {
			t.Fatal("the server did not begin draining within 5s of the signal")
		}
	}
	sigterm.Store(time.Now().UnixNano())
	var total tally
	for range clients {
		n := <-results
		total.before += n.before
		total.ok += n.ok
		total.unavailable += n.unavailable
		total.keptAlive += n.keptAlive
		total.resets += n.resets
		total.refused += n.refused
		if total.firstReset == "" {
			total.firstReset = n.firstReset
		}
	}
	if err := <-served; err != nil {
		t.Errorf("Serve: %v", err)
	}
	t.Logf("drain %s: %d answers before the signal, after it %d /healthz 503, %d others 200, %d kept alive; %d resets, %d refused",
		drain, total.before, total.unavailable, total.ok, total.keptAlive, total.resets, total.refused)
	if total.resets != 0 {
		t.Errorf("%d requests got no answer (first: %s)", total.resets, total.firstReset)
	}
	if total.before == 0 || total.unavailable == 0 || total.ok == 0 {
		t.Errorf("want answers before the signal, /healthz 503 and other requests answered during the drain period")
	}
	if total.keptAlive != 0 || total.refused != 0 {
		t.Errorf("during the drain period: %d answers without Connection: close, %d connections refused", total.keptAlive, total.refused)
	}
	var said []string
	for _, l := range logs.lines() {
		m, _ := l["msg"].(string)
		if m, _, ok := strings.Cut(m, ":"); ok && (m == "draining" || m == "shutting down" || m == "shut down") {
			said = append(said, m)
		}
	}
	if got, want := strings.Join(said, ","), "draining,shutting down,shut down"; got != want {
		t.Errorf("the log says %q, want %q", got, want)
	}
}
