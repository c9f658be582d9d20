// Parsing the XML the Reader cuts out: the <siteinfo> header, a <page> element and its
// last revision, entities and invalid UTF-8 in text.

package dump

import (
	"bytes"
	"errors"
	"fmt"
	"strconv"
	"unicode/utf8"
)

func parseSiteInfo(h []byte) (SiteInfo, bool) {
	s, ok := between(h, "<siteinfo>", "</siteinfo>")
	if !ok {
		return SiteInfo{}, false
	}
	si := SiteInfo{Namespaces: map[int]string{}}
	if v, ok := between(s, "<sitename>", "</sitename>"); ok {
		si.SiteName, _ = unescape(v)
	}
	if v, ok := between(s, "<dbname>", "</dbname>"); ok {
		si.DBName, _ = unescape(v)
	}
	if v, ok := between(s, "<base>", "</base>"); ok {
		si.Base, _ = unescape(v)
	}
	if v, ok := between(s, "<case>", "</case>"); ok {
		si.Case = string(v)
	}
	rest := s
	for {
		i := bytes.Index(rest, []byte("<namespace "))
		if i < 0 {
			break
		}
		rest = rest[i:]
		end := bytes.IndexByte(rest, '>')
		if end < 0 {
			break
		}
		tag := rest[:end]
		key, ok := attr(tag, "key")
		if !ok {
			rest = rest[end:]
			continue
		}
		n, err := strconv.Atoi(string(key))
		if err != nil {
			rest = rest[end:]
			continue
		}
		name := ""
		if tag[len(tag)-1] != '/' {
			if v, ok := between(rest[end:], ">", "</namespace>"); ok {
				name, _ = unescape(v)
			}
		}
		si.Namespaces[n] = name
		rest = rest[end:]
	}
	return si, true
}

// between returns the bytes between the first open and the following close.
func between(b []byte, open, close string) ([]byte, bool) {
	i := bytes.Index(b, []byte(open))
	if i < 0 {
		return nil, false
	}
	b = b[i+len(open):]
	j := bytes.Index(b, []byte(close))
	if j < 0 {
		return nil, false
	}
	return b[:j], true
}

// attr returns the value of attribute name in a start tag.
func attr(tag []byte, name string) ([]byte, bool) {
	for off := 0; ; {
		i := bytes.Index(tag[off:], []byte(name+"="))
		if i < 0 {
			return nil, false
		}
		i += off
		if i > 0 && tag[i-1] != ' ' && tag[i-1] != '\t' && tag[i-1] != '\n' {
			off = i + 1
			continue
		}
		v := tag[i+len(name)+1:]
		if len(v) == 0 || (v[0] != '"' && v[0] != '\'') {
			return nil, false
		}
		q := v[0]
		j := bytes.IndexByte(v[1:], q)
		if j < 0 {
			return nil, false
		}
		return v[1 : 1+j], true
	}
}

// parsePage parses one <page>...</page> element. It returns the number of invalid UTF-8
// sequences replaced.
func parsePage(raw []byte) (*Page, int, error) {
	p := &Page{}
	rev := lastRevision(raw)
	head := raw
	if rev >= 0 {
		head = raw[:rev]
	}
	replaced := 0
	t, ok := between(head, "<title>", "</title>")
	if !ok {
		return nil, 0, errors.New("page without <title>")
	}
	var n int
	p.Title, n = unescape(t)
	replaced += n
	if v, ok := between(head, "<ns>", "</ns>"); ok {
		ns, err := strconv.Atoi(string(bytes.TrimSpace(v)))
		if err != nil {
			return nil, 0, fmt.Errorf("page %q: bad <ns> %q", p.Title, v)
		}
		p.NS = ns
	}
	if v, ok := between(head, "<id>", "</id>"); ok {
		id, err := strconv.ParseInt(string(bytes.TrimSpace(v)), 10, 64)
		if err != nil {
			return nil, 0, fmt.Errorf("page %q: bad <id> %q", p.Title, v)
		}
		p.ID = id
	}
	if i := bytes.Index(head, []byte("<redirect")); i >= 0 {
		end := bytes.IndexByte(head[i:], '>')
		if end > 0 {
			if v, ok := attr(head[i:i+end], "title"); ok {
				p.Redirect, n = unescape(v)
				replaced += n
			}
		}
	}
	if rev < 0 {
		return p, replaced, nil
	}
	r := raw[rev:]
	if v, ok := between(r, "<id>", "</id>"); ok {
		p.RevID, _ = strconv.ParseInt(string(bytes.TrimSpace(v)), 10, 64)
	}
	if v, ok := between(r, "<model>", "</model>"); ok {
		p.Model = string(v)
	}
	i := bytes.Index(r, []byte("<text"))
	if i >= 0 {
		r = r[i:]
		end := bytes.IndexByte(r, '>')
		if end < 0 {
			return nil, 0, fmt.Errorf("page %d: unterminated <text> tag", p.ID)
		}
		if r[end-1] != '/' {
			body := r[end+1:]
			j := bytes.Index(body, []byte("</text>"))
			if j < 0 {
				return nil, 0, fmt.Errorf("page %d: <text> without </text>", p.ID)
			}
			p.Text, n = unescape(body[:j])
			replaced += n
		}
	}
	return p, replaced, nil
}

// unescape decodes XML entities and replaces invalid UTF-8 with U+FFFD, returning the
// number of invalid sequences replaced.
func unescape(b []byte) (string, int) {
	if bytes.IndexByte(b, '&') < 0 {
		if utf8.Valid(b) {
			return string(b), 0
		}
		return toValidUTF8(b)
	}
	out := make([]byte, 0, len(b))
	for len(b) > 0 {
		i := bytes.IndexByte(b, '&')
		if i < 0 {
			out = append(out, b...)
			break
		}
		out = append(out, b[:i]...)
		b = b[i:]
		semi := bytes.IndexByte(b[:min(len(b), 12)], ';')
		if semi < 0 {
			out = append(out, '&')
			b = b[1:]
			continue
		}
		ent := b[1:semi]
		switch string(ent) {
		case "lt":
			out = append(out, '<')
		case "gt":
			out = append(out, '>')
		case "amp":
			out = append(out, '&')
		case "quot":
			out = append(out, '"')
		case "apos":
			out = append(out, '\'')
		default:
			r, ok := charRef(ent)
			if !ok {
				out = append(out, b[:semi+1]...)
				b = b[semi+1:]
				continue
			}
			out = utf8.AppendRune(out, r)
		}
		b = b[semi+1:]
	}
	if utf8.Valid(out) {
		return string(out), 0
	}
	return toValidUTF8(out)
}

func charRef(ent []byte) (rune, bool) {
	if len(ent) < 2 || ent[0] != '#' {
		return 0, false
	}
	var v uint64
	var err error
	if ent[1] == 'x' || ent[1] == 'X' {
		v, err = strconv.ParseUint(string(ent[2:]), 16, 32)
	} else {
		v, err = strconv.ParseUint(string(ent[1:]), 10, 32)
	}
	if err != nil || v > utf8.MaxRune {
		return 0, false
	}
	r := rune(v)
	if !utf8.ValidRune(r) {
		return utf8.RuneError, true
	}
	return r, true
}

// toValidUTF8 replaces each maximal invalid sequence by U+FFFD and counts them.
func toValidUTF8(b []byte) (string, int) {
	out := make([]byte, 0, len(b)+8)
	count := 0
	invalid := false
	for len(b) > 0 {
		r, size := utf8.DecodeRune(b)
		if r == utf8.RuneError && size == 1 {
			if !invalid {
				out = append(out, "\uFFFD"...)
				count++
				invalid = true
			}
		} else {
			out = append(out, b[:size]...)
			invalid = false
		}
		b = b[size:]
	}
	return string(out), count
}

// lastRevision returns the offset of the last "<revision>" in a page, or -1. It searches
// forward (pages-articles dumps have one revision): bytes.LastIndex is slow on long
// pages.
func lastRevision(raw []byte) int {
	tag := []byte("<revision>")
	last := -1
	for off := 0; ; {
		i := bytes.Index(raw[off:], tag)
		if i < 0 {
			return last
		}
		last = off + i
		off = last + len(tag)
		// Skip the revision's text quickly: another revision can only follow its </text>.
		if j := bytes.Index(raw[off:], []byte("</revision>")); j >= 0 {
			off += j
		}
	}
}
