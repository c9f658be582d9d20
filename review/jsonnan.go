package review

import (
	"encoding/json"
	"math"
	"reflect"
	"strings"
)

// MarshalJSON encodes v as encoding/json does, except that NaN and infinite floats
// (undefined figures) become null instead of an error. It follows json tags' names
// and omitempty on struct fields.
func MarshalJSON(v any) ([]byte, error) {
	return json.MarshalIndent(nanFree(reflect.ValueOf(v)), "", "  ")
}

func nanFree(v reflect.Value) any {
	switch v.Kind() {
	case reflect.Invalid:
		return nil
	case reflect.Float32, reflect.Float64:
		f := v.Float()
		if math.IsNaN(f) || math.IsInf(f, 0) {
			return nil
		}
		return f
	case reflect.Pointer, reflect.Interface:
		if v.IsNil() {
			return nil
		}
		return nanFree(v.Elem())
	case reflect.Slice, reflect.Array:
		if v.Kind() == reflect.Slice && v.IsNil() {
			return nil
		}
		out := make([]any, v.Len())
		for i := range out {
			out[i] = nanFree(v.Index(i))
		}
		return out
	case reflect.Map:
		out := map[string]any{}
		it := v.MapRange()
		for it.Next() {
			out[toString(it.Key())] = nanFree(it.Value())
		}
		return out
	case reflect.Struct:
		out := map[string]any{}
		t := v.Type()
		for i := 0; i < t.NumField(); i++ {
			f := t.Field(i)
			if !f.IsExported() {
				continue
			}
			name, opts, _ := strings.Cut(f.Tag.Get("json"), ",")
			if name == "-" {
				continue
			}
			if name == "" {
				name = f.Name
			}
			fv := v.Field(i)
			if strings.Contains(opts, "omitempty") && fv.IsZero() {
				continue
			}
			out[name] = nanFree(fv)
		}
		return out
	}
	return v.Interface()
}

func toString(v reflect.Value) string {
	if v.Kind() == reflect.String {
		return v.String()
	}
	b, _ := json.Marshal(v.Interface())
	return strings.Trim(string(b), `"`)
}
