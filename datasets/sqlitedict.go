package datasets

import (
	"database/sql"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/klauspost/compress/gzip"
	_ "modernc.org/sqlite" // pure-Go SQLite driver "sqlite"

	"github.com/addlink/addlink/atomicfile"
)

// sqlitedictTable is the table sqlitedict creates for its default table name.
const sqlitedictTable = `CREATE TABLE "unnamed" (key TEXT PRIMARY KEY, value BLOB)`

// WriteSqliteDict writes a SQLite file in sqlitedict's layout (table "unnamed", key
// TEXT PRIMARY KEY, value BLOB holding a pickle) to path, atomically. rows must call
// yield with keys in increasing order; the same rows give the same bytes (page size
// 4096, one transaction, no journal left behind).
func WriteSqliteDict(path string, rows func(yield func(key string, value []byte) error) error) error {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	tmp, err := os.CreateTemp(dir, atomicfile.TempPrefix("."+filepath.Base(path))+"*")
	if err != nil {
		return err
	}
	tmpName := tmp.Name()
	tmp.Close()
	os.Remove(tmpName) // SQLite creates it
	defer os.Remove(tmpName)
	defer os.Remove(tmpName + "-journal")
	if err := fillSqlite(tmpName, rows); err != nil {
		return fmt.Errorf("datasets: %s: %w", path, err)
	}
	f, err := os.Open(tmpName)
	if err != nil {
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	if err := os.Rename(tmpName, path); err != nil {
		return err
	}
	return atomicfile.SyncDir(dir)
}

func fillSqlite(name string, rows func(yield func(key string, value []byte) error) error) (err error) {
	db, err := sql.Open("sqlite", "file:"+name+"?_pragma=page_size(4096)&_pragma=journal_mode(DELETE)&_pragma=synchronous(OFF)")
	if err != nil {
		return err
	}
	defer func() {
		if cerr := db.Close(); err == nil {
			err = cerr
		}
	}()
	db.SetMaxOpenConns(1)
	if _, err := db.Exec(sqlitedictTable); err != nil {
		return err
	}
	tx, err := db.Begin()
	if err != nil {
		return err
	}
	stmt, err := tx.Prepare(`INSERT INTO "unnamed" (key, value) VALUES (?, ?)`)
	if err != nil {
		tx.Rollback()
		return err
	}
	err = rows(func(key string, value []byte) error {
		_, err := stmt.Exec(key, value)
		return err
	})
	stmt.Close()
	if err != nil {
		tx.Rollback()
		return err
	}
	return tx.Commit()
}

// GzipFile compresses src to dst atomically, deterministically (no file name, no
// modification time in the header), and returns the hex SHA-256 of dst.
func GzipFile(dst, src string) (string, error) {
	in, err := os.Open(src)
	if err != nil {
		return "", err
	}
	defer in.Close()
	f, err := atomicfile.Create(dst)
	if err != nil {
		return "", err
	}
	defer f.Abort()
	zw, err := gzip.NewWriterLevel(f, gzip.DefaultCompression)
	if err != nil {
		return "", err
	}
	if _, err := io.Copy(zw, in); err != nil {
		return "", err
	}
	if err := zw.Close(); err != nil {
		return "", err
	}
	sum := f.SHA256()
	return sum, f.Commit()
}

// ReadSqliteDict calls fn for every row of a sqlitedict file, in key order.
func ReadSqliteDict(path string, fn func(key string, value []byte) error) error {
	if _, err := os.Stat(path); err != nil {
		return err
	}
	db, err := sql.Open("sqlite", "file:"+path+"?mode=ro")
	if err != nil {
		return err
	}
	defer db.Close()
	rs, err := db.Query(`SELECT key, value FROM "unnamed" ORDER BY key`)
	if err != nil {
		return fmt.Errorf("datasets: %s: %w", path, err)
	}
	defer rs.Close()
	for rs.Next() {
		var k string
		var v []byte
		if err := rs.Scan(&k, &v); err != nil {
			return err
		}
		if err := fn(k, v); err != nil {
			return err
		}
	}
	return rs.Err()
}
