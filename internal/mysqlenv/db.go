package mysqlenv

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/go-sql-driver/mysql"
)

// Open opens a database with the connection settings `addlink serve` and `addlink load`
// share: utf8mb4 with the binary collation (the lr_ tables' lookups compare byte for
// byte), one statement per query, and a 10 s limit on dialling unless cfg sets one.
// Callers set their own read and write timeouts on cfg first. The caller closes the
// *sql.DB.
func Open(cfg *mysql.Config) (*sql.DB, error) {
	cfg = cfg.Clone()
	if err := cfg.Apply(mysql.Charset("utf8mb4", "utf8mb4_bin")); err != nil {
		return nil, err
	}
	cfg.MultiStatements = false
	if cfg.Timeout == 0 {
		cfg.Timeout = 10 * time.Second
	}
	conn, err := mysql.NewConnector(cfg)
	if err != nil {
		return nil, err
	}
	return sql.OpenDB(conn), nil
}

// Queryer is what ReadChecksums reads through: a *sql.DB, *sql.Conn or *sql.Tx.
type Queryer interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
}

// ReadChecksums returns the lr_checksum values of a wiki's datasets: for each of names
// that has a row keyed <wiki>_<name>, name -> its sha256 (the row with the highest id
// when there are several; surrounding spaces dropped). A database without lr_checksum
// (nothing loaded yet) has none.
func ReadChecksums(ctx context.Context, q Queryer, wiki string, names []string) (map[string]string, error) {
	sums := map[string]string{}
	if len(names) == 0 {
		return sums, nil
	}
	args := make([]any, len(names))
	for i, n := range names {
		args[i] = wiki + "_" + n
	}
	marks := strings.Repeat(",?", len(names))[1:]
	rows, err := q.QueryContext(ctx, "SELECT lookup, value FROM lr_checksum WHERE lookup IN ("+marks+") ORDER BY id", args...)
	if NoSuchTable(err) {
		return sums, nil
	}
	if err != nil {
		return nil, fmt.Errorf("reading lr_checksum: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var k string
		var v []byte
		if err := rows.Scan(&k, &v); err != nil {
			return nil, fmt.Errorf("reading lr_checksum: %w", err)
		}
		sums[strings.TrimPrefix(k, wiki+"_")] = strings.TrimSpace(string(v))
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("reading lr_checksum: %w", err)
	}
	return sums, nil
}

// NoSuchTable reports MySQL's ER_NO_SUCH_TABLE.
func NoSuchTable(err error) bool {
	var me *mysql.MySQLError
	return errors.As(err, &me) && me.Number == 1146
}
