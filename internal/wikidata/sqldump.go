// Package wikidata reads what the Wikidata filter needs: MediaWiki SQL table dumps
// (mysqldump output, such as page_props, page and redirect) as streams of rows, and
// Wikidata JSON entity dumps, from which it extracts the P31 (instance of) values of the
// wanted items without decoding the others.
package wikidata

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/addlink/addlink/datasets"
)

// Value is one field of a row: a string (Str, unescaped bytes), a number (Num, as
// written) or NULL.
type Value struct {
	Null bool
	Str  string
	Num  string
	// IsStr tells a string from a number.
	IsStr bool
}

// String returns the value as text: the string, the number as written, or "NULL".
func (v Value) String() string {
	switch {
	case v.Null:
		return "NULL"
	case v.IsStr:
		return v.Str
	}
	return v.Num
}

// InputError is malformed input: a statement of a SQL dump or a line of an entity dump,
// with where it is.
type InputError struct {
	File   string
	Line   int
	Offset int64
	Err    error
}

func (e *InputError) Error() string {
	return fmt.Sprintf("%s:%d (byte %d): %v", e.File, e.Line, e.Offset, e.Err)
}

func (e *InputError) Unwrap() error { return e.Err }

// SQLReader streams the rows of the INSERT statements of a mysqldump file. It learns
// column names from CREATE TABLE statements. Not safe for concurrent use.
type SQLReader struct {
	r        *bufio.Reader
	name     string
	line     int
	off      int64
	columns  map[string][]string
	table    string // table of the INSERT being read, "" between statements
	inInsert bool
	// SkipBadRows skips a malformed row (to the next row) instead of failing; Skipped
	// counts them.
	SkipBadRows bool
	Skipped     int
}

// NewSQLReader returns a reader of the dump r; name is used in errors.
func NewSQLReader(r io.Reader, name string) *SQLReader {
	return &SQLReader{r: bufio.NewReaderSize(r, 1<<20), name: name, line: 1, columns: map[string][]string{}}
}

// Columns returns the column names of table from its CREATE TABLE statement, or nil.
func (s *SQLReader) Columns(table string) []string { return s.columns[table] }

func (s *SQLReader) fail(err error) error {
	return &InputError{File: s.name, Line: s.line, Offset: s.off, Err: err}
}

func (s *SQLReader) readByte() (byte, error) {
	c, err := s.r.ReadByte()
	if err == nil {
		s.off++
		if c == '\n' {
			s.line++
		}
	}
	return c, err
}

func (s *SQLReader) unread() {
	if err := s.r.UnreadByte(); err == nil {
		s.off--
		// Callers only unread bytes that are not newlines.
	}
}

// readLine returns the rest of the current line (without the newline).
func (s *SQLReader) readLine() (string, error) {
	b, err := s.r.ReadBytes('\n')
	s.off += int64(len(b))
	if len(b) > 0 && b[len(b)-1] == '\n' {
		s.line++
		b = b[:len(b)-1]
	}
	if err == io.EOF && len(b) > 0 {
		err = nil
	}
	return string(b), err
}

// Next returns the next row and its table; io.EOF after the last row. A truncated or
// malformed statement is a *InputError.
func (s *SQLReader) Next() (string, []Value, error) {
	for {
		if s.inInsert {
			row, more, err := s.tuple()
			if err != nil {
				if s.SkipBadRows && !errors.Is(err, io.ErrUnexpectedEOF) {
					s.Skipped++
					if more, err = s.skipRow(); err != nil {
						return "", nil, err
					}
					s.inInsert = more
					continue
				}
				return "", nil, err
			}
			s.inInsert = more
			return s.table, row, nil
		}
		// An INSERT line can be huge: read its head only, then its rows as a stream.
		if head, _ := s.r.Peek(4096); bytes.HasPrefix(head, []byte("INSERT INTO ")) {
			i := bytes.Index(head, []byte("VALUES"))
			if i < 0 {
				return "", nil, s.fail(fmt.Errorf("INSERT without VALUES: %.60q", head))
			}
			stmt := string(head[len("INSERT INTO "):i])
			table, after, ok := cutName(stmt)
			if !ok {
				return "", nil, s.fail(fmt.Errorf("bad INSERT statement %.60q", head))
			}
			// Optional column list: INSERT INTO `t` (`a`,`b`) VALUES ...
			if after = strings.TrimSpace(after); strings.HasPrefix(after, "(") && strings.HasSuffix(after, ")") {
				var cols []string
				for _, c := range strings.Split(after[1:len(after)-1], ",") {
					cols = append(cols, strings.Trim(strings.TrimSpace(c), "`"))
				}
				s.columns[table] = cols
			}
			n, _ := s.r.Discard(i + len("VALUES"))
			s.off += int64(n)
			s.table, s.inInsert = table, true
			continue
		}
		line, err := s.readLine()
		if err == io.EOF {
			return "", nil, io.EOF
		}
		if err != nil {
			return "", nil, s.fail(err)
		}
		switch {
		case strings.HasPrefix(line, "CREATE TABLE "):
			table, _, ok := cutName(line[len("CREATE TABLE "):])
			if !ok {
				continue
			}
			var cols []string
			for {
				l, err := s.readLine()
				if err != nil {
					return "", nil, s.fail(fmt.Errorf("CREATE TABLE %s: %w", table, io.ErrUnexpectedEOF))
				}
				t := strings.TrimSpace(l)
				if strings.HasPrefix(t, ")") {
					break
				}
				if strings.HasPrefix(t, "`") {
					if name, _, ok := cutName(t); ok {
						cols = append(cols, name)
					}
				}
			}
			s.columns[table] = cols
		}
	}
}

// cutName reads a `quoted` or bare identifier at the start of s.
func cutName(s string) (name, rest string, ok bool) {
	s = strings.TrimSpace(s)
	if strings.HasPrefix(s, "`") {
		end := strings.IndexByte(s[1:], '`')
		if end < 0 {
			return "", "", false
		}
		return s[1 : 1+end], s[2+end:], true
	}
	end := strings.IndexAny(s, " (")
	if end <= 0 {
		return "", "", false
	}
	return s[:end], s[end:], true
}

// tuple reads "(v,v,...)" and the separator after it: ',' (more rows follow) or ';'.
func (s *SQLReader) tuple() ([]Value, bool, error) {
	c, err := s.skipSpace()
	if err != nil {
		return nil, false, s.fail(io.ErrUnexpectedEOF)
	}
	if c != '(' {
		return nil, false, s.fail(fmt.Errorf("expected '(' to start a row, found %q", c))
	}
	var row []Value
	for {
		v, err := s.value()
		if err != nil {
			return nil, false, err
		}
		row = append(row, v)
		c, err := s.skipSpace()
		if err != nil {
			return nil, false, s.fail(io.ErrUnexpectedEOF)
		}
		if c == ',' {
			continue
		}
		if c != ')' {
			return nil, false, s.fail(fmt.Errorf("expected ',' or ')' in a row, found %q", c))
		}
		break
	}
	c, err = s.skipSpace()
	if err != nil {
		return nil, false, s.fail(fmt.Errorf("statement not terminated by ';': %w", io.ErrUnexpectedEOF))
	}
	switch c {
	case ',':
		return row, true, nil
	case ';':
		return row, false, nil
	}
	return nil, false, s.fail(fmt.Errorf("expected ',' or ';' after a row, found %q", c))
}

// skipRow skips to the end of the current row and reports whether more rows follow.
func (s *SQLReader) skipRow() (bool, error) {
	inStr := false
	for {
		c, err := s.readByte()
		if err != nil {
			return false, s.fail(io.ErrUnexpectedEOF)
		}
		switch {
		case inStr && c == '\\':
			if _, err := s.readByte(); err != nil {
				return false, s.fail(io.ErrUnexpectedEOF)
			}
		case c == '\'':
			inStr = !inStr
		case !inStr && c == ')':
			n, err := s.skipSpace()
			if err != nil {
				return false, s.fail(io.ErrUnexpectedEOF)
			}
			if n == ',' {
				return true, nil
			}
			if n == ';' {
				return false, nil
			}
		case !inStr && c == '\n':
			return false, nil
		}
	}
}

func (s *SQLReader) skipSpace() (byte, error) {
	for {
		c, err := s.readByte()
		if err != nil {
			return 0, err
		}
		if c != ' ' && c != '\t' && c != '\n' && c != '\r' {
			return c, nil
		}
	}
}

// value reads one field.
func (s *SQLReader) value() (Value, error) {
	c, err := s.skipSpace()
	if err != nil {
		return Value{}, s.fail(io.ErrUnexpectedEOF)
	}
	switch {
	case c == '\'':
		str, err := s.quoted()
		return Value{Str: str, IsStr: true}, err
	case c == '_':
		// _binary 'x' (a charset introducer)
		var b bytes.Buffer
		b.WriteByte(c)
		for {
			c, err = s.readByte()
			if err != nil {
				return Value{}, s.fail(io.ErrUnexpectedEOF)
			}
			if c == '\'' || c == ' ' {
				break
			}
			b.WriteByte(c)
		}
		if c == ' ' {
			if c, err = s.skipSpace(); err != nil || c != '\'' {
				return Value{}, s.fail(fmt.Errorf("expected a string after %s", b.String()))
			}
		}
		str, err := s.quoted()
		return Value{Str: str, IsStr: true}, err
	case c == 'N':
		rest := make([]byte, 3)
		for i := range rest {
			if rest[i], err = s.readByte(); err != nil {
				return Value{}, s.fail(io.ErrUnexpectedEOF)
			}
		}
		if string(rest) != "ULL" {
			return Value{}, s.fail(fmt.Errorf("expected NULL, found %q", "N"+string(rest)))
		}
		return Value{Null: true}, nil
	case c == '-' || c == '+' || c == '.' || (c >= '0' && c <= '9'):
		var b bytes.Buffer
		b.WriteByte(c)
		for {
			c, err = s.readByte()
			if err != nil {
				return Value{}, s.fail(io.ErrUnexpectedEOF)
			}
			if !(c >= '0' && c <= '9' || c == '.' || c == 'e' || c == 'E' || c == '-' || c == '+' || c == 'x' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F') {
				s.unread()
				break
			}
			b.WriteByte(c)
		}
		return Value{Num: b.String()}, nil
	}
	return Value{}, s.fail(fmt.Errorf("unexpected %q at the start of a value", c))
}

// quoted reads the rest of a '...' string with MySQL's escapes.
func (s *SQLReader) quoted() (string, error) {
	var b []byte
	for {
		c, err := s.readByte()
		if err != nil {
			return "", s.fail(fmt.Errorf("unterminated string: %w", io.ErrUnexpectedEOF))
		}
		switch c {
		case '\\':
			e, err := s.readByte()
			if err != nil {
				return "", s.fail(fmt.Errorf("unterminated string: %w", io.ErrUnexpectedEOF))
			}
			b = datasets.AppendUnescaped(b, e)
		case '\'':
			n, err := s.r.Peek(1)
			if err == nil && n[0] == '\'' {
				s.readByte()
				b = append(b, '\'')
				continue
			}
			return string(b), nil
		default:
			b = append(b, c)
		}
	}
}
