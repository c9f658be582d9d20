package dictionaries

import "encoding/json"

// jsonIndent encodes a summary as the single-machine stage does.
func jsonIndent(v any) ([]byte, error) {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return nil, err
	}
	return append(b, '\n'), nil
}
