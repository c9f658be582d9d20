package dictionaries

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"path"
	"strings"

	"cloud.google.com/go/storage"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/io/filesystem"
	_ "github.com/apache/beam/sdks/v2/go/pkg/beam/io/filesystem/local" // local paths
	"github.com/apache/beam/sdks/v2/go/pkg/beam/util/gcsx"

	"github.com/addlink/addlink/internal/bz2"
	"github.com/addlink/addlink/internal/dump"
)

// Split is one element of the pipeline's input: a whole dump file (a page-range part
// file, or any file without an index), or a byte range of consecutive streams of a
// multistream file.
type Split struct {
	File  string // a path or URL of a Beam filesystem (a local path, gs://...)
	Start int64  // first byte
	End   int64  // byte after the last; -1: to the end of the file
	// Rooted: the file's header stream opens <mediawiki>, so the last range must
	// close it (a file cut between two streams is truncated).
	Rooted bool
}

// dumpRange is the part of its file a split is, for the reader's checks at its ends.
func (s Split) dumpRange() dump.Range {
	return dump.Range{Partial: s.Start > 0 || s.End >= 0, More: s.End >= 0, Rooted: s.Rooted && s.Start > 0}
}

func (s Split) String() string {
	if s.Start == 0 && s.End < 0 {
		return s.File
	}
	return fmt.Sprintf("%s[%d:%d]", s.File, s.Start, s.End)
}

// isIndex reports a multistream index file by its name, as internal/dump does.
func isIndex(file string) bool { return strings.Contains(path.Base(file), "-index") }

// indexedFile is the dump file that the multistream index file idx indexes:
// …-multistream-index.txt.bz2 indexes …-multistream.xml.bz2 (Wikimedia's names);
// …multistream-index-noheader.xml.bz2 indexes …multistream-noheader.xml.bz2.
func indexedFile(idx string, files []string) (string, bool) {
	want := []string{strings.Replace(idx, "-index", "", 1)}
	want = append(want, strings.Replace(want[0], ".txt.", ".xml.", 1))
	for _, f := range files {
		for _, w := range want {
			if f == w {
				return f, true
			}
		}
	}
	return "", false
}

// Splits makes the pipeline's input from the dump files (and their multistream index
// files, recognised by "-index" in their names): a multistream file with its index
// becomes byte ranges of whole streams of about splitBytes each (the first range starts
// at 0 with the header stream, the last one ends with the file); every other file is
// one split. Globs are expanded by the files' filesystem.
func Splits(ctx context.Context, files []string, splitBytes int64) ([]Split, error) {
	var all []string
	for _, f := range files {
		if !strings.ContainsAny(f, "*?[") {
			all = append(all, f)
			continue
		}
		fs, err := filesystem.New(ctx, f)
		if err != nil {
			return nil, err
		}
		matched, err := fs.List(ctx, f)
		fs.Close()
		if err != nil {
			return nil, fmt.Errorf("dump %s: %w", f, err)
		}
		if len(matched) == 0 {
			return nil, fmt.Errorf("dump %s: no file matches", f)
		}
		all = append(all, matched...)
	}
	var dumps []string
	for _, f := range all {
		if !isIndex(f) {
			dumps = append(dumps, f)
		}
	}
	if len(dumps) == 0 {
		return nil, errors.New("no dump files given")
	}
	dump.SortParts(dumps)
	indexes := map[string]string{} // dump -> its index
	for _, f := range all {
		if !isIndex(f) {
			continue
		}
		d, ok := indexedFile(f, dumps)
		if !ok {
			return nil, fmt.Errorf("multistream index %s: its dump file is not among the --dump files", f)
		}
		indexes[d] = f
	}
	var splits []Split
	for _, f := range dumps {
		idx, ok := indexes[f]
		if !ok {
			splits = append(splits, Split{File: f, End: -1})
			continue
		}
		offs, err := readIndex(ctx, idx)
		if err != nil {
			return nil, err
		}
		rooted, err := opensRoot(ctx, f, offs)
		if err != nil {
			return nil, err
		}
		for _, sp := range streamRanges(f, offs, splitBytes) {
			sp.Rooted = rooted
			splits = append(splits, sp)
		}
	}
	return splits, nil
}

// streamRanges groups the streams starting at offs into ranges of at least splitBytes
// (but the last).
func streamRanges(file string, offs []int64, splitBytes int64) []Split {
	var out []Split
	start := int64(0)
	for _, o := range offs {
		if o-start >= splitBytes {
			out = append(out, Split{File: file, Start: start, End: o})
			start = o
		}
	}
	return append(out, Split{File: file, Start: start, End: -1})
}

// opensRoot reports whether the streams before the first page stream of a multistream
// file (its header) open <mediawiki>.
func opensRoot(ctx context.Context, file string, offs []int64) (bool, error) {
	if len(offs) == 0 || offs[0] == 0 {
		return false, nil
	}
	src, err := openSplit(ctx, Split{File: file, End: offs[0]})
	if err != nil {
		return false, err
	}
	defer src.Close()
	r, err := decompressed(src)
	if err != nil {
		return false, fmt.Errorf("%s: header stream: %w", file, err)
	}
	defer r.Close()
	head, err := io.ReadAll(io.LimitReader(r, 1<<20))
	if err != nil {
		return false, fmt.Errorf("%s: header stream: %w", file, err)
	}
	return bytes.Contains(head, []byte("<mediawiki")), nil
}

func readIndex(ctx context.Context, idx string) ([]int64, error) {
	fs, err := filesystem.New(ctx, idx)
	if err != nil {
		return nil, err
	}
	defer fs.Close()
	f, err := fs.OpenRead(ctx, idx)
	if err != nil {
		return nil, fmt.Errorf("multistream index %s: %w", idx, err)
	}
	defer f.Close()
	r, err := decompressed(f)
	if err != nil {
		return nil, fmt.Errorf("multistream index %s: %w", idx, err)
	}
	defer r.Close()
	return dump.StreamOffsets(idx, r)
}

// decompressed reads a bzip2 file decompressed, any other file as it is.
func decompressed(f io.Reader) (io.ReadCloser, error) {
	br := bufio.NewReader(f)
	magic, err := br.Peek(3)
	if err != nil && err != io.EOF {
		return nil, err
	}
	if string(magic) == "BZh" {
		return bz2.NewReader(br, 1), nil
	}
	return io.NopCloser(br), nil
}

// openSplit opens the bytes of a split. Google Cloud Storage objects are read by range;
// on other filesystems, a reader that can seek (local files) starts reading at s.Start,
// others read up to it and drop what they read.
func openSplit(ctx context.Context, s Split) (io.ReadCloser, error) {
	if strings.HasPrefix(s.File, "gs://") && (s.Start > 0 || s.End >= 0) {
		return openGCSRange(ctx, s)
	}
	fs, err := filesystem.New(ctx, s.File)
	if err != nil {
		return nil, err
	}
	f, err := fs.OpenRead(ctx, s.File)
	if err != nil {
		fs.Close()
		return nil, err
	}
	closeAll := func() error { return errors.Join(f.Close(), fs.Close()) }
	if s.Start > 0 {
		if sk, ok := f.(io.Seeker); ok {
			_, err = sk.Seek(s.Start, io.SeekStart)
		} else {
			_, err = io.CopyN(io.Discard, f, s.Start)
		}
		if err != nil {
			closeAll()
			return nil, fmt.Errorf("%s: to byte %d: %w", s.File, s.Start, err)
		}
	}
	var r io.Reader = f
	if s.End >= 0 {
		r = io.LimitReader(f, s.End-s.Start)
	}
	return readCloser{r, closeAll}, nil
}

type readCloser struct {
	io.Reader
	close func() error
}

func (r readCloser) Close() error { return r.close() }

// openGCSRange reads a split of a gs:// object with a range request (the SDK's gcs
// filesystem reads objects from their start only).
func openGCSRange(ctx context.Context, s Split) (io.ReadCloser, error) {
	bucket, object, err := gcsx.ParseObject(s.File)
	if err != nil {
		return nil, err
	}
	client, err := gcsx.NewClient(ctx, storage.ScopeReadOnly)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", s.File, err)
	}
	length := int64(-1)
	if s.End >= 0 {
		length = s.End - s.Start
	}
	r, err := client.Bucket(bucket).Object(object).NewRangeReader(ctx, s.Start, length)
	if err != nil {
		client.Close()
		return nil, fmt.Errorf("%s: bytes %d to %d: %w", s.File, s.Start, s.End, err)
	}
	return readCloser{r, func() error { return errors.Join(r.Close(), client.Close()) }}, nil
}
