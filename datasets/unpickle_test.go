package datasets

import (
	"bytes"
	"math"
	"reflect"
	"testing"

	"github.com/addlink/addlink/internal/testfixtures"
)

// TestUnpickleReferenceExport decodes every value of the reference's four sqlite files
// and pickles it again: the bytes are the same.
func TestUnpickleReferenceExport(t *testing.T) {
	for _, name := range []string{"anchors", "pageids", "redirects", "w2vfiltered"} {
		n := 0
		err := ReadSqliteDict(testfixtures.Path(t, "reference/elwikivoyage/export/elwikivoyage."+name+".sqlite"), func(key string, value []byte) error {
			var again []byte
			switch name {
			case "anchors":
				d, err := UnpickleStrIntDict(value)
				if err != nil {
					return err
				}
				again = PickleStrIntDict(d)
			case "pageids":
				v, err := UnpickleInt(value)
				if err != nil {
					return err
				}
				again = PickleInt(v)
			case "redirects":
				v, err := UnpickleString(value)
				if err != nil {
					return err
				}
				again = PickleString(v)
			case "w2vfiltered":
				v, err := UnpickleFloat32Array(value)
				if err != nil {
					return err
				}
				again = PickleFloat32Array(v)
			}
			if !bytes.Equal(again, value) {
				t.Fatalf("%s %q: decoded and pickled again, the bytes differ", name, key)
			}
			n++
			return nil
		})
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if n == 0 {
			t.Fatalf("%s: no rows", name)
		}
	}
}

func TestUnpickleValues(t *testing.T) {
	for _, n := range []int64{0, 1, 255, 256, 65535, 65536, -1, math.MaxInt32, math.MaxInt32 + 1, -1 << 40, math.MaxInt64} {
		if got, err := UnpickleInt(PickleInt(n)); err != nil || got != n {
			t.Errorf("%d: got %d, %v", n, got, err)
		}
	}
	d := []StrInt{{"Αθήνα", 3}, {"x", 1 << 33}}
	if got, err := UnpickleStrIntDict(PickleStrIntDict(d)); err != nil || !reflect.DeepEqual(got, d) {
		t.Errorf("dict: got %v, %v", got, err)
	}
	v := []float32{1.5, -2, float32(math.Inf(1))}
	if got, err := UnpickleFloat32Array(PickleFloat32Array(v)); err != nil || !reflect.DeepEqual(got, v) {
		t.Errorf("array: got %v, %v", got, err)
	}
}

func FuzzUnpickle(f *testing.F) {
	f.Add(PickleStrIntDict([]StrInt{{"a", 1}}))
	f.Add(PickleFloat32Array([]float32{1, 2}))
	f.Add(PickleString("x"))
	f.Fuzz(func(t *testing.T, b []byte) {
		UnpickleStrIntDict(b)
		UnpickleFloat32Array(b)
		UnpickleInt(b)
		UnpickleString(b)
	})
}
