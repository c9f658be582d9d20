package service

import (
	"context"
	"encoding/json"
	"log/slog"
	"maps"
	"net/http"
	"strconv"
	"strings"

	"github.com/addlink/addlink/datasets"
	"github.com/addlink/addlink/internal/linker"
	"github.com/addlink/addlink/internal/mysqlenv"
	"github.com/addlink/addlink/internal/wikitext"
)

// Bounds of the tasks route's page size.
const (
	defaultTasksLimit = 20
	maxTasksLimit     = 500
)

// handleTasks lists the pooled pages of a wiki that have recommendations, best first
// (most links, then most recently refreshed), limit (default 20, at most 500) of them
// after offset: {"next_offset": N or null, "tasks": [{"links_count", "page_title",
// "pageid", "revid"}], "wiki"}. A page's recommendations are the pool's gelr_data for
// its revision, what a POST of that revision's wikitext answers.
func (s *Server) handleTasks(w http.ResponseWriter, r *http.Request, l *reqLog) error {
	project, domain := r.PathValue("project"), r.PathValue("domain")
	wiki := WikiID(project, domain)
	l.add(slog.String("wiki", wiki))
	if s.opts.Pool == nil {
		return &Error{Status: http.StatusNotFound, Message: "no recommendations pool is configured (addlink serve --pool)"}
	}
	if datasets.CheckWikiID(wiki) != nil {
		return badRequest("invalid project/domain %s/%s", project, domain)
	}
	q := r.URL.Query()
	limit, offset := defaultTasksLimit, 0
	for _, p := range []struct {
		name string
		v    *int
		max  int
	}{{"limit", &limit, maxTasksLimit}, {"offset", &offset, 1 << 40}} {
		if v, ok := q[p.name]; ok {
			n, err := strconv.Atoi(strings.TrimSpace(v[0]))
			if err != nil || n < 0 || n > p.max || (p.name == "limit" && n == 0) {
				return badRequest("%s must be an integer between %d and %d, got %q", p.name, map[bool]int{true: 1, false: 0}[p.name == "limit"], p.max, v[0])
			}
			*p.v = n
		}
	}
	tasks, err := datasets.ReadPoolTasks(r.Context(), s.opts.Pool, s.opts.PoolPrefix, wiki, limit+1, offset)
	if err != nil {
		if mysqlenv.NoSuchTable(err) || strings.Contains(err.Error(), "no such table") {
			return &Error{Status: http.StatusNotFound, Wiki: wiki, Message: "the pool has no table for " + wiki}
		}
		return &Error{Status: http.StatusInternalServerError, Wiki: wiki, Message: "the pool could not be read", Err: err}
	}
	j := jsonBuf{}
	j.open('{')
	j.key("next_offset")
	if len(tasks) > limit {
		tasks = tasks[:limit]
		j.int(int64(offset + limit))
	} else {
		j.raw([]byte("null"))
	}
	j.key("tasks")
	j.open('[')
	for _, t := range tasks {
		j.comma()
		j.open('{')
		j.key("links_count")
		j.int(int64(t.Links))
		j.key("page_title")
		j.str(t.Title)
		j.key("pageid")
		j.int(t.PageID)
		j.key("revid")
		j.int(t.Revision)
		j.close('}')
	}
	j.close(']')
	j.key("wiki")
	j.str(wiki)
	j.close('}')
	j.b = append(j.b, '\n')
	l.add(slog.Int("tasks", len(tasks)))
	w.Header().Set("Content-Type", "application/json")
	_, err = w.Write(j.b)
	return err
}

// fromPool returns the answer to a GET of a revision from the pool (with its trailing
// newline) when the pool holds exactly the answer the request would compute: the same
// revision and title, threshold, link limit and tokenisation, the same model and
// datasets (meta's checksums) and application version, no sections excluded; nil
// otherwise (the request is then computed).
func (s *Server) fromPool(ctx context.Context, req Request) []byte {
	if s.opts.Pool == nil || req.Revision == 0 || len(req.SectionsToExclude) > 0 {
		return nil
	}
	wiki := WikiID(req.Project, req.Domain)
	data, set, found, err := datasets.ReadPoolAnswer(ctx, s.opts.Pool, s.opts.PoolPrefix, wiki, req.Revision)
	if err != nil || !found || data == nil {
		return nil // a pool that cannot be read is only a missed shortcut
	}
	tokens := "default"
	if s.opts.Tokens != (linker.TokenOptions{}) {
		tokens = "custom"
	}
	if set.Threshold != req.Threshold || set.MaxLinks != req.MaxRecommendations || set.Tokens != tokens {
		return nil
	}
	w, err := s.backend.Wiki(ctx, wiki)
	if err != nil {
		return nil
	}
	var ans struct {
		Meta struct {
			ApplicationVersion string            `json:"application_version"`
			DatasetChecksums   map[string]string `json:"dataset_checksums"`
		} `json:"meta"`
		PageTitle string `json:"page_title"`
		RevID     int64  `json:"revid"`
	}
	if json.Unmarshal(data, &ans) != nil || ans.RevID != req.Revision || ans.PageTitle != wikitext.NormalizeTitle(req.Title) ||
		ans.Meta.ApplicationVersion != s.opts.Version || !maps.Equal(ans.Meta.DatasetChecksums, w.Checksums) {
		return nil
	}
	return append(data, '\n')
}
