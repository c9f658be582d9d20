package service

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sort"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/addlink/addlink/internal/dump"
	"github.com/addlink/addlink/internal/testfixtures"
)

// BenchmarkPOST is one recommendation request over a loopback socket, cycling through
// elwikivoyage articles (the datasets loaded), on one client: the service's cost per
// request and core.
func BenchmarkPOST(b *testing.B) {
	_, ts := newTestServer(b, Options{})
	pages := elPages(b, 200)
	type req struct {
		url  string
		body []byte
	}
	var reqs []req
	for _, p := range pages {
		body, _ := json.Marshal(map[string]any{"wikitext": p.Text, "revid": p.RevID, "pageid": p.ID})
		reqs = append(reqs, req{ts.URL + recPath + "wikivoyage/el/" + url.PathEscape(p.Title), body})
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		r := reqs[i%len(reqs)]
		resp, err := http.Post(r.url, "application/json", bytes.NewReader(r.body))
		if err != nil {
			b.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 {
			b.Fatal(resp.Status)
		}
	}
}

// benchRequest is one POST of bench/serve.sh: its path and body.
type benchRequest struct {
	path string
	body []byte
}

var benchPagesOnce struct {
	sync.Once
	reqs []benchRequest
	err  error
}

// benchRequests returns the POSTs bench/serve.sh sends: 200 elwikivoyage articles,
// every k-th of the dump's articles (refquery/pages_from_dump.py -n 200), as
// GrowthExperiments posts them.
func benchRequests(b *testing.B) []benchRequest {
	path := testfixtures.Path(b, "dumps/elwikivoyage/elwikivoyage-pages-articles.xml.bz2")
	benchPagesOnce.Do(func() {
		r, err := dump.Open(context.Background(), []string{path}, dump.Options{})
		if err != nil {
			benchPagesOnce.err = err
			return
		}
		defer r.Close()
		var all []*dump.Page
		for {
			p, err := r.Next()
			if err == io.EOF {
				break
			}
			if err != nil {
				benchPagesOnce.err = err
				return
			}
			if p.NS == 0 && !p.IsRedirect() {
				all = append(all, p)
			}
		}
		const n = 200
		k := max(1, len(all)/n)
		for i := 0; i < len(all) && len(benchPagesOnce.reqs) < n; i += k {
			p := all[i]
			body, _ := json.Marshal(map[string]any{"wikitext": p.Text, "revid": p.RevID, "pageid": p.ID})
			benchPagesOnce.reqs = append(benchPagesOnce.reqs,
				benchRequest{recPath + "wikivoyage/el/" + url.PathEscape(p.Title), body})
		}
	})
	if benchPagesOnce.err != nil {
		b.Fatal(benchPagesOnce.err)
	}
	return benchPagesOnce.reqs
}

// BenchmarkHandler is one recommendation request through the service's handler (no
// socket), for profiling the request path (-cpuprofile, -memprofile): "all" cycles
// through bench/serve.sh's 200 pages, "largest" through the 10 largest of them (all
// under 100 KB), whose cost sets the p99. "parallel" is "all" from GOMAXPROCS*4
// goroutines, where garbage collection competes with the requests.
func BenchmarkHandler(b *testing.B) {
	s, ts := newTestServer(b, Options{})
	ts.Close()
	h := s.Handler()
	reqs := benchRequests(b)
	largest := append([]benchRequest(nil), reqs...)
	sort.SliceStable(largest, func(i, j int) bool { return len(largest[i].body) > len(largest[j].body) })
	largest = largest[:10]
	serve := func(b *testing.B, r benchRequest) {
		req := httptest.NewRequest(http.MethodPost, r.path, bytes.NewReader(r.body))
		req.Header.Set("Content-Type", "application/json")
		w := httptest.NewRecorder()
		h.ServeHTTP(w, req)
		if w.Code != 200 {
			b.Fatalf("%s: %d %s", r.path, w.Code, w.Body.Bytes())
		}
	}
	serve(b, reqs[0]) // loads the datasets
	for _, c := range []struct {
		name string
		reqs []benchRequest
	}{{"all", reqs}, {"largest", largest}} {
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			defer reportCPU(b)()
			for i := 0; b.Loop(); i++ {
				serve(b, c.reqs[i%len(c.reqs)])
			}
		})
	}
	b.Run("parallel", func(b *testing.B) {
		b.ReportAllocs()
		defer reportCPU(b)()
		b.SetParallelism(4)
		var next sync.Mutex
		i := 0
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				next.Lock()
				r := reqs[i%len(reqs)]
				i++
				next.Unlock()
				serve(b, r)
			}
		})
	})
}

// reportCPU reports the process's CPU time (user and system, every thread: the
// garbage collector's too) per operation as cpu-ns/op: on a shared machine the wall
// time per operation measures the other work as much as ours. Call the function it
// returns when the timed loop ends.
func reportCPU(b *testing.B) func() {
	start := cpuTime()
	return func() {
		b.ReportMetric(float64(cpuTime()-start)/float64(b.N), "cpu-ns/op")
	}
}

func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
