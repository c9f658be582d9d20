package dump

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"

	"github.com/addlink/addlink/internal/progress"
)

// Options configures a Reader.
type Options struct {
	// Threads is the number of goroutines decompressing bz2 blocks in parallel.
	Threads int
	// Progress receives the number of compressed bytes read.
	Progress progress.Reporter
	// Wiki, when set, is the wiki the files are read for: a file whose <dbname>, or
	// whose name (<wiki>-<YYYYMMDD|latest>-...), names another wiki is refused with a
	// *WikiMismatchError, unless AllowWikiMismatch.
	Wiki              string
	AllowWikiMismatch bool
	// AllowNoArticles accepts files without any article (empty part files read on
	// their own); by default the end of such files is an ErrNoArticles error.
	AllowNoArticles bool
}

// Stats counts what a Reader read.
type Stats struct {
	Files           int
	Pages           int64
	CompressedBytes int64 // bytes read from the files as stored
	XMLBytes        int64 // bytes of decompressed XML
	// ReplacedInvalidUTF8 is the number of invalid UTF-8 sequences in titles and texts
	// that were replaced by U+FFFD.
	ReplacedInvalidUTF8 int64
	// Articles counts the pages of namespace 0 that are not redirects.
	Articles int64
}

// Reader streams the pages of one or more dump files as one wiki. It is not safe for
// concurrent use; Next is called from one goroutine.
type Reader struct {
	ctx   context.Context
	files []string
	opts  Options
	next  int // index of the next file to open

	// the current file
	name       string
	src        io.Reader
	counted    *countingReader
	closeFile  func() error
	lastCount  int64
	buf        []byte
	start, end int
	base       int64 // XML offset of buf[0]
	eof        bool
	header     bool // header (before the first <page>) parsed
	rooted     bool // the file opened a <mediawiki> element
	closedRoot bool
	lastID     int64

	site     SiteInfo
	haveSite bool
	fileDB   string // <dbname> of the current file
	rng      Range  // the part of the file read, when made by NewReader
	stats    Stats
}

// Open returns a Reader of the given files in page-id order: files whose names carry a
// page range (…-p<first>p<last>…) are sorted by their first page id; multistream index
// files are skipped. Open fails if a file cannot be opened; errors inside a file come
// from Next. The caller must Close the Reader.
func Open(ctx context.Context, files []string, opts Options) (*Reader, error) {
	opts.Progress = progress.OrNop(opts.Progress)
	var list []string
	for _, f := range files {
		if !isIndexFile(filepath.Base(f)) {
			list = append(list, f)
		}
	}
	if len(list) == 0 {
		return nil, errors.New("dump: no dump files given")
	}
	SortParts(list)
	if opts.Wiki != "" && !opts.AllowWikiMismatch {
		for _, f := range list {
			if w := FileWiki(f); w != "" && w != opts.Wiki {
				return nil, &WikiMismatchError{File: f, Wiki: opts.Wiki, Found: w, Source: "file name"}
			}
		}
	}
	r := &Reader{ctx: ctx, files: list, opts: opts, buf: make([]byte, 0, 4<<20)}
	if err := r.openNext(); err != nil {
		return nil, err
	}
	return r, nil
}

var pageRange = regexp.MustCompile(`-p(\d+)p(\d+)`)

var fileWiki = regexp.MustCompile(`^([a-z][a-z0-9_]*)-(\d{8}|latest)-`)

// FileWiki returns the wiki a dump file's name gives in Wikimedia's naming
// (<wiki>-<YYYYMMDD>-... or <wiki>-latest-...), or "" for other names.
func FileWiki(path string) string {
	m := fileWiki.FindStringSubmatch(filepath.Base(path))
	if m == nil {
		return ""
	}
	return m[1]
}

// SortParts sorts page-range part files by their first page id, keeping the given order
// for files without a range (they come first).
func SortParts(files []string) {
	first := func(f string) int64 {
		m := pageRange.FindStringSubmatch(filepath.Base(f))
		if m == nil {
			return -1
		}
		n, _ := strconv.ParseInt(m[1], 10, 64)
		return n
	}
	sort.SliceStable(files, func(i, j int) bool { return first(files[i]) < first(files[j]) })
}

func (r *Reader) openNext() error {
	path := r.files[r.next]
	r.next++
	src, counted, _, closeFn, err := openDecompressed(r.ctx, path, r.opts.Threads)
	if err != nil {
		return err
	}
	r.name, r.src, r.counted, r.closeFile = path, src, counted, closeFn
	r.lastCount = 0
	r.buf = r.buf[:0]
	r.start, r.end, r.base = 0, 0, 0
	r.eof, r.header, r.rooted, r.closedRoot = false, false, false, false
	r.lastID = 0
	r.stats.Files++
	return nil
}

func (r *Reader) closeCurrent() error {
	if r.closeFile == nil {
		return nil
	}
	err := r.closeFile()
	r.closeFile = nil
	r.reportBytes()
	return err
}

func (r *Reader) reportBytes() {
	if r.counted == nil {
		return
	}
	n := r.counted.n.Load()
	if d := n - r.lastCount; d > 0 {
		r.opts.Progress.Add(d)
		r.stats.CompressedBytes += d
		r.lastCount = n
	}
}

// SiteInfo returns the <siteinfo> of the first file that has one read so far.
func (r *Reader) SiteInfo() SiteInfo { return r.site }

// Stats returns what was read so far.
func (r *Reader) Stats() Stats { return r.stats }

// Close releases the current file.
func (r *Reader) Close() error { return r.closeCurrent() }

func (r *Reader) fail(off int64, err error) error {
	return &Error{File: r.name, Offset: off, LastPageID: r.lastID, Err: err}
}

// fill reads more decompressed data into the buffer, compacting it first.
func (r *Reader) fill() error {
	if r.eof {
		return io.EOF
	}
	if err := r.ctx.Err(); err != nil {
		return err
	}
	if r.start > 0 {
		n := copy(r.buf[:cap(r.buf)], r.buf[r.start:r.end])
		r.base += int64(r.start)
		r.start, r.end = 0, n
	}
	if r.end == cap(r.buf) {
		nb := make([]byte, r.end, 2*cap(r.buf))
		copy(nb, r.buf[:r.end])
		r.buf = nb
	}
	r.buf = r.buf[:cap(r.buf)]
	n, err := r.src.Read(r.buf[r.end:])
	r.end += n
	r.buf = r.buf[:r.end]
	r.stats.XMLBytes += int64(n)
	r.reportBytes()
	if err == io.EOF {
		r.eof = true
		if n == 0 {
			return io.EOF
		}
		return nil
	}
	if err != nil {
		if errors.Is(err, context.Canceled) && r.ctx.Err() != nil {
			return r.ctx.Err()
		}
		if errors.Is(err, io.ErrUnexpectedEOF) {
			return r.fail(r.base+int64(r.end), fmt.Errorf("%w: compressed stream ends early: %v", ErrTruncated, err))
		}
		return r.fail(r.base+int64(r.end), fmt.Errorf("decompressing: %w", err))
	}
	return nil
}

var (
	tagPageOpen  = []byte("<page>")
	tagPageClose = []byte("</page>")
	tagRootOpen  = []byte("<mediawiki")
	tagRootClose = []byte("</mediawiki>")
)

// Next returns the next page, or io.EOF after the last page of the last file.
func (r *Reader) Next() (*Page, error) {
	for {
		p, err := r.nextInFile()
		if err == nil {
			r.stats.Pages++
			if p.NS == 0 && !p.IsRedirect() {
				r.stats.Articles++
			}
			return p, nil
		}
		if err != io.EOF {
			return nil, err
		}
		if err := r.closeCurrent(); err != nil {
			return nil, r.fail(r.base+int64(r.end), err)
		}
		if r.next >= len(r.files) {
			if r.stats.Articles == 0 && !r.opts.AllowNoArticles {
				return nil, r.fail(r.base+int64(r.end), fmt.Errorf("%w in %d file(s), %d page(s): refusing to build anything from them", ErrNoArticles, len(r.files), r.stats.Pages))
			}
			return nil, io.EOF
		}
		if err := r.openNext(); err != nil {
			return nil, err
		}
	}
}

// nextInFile returns the next page of the current file, or io.EOF at its clean end.
func (r *Reader) nextInFile() (*Page, error) {
	if !r.header {
		if err := r.readHeader(); err != nil {
			return nil, err
		}
	}
	// Find the start of the next page.
	var i int
	for {
		i = bytes.Index(r.buf[r.start:r.end], tagPageOpen)
		if i >= 0 {
			break
		}
		// Keep a tail that could hold a split tag; check what we skip.
		keep := r.end - len(tagPageOpen)
		if keep < r.start {
			keep = r.start
		}
		if bytes.Contains(r.buf[r.start:r.end], tagRootClose) {
			r.closedRoot = true
		}
		r.start = keep
		if err := r.fill(); err == io.EOF {
			return nil, r.endOfFile()
		} else if err != nil {
			return nil, err
		}
	}
	if bytes.Contains(r.buf[r.start:r.start+i], tagRootClose) {
		r.closedRoot = true
	}
	r.start += i
	// Find its end. rel counts the bytes after r.start already searched; fill may move
	// the data to the start of the buffer.
	rel := 0
	for {
		j := bytes.Index(r.buf[r.start+rel:r.end], tagPageClose)
		if j >= 0 {
			end := r.start + rel + j + len(tagPageClose)
			off := r.base + int64(r.start)
			raw := r.buf[r.start:end]
			r.start = end
			p, replaced, err := parsePage(raw)
			if err != nil {
				return nil, r.fail(off, err)
			}
			r.stats.ReplacedInvalidUTF8 += int64(replaced)
			r.lastID = p.ID
			return p, nil
		}
		rel = max(0, r.end-r.start-len(tagPageClose))
		pageOff := r.base + int64(r.start)
		if err := r.fill(); err == io.EOF {
			return nil, r.fail(pageOff, fmt.Errorf("%w: the file ends inside the <page> that starts here", ErrTruncated))
		} else if err != nil {
			return nil, err
		}
	}
}

// endOfFile is called at the end of the decompressed data outside any page.
func (r *Reader) endOfFile() error {
	if bytes.Contains(r.buf[r.start:r.end], tagRootClose) {
		r.closedRoot = true
	}
	// A file that opened <mediawiki> must close it, whatever its compression: a
	// compressed file cut between two streams (multistream bz2, concatenated gzip)
	// passes its own checks but has lost pages.
	if (r.rooted || r.rng.Rooted) && !r.closedRoot && !r.rng.More {
		return r.fail(r.base+int64(r.end), fmt.Errorf("%w: no </mediawiki> at the end of the file (it stops between two pages)", ErrTruncated))
	}
	return io.EOF
}

// readHeader checks that the file is UTF-8 XML and parses <siteinfo> if present.
func (r *Reader) readHeader() error {
	for r.end-r.start < 4 && !r.eof {
		if err := r.fill(); err != nil && err != io.EOF {
			return err
		}
	}
	head := r.buf[r.start:r.end]
	if len(head) == 0 && r.base == 0 && !r.rng.Partial {
		return r.fail(0, fmt.Errorf("%w: no XML in it (0 bytes)", ErrEmpty))
	}
	if len(head) >= 2 && (head[0] == 0xff && head[1] == 0xfe || head[0] == 0xfe && head[1] == 0xff) {
		return r.fail(0, fmt.Errorf("%w: the file starts with a UTF-16 byte-order mark (dumps are UTF-8)", ErrNotXML))
	}
	if len(head) >= 3 && head[0] == 0xef && head[1] == 0xbb && head[2] == 0xbf {
		r.start += 3
		head = head[3:]
	}
	if t := bytes.TrimLeft(head, " \t\r\n"); len(t) > 0 && t[0] != '<' {
		return r.fail(0, fmt.Errorf("%w: expected '<', found %q", ErrNotXML, t[:min(len(t), 16)]))
	}
	if len(head) >= 2 && bytes.IndexByte(head[:min(len(head), 64)], 0) >= 0 {
		return r.fail(0, fmt.Errorf("%w: NUL bytes at the start (UTF-16 without a byte-order mark?)", ErrNotXML))
	}
	// Read until the first <page> or the end of the file to get the whole header.
	for {
		if i := bytes.Index(r.buf[r.start:r.end], tagPageOpen); i >= 0 {
			r.parseHeader(r.buf[r.start : r.start+i])
			break
		}
		if r.eof {
			r.parseHeader(r.buf[r.start:r.end])
			break
		}
		if err := r.fill(); err != nil && err != io.EOF {
			return err
		}
	}
	r.header = true
	return r.checkWiki()
}

func (r *Reader) parseHeader(h []byte) {
	if bytes.Contains(h, tagRootOpen) {
		r.rooted = true
	}
	si, ok := parseSiteInfo(h)
	r.fileDB = ""
	if ok {
		r.fileDB = si.DBName
	}
	if ok && !r.haveSite {
		r.site, r.haveSite = si, true
	}
}

// checkWiki refuses a file whose <dbname> names another wiki than Options.Wiki.
func (r *Reader) checkWiki() error {
	if r.opts.Wiki == "" || r.opts.AllowWikiMismatch || r.fileDB == "" || r.fileDB == r.opts.Wiki {
		return nil
	}
	return &WikiMismatchError{File: r.name, Wiki: r.opts.Wiki, Found: r.fileDB, Source: "<dbname>"}
}
