package learn

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sync"

	"github.com/addlink/addlink/internal/lockfile"
	"github.com/addlink/addlink/internal/wikitext"
)

// LogName is the event log's file name inside its directory: one JSON event per line,
// appended only. A byte offset into it is a position in the stream.
const LogName = "events.log"

// RejectionLimit is how many rejections of a target on a page prune it from later
// suggestions, as GrowthExperiments does.
const RejectionLimit = 2

// ErrClosed is returned by Append after Close.
var ErrClosed = errors.New("learn: event log closed")

// Log is the collector's append-only event log. Appends are serialised through one
// writer goroutine that writes every batch waiting, syncs the file once and only then
// acknowledges them (group commit): a batch acknowledged is on disk, and concurrent
// batches share an fsync. The log remembers every event id it holds, so a duplicate is
// dropped whatever batch it comes in, and counts rejections per (wiki, page, target)
// for pruning. One process writes a directory's log at a time (a lock file).
type Log struct {
	f    *os.File
	lock *lockfile.Lock
	reqs chan *appendReq
	done chan struct{}

	mu       sync.RWMutex // guards ids, rejected and size
	ids      map[string]struct{}
	rejected map[pruneKey]int
	size     int64

	cmu    sync.RWMutex // guards closed; held shared while a batch is handed over
	closed bool
}

type pruneKey struct{ wiki, page, target string }

type appendReq struct {
	events []Event
	res    chan appendRes
}

type appendRes struct {
	stored, duplicates int
	err                error
}

// OpenLog opens (creating) the log in dir. A last line left incomplete by a crash
// belongs to a batch that was never acknowledged: it is cut off.
func OpenLog(ctx context.Context, dir string) (*Log, error) {
	lock, err := lockfile.Acquire(ctx, dir, lockfile.Options{})
	if err != nil {
		return nil, err
	}
	path := filepath.Join(dir, LogName)
	_, statErr := os.Stat(path)
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o644)
	if err == nil && errors.Is(statErr, os.ErrNotExist) {
		err = syncDir(dir) // the new file's name is durable before a batch is acknowledged
	}
	if err != nil {
		if f != nil {
			f.Close()
		}
		lock.Release()
		return nil, fmt.Errorf("learn: %w", err)
	}
	l := &Log{f: f, lock: lock, reqs: make(chan *appendReq, 256), done: make(chan struct{}),
		ids: map[string]struct{}{}, rejected: map[pruneKey]int{}}
	end, err := ReadLog(path, 0, func(e *Event, _ int64) error {
		l.remember(e)
		return nil
	})
	if err == nil {
		err = f.Truncate(end)
	}
	if err == nil {
		_, err = f.Seek(end, io.SeekStart)
	}
	if err != nil {
		f.Close()
		lock.Release()
		return nil, fmt.Errorf("learn: %s: %w", path, err)
	}
	l.size = end
	go l.writer()
	return l, nil
}

func (l *Log) remember(e *Event) {
	l.ids[e.ID] = struct{}{}
	if e.Type == Reject {
		l.rejected[pruneKey{e.Wiki, wikitext.NormalizeTitle(e.Page), wikitext.NormalizeTitle(e.Target)}]++
	}
}

// Rejections returns how many times target was rejected on page of wiki (titles are
// compared normalised: underscores as spaces, first letter upper-case).
func (l *Log) Rejections(wiki, page, target string) int {
	l.mu.RLock()
	defer l.mu.RUnlock()
	return l.rejected[pruneKey{wiki, wikitext.NormalizeTitle(page), wikitext.NormalizeTitle(target)}]
}

// Size returns the log's length in bytes.
func (l *Log) Size() int64 {
	l.mu.RLock()
	defer l.mu.RUnlock()
	return l.size
}

// Append stores the events whose ids the log does not hold yet, in order, and returns
// once they are synced to disk: how many were stored and how many were dropped as
// duplicates (of the log or of an earlier event of the same batch).
func (l *Log) Append(ctx context.Context, events []Event) (stored, duplicates int, err error) {
	r := &appendReq{events: events, res: make(chan appendRes, 1)}
	l.cmu.RLock()
	if l.closed {
		l.cmu.RUnlock()
		return 0, 0, ErrClosed
	}
	select {
	case l.reqs <- r:
	case <-ctx.Done():
		l.cmu.RUnlock()
		return 0, 0, ctx.Err()
	}
	l.cmu.RUnlock()
	// Once handed over, the batch is written whatever happens to ctx: wait for it.
	res := <-r.res
	return res.stored, res.duplicates, res.err
}

// writer is the one goroutine that writes: it takes every waiting batch, writes the new
// events, syncs once and answers them all. A failed write or sync fails every batch of
// the group, and the log is cut back to where the group began, so that nothing of an
// unacknowledged batch stays in it.
func (l *Log) writer() {
	var buf []byte
	for {
		var group []*appendReq
		r, ok := <-l.reqs
		if !ok {
			close(l.done)
			return
		}
		group = append(group, r)
	more:
		for len(group) < 1024 {
			select {
			case r, ok := <-l.reqs:
				if !ok {
					break more
				}
				group = append(group, r)
			default:
				break more
			}
		}
		buf = buf[:0]
		results := make([]appendRes, len(group))
		fresh := map[string]struct{}{}
		var added []*Event
		l.mu.RLock()
		for i, r := range group {
			for j := range r.events {
				e := &r.events[j]
				if _, dup := l.ids[e.ID]; dup {
					results[i].duplicates++
					continue
				}
				if _, dup := fresh[e.ID]; dup {
					results[i].duplicates++
					continue
				}
				fresh[e.ID] = struct{}{}
				b, err := json.Marshal(e)
				if err != nil {
					panic(err) // an Event always marshals
				}
				buf = append(append(buf, b...), '\n')
				added = append(added, e)
				results[i].stored++
			}
		}
		start := l.size
		l.mu.RUnlock()
		var err error
		if len(buf) > 0 {
			if _, err = l.f.Write(buf); err == nil {
				err = l.f.Sync()
			}
			if err != nil {
				// Cut back what this group wrote; its batches are refused.
				if terr := l.f.Truncate(start); terr == nil {
					l.f.Seek(start, io.SeekStart)
				}
			}
		}
		if err == nil {
			l.mu.Lock()
			for _, e := range added {
				l.remember(e)
			}
			l.size = start + int64(len(buf))
			l.mu.Unlock()
		}
		for i, r := range group {
			if err != nil {
				results[i] = appendRes{err: fmt.Errorf("learn: append to the event log: %w", err)}
			}
			r.res <- results[i]
		}
	}
}

// Close stops the writer after the batches handed to it and closes the file.
func (l *Log) Close() error {
	l.cmu.Lock()
	if l.closed {
		l.cmu.Unlock()
		return nil
	}
	l.closed = true
	l.cmu.Unlock()
	close(l.reqs)
	<-l.done
	err := l.f.Close()
	if rerr := l.lock.Release(); err == nil {
		err = rerr
	}
	return err
}

// ReadLog calls fn with each complete event of the log at path from byte offset from,
// in order, with the offset just after it. It returns the offset after the last complete
// line: a line still being written (no newline yet) is left for a later read. A
// complete line that is not an event is an error naming its offset.
func ReadLog(path string, from int64, fn func(e *Event, next int64) error) (int64, error) {
	f, err := os.Open(path)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) && from == 0 {
			return 0, nil
		}
		return from, err
	}
	defer f.Close()
	if _, err := f.Seek(from, io.SeekStart); err != nil {
		return from, err
	}
	r := bufio.NewReaderSize(f, 1<<16)
	off := from
	for {
		line, err := r.ReadSlice('\n')
		if err == bufio.ErrBufferFull {
			// A long line: gather it whole.
			long := append([]byte(nil), line...)
			for err == bufio.ErrBufferFull {
				line, err = r.ReadSlice('\n')
				long = append(long, line...)
			}
			line = long
		}
		if err == io.EOF {
			return off, nil // a partial line (or none) at the end
		}
		if err != nil {
			return off, err
		}
		var e Event
		if jerr := json.Unmarshal(line, &e); jerr != nil || e.ID == "" {
			return off, fmt.Errorf("learn: %s: offset %d: not an event: %v", path, off, jerr)
		}
		next := off + int64(len(line))
		if err := fn(&e, next); err != nil {
			return off, err
		}
		off = next
	}
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	err = d.Sync()
	if cerr := d.Close(); err == nil {
		err = cerr
	}
	return err
}
