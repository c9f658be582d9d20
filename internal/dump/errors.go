// The errors a dump reader returns: sentinels for what is wrong with a whole file, and
// Error for what is wrong at a byte offset of one.

package dump

import (
	"errors"
	"fmt"
)

// ErrTruncated is wrapped in an *Error when a file ends inside a page, or after a
// <mediawiki> header without its closing tag.
var ErrTruncated = errors.New("dump: truncated")

// ErrNotXML is wrapped in an *Error when a file is not UTF-8 XML (for example UTF-16).
var ErrNotXML = errors.New("dump: not a UTF-8 XML dump")

// ErrEmpty is wrapped in an *Error when a file holds no XML at all (0 bytes, or a
// compressed file of nothing).
var ErrEmpty = errors.New("dump: empty file")

// ErrNoArticles is wrapped in an *Error when the files end without a single article
// (a page of namespace 0 that is not a redirect): nothing can be learnt from them, and
// outputs made from them would replace good ones with empty ones.
var ErrNoArticles = errors.New("dump: no articles")

// WikiMismatchError says a dump file belongs to another wiki than the one it is read
// for, according to its <dbname> or its file name (<wiki>-<YYYYMMDD>-...).
type WikiMismatchError struct {
	File   string
	Wiki   string // the wiki the file is read for
	Found  string // the wiki the file says it is
	Source string // "<dbname>" or "file name"
}

func (e *WikiMismatchError) Error() string {
	return fmt.Sprintf("dump %s is a dump of %s (its %s), not of %s: give --wiki %s, or --allow-wiki-mismatch for a renamed dump",
		e.File, e.Found, e.Source, e.Wiki, e.Found)
}

// Error is a problem in one dump file: where it happened and the last page read intact.
type Error struct {
	File       string
	Offset     int64 // byte offset in the decompressed XML
	LastPageID int64 // id of the last complete page of the file, 0 if none
	Err        error
}

func (e *Error) Error() string {
	return fmt.Sprintf("dump %s: at XML byte offset %d (last complete page id %d): %v",
		e.File, e.Offset, e.LastPageID, e.Err)
}

func (e *Error) Unwrap() error { return e.Err }
