package datasets

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"math/big"
)

// The values of the reference's sqlitedict files, read back: a small pickle machine for
// the opcodes Python's pickle (protocol 2 to 5) uses for ints, strings, dicts, tuples,
// bytes and numpy arrays. Globals and their calls are kept as values, not run.

// pyGlobal is a global reference (module.name).
type pyGlobal struct{ module, name string }

// pyCall is a global applied to arguments (REDUCE), with the state BUILD gave it.
type pyCall struct {
	fn    any
	args  []any
	state any
}

type pyMark struct{}

// pyDict keeps a dict's items in order.
type pyDict struct {
	keys []any
	vals []any
}

// Unpickle decodes a pickle into Go values: int64 (or *big.Int), float64, string,
// []byte, bool, nil, []any (tuples and lists), *pyDict, and opaque globals and calls.
func unpickle(b []byte) (any, error) {
	var stack []any
	memo := map[int]any{}
	pop := func() (any, error) {
		if len(stack) == 0 {
			return nil, errors.New("pickle: stack underflow")
		}
		v := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		return v, nil
	}
	popMark := func() ([]any, error) {
		for i := len(stack) - 1; i >= 0; i-- {
			if _, ok := stack[i].(pyMark); ok {
				items := append([]any(nil), stack[i+1:]...)
				stack = stack[:i]
				return items, nil
			}
		}
		return nil, errors.New("pickle: no mark")
	}
	need := func(i, n int) error {
		if n < 0 || i+n > len(b) {
			return errors.New("pickle: truncated")
		}
		return nil
	}
	for i := 0; i < len(b); {
		op := b[i]
		i++
		switch op {
		case opProto:
			i++
		case opFrame:
			i += 8
		case opStop:
			return pop()
		case opMemoize:
			if len(stack) == 0 {
				return nil, errors.New("pickle: memoize on an empty stack")
			}
			memo[len(memo)] = stack[len(stack)-1]
		case opBinGet, 'j':
			var k int
			if op == opBinGet {
				if err := need(i, 1); err != nil {
					return nil, err
				}
				k = int(b[i])
				i++
			} else {
				if err := need(i, 4); err != nil {
					return nil, err
				}
				k = int(binary.LittleEndian.Uint32(b[i:]))
				i += 4
			}
			v, ok := memo[k]
			if !ok {
				return nil, fmt.Errorf("pickle: memo %d missing", k)
			}
			stack = append(stack, v)
		case opBinInt:
			if err := need(i, 4); err != nil {
				return nil, err
			}
			stack = append(stack, int64(int32(binary.LittleEndian.Uint32(b[i:]))))
			i += 4
		case opBinInt1:
			if err := need(i, 1); err != nil {
				return nil, err
			}
			stack = append(stack, int64(b[i]))
			i++
		case opBinInt2:
			if err := need(i, 2); err != nil {
				return nil, err
			}
			stack = append(stack, int64(binary.LittleEndian.Uint16(b[i:])))
			i += 2
		case opLong1:
			if err := need(i, 1); err != nil {
				return nil, err
			}
			n := int(b[i])
			i++
			if err := need(i, n); err != nil {
				return nil, err
			}
			stack = append(stack, decodeLong(b[i:i+n]))
			i += n
		case 'G':
			if err := need(i, 8); err != nil {
				return nil, err
			}
			stack = append(stack, math.Float64frombits(binary.BigEndian.Uint64(b[i:])))
			i += 8
		case opShortUnicode, opShortBinBytes, opBinUnicode, opBinBytes, opBinUnicode8, opBinBytes8:
			var n int
			switch op {
			case opShortUnicode, opShortBinBytes:
				if err := need(i, 1); err != nil {
					return nil, err
				}
				n = int(b[i])
				i++
			case opBinUnicode, opBinBytes:
				if err := need(i, 4); err != nil {
					return nil, err
				}
				n = int(binary.LittleEndian.Uint32(b[i:]))
				i += 4
			default:
				if err := need(i, 8); err != nil {
					return nil, err
				}
				n64 := binary.LittleEndian.Uint64(b[i:])
				if n64 > uint64(len(b)) {
					return nil, errors.New("pickle: truncated")
				}
				n = int(n64)
				i += 8
			}
			if err := need(i, n); err != nil {
				return nil, err
			}
			if op == opShortBinBytes || op == opBinBytes || op == opBinBytes8 {
				stack = append(stack, append([]byte(nil), b[i:i+n]...))
			} else {
				stack = append(stack, string(b[i:i+n]))
			}
			i += n
		case opEmptyDict:
			stack = append(stack, &pyDict{})
		case ']':
			stack = append(stack, []any{})
		case ')':
			stack = append(stack, []any{})
		case opMark:
			stack = append(stack, pyMark{})
		case opSetItem, opSetItems:
			var items []any
			if op == opSetItem {
				v, err := pop()
				if err != nil {
					return nil, err
				}
				k, err := pop()
				if err != nil {
					return nil, err
				}
				items = []any{k, v}
			} else {
				var err error
				if items, err = popMark(); err != nil {
					return nil, err
				}
			}
			if len(stack) == 0 || len(items)%2 != 0 {
				return nil, errors.New("pickle: bad SETITEMS")
			}
			d, ok := stack[len(stack)-1].(*pyDict)
			if !ok {
				return nil, errors.New("pickle: SETITEMS on a non-dict")
			}
			for k := 0; k < len(items); k += 2 {
				d.keys = append(d.keys, items[k])
				d.vals = append(d.vals, items[k+1])
			}
		case opTuple, 'l':
			items, err := popMark()
			if err != nil {
				return nil, err
			}
			stack = append(stack, items)
		case opTuple1, 0x86, opTuple3:
			n := int(op-opTuple1) + 1
			if len(stack) < n {
				return nil, errors.New("pickle: stack underflow")
			}
			t := append([]any(nil), stack[len(stack)-n:]...)
			stack = append(stack[:len(stack)-n], t)
		case opStackGlobal:
			name, err := pop()
			if err != nil {
				return nil, err
			}
			mod, err := pop()
			if err != nil {
				return nil, err
			}
			ms, _ := mod.(string)
			ns, _ := name.(string)
			stack = append(stack, pyGlobal{ms, ns})
		case opReduce:
			args, err := pop()
			if err != nil {
				return nil, err
			}
			fn, err := pop()
			if err != nil {
				return nil, err
			}
			a, _ := args.([]any)
			stack = append(stack, &pyCall{fn: fn, args: a})
		case opBuild:
			state, err := pop()
			if err != nil {
				return nil, err
			}
			if len(stack) == 0 {
				return nil, errors.New("pickle: BUILD on an empty stack")
			}
			if c, ok := stack[len(stack)-1].(*pyCall); ok {
				c.state = state
			}
		case opNewTrue:
			stack = append(stack, true)
		case opNewFalse:
			stack = append(stack, false)
		case opNone:
			stack = append(stack, nil)
		default:
			return nil, fmt.Errorf("pickle: opcode 0x%02x not supported", op)
		}
	}
	return nil, errors.New("pickle: no STOP")
}

func decodeLong(b []byte) any {
	if len(b) == 0 {
		return int64(0)
	}
	if len(b) <= 8 {
		var v uint64
		for k := len(b) - 1; k >= 0; k-- {
			v = v<<8 | uint64(b[k])
		}
		shift := 64 - 8*uint(len(b))
		return int64(v<<shift) >> shift
	}
	be := make([]byte, len(b))
	for k := range b {
		be[len(b)-1-k] = b[k]
	}
	n := new(big.Int).SetBytes(be)
	if b[len(b)-1]&0x80 != 0 {
		n.Sub(n, new(big.Int).Lsh(big.NewInt(1), uint(8*len(b))))
	}
	return n
}

// UnpickleInt decodes a pickled int (pageids).
func UnpickleInt(b []byte) (int64, error) {
	v, err := unpickle(b)
	if err != nil {
		return 0, err
	}
	n, ok := v.(int64)
	if !ok {
		return 0, fmt.Errorf("pickle: want an int, got %T", v)
	}
	return n, nil
}

// UnpickleString decodes a pickled str (redirects).
func UnpickleString(b []byte) (string, error) {
	v, err := unpickle(b)
	if err != nil {
		return "", err
	}
	s, ok := v.(string)
	if !ok {
		return "", fmt.Errorf("pickle: want a str, got %T", v)
	}
	return s, nil
}

// UnpickleStrIntDict decodes a pickled dict of str to int (anchors), in order.
func UnpickleStrIntDict(b []byte) ([]StrInt, error) {
	v, err := unpickle(b)
	if err != nil {
		return nil, err
	}
	d, ok := v.(*pyDict)
	if !ok {
		return nil, fmt.Errorf("pickle: want a dict, got %T", v)
	}
	out := make([]StrInt, len(d.keys))
	for i := range d.keys {
		k, ok1 := d.keys[i].(string)
		n, ok2 := d.vals[i].(int64)
		if !ok1 || !ok2 {
			return nil, errors.New("pickle: want a dict of str to int")
		}
		out[i] = StrInt{Key: k, Value: n}
	}
	return out, nil
}

// UnpickleFloat32Array decodes a pickled 1-D numpy float32 array (w2vfiltered): its
// state holds the dtype and the raw little-endian data.
func UnpickleFloat32Array(b []byte) ([]float32, error) {
	v, err := unpickle(b)
	if err != nil {
		return nil, err
	}
	c, ok := v.(*pyCall)
	if !ok {
		return nil, fmt.Errorf("pickle: want a numpy array, got %T", v)
	}
	state, ok := c.state.([]any)
	if !ok || len(state) != 5 {
		return nil, errors.New("pickle: numpy array without its state")
	}
	shape, _ := state[1].([]any)
	data, _ := state[4].([]byte)
	if len(shape) != 1 {
		return nil, errors.New("pickle: want a 1-D array")
	}
	n, _ := shape[0].(int64)
	if dt, ok := state[2].(*pyCall); !ok || len(dt.args) == 0 || dt.args[0] != "f4" {
		return nil, errors.New("pickle: want a float32 array")
	}
	if int64(len(data)) != 4*n {
		return nil, fmt.Errorf("pickle: array of %d values with %d bytes", n, len(data))
	}
	out := make([]float32, n)
	for i := range out {
		out[i] = math.Float32frombits(binary.LittleEndian.Uint32(data[4*i:]))
	}
	return out, nil
}
