package wikitext

import "unsafe"

// A textBuf is the text a reader writes, as a strings.Builder, or nothing when it
// discards: looking ahead for where a run or node ends, and reading only the
// structure of a page (ReadTopNodes, Sections), need no text, and copying it cost
// up to 34 bytes written per byte of page on pages of bold and italic runs escaping
// their headings.
type textBuf struct {
	buf        []byte
	discarding bool
}

// discarding returns a textBuf that keeps nothing.
func discarding() *textBuf { return &textBuf{discarding: true} }

// WriteString appends s.
func (t *textBuf) WriteString(s string) {
	if !t.discarding {
		t.buf = append(t.buf, s...)
	}
}

// WriteByte appends c; it never fails (as strings.Builder's).
func (t *textBuf) WriteByte(c byte) error {
	if !t.discarding {
		t.buf = append(t.buf, c)
	}
	return nil
}

// Grow makes room for n more bytes.
func (t *textBuf) Grow(n int) {
	if !t.discarding && cap(t.buf)-len(t.buf) < n {
		b := make([]byte, len(t.buf), 2*cap(t.buf)+n)
		copy(b, t.buf)
		t.buf = b
	}
}

// String returns the text without copying it: later writes only append after it, so
// that the string's bytes never change (as strings.Builder's).
func (t *textBuf) String() string { return unsafe.String(unsafe.SliceData(t.buf), len(t.buf)) }
