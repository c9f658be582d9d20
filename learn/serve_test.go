package learn_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/addlink/addlink/internal/dump"
	"github.com/addlink/addlink/internal/linker"
	"github.com/addlink/addlink/internal/testfixtures"
	"github.com/addlink/addlink/learn"
	"github.com/addlink/addlink/service"
)

type logBuf struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *logBuf) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *logBuf) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

type answer struct {
	header http.Header
	links  []linker.Recommendation
}

// The service wired as addlink serve --events-dir --feedback --bandit wires it: events
// posted to it reach the log, the learner's posteriors pick thresholds, an explicit
// threshold wins, and a target rejected twice on a page is no longer suggested there.
func TestServeWithFeedbackAndBandit(t *testing.T) {
	src := testfixtures.Path(t, "reference/elwikivoyage/export")
	dumpPath := testfixtures.Path(t, "dumps/elwikivoyage/elwikivoyage-pages-articles.xml.bz2")
	data := t.TempDir()
	os.MkdirAll(filepath.Join(data, "elwikivoyage"), 0o755)
	ents, _ := os.ReadDir(src)
	for _, e := range ents {
		if err := os.Symlink(filepath.Join(src, e.Name()), filepath.Join(data, "elwikivoyage", e.Name())); err != nil {
			t.Fatal(err)
		}
	}
	backend, err := service.NewFileBackend(data, linker.SQLite)
	if err != nil {
		t.Fatal(err)
	}
	eventsDir, stateDir := t.TempDir(), t.TempDir()
	lg, err := learn.OpenLog(context.Background(), eventsDir)
	if err != nil {
		t.Fatal(err)
	}
	defer lg.Close()
	store, err := learn.OpenStore("", stateDir)
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	var logs logBuf
	srv, err := service.New(service.Options{Backend: backend, Version: "test",
		Logger:     slog.New(slog.NewJSONHandler(&logs, nil)),
		Routes:     (&learn.Collector{Log: lg}).Routes(),
		Thresholds: learn.NewChooser(store, 0.5, 3),
		Prune: func(wiki, page, target string) bool {
			return lg.Rejections(wiki, page, target) >= learn.RejectionLimit
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(srv.Handler())
	defer ts.Close()

	// A page with several suggestions.
	r, err := dump.Open(context.Background(), []string{dumpPath}, dump.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	recommend := func(title, text, query string) answer {
		t.Helper()
		body, _ := json.Marshal(map[string]any{"wikitext": text, "revid": 1, "pageid": 1})
		resp, err := http.Post(ts.URL+"/v1/linkrecommendations/wikivoyage/el/"+url.PathEscape(title)+query, "application/json", bytes.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != 200 {
			t.Fatalf("%d %s", resp.StatusCode, b)
		}
		var out struct {
			Links []linker.Recommendation `json:"links"`
		}
		if err := json.Unmarshal(b, &out); err != nil {
			t.Fatal(err)
		}
		return answer{resp.Header, out.Links}
	}
	var title, text string
	var base answer
	for {
		p, err := r.Next()
		if err != nil {
			t.Fatal("no page with 3 suggestions")
		}
		if p.NS != 0 || p.IsRedirect() {
			continue
		}
		base = recommend(p.Title, p.Text, "")
		if len(base.links) >= 3 {
			title, text = p.Title, p.Text
			break
		}
	}
	if got := base.header.Get("X-Addlink-Threshold"); got != "0.5" || base.header.Get("X-Addlink-Threshold-Source") != "default" {
		t.Errorf("no events yet: threshold %q from %q, want the default 0.5", got, base.header.Get("X-Addlink-Threshold-Source"))
	}
	explicit := recommend(title, text, "?threshold=0.9")
	if explicit.header.Get("X-Addlink-Threshold") != "" {
		t.Error("an explicit threshold was overridden")
	}
	for _, l := range explicit.links {
		if l.Score < 0.9 {
			t.Errorf("link %q with score %g under the explicit threshold", l.LinkTarget, l.Score)
		}
	}

	// Readers' events: impressions served at 0.7, one target rejected on two revisions.
	pruned := base.links[0].LinkTarget
	t0 := time.Date(2026, 5, 1, 10, 0, 0, 0, time.UTC)
	var events []map[string]any
	for rev := 1; rev <= 2; rev++ {
		for i, l := range base.links {
			events = append(events, map[string]any{"id": fmt.Sprintf("imp-%d-%d", rev, i), "type": "impression",
				"wiki": "elwikivoyage", "page": title, "revision": rev, "target": l.LinkTarget, "mention": l.LinkText,
				"score": l.Score, "threshold": 0.7, "timestamp": t0.Add(time.Duration(rev) * time.Minute).Format(time.RFC3339)})
		}
	}
	body, _ := json.Marshal(map[string]any{"events": events})
	resp, err := http.Post(ts.URL+"/v1/events", "application/json", bytes.NewReader(body))
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("events: %v %v", resp, err)
	}
	resp.Body.Close()
	for rev := 1; rev <= 2; rev++ {
		sub := fmt.Sprintf(`{"wiki":"elwikivoyage","page":%q,"revision":%d,"threshold":0.7,"timestamp":%q,"rejectedTargets":[%q],"acceptedTargets":[%q]}`,
			strings.ReplaceAll(title, " ", "_"), rev, t0.Add(time.Hour).Format(time.RFC3339), pruned, base.links[1].LinkTarget)
		resp, err := http.Post(ts.URL+"/v1/events/submission", "application/json", strings.NewReader(sub))
		if err != nil || resp.StatusCode != 200 {
			t.Fatalf("submission: %v %v", resp, err)
		}
		resp.Body.Close()
	}
	after := recommend(title, text, "?threshold=0.5")
	if len(after.links) != len(base.links)-1 {
		t.Errorf("%d links after two rejections, want %d", len(after.links), len(base.links)-1)
	}
	for _, l := range after.links {
		if l.LinkTarget == pruned {
			t.Errorf("%q still suggested after two rejections", pruned)
		}
	}
	if !strings.Contains(logs.String(), `"pruned":1`) {
		t.Error("the log does not say a suggestion was pruned")
	}

	// The learner attributes the rewards (a later event moves event time past the window).
	late := fmt.Sprintf(`{"events":[{"id":"later","type":"impression","wiki":"elwikivoyage","page":"X","revision":9,"target":"Y","mention":"y","score":0.8,"threshold":0.5,"timestamp":%q}]}`,
		t0.Add(48*time.Hour).Format(time.RFC3339))
	resp, err = http.Post(ts.URL+"/v1/events", "application/json", strings.NewReader(late))
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("events: %v %v", resp, err)
	}
	resp.Body.Close()
	l, err := learn.Open(learn.Options{LogDir: eventsDir, StateDir: stateDir})
	if err != nil {
		t.Fatal(err)
	}
	if err := l.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	arms := l.State().Wikis["elwikivoyage"].Arms
	l.Close()
	if arms[2].Pulls != 2 {
		t.Fatalf("arm 0.7 has %d rewards, want 2: %+v", arms[2].Pulls, arms)
	}
	chosen := recommend(title, text, "")
	if chosen.header.Get("X-Addlink-Threshold-Source") != "bandit" {
		t.Errorf("after learning: source %q, want bandit", chosen.header.Get("X-Addlink-Threshold-Source"))
	}
}
