package datasets

import (
	"encoding/binary"
	"math"
	"math/big"
)

// This file: a Python pickle (protocol 4) encoder for the values the Link
// Recommendation service reads from its datasets: int, str, dict[str, int], and the
// pickle numpy writes for a 1-D float32 array. The bytes are those CPython 3's pickle
// module writes for the same objects (one frame, memoized strings, SETITEMS batches of
// 1000), so Python's pickle.loads reads them and they compare equal to the reference
// pipeline's files.

// Pickle opcodes (Python's Lib/pickle.py).
const (
	opProto          = 0x80
	opFrame          = 0x95
	opStop           = '.'
	opMemoize        = 0x94
	opBinGet         = 'h'
	opBinInt         = 'J'
	opBinInt1        = 'K'
	opBinInt2        = 'M'
	opLong1          = 0x8a
	opShortUnicode   = 0x8c
	opBinUnicode     = 'X'
	opBinUnicode8    = 0x8d
	opShortBinBytes  = 'C'
	opBinBytes       = 'B'
	opBinBytes8      = 0x8e
	opEmptyDict      = '}'
	opMark           = '('
	opSetItem        = 's'
	opSetItems       = 'u'
	opTuple          = 't'
	opTuple1         = 0x85
	opTuple3         = 0x87
	opStackGlobal    = 0x93
	opReduce         = 'R'
	opBuild          = 'b'
	opNewTrue        = 0x88
	opNewFalse       = 0x89
	opNone           = 'N'
	pickleBatchSize  = 1000 // items per SETITEMS, as pickle._BATCHSIZE
	frameSizeMinimum = 4    // smaller pickles are written without a FRAME
)

// pickler accumulates one pickle's opcodes.
type pickler struct {
	b    []byte
	memo int
}

func (p *pickler) memoize() { p.b = append(p.b, opMemoize); p.memo++ }

func (p *pickler) int(n int64) {
	switch {
	case n >= 0 && n < 1<<8:
		p.b = append(p.b, opBinInt1, byte(n))
	case n >= 0 && n < 1<<16:
		p.b = append(p.b, opBinInt2, byte(n), byte(n>>8))
	case n >= math.MinInt32 && n <= math.MaxInt32:
		p.b = append(p.b, opBinInt)
		p.b = binary.LittleEndian.AppendUint32(p.b, uint32(int32(n)))
	default:
		enc := encodeLong(n)
		p.b = append(p.b, opLong1, byte(len(enc)))
		p.b = append(p.b, enc...)
	}
}

// encodeLong is pickle.encode_long: little-endian two's complement, as short as
// possible.
func encodeLong(n int64) []byte {
	if n == 0 {
		return nil
	}
	v := big.NewInt(n)
	nbytes := (v.BitLen() >> 3) + 1
	out := make([]byte, nbytes)
	u := uint64(n)
	for i := range out {
		out[i] = byte(u >> (8 * i))
	}
	if n < 0 && nbytes > 1 && out[nbytes-1] == 0xff && out[nbytes-2]&0x80 != 0 {
		out = out[:nbytes-1]
	}
	return out
}

func (p *pickler) str(s string) {
	switch n := len(s); {
	case n < 256:
		p.b = append(p.b, opShortUnicode, byte(n))
	case n <= math.MaxUint32:
		p.b = append(p.b, opBinUnicode)
		p.b = binary.LittleEndian.AppendUint32(p.b, uint32(n))
	default:
		p.b = append(p.b, opBinUnicode8)
		p.b = binary.LittleEndian.AppendUint64(p.b, uint64(n))
	}
	p.b = append(p.b, s...)
	p.memoize()
}

func (p *pickler) bytes(data []byte) {
	switch n := len(data); {
	case n < 256:
		p.b = append(p.b, opShortBinBytes, byte(n))
	case n <= math.MaxUint32:
		p.b = append(p.b, opBinBytes)
		p.b = binary.LittleEndian.AppendUint32(p.b, uint32(n))
	default:
		p.b = append(p.b, opBinBytes8)
		p.b = binary.LittleEndian.AppendUint64(p.b, uint64(n))
	}
	p.b = append(p.b, data...)
	p.memoize()
}

// finish wraps the opcodes with PROTO 4, a FRAME header (when the body has at least
// 4 bytes) and STOP.
func (p *pickler) finish() []byte {
	body := append(p.b, opStop)
	out := make([]byte, 0, len(body)+11)
	out = append(out, opProto, 4)
	if len(body) >= frameSizeMinimum {
		out = append(out, opFrame)
		out = binary.LittleEndian.AppendUint64(out, uint64(len(body)))
	}
	return append(out, body...)
}

// PickleInt returns the pickle of a Python int.
func PickleInt(n int64) []byte {
	var p pickler
	p.int(n)
	return p.finish()
}

// PickleString returns the pickle of a Python str.
func PickleString(s string) []byte {
	var p pickler
	p.str(s)
	return p.finish()
}

// StrInt is one item of a dict[str, int].
type StrInt struct {
	Key   string
	Value int64
}

// PickleStrIntDict returns the pickle of a dict[str, int] whose items are inserted in
// the given order.
func PickleStrIntDict(items []StrInt) []byte {
	var p pickler
	p.b = append(p.b, opEmptyDict)
	p.memoize()
	for start := 0; start < len(items); start += pickleBatchSize {
		batch := items[start:min(start+pickleBatchSize, len(items))]
		if len(batch) > 1 {
			p.b = append(p.b, opMark)
		}
		for _, it := range batch {
			p.str(it.Key)
			p.int(it.Value)
		}
		if len(batch) > 1 {
			p.b = append(p.b, opSetItems)
		} else {
			p.b = append(p.b, opSetItem)
		}
	}
	return p.finish()
}

// PickleFloat32Array returns the pickle numpy (1.x) writes for a 1-D float32 array
// (numpy.core.multiarray._reconstruct, then __setstate__ with version 1, shape, dtype
// '<f4' and the raw little-endian data).
func PickleFloat32Array(v []float32) []byte {
	var p pickler
	p.str("numpy.core.multiarray") // memo 0
	p.str("_reconstruct")          // memo 1
	p.b = append(p.b, opStackGlobal)
	p.memoize()      // 2
	p.str("numpy")   // memo 3
	p.str("ndarray") // memo 4
	p.b = append(p.b, opStackGlobal)
	p.memoize() // 5
	p.int(0)
	p.b = append(p.b, opTuple1)
	p.memoize()          // 6: (0,)
	p.bytes([]byte("b")) // 7
	p.b = append(p.b, opTuple3)
	p.memoize() // 8
	p.b = append(p.b, opReduce)
	p.memoize() // 9
	p.b = append(p.b, opMark)
	p.int(1)
	p.int(int64(len(v)))
	p.b = append(p.b, opTuple1)
	p.memoize() // 10: shape
	p.b = append(p.b, opBinGet, 3)
	p.str("dtype") // 11
	p.b = append(p.b, opStackGlobal)
	p.memoize() // 12
	p.str("f4") // 13
	p.b = append(p.b, opNewFalse, opNewTrue, opTuple3)
	p.memoize() // 14
	p.b = append(p.b, opReduce)
	p.memoize() // 15
	p.b = append(p.b, opMark)
	p.int(3)
	p.str("<") // 16
	p.b = append(p.b, opNone, opNone, opNone)
	p.int(-1)
	p.int(-1)
	p.int(0)
	p.b = append(p.b, opTuple)
	p.memoize() // 17
	p.b = append(p.b, opBuild, opNewFalse)
	data := make([]byte, 4*len(v))
	for i, f := range v {
		binary.LittleEndian.PutUint32(data[4*i:], math.Float32bits(f))
	}
	p.bytes(data) // 18
	p.b = append(p.b, opTuple)
	p.memoize() // 19
	p.b = append(p.b, opBuild)
	return p.finish()
}
