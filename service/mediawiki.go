package service

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// MediaWikiOptions configures the client that fetches pages for GET requests.
type MediaWikiOptions struct {
	// APIBaseURL is the wiki's root ending in "/" (api.php is appended), e.g.
	// "http://localhost:8080/w/" (MEDIAWIKI_API_BASE_URL); empty: https://<domain>.<project>.org/w/
	// with "_" in the domain written "-".
	APIBaseURL string
	// ProxyAPIBaseURL, when set (MEDIAWIKI_PROXY_API_BASE_URL), receives every request:
	// its scheme and host replace the URL's, and the original host goes in the Host header.
	ProxyAPIBaseURL string
	// Timeout bounds one page fetch, redirects included (default 10s).
	Timeout time.Duration
	// MaxBytes bounds an API answer (default 64 MiB).
	MaxBytes  int64
	Transport http.RoundTripper // default http.DefaultTransport
	// UserAgent is sent with every request (default "linkrecommendation", the
	// reference's); a client of Wikimedia's public wikis names its operator in it.
	UserAgent string
}

// ErrPageNotFound and ErrNoContent are wrapped by Article's 404 (no such page or
// revision) and by its 502 for a revision without content (hidden or deleted): a
// caller can tell them from MediaWiki failing.
var (
	ErrPageNotFound = errors.New("service: no such page or revision")
	ErrNoContent    = errors.New("service: the revision has no content")
)

// MediaWiki fetches pages from the MediaWiki action API as the reference does
// (action=query&prop=revisions&rvprop=content|ids&rvslots=main, format version 2).
type MediaWiki struct {
	opts   MediaWikiOptions
	client *http.Client
	proxy  *url.URL
}

// NewMediaWiki returns a client. An invalid proxy URL is reported by Article.
func NewMediaWiki(o MediaWikiOptions) *MediaWiki {
	if o.Timeout <= 0 {
		o.Timeout = 10 * time.Second
	}
	if o.MaxBytes <= 0 {
		o.MaxBytes = 64 << 20
	}
	if o.Transport == nil {
		o.Transport = http.DefaultTransport
	}
	if o.UserAgent == "" {
		o.UserAgent = "linkrecommendation"
	}
	m := &MediaWiki{opts: o, client: &http.Client{
		Transport:     o.Transport,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}}
	if o.ProxyAPIBaseURL != "" {
		m.proxy, _ = url.Parse(o.ProxyAPIBaseURL)
	}
	return m
}

// Article is a page as the action API returns it.
type Article struct {
	Wikitext string
	PageID   int64
	RevID    int64
}

// maxRedirects is the number of redirects followed (the reference's limit).
const maxRedirects = 10

// Article fetches the latest revision of title, or revision when it is not 0. A
// page or revision that does not exist is an *Error with status 404; MediaWiki
// failing (network, status, malformed answer, too many redirects) is a 502, and no
// answer within the timeout a 504.
func (m *MediaWiki) Article(ctx context.Context, project, domain, title string, revision int64) (Article, error) {
	base := m.opts.APIBaseURL
	if base == "" {
		base = fmt.Sprintf("https://%s.%s.org/w/", strings.ReplaceAll(domain, "_", "-"), project)
	}
	params := url.Values{"action": {"query"}, "prop": {"revisions"}, "rvprop": {"content|ids"},
		"rvslots": {"main"}, "format": {"json"}, "formatversion": {"2"}}
	if revision != 0 {
		params.Set("revids", strconv.FormatInt(revision, 10))
	} else {
		params.Set("titles", title)
		params.Set("rvlimit", "1")
	}
	ctx, cancel := context.WithTimeout(ctx, m.opts.Timeout)
	defer cancel()
	body, err := m.get(ctx, base+"api.php?"+params.Encode())
	if err != nil {
		return Article{}, m.fail(ctx, err)
	}
	var ans struct {
		Error *struct{ Code, Info string } `json:"error"`
		Query *struct {
			Pages []struct {
				PageID    int64 `json:"pageid"`
				Revisions []struct {
					RevID int64 `json:"revid"`
					Slots struct {
						Main struct {
							Content *string `json:"content"`
						} `json:"main"`
					} `json:"slots"`
				} `json:"revisions"`
			} `json:"pages"`
		} `json:"query"`
	}
	if err := json.Unmarshal(body, &ans); err != nil {
		return Article{}, &Error{Status: http.StatusBadGateway, Message: "MediaWiki API: the answer is not JSON", Err: err}
	}
	if ans.Error != nil {
		return Article{}, &Error{Status: http.StatusBadGateway,
			Message: fmt.Sprintf("MediaWiki API error %s: %s", ans.Error.Code, ans.Error.Info)}
	}
	if ans.Query == nil {
		return Article{}, &Error{Status: http.StatusBadGateway, Message: "MediaWiki API: the answer has no query"}
	}
	if len(ans.Query.Pages) == 0 || len(ans.Query.Pages[0].Revisions) == 0 {
		return Article{}, &Error{Status: http.StatusNotFound, Message: "Page not found: " + title, Err: ErrPageNotFound}
	}
	p := ans.Query.Pages[0]
	rev := p.Revisions[0]
	if rev.Slots.Main.Content == nil {
		return Article{}, &Error{Status: http.StatusBadGateway, Message: "MediaWiki API: the revision has no content (hidden or deleted?)", Err: ErrNoContent}
	}
	return Article{Wikitext: *rev.Slots.Main.Content, PageID: p.PageID, RevID: rev.RevID}, nil
}

// get fetches u, following redirects itself so that each hop goes through the proxy.
func (m *MediaWiki) get(ctx context.Context, u string) ([]byte, error) {
	for hop := 0; ; hop++ {
		target, err := url.Parse(u)
		if err != nil {
			return nil, err
		}
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, target.String(), nil)
		if err != nil {
			return nil, err
		}
		if m.opts.ProxyAPIBaseURL != "" {
			if m.proxy == nil || m.proxy.Host == "" {
				return nil, fmt.Errorf("invalid MEDIAWIKI_PROXY_API_BASE_URL %q", m.opts.ProxyAPIBaseURL)
			}
			req.Host = target.Host
			req.URL.Scheme, req.URL.Host = m.proxy.Scheme, m.proxy.Host
		}
		req.Header.Set("User-Agent", m.opts.UserAgent)
		resp, err := m.client.Do(req)
		if err != nil {
			return nil, err
		}
		if loc := resp.Header.Get("Location"); resp.StatusCode >= 300 && resp.StatusCode < 400 && loc != "" {
			resp.Body.Close()
			if hop >= maxRedirects {
				return nil, errors.New("too many redirects")
			}
			next, err := target.Parse(loc)
			if err != nil {
				return nil, err
			}
			u = next.String()
			continue
		}
		defer resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			return nil, fmt.Errorf("status %s", resp.Status)
		}
		b, err := io.ReadAll(io.LimitReader(resp.Body, m.opts.MaxBytes+1))
		if err != nil {
			return nil, err
		}
		if int64(len(b)) > m.opts.MaxBytes {
			return nil, fmt.Errorf("the answer is larger than %d bytes", m.opts.MaxBytes)
		}
		return b, nil
	}
}

// fail turns a fetch error into a 504 (time-out) or a 502.
func (m *MediaWiki) fail(ctx context.Context, err error) error {
	var ne net.Error
	if errors.Is(err, context.DeadlineExceeded) || ctx.Err() != nil || (errors.As(err, &ne) && ne.Timeout()) {
		return &Error{Status: http.StatusGatewayTimeout, Message: "MediaWiki API did not answer in time", Err: err}
	}
	return &Error{Status: http.StatusBadGateway, Message: "MediaWiki API request failed", Err: err}
}
