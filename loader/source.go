package loader

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"io/fs"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/addlink/addlink/datasets"
	"github.com/addlink/addlink/internal/progress"
)

// userAgent is the reference loader's.
const userAgent = "Add Link service (https://wikitech.wikimedia.org/wiki/Add_Link)"

// maxTextFile bounds wikis.txt and .checksum files.
const maxTextFile = 1 << 20

// source is where published files come from: a base URL or a directory (a publish root,
// or --path without --download).
type source interface {
	// text returns a small file (wikis.txt, a .checksum) whole.
	text(ctx context.Context, rel string) (string, error)
	// fetch makes rel readable locally and returns it open at offset 0 with the
	// SHA-256 of its bytes, computed while they were read. The caller closes the file.
	fetch(ctx context.Context, rel string, rep progress.Reporter) (*os.File, string, error)
	// local reports whether fetch reads files in place (nothing is downloaded).
	local() bool
	String() string
}

// newSource returns the source for base: http(s):// is fetched over HTTP (downloads go
// to dir); anything else (a path, or file://) is a directory read in place.
func newSource(base, dir string, o *Options) source {
	if strings.HasPrefix(base, "http://") || strings.HasPrefix(base, "https://") {
		if !strings.HasSuffix(base, "/") {
			base += "/"
		}
		c := o.HTTPClient
		if c == nil {
			c = &http.Client{Transport: &http.Transport{
				Proxy:               http.ProxyFromEnvironment,
				IdleConnTimeout:     90 * time.Second,
				TLSHandshakeTimeout: o.Timeout,
			}}
		}
		return &httpSource{base: base, dir: dir, client: c, o: o}
	}
	return dirSource(strings.TrimPrefix(base, "file://"))
}

// dirSource reads files in place under a directory.
type dirSource string

func (d dirSource) String() string { return string(d) }
func (d dirSource) local() bool    { return true }

func (d dirSource) text(_ context.Context, rel string) (string, error) {
	f, err := os.Open(filepath.Join(string(d), filepath.FromSlash(rel)))
	if err != nil {
		return "", err
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, maxTextFile))
	return string(b), err
}

func (d dirSource) fetch(ctx context.Context, rel string, rep progress.Reporter) (*os.File, string, error) {
	f, err := os.Open(filepath.Join(string(d), filepath.FromSlash(rel)))
	if err != nil {
		return nil, "", err
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, "", err
	}
	rep.Phase("verify "+rel, st.Size(), "bytes")
	h := sha256.New()
	if _, err := io.Copy(h, progress.Reader(ctx, f, rep)); err != nil {
		f.Close()
		return nil, "", fmt.Errorf("%s: %w", f.Name(), err)
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		f.Close()
		return nil, "", err
	}
	return f, hex.EncodeToString(h.Sum(nil)), nil
}

// httpSource downloads from a base URL ending in '/'.
type httpSource struct {
	base   string
	dir    string // where downloads go: <path>
	client *http.Client
	o      *Options
}

func (h *httpSource) String() string { return h.base }
func (h *httpSource) local() bool    { return false }

// HTTPError is a response other than the one asked for.
type HTTPError struct {
	URL    string
	Status int
}

func (e *HTTPError) Error() string {
	return fmt.Sprintf("GET %s: HTTP %d %s", e.URL, e.Status, http.StatusText(e.Status))
}

// retryable says whether a failed request may succeed when repeated.
func retryable(err error) bool {
	var he *HTTPError
	if errors.As(err, &he) {
		return he.Status >= 500 || he.Status == http.StatusTooManyRequests || he.Status == http.StatusRequestTimeout
	}
	return !errors.Is(err, context.Canceled) && !errors.Is(err, errChanged)
}

var errChanged = errors.New("the file changed on the server while it was being downloaded")

// url returns the address of rel with a random cache_bust parameter, as the reference
// loader asks (caches in front of analytics.wikimedia.org otherwise serve stale files).
func (h *httpSource) url(rel string) string {
	var b [6]byte
	rand.Read(b[:])
	return h.base + rel + "?cache_bust=" + hex.EncodeToString(b[:])[:8]
}

// retry runs f until it succeeds, fails for good, or the attempts run out, waiting
// Backoff, 2*Backoff, ... (at most 30 s) between attempts.
func (h *httpSource) retry(ctx context.Context, what string, f func(attempt int) error) error {
	wait := h.o.Backoff
	for attempt := 0; ; attempt++ {
		err := f(attempt)
		if err == nil || attempt >= h.o.Retries || !retryable(err) || ctx.Err() != nil {
			if err != nil && attempt > 0 {
				err = fmt.Errorf("%w (after %d attempts)", err, attempt+1)
			}
			return err
		}
		h.o.Log.Warn("retrying", "what", what, "attempt", attempt+1, "after", wait.String(), "error", err.Error())
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return ctx.Err()
		case <-t.C:
		}
		wait = min(2*wait, 30*time.Second)
	}
}

// get sends a GET whose body must start arriving, and keep arriving, within Timeout:
// the returned body fails with a timeout error when no byte came for that long.
func (h *httpSource) get(ctx context.Context, rel string, header http.Header) (*http.Response, error) {
	ctx, cancel := context.WithCancelCause(ctx)
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, h.url(rel), nil)
	if err != nil {
		cancel(nil)
		return nil, err
	}
	for k, v := range header {
		req.Header[k] = v
	}
	req.Header.Set("User-Agent", userAgent)
	stall := time.AfterFunc(h.o.Timeout, func() { cancel(fmt.Errorf("GET %s: no response for %s", h.base+rel, h.o.Timeout)) })
	resp, err := h.client.Do(req)
	if err != nil {
		stall.Stop()
		if c := context.Cause(ctx); c != nil && !errors.Is(c, context.Canceled) {
			err = c
		}
		cancel(nil)
		return nil, err
	}
	resp.Body = &stallReader{body: resp.Body, ctx: ctx, stall: stall, timeout: h.o.Timeout, cancel: cancel}
	return resp, nil
}

// stallReader re-arms the stall timer on every read and reports its cause.
type stallReader struct {
	body    io.ReadCloser
	ctx     context.Context
	stall   *time.Timer
	timeout time.Duration
	cancel  context.CancelCauseFunc
}

func (s *stallReader) Read(p []byte) (int, error) {
	n, err := s.body.Read(p)
	if n > 0 {
		s.stall.Reset(s.timeout)
	}
	if err != nil && err != io.EOF {
		if c := context.Cause(s.ctx); c != nil && !errors.Is(c, context.Canceled) {
			err = c
		}
	}
	return n, err
}

func (s *stallReader) Close() error {
	s.stall.Stop()
	err := s.body.Close()
	s.cancel(nil)
	return err
}

func (h *httpSource) text(ctx context.Context, rel string) (string, error) {
	var out string
	err := h.retry(ctx, h.base+rel, func(int) error {
		resp, err := h.get(ctx, rel, nil)
		if err != nil {
			return err
		}
		defer resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			return &HTTPError{h.base + rel, resp.StatusCode}
		}
		b, err := io.ReadAll(io.LimitReader(resp.Body, maxTextFile))
		if err != nil {
			return fmt.Errorf("GET %s: %w", h.base+rel, err)
		}
		out = string(b)
		return nil
	})
	return out, err
}

var contentRange = regexp.MustCompile(`^bytes (\d+)-\d+/(\d+|\*)$`)

// fetch downloads rel to <dir>/<rel>: into <rel>.part first, hashing on the way, then
// renamed. An attempt that breaks off is resumed from the bytes already received with
// a Range request (If-Range: the validator of the first response, so that a file
// replaced in between is downloaded anew); a server that ignores Range sends the whole
// file again.
func (h *httpSource) fetch(ctx context.Context, rel string, rep progress.Reporter) (*os.File, string, error) {
	dest := filepath.Join(h.dir, filepath.FromSlash(rel))
	if err := os.MkdirAll(filepath.Dir(dest), 0o755); err != nil {
		return nil, "", err
	}
	part, err := os.OpenFile(dest+".part", os.O_RDWR|os.O_CREATE|os.O_TRUNC, 0o644)
	if err != nil {
		return nil, "", err
	}
	ok := false
	defer func() {
		if !ok {
			part.Close()
			os.Remove(part.Name())
		}
	}()
	var (
		sum       hash.Hash
		have      int64
		validator string
	)
	err = h.retry(ctx, h.base+rel, func(attempt int) error {
		hdr := http.Header{}
		if have > 0 && validator != "" {
			hdr.Set("Range", "bytes="+strconv.FormatInt(have, 10)+"-")
			hdr.Set("If-Range", validator)
		}
		resp, err := h.get(ctx, rel, hdr)
		if err != nil {
			return err
		}
		defer resp.Body.Close()
		switch resp.StatusCode {
		case http.StatusOK: // the whole file, from the start
			have = 0
			sum = sha256.New()
			if _, err := part.Seek(0, io.SeekStart); err != nil {
				return err
			}
			if err := part.Truncate(0); err != nil {
				return err
			}
			validator = resp.Header.Get("ETag")
			if validator == "" || strings.HasPrefix(validator, "W/") {
				validator = resp.Header.Get("Last-Modified")
			}
			if resp.Header.Get("Accept-Ranges") != "bytes" {
				validator = ""
			}
			rep.Phase("download "+rel, resp.ContentLength, "bytes")
		case http.StatusPartialContent:
			m := contentRange.FindStringSubmatch(resp.Header.Get("Content-Range"))
			if m == nil || sum == nil || m[1] != strconv.FormatInt(have, 10) {
				validator = ""
				return fmt.Errorf("GET %s: unexpected Content-Range %q", h.base+rel, resp.Header.Get("Content-Range"))
			}
			h.o.Log.Info("resuming download", "url", h.base+rel, "from", have)
		default:
			return &HTTPError{h.base + rel, resp.StatusCode}
		}
		n, err := io.Copy(io.MultiWriter(part, sum), progress.Reader(ctx, resp.Body, rep))
		have += n
		if err != nil {
			if errors.Is(err, io.EOF) {
				err = io.ErrUnexpectedEOF
			}
			return fmt.Errorf("GET %s: after %d bytes: %w", h.base+rel, have, err)
		}
		return nil
	})
	if err != nil {
		return nil, "", err
	}
	if err := part.Sync(); err != nil {
		return nil, "", err
	}
	if err := os.Rename(part.Name(), dest); err != nil {
		return nil, "", err
	}
	if _, err := part.Seek(0, io.SeekStart); err != nil {
		return nil, "", err
	}
	ok = true
	return part, hex.EncodeToString(sum.Sum(nil)), nil
}

// wikiListLine is the reference's filter for wikis.txt lines (^[\w_-]+$).
var wikiListLine = regexp.MustCompile(`^[\w_-]+$`)

// listWikis reads <src>/wikis.txt: one wiki id a line; lines that are not ids are
// skipped as the reference skips them, except that a CRLF line counts (the reference
// drops it).
func listWikis(ctx context.Context, src source) ([]string, error) {
	text, err := src.text(ctx, "wikis.txt")
	if err != nil {
		return nil, fmt.Errorf("listing the published wikis: %w", err)
	}
	var out []string
	for _, line := range strings.Split(text, "\n") {
		line = strings.TrimSuffix(line, "\r")
		if wikiListLine.MatchString(line) {
			out = append(out, line)
		}
	}
	return out, nil
}

// listDirWikis lists the subdirectories of dir that hold at least one dataset file
// (*.sql.gz or *.linkmodel.json): the wikis of --path without --download.
func listDirWikis(dir string) ([]string, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, e := range entries {
		if !e.IsDir() || !wikiListLine.MatchString(e.Name()) {
			continue
		}
		w := e.Name()
		l := datasets.Layout{DataDir: dir, Wiki: w}
		files := []string{l.PublishedModel()}
		for _, n := range datasets.DatasetNames {
			files = append(files, l.PublishedSQLDump(n))
		}
		for _, f := range files {
			if _, err := os.Stat(f); err == nil {
				out = append(out, w)
				break
			} else if !errors.Is(err, fs.ErrNotExist) {
				return nil, err
			}
		}
	}
	return out, nil
}

// joinURL is base + rel for display.
func joinURL(base, rel string) string {
	if u, err := url.Parse(base); err == nil && u.Scheme != "" {
		return strings.TrimSuffix(base, "/") + "/" + rel
	}
	return filepath.Join(base, filepath.FromSlash(rel))
}
