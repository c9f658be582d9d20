package service

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"testing"
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
