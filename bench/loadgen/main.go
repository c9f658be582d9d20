// Command loadgen POSTs pages to a Link Recommendation service, as GrowthExperiments
// does, from a fixed number of concurrent clients for a fixed time, and prints
// requests per second, latency percentiles and the status codes seen (bench/serve.sh).
//
//	loadgen -url http://127.0.0.1:8000 -pages pages.jsonl -project wikivoyage -domain el -c 8 -d 20s
//
// pages.jsonl has one {"title", "wikitext", "pageid", "revid"} per line
// (bench/serve.sh writes it from a dump). With -pid, the resident memory of that process
// is sampled every second and printed at the start, middle and end of the run.
package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/addlink/addlink/bench/internal/procfs"
	"github.com/addlink/addlink/bench/internal/stats"
)

type page struct {
	Title    string `json:"title"`
	Wikitext string `json:"wikitext"`
	PageID   int64  `json:"pageid"`
	RevID    int64  `json:"revid"`
}

type request struct {
	path string
	body []byte
	size int
}

func main() {
	base := flag.String("url", "http://127.0.0.1:8000", "service base URL")
	pagesFile := flag.String("pages", "", "pages.jsonl")
	project := flag.String("project", "wikipedia", "project in the URL")
	domain := flag.String("domain", "", "domain in the URL")
	conc := flag.Int("c", 8, "concurrent clients")
	dur := flag.Duration("d", 20*time.Second, "duration")
	maxKB := flag.Int("max-kb", 0, "only pages under this many KB of wikitext (0: all)")
	query := flag.String("query", "threshold=0.5&max_recommendations=15", "query string")
	pid := flag.Int("pid", 0, "sample the RSS of this process")
	label := flag.String("label", "", "label printed in front of the figures")
	flag.Parse()
	if *pagesFile == "" || *domain == "" {
		fmt.Fprintln(os.Stderr, "loadgen: -pages and -domain are required")
		os.Exit(2)
	}
	reqs, err := readPages(*pagesFile, *project, *domain, *query, *maxKB)
	if err != nil {
		fmt.Fprintln(os.Stderr, "loadgen:", err)
		os.Exit(1)
	}
	if err := run(*base, reqs, *conc, *dur, *pid, *label); err != nil {
		fmt.Fprintln(os.Stderr, "loadgen:", err)
		os.Exit(1)
	}
}

func readPages(path, project, domain, query string, maxKB int) ([]request, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var reqs []request
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 256<<20)
	for sc.Scan() {
		var p page
		if err := json.Unmarshal(sc.Bytes(), &p); err != nil {
			return nil, fmt.Errorf("%s line %d: %w", path, len(reqs)+1, err)
		}
		if maxKB > 0 && len(p.Wikitext) >= maxKB<<10 {
			continue
		}
		body, _ := json.Marshal(map[string]any{"wikitext": p.Wikitext, "revid": p.RevID, "pageid": p.PageID})
		title := url.PathEscape(strings.ReplaceAll(p.Title, " ", "_"))
		reqs = append(reqs, request{path: "/v1/linkrecommendations/" + project + "/" + domain + "/" + title + "?" + query, body: body, size: len(p.Wikitext)})
	}
	if len(reqs) == 0 {
		return nil, fmt.Errorf("%s: no pages", path)
	}
	return reqs, sc.Err()
}

func run(base string, reqs []request, conc int, dur time.Duration, pid int, label string) error {
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: conc}, Timeout: time.Minute}
	ctx, cancel := context.WithTimeout(context.Background(), dur)
	defer cancel()
	var mu sync.Mutex
	var lat []time.Duration
	codes := map[int]int{}
	var rss []int64
	if pid > 0 {
		go func() {
			t := time.NewTicker(time.Second)
			defer t.Stop()
			for {
				if kb, err := procfs.RSS(pid); err == nil {
					mu.Lock()
					rss = append(rss, kb)
					mu.Unlock()
				}
				select {
				case <-ctx.Done():
					return
				case <-t.C:
				}
			}
		}()
	}
	start := time.Now()
	var wg sync.WaitGroup
	for w := 0; w < conc; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for i := w; ctx.Err() == nil; i += conc {
				r := reqs[i%len(reqs)]
				t0 := time.Now()
				resp, err := client.Post(base+r.path, "application/json", bytes.NewReader(r.body))
				code := -1
				if err == nil {
					io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
					code = resp.StatusCode
				}
				d := time.Since(t0)
				if ctx.Err() != nil && err != nil {
					return // cut off by the end of the run
				}
				mu.Lock()
				lat = append(lat, d)
				codes[code]++
				mu.Unlock()
			}
		}(w)
	}
	wg.Wait()
	elapsed := time.Since(start)
	pct := func(p float64) float64 { return float64(stats.Percentile(lat, p).Microseconds()) / 1000 }
	var cs []string
	for c, n := range codes {
		cs = append(cs, strconv.Itoa(c)+":"+strconv.Itoa(n))
	}
	sort.Strings(cs)
	fmt.Printf("%srequests %d in %.1fs: %.1f req/s, p50 %.1f ms, p99 %.1f ms, max %.1f ms, status %s\n",
		label, len(lat), elapsed.Seconds(), float64(len(lat))/elapsed.Seconds(), pct(0.5), pct(0.99), pct(1), strings.Join(cs, " "))
	if len(rss) > 0 {
		fmt.Printf("%sRSS MB: start %.1f, middle %.1f, end %.1f, max %.1f\n", label,
			float64(rss[0])/1024, float64(rss[len(rss)/2])/1024, float64(rss[len(rss)-1])/1024, float64(maxOf(rss))/1024)
	}
	return nil
}

func maxOf(v []int64) int64 {
	m := v[0]
	for _, x := range v {
		m = max(m, x)
	}
	return m
}
