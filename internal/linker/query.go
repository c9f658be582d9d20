package linker

import (
	"os"
	"strings"

	"github.com/addlink/addlink/datasets"
	"github.com/addlink/addlink/internal/gbdt"
)

// Query holds what answering recommendation queries for a wiki needs.
type Query struct {
	Dict      *Dict
	Model     *gbdt.Model
	Checksums map[string]string // dataset name -> sha256 of its published file, when known
}

// OpenQuery loads a wiki's datasets and model from the data directory.
func OpenQuery(l datasets.Layout) (*Query, error) {
	d, err := LoadDict(l, true)
	if err != nil {
		return nil, err
	}
	f, err := os.Open(l.Model())
	if err != nil {
		return nil, err
	}
	defer f.Close()
	m, err := gbdt.ReadJSON(f)
	if err != nil {
		return nil, err
	}
	q := &Query{Dict: d, Model: m, Checksums: map[string]string{}}
	for _, name := range []string{"anchors", "pageids", "redirects", "w2vfiltered"} {
		if b, err := os.ReadFile(l.File(name + ".sqlite.checksum")); err == nil {
			q.Checksums[name] = firstField(string(b))
		}
	}
	if b, err := os.ReadFile(l.Model() + ".checksum"); err == nil {
		q.Checksums["model"] = firstField(string(b))
	}
	return q, nil
}

func firstField(s string) string {
	if f := strings.Fields(s); len(f) > 0 {
		return f[0]
	}
	return ""
}

// Response is the Link Recommendation service's answer for one page.
type Response struct {
	PageTitle  string           `json:"page_title"`
	PageID     int64            `json:"pageid"`
	RevID      int64            `json:"revid"`
	LinksCount int              `json:"links_count"`
	Links      []Recommendation `json:"links"`
	Meta       ResponseMeta     `json:"meta"`
	Info       string           `json:"info,omitempty"`
}

// ResponseMeta is the response's meta object.
type ResponseMeta struct {
	FormatVersion    int               `json:"format_version"`
	DatasetChecksums map[string]string `json:"dataset_checksums"`
}

// Response recommends links for one page and shapes the answer as the service does.
func (q *Query) Response(title string, revid int64, wikitext string, o RecommendOptions) Response {
	res := Recommend(q.Dict, q.Model, title, wikitext, o)
	links := res.Links
	if links == nil {
		links = []Recommendation{}
	}
	return Response{
		PageTitle:  title,
		PageID:     q.Dict.PageIDs[title],
		RevID:      revid,
		LinksCount: len(links),
		Links:      links,
		Meta:       ResponseMeta{FormatVersion: 1, DatasetChecksums: q.Checksums},
		Info:       res.Info,
	}
}
