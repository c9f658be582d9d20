package mysqlenv

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/addlink/addlink/datasets"
	"github.com/addlink/addlink/internal/gbdt"
	"github.com/addlink/addlink/internal/linker"
)

// ServeIndexSource identifies the content of a wiki's four lr_ tables by their
// lr_checksum rows (sums: dataset name -> sha256; the model's does not change the
// index). A serving index built from the tables is recorded with it in
// datasets.ServeIndexSourcePath, and built again when it changes.
func ServeIndexSource(sums map[string]string) string {
	var b strings.Builder
	b.WriteString("mysql\n")
	for _, name := range datasets.DatasetNames {
		fmt.Fprintf(&b, "%s %s\n", name, sums[name])
	}
	return b.String()
}

// ScanTable calls fn for every row (lookup, value) of an lr_ table in the order of
// orderBy (an ORDER BY clause's text).
func ScanTable(ctx context.Context, q Queryer, table, orderBy string, fn func(key string, value []byte) error) error {
	rows, err := q.QueryContext(ctx, "SELECT lookup, value FROM `"+table+"` ORDER BY "+orderBy)
	if err != nil {
		return err
	}
	defer rows.Close()
	var key string
	var value []byte
	for rows.Next() {
		if err := rows.Scan(&key, &value); err != nil {
			return err
		}
		if err := fn(key, value); err != nil {
			return fmt.Errorf("row %q: %w", key, err)
		}
	}
	if err := rows.Err(); err != nil {
		return err
	}
	return rows.Close()
}

// WriteServeIndex writes the serving index of a wiki's four lr_ tables at path,
// streamed (linker.IndexWriter): each table read sorted by the bytes of its keys, one
// row at a time; the rows of a repeated key in id order, the order in which a wiki
// loaded into memory reads them. Run it in a read-only REPEATABLE READ transaction:
// the four tables are then one snapshot.
func WriteServeIndex(ctx context.Context, tx *sql.Tx, wiki, path string) error {
	w, err := linker.NewIndexWriter(path)
	if err != nil {
		return err
	}
	defer w.Abort()
	for _, name := range datasets.DatasetNames {
		table := datasets.SQLTable(wiki, name)
		// The sort compares a key's first max_sort_length bytes (1,024 by default): make
		// that the longest key, with room for the length MariaDB counts in it (measured:
		// the key's own length is not enough). Should the server sort less, a key out of order is an
		// error, not a wrong index.
		var longest sql.NullInt64
		if err := tx.QueryRowContext(ctx, "SELECT MAX(LENGTH(lookup)) FROM `"+table+"`").Scan(&longest); err != nil {
			return fmt.Errorf("%s: %w", table, err)
		}
		if longest.Int64 > 1024 {
			if _, err := tx.ExecContext(ctx, fmt.Sprintf("SET SESSION max_sort_length = %d", longest.Int64+8)); err != nil {
				return fmt.Errorf("%s: keys of %d bytes: %w", table, longest.Int64, err)
			}
		}
		// utf8mb4_bin pads with spaces when it compares ("a" = "a "): the keys' bytes
		// are sorted instead.
		err := ScanTable(ctx, tx, table, "CAST(lookup AS BINARY), id", func(key string, value []byte) error {
			return w.AddPickled(name, key, value)
		})
		if err != nil {
			return fmt.Errorf("%s: %w", table, err)
		}
	}
	_, err = w.Commit()
	return err
}

// ErrNotIndexed is returned (wrapped) by BuildServeIndex for a wiki that is not served
// from a serving index: no lr_model row, or a model that reads more than the index
// holds (linker.IndexServes).
var ErrNotIndexed = errors.New("not served from a serving index")

// BuildServeIndex builds wiki's serving index from its lr_ tables into dir, where
// `addlink serve` with DB_BACKEND=mysql and --index-dir dir finds it: <wiki>.serve.idx
// with its sidecar, and the source it was made from (ServeIndexSource). It reads the
// model, the checksums and the tables in one read-only snapshot, and does nothing when
// the index there was already made from the same checksums (built is false).
func BuildServeIndex(ctx context.Context, db *sql.DB, dir, wiki string) (path string, built bool, err error) {
	path = filepath.Join(dir, datasets.ServeIndexName(wiki))
	tx, err := db.BeginTx(ctx, &sql.TxOptions{Isolation: sql.LevelRepeatableRead, ReadOnly: true})
	if err != nil {
		return path, false, err
	}
	defer tx.Rollback()
	var modelJSON []byte
	err = tx.QueryRowContext(ctx, "SELECT value FROM lr_model WHERE lookup = ?", wiki).Scan(&modelJSON)
	if errors.Is(err, sql.ErrNoRows) {
		return path, false, fmt.Errorf("%s: %w: no lr_model row", wiki, ErrNotIndexed)
	}
	if err != nil {
		return path, false, fmt.Errorf("lr_model: %w", err)
	}
	m, err := gbdt.ReadJSON(strings.NewReader(string(modelJSON)))
	if err != nil {
		// The service cannot serve it either; the loader loads it all the same.
		return path, false, fmt.Errorf("%s: %w: lr_model: %w", wiki, ErrNotIndexed, err)
	}
	if err := linker.IndexServes(m); err != nil {
		return path, false, fmt.Errorf("%s: %w: %w", wiki, ErrNotIndexed, err)
	}
	sums, err := ReadChecksums(ctx, tx, wiki, datasets.DatasetNames)
	if err != nil {
		return path, false, err
	}
	source := ServeIndexSource(sums)
	srcPath := datasets.ServeIndexSourcePath(path)
	if b, err := os.ReadFile(srcPath); err == nil && string(b) == source {
		if _, err := os.Stat(path); err == nil {
			return path, false, nil
		}
	}
	os.Remove(srcPath)
	if err := WriteServeIndex(ctx, tx, wiki, path); err != nil {
		return path, false, err
	}
	return path, true, os.WriteFile(srcPath, []byte(source), 0o644)
}
