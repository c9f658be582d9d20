package follow

import (
	"context"
	"fmt"
	"net"
	"net/http/httptest"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/addlink/addlink/internal/chromiumtest"
	"github.com/addlink/addlink/internal/fakewiki"
	"github.com/addlink/addlink/internal/testfixtures"
)

// The status page, rendered by headless Chromium while a follower runs, lists the
// latest refreshed pages with their link counts as the pool holds them, polls again
// (it updates itself), and logs nothing to the console.
func TestStatusPageInChromium(t *testing.T) {
	if testing.Short() {
		t.Skip("short")
	}
	testfixtures.Require(t, "Debian's chromium", func() error { _, err := chromiumtest.Path(); return err })
	bin, _ := chromiumtest.Path()
	evs, revs := testEvents(t)
	evs = evs[:150]
	fs := fakewiki.NewStream(evs)
	fs.Hold = true
	srv := httptest.NewServer(fs)
	defer srv.Close()
	pool := filepath.Join(t.TempDir(), "p.sqlite")
	addr := make(chan net.Addr, 1)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		_, err := Run(ctx, Options{Wikis: []string{"elwikivoyage"}, Stream: StreamOptions{URL: srv.URL},
			Pool: PoolOptions{SQLitePath: pool}, Fetcher: &mapFetcher{revs: revs}, Recommender: lengthRecommender{},
			RatePerWiki: -1, Listen: "127.0.0.1:0", Ready: func(a net.Addr) { addr <- a }})
		done <- err
	}()
	defer func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Run: %v", err)
		}
	}()
	a := <-addr
	deadline := time.Now().Add(30 * time.Second)
	for !committedAll(a.String(), len(evs)) {
		if time.Now().After(deadline) {
			t.Fatal("the follower did not commit the events")
		}
		time.Sleep(20 * time.Millisecond)
	}
	cctx, ccancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer ccancel()
	cmd := exec.CommandContext(cctx, bin, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
		"--user-data-dir="+t.TempDir(), "--enable-logging=stderr", "--v=0", "--virtual-time-budget=5000",
		"--dump-dom", "http://"+a.String()+"/")
	var stdout, stderr strings.Builder
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("chromium: %v\n%s", err, stderr.String())
	}
	dom := stdout.String()
	if !strings.Contains(dom, `data-ready="true"`) {
		t.Fatalf("the page did not load its status:\n%.3000s", dom)
	}
	if m := regexp.MustCompile(`data-refreshes="(\d+)"`).FindStringSubmatch(dom); m == nil || atoi(m[1]) < 2 {
		t.Errorf("the page polled the status %v times within 5 s, want at least 2", m)
	}
	p, err := OpenPool(context.Background(), PoolOptions{SQLitePath: pool}, []string{"elwikivoyage"})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	latest, err := p.Latest(context.Background(), "elwikivoyage", 5)
	if err != nil || len(latest) == 0 {
		t.Fatalf("latest pages: %v %v", latest, err)
	}
	rows := regexp.MustCompile(`(?s)<tr class="page">(.*?)</tr>`).FindAllStringSubmatch(dom, -1)
	if len(rows) < len(latest) {
		t.Fatalf("%d page rows on the page, want at least %d:\n%.3000s", len(rows), len(latest), dom)
	}
	for _, r := range latest {
		want := fmt.Sprintf("<td>%s</td><td class=\"n\">%d</td><td class=\"n\">%d</td>", r.Title, r.Revision, r.Links)
		if !strings.Contains(dom, want) {
			t.Errorf("the page lacks %s", want)
		}
	}
	for _, line := range strings.Split(stderr.String(), "\n") {
		if strings.Contains(line, "CONSOLE") || strings.Contains(line, "Uncaught") {
			t.Errorf("console message: %s", line)
		}
	}
}

func committedAll(addr string, n int) bool {
	resp, err := httpGet("http://" + addr + "/status.json")
	if err != nil {
		return false
	}
	return strings.Contains(resp, fmt.Sprintf(`"committed":%d`, n))
}

func atoi(s string) int {
	n, _ := strconv.Atoi(s)
	return n
}
