package datasets

import (
	"bufio"
	"bytes"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"strconv"
)

// SQLRow is one row of an lr_ table as a dump holds it.
type SQLRow struct {
	ID     uint64
	Lookup []byte
	Value  []byte
}

// SQLDumpError is a malformed line of a MySQL dump: its 1-based number, the byte offset
// of the line in the (uncompressed) dump and what was wrong.
type SQLDumpError struct {
	Line   int
	Offset int64
	Err    error
}

func (e *SQLDumpError) Error() string {
	return fmt.Sprintf("line %d (byte %d): %v", e.Line, e.Offset, e.Err)
}

func (e *SQLDumpError) Unwrap() error { return e.Err }

// MaxSQLDumpLine is the longest line ReadSQLDump accepts (a row's value is at most this
// large; mysqldump writes one row per line).
const MaxSQLDumpLine = 256 << 20

// ReadSQLDump reads the uncompressed text of a dump of one lr_ table, the way the
// service's loader reads it: every line that starts with "INSERT INTO" is a statement
// whose rows go to the table; every other line (comments, SET, LOCK TABLES, blank) is
// ignored. Unlike the reference, which executes each line as SQL, the statement is
// parsed and must be exactly INSERT INTO `table` [(columns)] VALUES (id,'lookup','value')
// [,(...)...]; with table equal to the argument, so a dump can neither write another
// table nor run anything else. Strings may use every MySQL escape, ” inside quotes, a
// _binary introducer, and X'..' or 0x.. hex literals. Each row is passed to yield; the
// row's slices are only valid during the call. A line cut short (the file truncated) is
// an io.ErrUnexpectedEOF SQLDumpError.
func ReadSQLDump(r io.Reader, table string, yield func(SQLRow) error) error {
	br := bufio.NewReaderSize(r, 1<<20)
	prefix := []byte("INSERT INTO")
	want := "`" + table + "`"
	var line []byte
	var off int64
	var p sqlParser
	for n := 1; ; n++ {
		line = line[:0]
		var err error
		for {
			var chunk []byte
			chunk, err = br.ReadSlice('\n')
			line = append(line, chunk...)
			if err != bufio.ErrBufferFull {
				break
			}
			if len(line) > MaxSQLDumpLine {
				return &SQLDumpError{n, off, fmt.Errorf("line longer than %d bytes", MaxSQLDumpLine)}
			}
		}
		if err != nil && err != io.EOF {
			return &SQLDumpError{n, off, err}
		}
		start := off
		off += int64(len(line))
		if bytes.HasPrefix(line, prefix) {
			if err == io.EOF { // the last statement lacks its newline: cut short
				return &SQLDumpError{n, start, io.ErrUnexpectedEOF}
			}
			p = sqlParser{s: bytes.TrimRight(line, "\r\n"), pos: len(prefix)}
			if perr := p.statement(want, yield); perr != nil {
				return &SQLDumpError{n, start + int64(p.pos), perr}
			}
		}
		if err == io.EOF {
			return nil
		}
	}
}

type sqlParser struct {
	s      []byte
	pos    int
	lookup []byte
	value  []byte
}

var errSQLSyntax = errors.New("not an INSERT of (id, 'lookup', 'value') rows")

func (p *sqlParser) space() {
	for p.pos < len(p.s) && (p.s[p.pos] == ' ' || p.s[p.pos] == '\t') {
		p.pos++
	}
}

// word consumes w (ASCII, case-insensitive) after optional spaces.
func (p *sqlParser) word(w string) bool {
	p.space()
	if len(p.s)-p.pos < len(w) || !bytes.EqualFold(p.s[p.pos:p.pos+len(w)], []byte(w)) {
		return false
	}
	p.pos += len(w)
	return true
}

func (p *sqlParser) statement(table string, yield func(SQLRow) error) error {
	p.space()
	if !bytes.HasPrefix(p.s[p.pos:], []byte(table)) {
		end := bytes.IndexAny(p.s[p.pos:], " (")
		if end < 0 {
			end = len(p.s) - p.pos
		}
		return fmt.Errorf("INSERT INTO %s, want %s", p.s[p.pos:p.pos+end], table)
	}
	p.pos += len(table)
	if p.word("(") { // a column list: it must be the table's own, in order
		for i, c := range []string{"`id`", "`lookup`", "`value`"} {
			if i > 0 && !p.word(",") {
				return errSQLSyntax
			}
			if !p.word(c) && !p.word(c[1:len(c)-1]) {
				return fmt.Errorf("column list: want %s", c)
			}
		}
		if !p.word(")") {
			return errSQLSyntax
		}
	}
	if !p.word("VALUES") {
		return errSQLSyntax
	}
	for {
		if !p.word("(") {
			return errSQLSyntax
		}
		p.space()
		start := p.pos
		for p.pos < len(p.s) && p.s[p.pos] >= '0' && p.s[p.pos] <= '9' {
			p.pos++
		}
		id, err := strconv.ParseUint(string(p.s[start:p.pos]), 10, 32)
		if err != nil {
			p.pos = start
			return fmt.Errorf("id: %w", err)
		}
		if !p.word(",") {
			return errSQLSyntax
		}
		if p.lookup, err = p.str(p.lookup[:0]); err != nil {
			return fmt.Errorf("lookup: %w", err)
		}
		if !p.word(",") {
			return errSQLSyntax
		}
		if p.value, err = p.str(p.value[:0]); err != nil {
			return fmt.Errorf("value: %w", err)
		}
		if !p.word(")") {
			return errSQLSyntax
		}
		if err := yield(SQLRow{ID: id, Lookup: p.lookup, Value: p.value}); err != nil {
			return err
		}
		if p.word(",") {
			continue
		}
		if !p.word(";") {
			return errSQLSyntax
		}
		p.space()
		if p.pos != len(p.s) {
			return errors.New("text after the statement")
		}
		return nil
	}
}

// str parses a string literal ('..' with MySQL escapes, optionally after _binary, or a
// hex literal) and appends its bytes to dst.
func (p *sqlParser) str(dst []byte) ([]byte, error) {
	p.space()
	if p.word("_binary") {
		p.space()
	}
	if p.pos+1 < len(p.s) && (p.s[p.pos] == 'X' || p.s[p.pos] == 'x') && p.s[p.pos+1] == '\'' {
		end := bytes.IndexByte(p.s[p.pos+2:], '\'')
		if end < 0 {
			return dst, io.ErrUnexpectedEOF
		}
		h := p.s[p.pos+2 : p.pos+2+end]
		p.pos += 3 + end
		return hexAppend(dst, h)
	}
	if p.pos+1 < len(p.s) && p.s[p.pos] == '0' && p.s[p.pos+1] == 'x' {
		start := p.pos + 2
		p.pos = start
		for p.pos < len(p.s) && isHex(p.s[p.pos]) {
			p.pos++
		}
		return hexAppend(dst, p.s[start:p.pos])
	}
	if p.pos >= len(p.s) || p.s[p.pos] != '\'' {
		return dst, errors.New("want a quoted string")
	}
	p.pos++
	for {
		// Copy the run up to the next quote or backslash in one step.
		i := bytes.IndexAny(p.s[p.pos:], `'\`)
		if i < 0 {
			p.pos = len(p.s)
			return dst, io.ErrUnexpectedEOF
		}
		dst = append(dst, p.s[p.pos:p.pos+i]...)
		p.pos += i
		if p.s[p.pos] == '\'' {
			if p.pos+1 < len(p.s) && p.s[p.pos+1] == '\'' {
				dst = append(dst, '\'')
				p.pos += 2
				continue
			}
			p.pos++
			return dst, nil
		}
		if p.pos+1 >= len(p.s) {
			p.pos = len(p.s)
			return dst, io.ErrUnexpectedEOF
		}
		dst = AppendUnescaped(dst, p.s[p.pos+1])
		p.pos += 2
	}
}

// AppendUnescaped appends to dst what the escape sequence \c stands for in a MySQL
// string literal: \0 \b \n \r \t \Z their control characters, \% and \_ themselves
// with the backslash (MySQL keeps it), and any other character (\\ \' \") itself.
func AppendUnescaped(dst []byte, c byte) []byte {
	switch c {
	case '0':
		c = 0
	case 'b':
		c = '\b'
	case 'n':
		c = '\n'
	case 'r':
		c = '\r'
	case 't':
		c = '\t'
	case 'Z':
		c = 0x1a
	case '%', '_':
		dst = append(dst, '\\')
	}
	return append(dst, c)
}

func isHex(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F'
}

func hexAppend(dst, h []byte) ([]byte, error) {
	if len(h)%2 != 0 {
		return dst, errors.New("hex literal of odd length")
	}
	n := len(dst)
	dst = append(dst, make([]byte, len(h)/2)...)
	if _, err := hex.Decode(dst[n:], h); err != nil {
		return dst[:n], err
	}
	return dst, nil
}
