package datasets

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"syscall"
	"unsafe"

	"github.com/addlink/addlink/atomicfile"
	"github.com/addlink/addlink/checksum"
)

// The serving index (docs/serve.md "The serving index") holds a wiki's four datasets
// in one immutable file that the service memory-maps and reads without loading it:
// each dataset is a hash table of 8-byte slots (open addressing, linear probing, load
// at most one half) whose slots point at records "uvarint key length, key, uvarint
// value length, value". A look-up touches one or two slots and one record: a few
// pages, whatever the size of the wiki. A miss usually touches only a slot (each slot
// holds 16 bits of the key's hash besides the record's offset).
//
// The bytes depend only on the content: records are written in byte order of their
// keys and the hash is fixed (FNV-1a with a final mix). A header names the format
// and its version; the file's SHA-256 is in its sidecar (checksum.Ext).

// ServeIndexVersion is the version of the serving index's format.
const ServeIndexVersion = 1

// serveIndexMagic starts every serving index.
var serveIndexMagic = [8]byte{'A', 'D', 'L', 'K', 'I', 'D', 'X', 0}

// The sections of a serving index, one per dataset.
const (
	IndexAnchors = iota
	IndexPageIDs
	IndexRedirects
	IndexVectors
	indexSections
)

// indexHeaderSize is the header: magic, version, section count, then per section the
// offset of its slots, their number (a power of two) and its number of keys.
const indexHeaderSize = 8 + 4 + 4 + indexSections*24

// IndexHash is the hash of a key in a serving index.
func IndexHash(key []byte) uint64 {
	h := uint64(14695981039346656037)
	for _, c := range key {
		h ^= uint64(c)
		h *= 1099511628211
	}
	// fmix64: spreads FNV's low bits, which pick the slot.
	h ^= h >> 33
	h *= 0xff51afd7ed558ccd
	h ^= h >> 33
	h *= 0xc4ceb9fe1a85ec53
	h ^= h >> 33
	return h
}

// ServeIndexWriter writes a serving index: the sections in order (IndexAnchors
// first), each with its keys in strictly increasing byte order. Records go to a
// temporary file as they come; Commit writes the slots and the records into the final
// file (atomically) and its sidecar. It keeps 16 bytes a key in memory.
type ServeIndexWriter struct {
	path    string
	tmp     *os.File
	buf     *bufio.Writer
	off     uint64 // bytes of records written
	section int
	last    []byte
	started bool
	// per section: (hash, record offset) of its keys
	entries [indexSections][]indexEntry
	scratch []byte
}

type indexEntry struct{ hash, off uint64 }

// NewServeIndexWriter starts writing the serving index path.
func NewServeIndexWriter(path string) (*ServeIndexWriter, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return nil, err
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), atomicfile.TempPrefix("."+filepath.Base(path)+".records")+"*")
	if err != nil {
		return nil, err
	}
	return &ServeIndexWriter{path: path, tmp: tmp, buf: bufio.NewWriterSize(tmp, 1<<20)}, nil
}

// Add appends a record to section (IndexAnchors..IndexVectors).
func (w *ServeIndexWriter) Add(section int, key string, value []byte) error {
	if section < w.section || section >= indexSections {
		return fmt.Errorf("serving index: section %d after section %d", section, w.section)
	}
	if section > w.section {
		w.section, w.started = section, false
	}
	if w.started && string(w.last) >= key {
		return fmt.Errorf("serving index: key %q after %q: keys must be added in increasing order", key, w.last)
	}
	w.last, w.started = append(w.last[:0], key...), true
	w.scratch = binary.AppendUvarint(w.scratch[:0], uint64(len(key)))
	w.scratch = append(w.scratch, key...)
	w.scratch = binary.AppendUvarint(w.scratch, uint64(len(value)))
	w.scratch = append(w.scratch, value...)
	w.entries[section] = append(w.entries[section], indexEntry{IndexHash([]byte(key)), w.off})
	w.off += uint64(len(w.scratch))
	_, err := w.buf.Write(w.scratch)
	return err
}

// Abort removes what was written; it is a no-op after Commit.
func (w *ServeIndexWriter) Abort() {
	if w.tmp != nil {
		w.tmp.Close()
		os.Remove(w.tmp.Name())
		w.tmp = nil
	}
}

// slotCount is the number of slots of a section of n keys: a power of two at least
// 2n (and at least 2).
func slotCount(n int) uint64 {
	s := uint64(2)
	for s < 2*uint64(n) {
		s <<= 1
	}
	return s
}

// Commit writes the index and its sidecar and returns its SHA-256.
func (w *ServeIndexWriter) Commit() (string, error) {
	defer w.Abort()
	if err := w.buf.Flush(); err != nil {
		return "", err
	}
	out, err := atomicfile.Create(w.path)
	if err != nil {
		return "", err
	}
	defer out.Abort()
	bw := bufio.NewWriterSize(out, 1<<20)
	head := make([]byte, 0, indexHeaderSize)
	head = append(head, serveIndexMagic[:]...)
	head = binary.LittleEndian.AppendUint32(head, ServeIndexVersion)
	head = binary.LittleEndian.AppendUint32(head, indexSections)
	pos := uint64(indexHeaderSize)
	var slotsAt [indexSections]uint64
	for s := range indexSections {
		n := slotCount(len(w.entries[s]))
		slotsAt[s] = pos
		head = binary.LittleEndian.AppendUint64(head, pos)
		head = binary.LittleEndian.AppendUint64(head, n)
		head = binary.LittleEndian.AppendUint64(head, uint64(len(w.entries[s])))
		pos += 8 * n
	}
	records := pos
	if records+w.off >= 1<<48 {
		return "", errors.New("serving index: larger than 256 TiB")
	}
	if _, err := bw.Write(head); err != nil {
		return "", err
	}
	for s := range indexSections {
		n := slotCount(len(w.entries[s]))
		slots := make([]uint64, n)
		for _, e := range w.entries[s] {
			i := e.hash & (n - 1)
			for slots[i] != 0 {
				i = (i + 1) & (n - 1)
			}
			slots[i] = (e.hash>>48)<<48 | (records + e.off)
		}
		var b [8]byte
		for _, v := range slots {
			binary.LittleEndian.PutUint64(b[:], v)
			if _, err := bw.Write(b[:]); err != nil {
				return "", err
			}
		}
		w.entries[s] = nil
	}
	if _, err := w.tmp.Seek(0, io.SeekStart); err != nil {
		return "", err
	}
	if _, err := io.Copy(bw, w.tmp); err != nil {
		return "", err
	}
	if err := bw.Flush(); err != nil {
		return "", err
	}
	if err := out.Commit(); err != nil {
		return "", err
	}
	sum := out.SHA256()
	return sum, checksum.WriteSidecar(w.path, sum)
}

// ErrServeIndex is wrapped by the errors of a serving index that is not one, or not of
// this version, or whose bytes do not match its checksum.
var ErrServeIndex = errors.New("not a valid serving index")

// ServeIndex is an open serving index, memory-mapped read-only. Look-ups return
// slices of the mapping: they are valid until Close, and callers copy what they keep.
// It is safe for concurrent use; Close must not run while look-ups do.
type ServeIndex struct {
	Path string
	data []byte
	sec  [indexSections]struct{ slots, n, count uint64 }
}

// OpenServeIndex maps the serving index at path and checks its header (not its
// checksum: VerifyServeIndex). Look-ups check the bounds of what they read, so a
// damaged file gives wrong answers or misses, never a crash.
func OpenServeIndex(path string) (*ServeIndex, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if st.Size() < indexHeaderSize {
		return nil, fmt.Errorf("%s: %w: %d bytes, shorter than the header", path, ErrServeIndex, st.Size())
	}
	if st.Size() != int64(int(st.Size())) {
		return nil, fmt.Errorf("%s: too large to map", path)
	}
	data, err := syscall.Mmap(int(f.Fd()), 0, int(st.Size()), syscall.PROT_READ, syscall.MAP_SHARED)
	if err != nil {
		return nil, fmt.Errorf("%s: mmap: %w", path, err)
	}
	// Look-ups read a few scattered pages: no read-ahead.
	_ = syscall.Madvise(data, syscall.MADV_RANDOM)
	ix := &ServeIndex{Path: path, data: data}
	if err := ix.header(); err != nil {
		syscall.Munmap(data)
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return ix, nil
}

func (ix *ServeIndex) header() error {
	d := ix.data
	if [8]byte(d[:8]) != serveIndexMagic {
		return fmt.Errorf("%w: no magic number", ErrServeIndex)
	}
	if v := binary.LittleEndian.Uint32(d[8:]); v != ServeIndexVersion {
		return fmt.Errorf("%w: format version %d, this program reads %d", ErrServeIndex, v, ServeIndexVersion)
	}
	if n := binary.LittleEndian.Uint32(d[12:]); n != indexSections {
		return fmt.Errorf("%w: %d sections, want %d", ErrServeIndex, n, indexSections)
	}
	size := uint64(len(d))
	for s := range indexSections {
		h := d[16+24*s:]
		slots, n, count := binary.LittleEndian.Uint64(h), binary.LittleEndian.Uint64(h[8:]), binary.LittleEndian.Uint64(h[16:])
		if n == 0 || n&(n-1) != 0 || count >= n || slots < indexHeaderSize || slots > size || n > (size-slots)/8 {
			return fmt.Errorf("%w: section %d out of bounds", ErrServeIndex, s)
		}
		ix.sec[s].slots, ix.sec[s].n, ix.sec[s].count = slots, n, count
	}
	return nil
}

// VerifyServeIndex checks the serving index at path against its sidecar: an error
// wrapping ErrServeIndex when the bytes differ, or the sidecar's error when it is
// missing.
func VerifyServeIndex(path string) error {
	err := checksum.Verify(path + checksum.Ext)
	if errors.Is(err, checksum.ErrMismatch) {
		return fmt.Errorf("%w: %w", ErrServeIndex, err)
	}
	return err
}

// Size is the number of bytes mapped.
func (ix *ServeIndex) Size() int64 { return int64(len(ix.data)) }

// Count is the number of keys of a section.
func (ix *ServeIndex) Count(section int) int { return int(ix.sec[section].count) }

// Lookup returns the value of key in section, a slice of the mapping.
func (ix *ServeIndex) Lookup(section int, key []byte) ([]byte, bool) {
	s := &ix.sec[section]
	h := IndexHash(key)
	tag := (h >> 48) << 48
	d := ix.data
	for i, probes := h&(s.n-1), uint64(0); probes < s.n; i, probes = (i+1)&(s.n-1), probes+1 {
		v := binary.LittleEndian.Uint64(d[s.slots+8*i:])
		if v == 0 {
			return nil, false
		}
		if v&^(1<<48-1) != tag {
			continue
		}
		k, val, ok := ix.record(v & (1<<48 - 1))
		if ok && string(k) == string(key) {
			return val, true
		}
	}
	return nil, false
}

// LookupString is Lookup of a string key.
func (ix *ServeIndex) LookupString(section int, key string) ([]byte, bool) {
	return ix.Lookup(section, []byte(key)) // does not escape: no allocation
}

func (ix *ServeIndex) record(off uint64) (key, value []byte, ok bool) {
	d := ix.data
	if off >= uint64(len(d)) {
		return nil, nil, false
	}
	r := d[off:]
	kl, n := binary.Uvarint(r)
	if n <= 0 || kl > uint64(len(r)-n) {
		return nil, nil, false
	}
	key = r[n : n+int(kl)]
	r = r[n+int(kl):]
	vl, n := binary.Uvarint(r)
	if n <= 0 || vl > uint64(len(r)-n) {
		return nil, nil, false
	}
	return key, r[n : n+int(vl)], true
}

// Resident is the number of bytes of the mapping in memory now (mincore).
func (ix *ServeIndex) Resident() int64 {
	if len(ix.data) == 0 {
		return 0
	}
	page := os.Getpagesize()
	vec := make([]byte, (len(ix.data)+page-1)/page)
	if err := mincore(ix.data, vec); err != nil {
		return 0
	}
	var n int64
	for _, b := range vec {
		n += int64(b & 1)
	}
	return n * int64(page)
}

// DropResident tells the kernel that the mapped pages are not needed now: they leave
// the process's resident memory and are read again (from the page cache, usually)
// when a look-up touches them.
func (ix *ServeIndex) DropResident() {
	if len(ix.data) > 0 {
		_ = syscall.Madvise(ix.data, syscall.MADV_DONTNEED)
	}
}

// CloseWhenUnreachable unmaps the index once nothing refers to it any more (after a
// garbage collection), instead of Close: for an index shared by requests that may
// still run when its owner lets it go.
func (ix *ServeIndex) CloseWhenUnreachable() {
	if ix.data != nil {
		runtime.AddCleanup(ix, func(d []byte) { syscall.Munmap(d) }, ix.data)
	}
}

// Close unmaps the index.
func (ix *ServeIndex) Close() error {
	if ix.data == nil {
		return nil
	}
	err := syscall.Munmap(ix.data)
	ix.data = nil
	return err
}

// The values of the sections.

// AppendAnchorValue encodes an anchor's value: the kurtosis of its counts, then its
// candidates (title, number of links) in the order given.
func AppendAnchorValue(b []byte, kurtosis float64, titles []string, counts []int64) []byte {
	b = binary.LittleEndian.AppendUint64(b, math.Float64bits(kurtosis))
	b = binary.AppendUvarint(b, uint64(len(titles)))
	for i, t := range titles {
		b = binary.AppendUvarint(b, uint64(len(t)))
		b = append(b, t...)
		b = binary.AppendVarint(b, counts[i])
	}
	return b
}

// DecodeAnchorValue decodes AppendAnchorValue's bytes, calling fn for each candidate
// (title is a slice of v: copy it to keep it).
func DecodeAnchorValue(v []byte, fn func(title []byte, count int64)) (kurtosis float64, n int, err error) {
	if len(v) < 8 {
		return 0, 0, fmt.Errorf("%w: anchor value of %d bytes", ErrServeIndex, len(v))
	}
	kurtosis = math.Float64frombits(binary.LittleEndian.Uint64(v))
	v = v[8:]
	c, k := binary.Uvarint(v)
	if k <= 0 || c > uint64(len(v)) {
		return 0, 0, fmt.Errorf("%w: bad candidate count", ErrServeIndex)
	}
	v = v[k:]
	for range c {
		tl, k := binary.Uvarint(v)
		if k <= 0 || tl > uint64(len(v)-k) {
			return 0, 0, fmt.Errorf("%w: bad candidate title", ErrServeIndex)
		}
		title := v[k : k+int(tl)]
		v = v[k+int(tl):]
		count, k2 := binary.Varint(v)
		if k2 <= 0 {
			return 0, 0, fmt.Errorf("%w: bad candidate count", ErrServeIndex)
		}
		v = v[k2:]
		fn(title, count)
	}
	return kurtosis, int(c), nil
}

// AppendVectorValue encodes an embedding: its floats, little-endian.
func AppendVectorValue(b []byte, v []float32) []byte {
	for _, f := range v {
		b = binary.LittleEndian.AppendUint32(b, math.Float32bits(f))
	}
	return b
}

// DecodeVectorValue decodes AppendVectorValue's bytes into a new slice.
func DecodeVectorValue(b []byte) []float32 {
	out := make([]float32, len(b)/4)
	for i := range out {
		out[i] = math.Float32frombits(binary.LittleEndian.Uint32(b[4*i:]))
	}
	return out
}

func mincore(b []byte, vec []byte) error {
	_, _, e := syscall.Syscall(syscall.SYS_MINCORE, uintptr(unsafe.Pointer(&b[0])), uintptr(len(b)), uintptr(unsafe.Pointer(&vec[0])))
	if e != 0 {
		return e
	}
	return nil
}
