package service

import (
	"strconv"
	"unicode/utf8"

	"github.com/addlink/addlink/datasets"
	"github.com/addlink/addlink/internal/linker"
)

// jsonBuf writes JSON the way the reference service's Flask jsonify does with
// JSON_AS_ASCII off: compact separators, keys in the order written (callers write them
// sorted), strings as Python's json.dumps(ensure_ascii=False) writes them (raw UTF-8,
// U+2028 and U+2029 raw, \b and \f short escapes), floats as Python's repr.
type jsonBuf struct{ b []byte }

const hexDigits = "0123456789abcdef"

func (j *jsonBuf) str(s string) {
	j.b = append(j.b, '"')
	for i := 0; i < len(s); {
		c := s[i]
		if c >= utf8.RuneSelf {
			r, size := utf8.DecodeRuneInString(s[i:])
			if r == utf8.RuneError && size == 1 {
				j.b = append(j.b, "\uFFFD"...)
			} else {
				j.b = append(j.b, s[i:i+size]...)
			}
			i += size
			continue
		}
		switch c {
		case '"':
			j.b = append(j.b, '\\', '"')
		case '\\':
			j.b = append(j.b, '\\', '\\')
		case '\n':
			j.b = append(j.b, '\\', 'n')
		case '\r':
			j.b = append(j.b, '\\', 'r')
		case '\t':
			j.b = append(j.b, '\\', 't')
		case '\b':
			j.b = append(j.b, '\\', 'b')
		case '\f':
			j.b = append(j.b, '\\', 'f')
		default:
			if c < 0x20 {
				j.b = append(j.b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
			} else {
				j.b = append(j.b, c)
			}
		}
		i++
	}
	j.b = append(j.b, '"')
}

func (j *jsonBuf) key(k string) {
	if n := len(j.b); n > 0 && j.b[n-1] != '{' && j.b[n-1] != '[' {
		j.b = append(j.b, ',')
	}
	j.str(k)
	j.b = append(j.b, ':')
}

func (j *jsonBuf) comma() {
	if n := len(j.b); n > 0 && j.b[n-1] != '{' && j.b[n-1] != '[' {
		j.b = append(j.b, ',')
	}
}

func (j *jsonBuf) int(v int64)     { j.b = strconv.AppendInt(j.b, v, 10) }
func (j *jsonBuf) float(v float64) { j.b = append(j.b, datasets.PyFloat(v, 64)...) }
func (j *jsonBuf) raw(v []byte)    { j.b = append(j.b, v...) }
func (j *jsonBuf) open(c byte)     { j.b = append(j.b, c) }
func (j *jsonBuf) close(c byte)    { j.b = append(j.b, c) }
func (j *jsonBuf) strings(v []string) {
	j.open('[')
	for _, s := range v {
		j.comma()
		j.str(s)
	}
	j.close(']')
}

// MarshalJSON returns the response body exactly as the reference service writes it:
// keys links, links_count, meta, page_title, pageid, revid; compact; a trailing newline.
func (r *Response) MarshalJSON() ([]byte, error) {
	b := r.AppendJSON(nil)
	return b[:len(b)-1], nil
}

// AppendJSON appends the response body (with its trailing newline) to b.
func (r *Response) AppendJSON(b []byte) []byte {
	j := jsonBuf{b: b}
	j.open('{')
	j.key("links")
	j.open('[')
	for _, l := range r.Links {
		j.comma()
		appendLink(&j, l)
	}
	j.close(']')
	j.key("links_count")
	j.int(int64(len(r.Links)))
	j.key("meta")
	j.open('{')
	j.key("application_version")
	j.str(r.Meta.ApplicationVersion)
	j.key("dataset_checksums")
	j.open('{')
	for _, name := range checksumNames {
		if v, ok := r.Meta.DatasetChecksums[name]; ok {
			j.key(name)
			j.str(v)
		}
	}
	j.close('}')
	j.key("format_version")
	j.int(int64(r.Meta.FormatVersion))
	j.close('}')
	j.key("page_title")
	j.str(r.PageTitle)
	j.key("pageid")
	j.raw(r.PageID)
	j.key("revid")
	j.int(r.RevID)
	j.close('}')
	j.b = append(j.b, '\n')
	return j.b
}

func appendLink(j *jsonBuf, l linker.Recommendation) {
	j.open('{')
	j.key("context_after")
	j.str(l.ContextAfter)
	j.key("context_before")
	j.str(l.ContextBefore)
	j.key("link_index")
	j.int(int64(l.LinkIndex))
	j.key("link_target")
	j.str(l.LinkTarget)
	j.key("link_text")
	j.str(l.LinkText)
	j.key("match_index")
	j.int(int64(l.MatchIndex))
	j.key("score")
	j.float(l.Score)
	j.key("wikitext_offset")
	j.int(int64(l.WikitextOffset))
	j.close('}')
}

// checksumNames are the keys of meta.dataset_checksums, in the order written (sorted).
var checksumNames = []string{"anchors", "model", "pageids", "redirects", "w2vfiltered"}
