package service

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/addlink/addlink/internal/linker"
)

// FuzzRequest sends arbitrary paths, queries and bodies through the whole request
// path (routing, parsing, the recommender on elwikivoyage's datasets, JSON writing):
// the answer is never a 5xx, and every recommendation answer is valid JSON.
func FuzzRequest(f *testing.F) {
	f.Add("POST", "wikivoyage/el/Αθήνα", "threshold=0.1", `{"wikitext":"Η Αθήνα είναι στην Ελλάδα. [[Πάτρα]]","revid":1,"pageid":2}`)
	f.Add("POST", "wikivoyage/el/A/B", "max_recommendations=-1&sections_to_exclude=%25LEAD%25", `{"wikitext":"== Δείτε ==\nΕλλάδα\n","revid":"3","pageid":null,"sections_to_exclude":["x"]}`)
	f.Add("POST", "..%2F/el/X", "", `{"wikitext":"\u2028\ud800","revid":1e3,"pageid":[1]}`)
	f.Add("GET", "wikipedia/foo/%ff%fe", "threshold=inf", "")
	f.Add("GET", "tasks/wikivoyage/el", "limit=2&offset=1", "")
	f.Add("GET", "tasks/wikipedia/en%2F", "limit=1e9", "")
	f.Add("POST", "wikivoyage/el/X", "threshold=-1", "{\"wikitext\":\"\xff{{\",\"revid\":1,\"pageid\":1}")
	s, err := New(Options{Backend: mustFileBackend(f, dataDir(f), linker.SQLite), TimeBudget: time.Second, Pool: testPool(f),
		MediaWiki: NewMediaWiki(MediaWikiOptions{APIBaseURL: "http://127.0.0.1:1/w/", Timeout: 100 * time.Millisecond})})
	if err != nil {
		f.Fatal(err)
	}
	h := s.Handler()
	f.Fuzz(func(t *testing.T, method, path, query, body string) {
		if method != "GET" {
			method = "POST"
		}
		target := recPath + strings.NewReplacer("?", "%3F", "#", "%23", " ", "%20").Replace(path) + "?" + query
		req, err := http.NewRequest(method, "http://x"+target, strings.NewReader(body))
		if err != nil {
			return // not a URL a client could send
		}
		w := httptest.NewRecorder()
		h.ServeHTTP(w, req)
		if w.Code >= 500 && w.Code != http.StatusBadGateway && w.Code != http.StatusGatewayTimeout {
			t.Fatalf("%s %s: %d %s", method, target, w.Code, w.Body.String())
		}
		if ct := w.Header().Get("Content-Type"); ct == "application/json" && !json.Valid(w.Body.Bytes()) {
			t.Fatalf("%s %s: invalid JSON %q", method, target, w.Body.String())
		}
	})
}
