// Command servemem measures a Link Recommendation service over many wikis of
// bench/genexport datasets (bench/servemem.sh runs it): for each wiki, the latency of
// its first request (until the first 200: a wiki still opening answers 503 with
// Retry-After, and is asked again), then -n requests per wiki from -c clients, the
// wikis interleaved, with p50/p99 per wiki and the service's RSS (sampled every 100
// ms). It prints one table row per wiki group, and writes the SHA-256 of every answer
// (by wiki and request) to -answers, so that two runs can be compared.
//
//	servemem -url http://127.0.0.1:8000 -large bigwiki:2000000 -small 'w00wiki:1000,...' -n 200 -c 4 -pid PID -label index
package main

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"os"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/addlink/addlink/bench/internal/procfs"
	"github.com/addlink/addlink/bench/internal/stats"
)

type wiki struct {
	id      string
	anchors int
	large   bool
}

func main() {
	base := flag.String("url", "http://127.0.0.1:8000", "service base URL")
	large := flag.String("large", "", "the large wiki, WIKI:ANCHORS")
	small := flag.String("small", "", "the small wikis, WIKI:ANCHORS,...")
	n := flag.Int("n", 200, "measured requests per wiki")
	conc := flag.Int("c", 4, "concurrent clients")
	pid := flag.Int("pid", 0, "sample the RSS of this process")
	label := flag.String("label", "", "first column of the table")
	answers := flag.String("answers", "", "write the answers' SHA-256 here")
	flag.Parse()
	var wikis []wiki
	parse := func(s string, isLarge bool) {
		for _, w := range strings.Split(s, ",") {
			if w == "" {
				continue
			}
			id, a, _ := strings.Cut(w, ":")
			k, err := strconv.Atoi(a)
			if err != nil {
				fmt.Fprintln(os.Stderr, "servemem: bad wiki", w)
				os.Exit(2)
			}
			wikis = append(wikis, wiki{id, k, isLarge})
		}
	}
	parse(*large, true)
	parse(*small, false)
	if len(wikis) == 0 {
		fmt.Fprintln(os.Stderr, "servemem: no wiki (-large, -small)")
		os.Exit(2)
	}
	var rssMu sync.Mutex
	var rssMax int64
	stop := make(chan struct{})
	if *pid > 0 {
		go func() {
			for {
				if kb, err := procfs.RSS(*pid); err == nil {
					rssMu.Lock()
					rssMax = max(rssMax, kb)
					rssMu.Unlock()
				}
				select {
				case <-stop:
					return
				case <-time.After(100 * time.Millisecond):
				}
			}
		}()
	}
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: *conc}, Timeout: 5 * time.Minute}
	first := map[string]time.Duration{}
	for _, w := range wikis {
		t0 := time.Now()
		for {
			code, _, err := post(client, *base, w, 0)
			if err != nil {
				fmt.Fprintln(os.Stderr, "servemem:", err)
				os.Exit(1)
			}
			if code == 200 {
				break
			}
			if code != 503 {
				fmt.Fprintf(os.Stderr, "servemem: %s: status %d\n", w.id, code)
				os.Exit(1)
			}
			time.Sleep(50 * time.Millisecond)
		}
		first[w.id] = time.Since(t0)
	}
	type job struct {
		w wiki
		i int
	}
	jobs := make(chan job)
	var mu sync.Mutex
	lat := map[string][]time.Duration{}
	sums := map[string]string{}
	var wg sync.WaitGroup
	fail := ""
	for range *conc {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range jobs {
				t0 := time.Now()
				code, body, err := post(client, *base, j.w, j.i)
				d := time.Since(t0)
				mu.Lock()
				if err != nil || code != 200 {
					fail = fmt.Sprintf("%s request %d: %d %v %s", j.w.id, j.i, code, err, body)
				}
				lat[j.w.id] = append(lat[j.w.id], d)
				h := sha256.Sum256(body)
				sums[fmt.Sprintf("%s %06d", j.w.id, j.i)] = hex.EncodeToString(h[:])
				mu.Unlock()
			}
		}()
	}
	for i := 1; i <= *n; i++ {
		for _, w := range wikis {
			jobs <- job{w, i}
		}
	}
	close(jobs)
	wg.Wait()
	close(stop)
	if fail != "" {
		fmt.Fprintln(os.Stderr, "servemem:", fail)
		os.Exit(1)
	}
	if *pid > 0 {
		if kb, err := procfs.RSS(*pid); err == nil {
			rssMax = max(rssMax, kb)
		}
	}
	if *answers != "" {
		keys := make([]string, 0, len(sums))
		for k := range sums {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		var b bytes.Buffer
		for _, k := range keys {
			fmt.Fprintf(&b, "%s %s\n", k, sums[k])
		}
		if err := os.WriteFile(*answers, b.Bytes(), 0o644); err != nil {
			fmt.Fprintln(os.Stderr, "servemem:", err)
			os.Exit(1)
		}
	}
	// One row for the large wiki, one for the small ones together.
	var smallLat []time.Duration
	var smallFirst []time.Duration
	var smallP99 []time.Duration
	for _, w := range wikis {
		if w.large {
			l := lat[w.id]
			fmt.Printf("| %s | %s (%d anchors) | %.0f | %s | %s | %s |\n", *label, w.id, w.anchors, float64(rssMax)/1024,
				ms(stats.Percentile(l, 0.5)), ms(stats.Percentile(l, 0.99)), ms(first[w.id]))
			continue
		}
		smallLat = append(smallLat, lat[w.id]...)
		smallFirst = append(smallFirst, first[w.id])
		smallP99 = append(smallP99, stats.Percentile(lat[w.id], 0.99))
	}
	if len(smallFirst) > 0 {
		fmt.Printf("| %s | %d small wikis (all requests; worst wiki's p99 %s) | %.0f | %s | %s | median %s, max %s |\n", *label,
			len(smallFirst), ms(stats.Percentile(smallP99, 1)), float64(rssMax)/1024, ms(stats.Percentile(smallLat, 0.5)), ms(stats.Percentile(smallLat, 0.99)),
			ms(stats.Percentile(smallFirst, 0.5)), ms(stats.Percentile(smallFirst, 1)))
	}
}

func ms(d time.Duration) string { return fmt.Sprintf("%.1f ms", float64(d.Microseconds())/1000) }

// text is request i's page for w: words and mentions of w's anchors (bench/genexport
// names them "anchor %09d") and a few links, from a seed of the wiki and i.
func text(w wiki, i int) string {
	h := sha256.Sum256([]byte(w.id))
	r := rand.New(rand.NewPCG(uint64(h[0])|uint64(h[1])<<8, uint64(i)))
	var b strings.Builder
	for k := range 400 {
		switch {
		case k%50 == 0:
			fmt.Fprintf(&b, "[[Page %09d]] ", r.IntN(w.anchors))
		case k%3 == 0:
			fmt.Fprintf(&b, "anchor %09d ", r.IntN(w.anchors))
		default:
			b.WriteString("lorem ipsum ")
		}
	}
	return b.String()
}

func post(c *http.Client, base string, w wiki, i int) (int, []byte, error) {
	body, _ := json.Marshal(map[string]any{"wikitext": text(w, i), "revid": i, "pageid": i})
	lang := strings.TrimSuffix(w.id, "wiki")
	resp, err := c.Post(base+"/v1/linkrecommendations/wikipedia/"+lang+"/Page_"+strconv.Itoa(i)+"?threshold=0.5&max_recommendations=15",
		"application/json", bytes.NewReader(body))
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return resp.StatusCode, b, err
}
