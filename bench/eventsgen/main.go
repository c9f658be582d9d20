// Command eventsgen posts batches of events to addlink serve's collector from several
// clients for a while, then reads the collector's log and checks that every event
// the collector accepted is in it exactly once; it prints the events stored per second.
//
//	eventsgen -url http://127.0.0.1:8000 -log DIR/events.log -c 8 -batch 50 -d 20s
package main

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/addlink/addlink/learn"
)

func main() {
	url := flag.String("url", "http://127.0.0.1:8000", "the service")
	logPath := flag.String("log", "", "the collector's events.log, checked after the run")
	conc := flag.Int("c", 8, "concurrent clients")
	size := flag.Int("batch", 50, "events per batch")
	dur := flag.Duration("d", 20*time.Second, "how long to post")
	dupEvery := flag.Int("dup-every", 10, "every Nth batch is sent again (a client retry): its events must be dropped")
	flag.Parse()
	if err := run(*url, *logPath, *conc, *size, *dupEvery, *dur); err != nil {
		fmt.Fprintln(os.Stderr, "eventsgen:", err)
		os.Exit(1)
	}
}

func run(url, logPath string, conc, size, dupEvery int, dur time.Duration) error {
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: conc}}
	var stored, dups, batches, failed atomic.Int64
	var mu sync.Mutex
	accepted := map[string]bool{}
	deadline := time.Now().Add(dur)
	start := time.Now()
	var wg sync.WaitGroup
	for c := 0; c < conc; c++ {
		wg.Add(1)
		go func(c int) {
			defer wg.Done()
			for b := 0; time.Now().Before(deadline); b++ {
				events := make([]map[string]any, size)
				ts := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC).Add(time.Duration(b) * time.Second)
				for i := range events {
					typ := []string{"impression", "accept", "reject", "skip"}[i%4]
					events[i] = map[string]any{"id": fmt.Sprintf("c%d-b%d-e%d", c, b, i), "type": typ, "wiki": "enwiki",
						"page": fmt.Sprintf("Page %d", b), "revision": 1 + b, "target": fmt.Sprintf("Target %d", i),
						"mention": "target", "score": 0.5 + float64(i%50)/100, "threshold": 0.5, "timestamp": ts.Format(time.RFC3339)}
				}
				body, _ := json.Marshal(map[string]any{"events": events})
				sends := 1
				if dupEvery > 0 && b%dupEvery == 0 {
					sends = 2
				}
				for s := 0; s < sends; s++ {
					resp, err := client.Post(url+"/v1/events", "application/json", bytes.NewReader(body))
					if err != nil {
						failed.Add(1)
						continue
					}
					var m struct{ Stored, Duplicates int64 }
					b, _ := io.ReadAll(resp.Body)
					resp.Body.Close()
					if resp.StatusCode != 200 || json.Unmarshal(b, &m) != nil {
						failed.Add(1)
						continue
					}
					batches.Add(1)
					stored.Add(m.Stored)
					dups.Add(m.Duplicates)
					if s == 0 {
						mu.Lock()
						for _, e := range events {
							accepted[e["id"].(string)] = true
						}
						mu.Unlock()
					}
				}
			}
		}(c)
	}
	wg.Wait()
	secs := time.Since(start).Seconds()
	fmt.Printf("clients %d, batch %d: %d batches, %d events stored, %d duplicates dropped, %d failed requests in %.1f s: %.0f events/s\n",
		conc, size, batches.Load(), stored.Load(), dups.Load(), failed.Load(), secs, float64(stored.Load())/secs)
	if failed.Load() > 0 {
		return fmt.Errorf("%d requests failed", failed.Load())
	}
	if logPath == "" {
		return nil
	}
	count := map[string]int{}
	if _, err := learn.ReadLog(logPath, 0, func(e *learn.Event, _ int64) error {
		count[e.ID]++
		return nil
	}); err != nil {
		return err
	}
	bad := 0
	for id := range accepted {
		if count[id] != 1 {
			bad++
		}
	}
	if bad > 0 || int64(len(count)) != stored.Load() {
		return fmt.Errorf("%d accepted events not stored exactly once; log holds %d distinct, the collector said %d stored", bad, len(count), stored.Load())
	}
	fmt.Printf("log check: %d accepted events, each stored exactly once\n", len(accepted))
	return nil
}
