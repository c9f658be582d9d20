package service

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/addlink/addlink/internal/dump"
	"github.com/addlink/addlink/internal/linker"
	"github.com/addlink/addlink/internal/testfixtures"
)

// exportDir is the reference pipeline's own export of elwikivoyage (sqlitedict files
// and model), the files the reference's sqlite backend reads.
func exportDir(t testing.TB) string {
	return testfixtures.Path(t, "reference/elwikivoyage/export")
}

// dataDir returns a data directory holding the reference's elwikivoyage export as
// elwikivoyage/ and, under the names of more wikis, as those wikis.
func dataDir(t testing.TB, wikis ...string) string {
	src := exportDir(t)
	dir := t.TempDir()
	for _, w := range append([]string{"elwikivoyage"}, wikis...) {
		os.MkdirAll(filepath.Join(dir, w), 0o755)
		ents, _ := os.ReadDir(src)
		for _, e := range ents {
			name := strings.Replace(e.Name(), "elwikivoyage", w, 1)
			if err := os.Symlink(filepath.Join(src, e.Name()), filepath.Join(dir, w, name)); err != nil {
				t.Fatal(err)
			}
		}
	}
	return dir
}

var pagesOnce struct {
	sync.Once
	pages []*dump.Page
	err   error
}

// elPages returns the first n articles of the elwikivoyage fixture dump.
func elPages(t testing.TB, n int) []*dump.Page {
	path := testfixtures.Path(t, "dumps/elwikivoyage/elwikivoyage-pages-articles.xml.bz2")
	pagesOnce.Do(func() {
		r, err := dump.Open(context.Background(), []string{path}, dump.Options{})
		if err != nil {
			pagesOnce.err = err
			return
		}
		defer r.Close()
		for len(pagesOnce.pages) < 300 {
			p, err := r.Next()
			if err == io.EOF {
				break
			}
			if err != nil {
				pagesOnce.err = err
				return
			}
			if p.NS == 0 && !p.IsRedirect() {
				pagesOnce.pages = append(pagesOnce.pages, p)
			}
		}
	})
	if pagesOnce.err != nil {
		t.Fatal(pagesOnce.err)
	}
	if n > len(pagesOnce.pages) {
		n = len(pagesOnce.pages)
	}
	return pagesOnce.pages[:n]
}

// newTestServer starts the service's real handler on a loopback socket.
func newTestServer(t testing.TB, opts Options) (*Server, *httptest.Server) {
	t.Helper()
	if opts.Backend == nil {
		b, err := NewFileBackend(dataDir(t), linker.SQLite)
		if err != nil {
			t.Fatal(err)
		}
		opts.Backend = b
	}
	if opts.Version == "" {
		opts.Version = "test"
	}
	s, err := New(opts)
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(s.Handler())
	t.Cleanup(ts.Close)
	return s, ts
}

type answer struct {
	status int
	header http.Header
	body   []byte
}

func do(t testing.TB, method, url string, body any) answer {
	t.Helper()
	var r io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		r = strings.NewReader(b)
	case []byte:
		r = bytes.NewReader(b)
	default:
		j, err := json.Marshal(b)
		if err != nil {
			t.Fatal(err)
		}
		r = bytes.NewReader(j)
	}
	req, err := http.NewRequest(method, url, r)
	if err != nil {
		t.Fatal(err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return answer{resp.StatusCode, resp.Header, b}
}

// jsonKeys returns the keys of a JSON object in the order they appear.
func jsonKeys(t testing.TB, b []byte) []string {
	t.Helper()
	d := json.NewDecoder(bytes.NewReader(b))
	if tok, err := d.Token(); err != nil || tok != json.Delim('{') {
		t.Fatalf("not a JSON object: %s", b)
	}
	var keys []string
	for d.More() {
		tok, err := d.Token()
		if err != nil {
			t.Fatal(err)
		}
		keys = append(keys, tok.(string))
		var skip json.RawMessage
		if err := d.Decode(&skip); err != nil {
			t.Fatal(err)
		}
	}
	return keys
}

// logBuffer collects the service's JSON log lines.
type logBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *logBuffer) lines() []map[string]any {
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []map[string]any
	for _, line := range strings.Split(strings.TrimSpace(l.b.String()), "\n") {
		var m map[string]any
		if json.Unmarshal([]byte(line), &m) == nil {
			out = append(out, m)
		}
	}
	return out
}

func jsonLogger(w io.Writer) *slog.Logger {
	return slog.New(slog.NewJSONHandler(w, &slog.HandlerOptions{Level: slog.LevelDebug}))
}
