package wikidata

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
)

// entityID finds the entity's id in a dump line cheaply: the first "id":"<letter><digits>"
// (entities put their own id before their claims, whose ids look different).
func entityID(line []byte) string {
	key := []byte(`"id":`)
	for off := 0; ; {
		i := bytes.Index(line[off:], key)
		if i < 0 {
			return ""
		}
		j := off + i + len(key)
		for j < len(line) && line[j] == ' ' {
			j++
		}
		if j < len(line) && line[j] == '"' {
			k := j + 1
			if k < len(line) && (line[k] == 'Q' || line[k] == 'P' || line[k] == 'L') {
				e := k + 1
				for e < len(line) && line[e] >= '0' && line[e] <= '9' {
					e++
				}
				if e > k+1 && e < len(line) && line[e] == '"' {
					return string(line[k:e])
				}
			}
		}
		off = off + i + len(key)
	}
}

// entity is the part of an entity's JSON we need.
type entity struct {
	ID     string `json:"id"`
	Claims map[string][]struct {
		MainSnak struct {
			SnakType  string `json:"snaktype"`
			DataType  string `json:"datatype"`
			DataValue struct {
				Type  string          `json:"type"`
				Value json.RawMessage `json:"value"`
			} `json:"datavalue"`
		} `json:"mainsnak"`
	} `json:"claims"`
}

type entityValue struct {
	ID         string `json:"id"`
	NumericID  *int64 `json:"numeric-id"`
	EntityType string `json:"entity-type"`
}

// P31 returns the items that are values of P31 in an entity's JSON, in the current
// form ("id": "Q5") or the old one ("numeric-id": 5), in statement order.
func P31(entityJSON []byte) (id string, items []string, err error) {
	var e entity
	if err := json.Unmarshal(entityJSON, &e); err != nil {
		return "", nil, err
	}
	return e.ID, e.p31(), nil
}

func (e *entity) p31() []string {
	var items []string
	for _, st := range e.Claims["P31"] {
		ms := st.MainSnak
		if ms.SnakType != "" && ms.SnakType != "value" || ms.DataValue.Type != "wikibase-entityid" {
			continue
		}
		if ms.DataType != "" && ms.DataType != "wikibase-item" {
			continue
		}
		var v entityValue
		if json.Unmarshal(ms.DataValue.Value, &v) != nil {
			continue
		}
		switch {
		case v.ID != "" && v.ID[0] == 'Q':
			items = append(items, v.ID)
		case v.ID == "" && v.NumericID != nil && (v.EntityType == "" || v.EntityType == "item"):
			items = append(items, "Q"+strconv.FormatInt(*v.NumericID, 10))
		}
	}
	return items
}

// ScanStats counts what ScanEntities read.
type ScanStats struct {
	Lines, Entities, Decoded int64
	Bytes                    int64
}

// ScanEntities reads a JSON entity dump (a "[" line, one entity per line with a
// trailing comma, a "]" line) and calls fn with the P31 items of every entity whose id
// is in wanted; other entities are not decoded. A line that cannot be read is an
// *InputError (or skipped and counted in *skipped when skipped is not nil).
func ScanEntities(r io.Reader, name string, wanted map[string]bool, skipped *int, fn func(id string, items []string)) (ScanStats, error) {
	br := bufio.NewReaderSize(r, 4<<20)
	var st ScanStats
	var buf []byte
	for {
		line, err := br.ReadSlice('\n')
		if err == bufio.ErrBufferFull {
			buf = append(buf[:0], line...)
			for err == bufio.ErrBufferFull {
				line, err = br.ReadSlice('\n')
				buf = append(buf, line...)
			}
			line = buf
		}
		if len(line) == 0 && err == io.EOF {
			return st, nil
		}
		if err != nil && err != io.EOF {
			return st, &InputError{name, int(st.Lines + 1), st.Bytes, err}
		}
		st.Lines++
		start := st.Bytes
		st.Bytes += int64(len(line))
		t := bytes.TrimSpace(line)
		t = bytes.TrimSuffix(t, []byte{','})
		if len(t) == 0 || (len(t) == 1 && (t[0] == '[' || t[0] == ']')) {
			if err == io.EOF {
				return st, nil
			}
			continue
		}
		if t[0] != '{' || t[len(t)-1] != '}' {
			e := &InputError{name, int(st.Lines), start, errors.New("not an entity line (want one JSON object per line)")}
			if err == io.EOF && t[len(t)-1] != '}' {
				e.Err = fmt.Errorf("truncated entity line: %w", io.ErrUnexpectedEOF)
			}
			if skipped != nil {
				*skipped++
				continue
			}
			return st, e
		}
		st.Entities++
		id := entityID(t)
		if id == "" || !wanted[id] {
			if err == io.EOF {
				return st, nil
			}
			continue
		}
		var ent entity
		if jerr := json.Unmarshal(t, &ent); jerr != nil {
			if skipped != nil {
				*skipped++
				continue
			}
			return st, &InputError{name, int(st.Lines), start, jerr}
		}
		st.Decoded++
		fn(id, ent.p31())
		if err == io.EOF {
			return st, nil
		}
	}
}
