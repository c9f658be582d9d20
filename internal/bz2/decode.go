package bz2

import (
	"encoding/binary"
	"io"
)

// bitReader reads bits most significant first.
type bitReader struct {
	r    io.Reader
	buf  []byte
	pos  int
	end  int
	acc  uint64 // the next nbit bits are its low nbit bits, first bit highest
	nbit uint
	eof  bool
	pad  uint // zero bits added past the end of the input
	err  error
}

// fill makes at least 57 bits available, adding zero bits past the end of the input
// (counted in pad, so that using them is an error).
func (b *bitReader) fill() {
	if b.end-b.pos >= 8 { // as many whole bytes as fit, from one load
		w := binary.BigEndian.Uint64(b.buf[b.pos:])
		k := (64 - b.nbit) / 8
		b.acc = b.acc<<(8*k) | w>>(64-8*k)
		b.pos += int(k)
		b.nbit += 8 * k
		return
	}
	for b.nbit <= 56 {
		if b.pos == b.end {
			if !b.eof {
				n, err := io.ReadAtLeast(b.r, b.buf, 1)
				b.pos, b.end = 0, n
				if err != nil {
					b.eof = true
					if err != io.EOF && err != io.ErrUnexpectedEOF {
						b.err = err
					}
				}
				if n > 0 {
					continue
				}
			}
			b.acc <<= 8
			b.nbit += 8
			b.pad += 8
			continue
		}
		b.acc = b.acc<<8 | uint64(b.buf[b.pos])
		b.pos++
		b.nbit += 8
	}
}

// bits returns the next n (at most 32) bits.
func (b *bitReader) bits(n uint) uint32 {
	if b.nbit < n {
		b.fill()
	}
	b.nbit -= n
	return uint32(b.acc>>b.nbit) & (1<<n - 1)
}

func (b *bitReader) bit() bool { return b.bits(1) == 1 }

// peek20 returns the next 20 bits without consuming them.
func (b *bitReader) peek20() uint32 {
	if b.nbit < maxCodeLen {
		b.fill()
	}
	return uint32(b.acc>>(b.nbit-maxCodeLen)) & (1<<maxCodeLen - 1)
}

// overrun reports whether bits past the end of the input were used.
func (b *bitReader) overrun() bool { return b.pad > b.nbit }

// alignedEnd skips to the next byte boundary and reports whether the input ends there.
func (b *bitReader) alignedEnd() bool {
	b.nbit -= b.nbit % 8
	if b.nbit > b.pad || b.pos < b.end {
		return false
	}
	if b.eof {
		return true
	}
	b.fill()
	return b.nbit <= b.pad
}

// decoder reads the bit stream and hands blocks to the workers.
type decoder struct {
	br        bitReader
	z         *Reader
	blockSize int
	tables    [6]huffman
	lens      [258]uint8
	selectors []uint8
	pending   *block // sent to the output, waiting for a second block to pair it with
}

// pair is two consecutive blocks for a worker; the second may be nil.
type pair [2]*block

// send passes b to the output, in order, and to the workers, paired with the block
// before it or waiting for the next; false when stopped. At most one block is in the
// output and not with the workers (the pending one, the newest), so the output never
// waits for a block that waits for the output.
func (d *decoder) send(work chan<- pair, b *block) bool {
	select {
	case d.z.order <- b:
	case <-d.z.stop:
		close(b.done)
		d.flush(work)
		return false
	}
	if d.pending == nil && b.err == nil {
		d.pending = b
		return true
	}
	pr := pair{b}
	if d.pending != nil {
		pr = pair{d.pending, b}
		d.pending = nil
	}
	return d.dispatch(work, pr)
}

// flush passes the pending block on alone.
func (d *decoder) flush(work chan<- pair) {
	if b := d.pending; b != nil {
		d.pending = nil
		d.dispatch(work, pair{b})
	}
}

func (d *decoder) dispatch(work chan<- pair, pr pair) bool {
	select {
	case work <- pr:
		return true
	case <-d.z.stop:
		for _, b := range pr {
			if b != nil {
				close(b.done)
			}
		}
		return false
	}
}

// fail sends an error in stream order.
func (d *decoder) fail(work chan<- pair, err error) {
	b := d.z.newBlock()
	b.err = err
	d.send(work, b)
}

func (d *decoder) run(work chan<- pair) {
	for stream := 0; ; stream++ {
		if stream > 0 && d.br.alignedEnd() {
			return
		}
		if err := d.header(stream); err != nil {
			d.fail(work, err)
			return
		}
		var combined uint32
		for {
			magic := uint64(d.br.bits(24))<<24 | uint64(d.br.bits(24))
			if d.br.overrun() {
				d.fail(work, io.ErrUnexpectedEOF)
				return
			}
			if magic == eosMagic {
				stored := d.br.bits(32)
				if d.br.overrun() {
					d.fail(work, io.ErrUnexpectedEOF)
					return
				}
				if stored != combined {
					d.fail(work, ErrChecksum)
					return
				}
				break
			}
			if magic != blockMagic {
				d.fail(work, StructuralError("bad block magic"))
				return
			}
			b := d.z.newBlock()
			if err := d.block(b); err != nil {
				d.z.release(b)
				d.fail(work, err)
				return
			}
			combined = (combined<<1 | combined>>31) ^ b.crc
			if !d.send(work, b) {
				return
			}
		}
		if d.br.err != nil {
			d.fail(work, d.br.err)
			return
		}
	}
}

// header reads "BZh" and the block size digit.
func (d *decoder) header(stream int) error {
	magic := d.br.bits(24)
	level := d.br.bits(8)
	if d.br.err != nil {
		return d.br.err
	}
	if d.br.overrun() {
		if stream == 0 {
			return io.ErrUnexpectedEOF
		}
		return StructuralError("truncated stream header")
	}
	if magic != 'B'<<16|'Z'<<8|'h' {
		if stream == 0 {
			return StructuralError("not bzip2 data")
		}
		return StructuralError("bad magic value in continuation stream")
	}
	if level < '1' || level > '9' {
		return StructuralError("bad block size")
	}
	d.blockSize = int(level-'0') * 100000
	return nil
}

// block reads one block's header, tables and symbols into b.tt.
func (d *decoder) block(b *block) error {
	br := &d.br
	b.crc = br.bits(32)
	if br.bit() {
		return StructuralError("randomised blocks are not supported")
	}
	b.origPtr = int(br.bits(24))
	// Symbols in use.
	var seqToByte [256]byte
	nInUse := 0
	used16 := br.bits(16)
	for i := 0; i < 16; i++ {
		if used16&(1<<(15-i)) == 0 {
			continue
		}
		bits := br.bits(16)
		for j := 0; j < 16; j++ {
			if bits&(1<<(15-j)) != 0 {
				seqToByte[nInUse] = byte(16*i + j)
				nInUse++
			}
		}
	}
	if nInUse == 0 {
		return StructuralError("no symbols in use")
	}
	alphaSize := nInUse + 2
	nGroups := int(br.bits(3))
	if nGroups < 2 || nGroups > 6 {
		return StructuralError("bad number of Huffman tables")
	}
	nSelectors := int(br.bits(15))
	if nSelectors < 1 {
		return StructuralError("no selectors")
	}
	// Selectors, move-to-front coded in unary.
	var mtfGroups [6]uint8
	for i := range mtfGroups {
		mtfGroups[i] = uint8(i)
	}
	d.selectors = d.selectors[:0]
	for i := 0; i < nSelectors; i++ {
		j := 0
		for br.bit() {
			j++
			if j >= nGroups {
				return StructuralError("bad selector")
			}
		}
		if br.overrun() {
			return io.ErrUnexpectedEOF
		}
		v := mtfGroups[j]
		copy(mtfGroups[1:j+1], mtfGroups[:j])
		mtfGroups[0] = v
		if i < maxSelectors {
			d.selectors = append(d.selectors, v)
		}
	}
	// Code lengths, delta coded.
	for t := 0; t < nGroups; t++ {
		cur := int(br.bits(5))
		for i := 0; i < alphaSize; i++ {
			for {
				if cur < 1 || cur > maxCodeLen {
					return StructuralError("bad code length")
				}
				if !br.bit() {
					break
				}
				if br.bit() {
					cur--
				} else {
					cur++
				}
				if br.overrun() {
					return io.ErrUnexpectedEOF
				}
			}
			d.lens[i] = uint8(cur)
		}
		if err := d.tables[t].build(d.lens[:alphaSize]); err != nil {
			return err
		}
	}
	if br.overrun() {
		return io.ErrUnexpectedEOF
	}
	// The symbols: move-to-front indices with runs of the first one coded as RUNA/RUNB.
	if cap(b.tt) < d.blockSize {
		b.tt = make([]uint32, d.blockSize)
	}
	tt := b.tt[:d.blockSize]
	var mtf [256]uint8 // the bytes themselves, in move-to-front order
	copy(mtf[:], seqToByte[:nInUse])
	eob := nInUse + 1
	n := 0
	run, runBit := 0, 1
	sel, left := 0, 0
	var h *huffman
	next := uint32(0) // a decoded symbol not yet used: its length<<9 | symbol (0: none)
	for {
		if left == 0 {
			if sel >= len(d.selectors) {
				return StructuralError("out of selectors")
			}
			h = &d.tables[d.selectors[sel]]
			sel++
			left = groupSize
		}
		left--
		// The next symbol, or -1 for a bit sequence that is no code: the second of the
		// two that the last look-up found, or a new look-up's first.
		sym := -1
		if next != 0 {
			br.nbit -= uint(next >> 9)
			sym = int(next & 511)
			next = 0
		} else if bits := br.peek20(); h.lookup[bits>>(maxCodeLen-lookupBits)]&31 != 0 {
			e := h.lookup[bits>>(maxCodeLen-lookupBits)]
			br.nbit -= uint(e & 31)
			sym = int(e >> 10 & 511)
			if left > 0 { // the second code is in the same group of 50
				next = e>>5&31<<9 | e>>19
			}
		} else {
			sym = h.decodeLong(br, bits)
		}
		if sym < 0 {
			if br.overrun() {
				return io.ErrUnexpectedEOF
			}
			return StructuralError("bad Huffman code")
		}
		if sym <= 1 { // RUNA, RUNB
			run += (sym + 1) * runBit
			runBit <<= 1
			if run > d.blockSize {
				return StructuralError("run too long")
			}
			continue
		}
		if run > 0 {
			if n+run > d.blockSize {
				return StructuralError("block too long")
			}
			c := uint32(mtf[0])
			for k := n; k < n+run; k++ {
				tt[k] = c
			}
			n += run
			run, runBit = 0, 1
		}
		if sym == eob {
			break
		}
		if n >= d.blockSize {
			return StructuralError("block too long")
		}
		idx := sym - 1
		v := mtf[idx]
		if idx < 8 { // most indices are small: shift the first eight bytes as a word
			w := binary.LittleEndian.Uint64(mtf[:8])
			m := uint64(1)<<(8*(idx+1)) - 1 // the bytes up to idx (all, for idx 7)
			binary.LittleEndian.PutUint64(mtf[:8], (w<<8|uint64(v))&m|w&^m)
		} else if idx < 16 { // two words: all of the first, the second up to idx
			w0 := binary.LittleEndian.Uint64(mtf[:8])
			w1 := binary.LittleEndian.Uint64(mtf[8:16])
			m := uint64(1)<<(8*(idx-7)) - 1
			binary.LittleEndian.PutUint64(mtf[8:16], (w1<<8|w0>>56)&m|w1&^m)
			binary.LittleEndian.PutUint64(mtf[:8], w0<<8|uint64(v))
		} else {
			copy(mtf[1:idx+1], mtf[:idx])
			mtf[0] = v
		}
		tt[n] = uint32(v)
		n++
	}
	if br.overrun() {
		return io.ErrUnexpectedEOF
	}
	if b.origPtr >= n {
		return StructuralError("origin pointer out of range")
	}
	b.n = n
	return nil
}

// huffman decodes one table's canonical codes: a lookup of the first lookupBits bits,
// then the longer codes length by length.
type huffman struct {
	// lookup maps the next lookupBits bits to their first code's length and symbol,
	// and the second code's when it fits too: len1 | len2<<5 | sym1<<10 | sym2<<19
	// (len1 0: a longer code; len2 0: no second symbol).
	lookup     [1 << lookupBits]uint32
	minLong    uint8
	maxLen     uint8
	firstCode  [maxCodeLen + 2]uint32
	firstIndex [maxCodeLen + 2]uint16
	count      [maxCodeLen + 2]uint16
	perm       [258]uint16
}

const lookupBits = 10

// build makes the decoding tables from the code lengths: codes are assigned in order
// of length, and within a length in order of symbol, as bzip2 does.
func (h *huffman) build(lens []uint8) error {
	h.count = [maxCodeLen + 2]uint16{}
	h.maxLen = 0
	for _, l := range lens {
		h.count[l]++
		h.maxLen = max(h.maxLen, l)
	}
	code, index := uint32(0), uint16(0)
	for l := 1; l <= maxCodeLen; l++ {
		h.firstCode[l], h.firstIndex[l] = code, index
		code = (code + uint32(h.count[l])) << 1
		index += h.count[l]
	}
	// perm lists the symbols by (length, symbol).
	var next [maxCodeLen + 2]uint16
	copy(next[:], h.firstIndex[:])
	for sym, l := range lens {
		h.perm[next[l]] = uint16(sym)
		next[l]++
	}
	clear(h.lookup[:])
	h.minLong = maxCodeLen + 1
	for l := 1; l <= int(h.maxLen); l++ {
		for k := 0; k < int(h.count[l]); k++ {
			c := h.firstCode[l] + uint32(k)
			if c >= 1<<l {
				return StructuralError("over-subscribed Huffman code")
			}
			sym := h.perm[int(h.firstIndex[l])+k]
			if l > lookupBits {
				h.minLong = min(h.minLong, uint8(l))
				continue
			}
			shift := lookupBits - l
			for f := c << shift; f < (c+1)<<shift; f++ {
				h.lookup[f] = uint32(sym)<<10 | uint32(l)
			}
		}
	}
	// Second codes: the bits after a first code of length l1 are the next code's
	// first bits, padded; the code is known when its length is at most lookupBits-l1.
	for f, e := range h.lookup {
		l1 := e & 31
		if l1 == 0 || l1 == lookupBits {
			continue
		}
		e2 := h.lookup[f<<l1&(1<<lookupBits-1)]
		if l2 := e2 & 31; l2 != 0 && l2 <= lookupBits-l1 {
			h.lookup[f] = e | l2<<5 | e2>>10&511<<19 // (e2 may have its own second code)
		}
	}
	return nil
}

// decodeLong decodes a code longer than lookupBits from the next 20 bits, bits; -1 for
// a bit sequence that is no code. (The decoding loop looks the shorter ones up itself.)
func (h *huffman) decodeLong(br *bitReader, bits uint32) int {
	for l := int(h.minLong); l <= int(h.maxLen); l++ {
		c := bits >> (maxCodeLen - l)
		if d := c - h.firstCode[l]; d < uint32(h.count[l]) {
			br.nbit -= uint(l)
			return int(h.perm[int(h.firstIndex[l])+int(d)])
		}
	}
	return -1
}
