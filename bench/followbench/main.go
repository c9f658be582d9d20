// Command followbench measures `addlink follow` end to end (bench/follow.sh): a fake
// EventStreams server and a fake api.php (internal/fakewiki) serve edits of a dump's
// articles, the binary follows them into an SQLite pool, and its JSON log (one line
// per page, written once the page's row is committed) gives the figures:
//
//  1. throughput: EVENTS edits as fast as the stream is read, live and then replayed
//     from a JSON-lines file (the baseline: the same pipeline without the network
//     stream); refreshed pages per second between the first and the last row;
//
//  2. latency: edits sent at RATE per second, each stamped with the moment it is sent;
//     the time from that stamp to the row's commit, p50, p99 and max.
//
//     followbench -addlink bin/addlink -data DIR -dump D.xml.bz2 -wiki elwikivoyage
package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sort"
	"time"

	"github.com/addlink/addlink/bench/internal/stats"
	"github.com/addlink/addlink/internal/dump"
	"github.com/addlink/addlink/internal/fakewiki"
)

func main() {
	bin := flag.String("addlink", "bin/addlink", "the addlink binary")
	data := flag.String("data", "", "data directory with the wiki's model (as serve reads it)")
	dumpPath := flag.String("dump", "", "pages-articles dump the edited articles come from")
	wiki := flag.String("wiki", "elwikivoyage", "wiki id")
	npages := flag.Int("pages", 200, "articles edited")
	events := flag.Int("events", 3000, "edits in the throughput runs")
	rate := flag.Float64("rate", 20, "edits per second in the latency run")
	latEvents := flag.Int("latency-events", 400, "edits in the latency run")
	conc := flag.Int("concurrency", 4, "addlink follow --concurrency")
	out := flag.String("out", "bench/out/follow", "directory for pools, recordings and logs")
	flag.Parse()
	if err := run(*bin, *data, *dumpPath, *wiki, *out, *npages, *events, *latEvents, *rate, *conc); err != nil {
		fmt.Fprintln(os.Stderr, "followbench:", err)
		os.Exit(1)
	}
}

func run(bin, data, dumpPath, wiki, out string, npages, events, latEvents int, rate float64, conc int) error {
	if data == "" || dumpPath == "" {
		return fmt.Errorf("-data and -dump are required")
	}
	if err := os.MkdirAll(out, 0o755); err != nil {
		return err
	}
	pages, err := articles(dumpPath, npages)
	if err != nil {
		return err
	}
	start := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	revs := map[int64]fakewiki.Revision{}
	edits := func(n int) [][]byte {
		var evs [][]byte
		for i := range n {
			p := pages[i%len(pages)]
			rev := int64(1000000 + i)
			revs[rev] = fakewiki.Revision{PageID: p.ID, Title: p.Title, Text: p.Text}
			evs = append(evs, fakewiki.RecentChange(fakewiki.Change{Wiki: wiki, Type: "edit", Title: p.Title, Rev: rev,
				Time: start.Add(time.Duration(i) * time.Second / 20), Offset: i}))
		}
		return evs
	}
	tpEvents := edits(events)
	api := httptest.NewServer(fakewiki.NewAPI(revs))
	defer api.Close()
	size := 0
	for _, p := range pages {
		size += len(p.Text)
	}
	fmt.Printf("%d articles of %s (mean %d bytes of wikitext), %d edits; addlink follow --concurrency %d; %d CPUs\n",
		len(pages), filepath.Base(dumpPath), size/len(pages), events, conc, runtime.NumCPU())

	follow := func(name string, args ...string) ([]logLine, time.Duration, error) {
		pool := filepath.Join(out, name+".sqlite")
		for _, suffix := range []string{"", "-wal", "-shm"} {
			os.Remove(pool + suffix)
		}
		base := []string{"follow", "--wikis", wiki, "--data-dir", data, "--pool", "sqlite:" + pool, "--listen", "",
			"--rate-per-wiki", "-1", "--concurrency", fmt.Sprint(conc), "--retry-min", "100ms"}
		cmd := exec.Command(bin, append(base, args...)...)
		cmd.Env = append(os.Environ(), "MEDIAWIKI_API_BASE_URL="+api.URL+"/w/")
		logf, err := os.Create(filepath.Join(out, name+".log"))
		if err != nil {
			return nil, 0, err
		}
		defer logf.Close()
		var buf bytes.Buffer
		cmd.Stderr = io.MultiWriter(logf, &buf)
		t := time.Now()
		if err := cmd.Run(); err != nil {
			return nil, 0, fmt.Errorf("%s: %v (log in %s)", name, err, logf.Name())
		}
		lines, err := parseLog(&buf)
		return lines, time.Since(t), err
	}

	// 1. Throughput, live then replayed.
	stream := fakewiki.NewStream(tpEvents)
	ss := httptest.NewServer(stream)
	defer ss.Close()
	live, liveWall, err := follow("throughput-live", "--stream", ss.URL, "--max-events", fmt.Sprint(events))
	if err != nil {
		return err
	}
	jsonl := filepath.Join(out, "edits.jsonl")
	if err := os.WriteFile(jsonl, append(bytes.Join(tpEvents, []byte("\n")), '\n'), 0o644); err != nil {
		return err
	}
	replay, replayWall, err := follow("throughput-replay", "--replay", jsonl)
	if err != nil {
		return err
	}
	liveRate, err := pagesPerSecond(live, events)
	if err != nil {
		return fmt.Errorf("live: %w", err)
	}
	replayRate, err := pagesPerSecond(replay, events)
	if err != nil {
		return fmt.Errorf("replay: %w", err)
	}
	fmt.Printf("throughput, live stream:   %7.1f refreshed pages/s (%d rows; process wall %.1fs with model loading)\n", liveRate, len(live), liveWall.Seconds())
	fmt.Printf("throughput, replayed file: %7.1f refreshed pages/s (%d rows; process wall %.1fs) [baseline]\n", replayRate, len(replay), replayWall.Seconds())
	fmt.Printf("live / replay: %.2fx (target: live >= 100 pages/s)\n", liveRate/replayRate)

	// 2. Latency at a steady rate, each event stamped as it is sent.
	latStream := fakewiki.NewStream(edits(latEvents))
	latStream.Rate, latStream.Stamp = rate, true
	ls := httptest.NewServer(latStream)
	defer ls.Close()
	lat, _, err := follow("latency", "--stream", ls.URL, "--max-events", fmt.Sprint(latEvents))
	if err != nil {
		return err
	}
	var ages []float64
	for _, l := range lat {
		if l.Outcome == "stored" && l.EventAgeMS != nil {
			ages = append(ages, *l.EventAgeMS)
		}
	}
	if len(ages) != latEvents {
		return fmt.Errorf("latency: %d rows with an event age, want %d", len(ages), latEvents)
	}
	sort.Float64s(ages)
	fmt.Printf("latency at %.0f pages/s, event sent -> row committed over %d edits: p50 %.1f ms, p99 %.1f ms, max %.1f ms (target p99 < 1000 ms)\n",
		rate, len(ages), stats.Percentile(ages, 0.50), stats.Percentile(ages, 0.99), ages[len(ages)-1])
	return nil
}

type logLine struct {
	Time       time.Time `json:"time"`
	Msg        string    `json:"msg"`
	Outcome    string    `json:"outcome"`
	EventAgeMS *float64  `json:"event_age_ms"`
}

func parseLog(r io.Reader) ([]logLine, error) {
	var out []logLine
	sc := bufio.NewScanner(r)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		var l logLine
		if json.Unmarshal(sc.Bytes(), &l) == nil && l.Msg == "page" {
			out = append(out, l)
		}
	}
	return out, sc.Err()
}

// pagesPerSecond is the rate of stored rows between the first and the last.
func pagesPerSecond(lines []logLine, want int) (float64, error) {
	n := 0
	var first, last time.Time
	for _, l := range lines {
		if l.Outcome != "stored" {
			continue
		}
		if n == 0 {
			first = l.Time
		}
		last = l.Time
		n++
	}
	if n != want {
		return 0, fmt.Errorf("%d pages stored, want %d", n, want)
	}
	d := last.Sub(first).Seconds()
	if d <= 0 {
		return 0, fmt.Errorf("all rows in the same instant")
	}
	return float64(n-1) / d, nil
}

func articles(path string, n int) ([]fakewiki.Page, error) {
	r, err := dump.Open(context.Background(), []string{path}, dump.Options{})
	if err != nil {
		return nil, err
	}
	defer r.Close()
	var out []fakewiki.Page
	for len(out) < n {
		p, err := r.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, err
		}
		if p.NS == 0 && !p.IsRedirect() {
			out = append(out, fakewiki.Page{ID: p.ID, Title: p.Title, Text: p.Text})
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%s: no article", path)
	}
	return out, nil
}
