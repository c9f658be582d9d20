package mysqlenv

import (
	"context"
	"maps"
	"testing"

	"github.com/go-sql-driver/mysql"

	"github.com/addlink/addlink/internal/mariadbtest"
)

// TestReadChecksums: the rows of one wiki, the latest of a key, nothing before the
// table exists, through the connection Open sets up.
func TestReadChecksums(t *testing.T) {
	srv := mariadbtest.Start(t)
	cfg, err := mysql.ParseDSN(srv.DSN(""))
	if err != nil {
		t.Fatal(err)
	}
	root, err := Open(cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer root.Close()
	ctx := context.Background()
	if _, err := root.ExecContext(ctx, "CREATE DATABASE lr"); err != nil {
		t.Fatal(err)
	}
	cfg.DBName = "lr"
	db, err := Open(cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	names := []string{"anchors", "model", "pageids"}
	if got, err := ReadChecksums(ctx, db, "cswiki", names); err != nil || len(got) != 0 {
		t.Fatalf("before lr_checksum exists: %v %v", got, err)
	}
	for _, q := range []string{
		"CREATE TABLE lr_checksum (id INT AUTO_INCREMENT PRIMARY KEY, lookup VARBINARY(255), value VARBINARY(255))",
		"INSERT INTO lr_checksum (lookup, value) VALUES ('cswiki_anchors', 'aa'), ('cswiki_model', ' mm \n'), ('cswiki_anchors', 'bb'), ('elwiki_anchors', 'cc'), ('cswiki_redirects', 'rr')",
	} {
		if _, err := db.ExecContext(ctx, q); err != nil {
			t.Fatal(err)
		}
	}
	got, err := ReadChecksums(ctx, db, "cswiki", names)
	if want := map[string]string{"anchors": "bb", "model": "mm"}; err != nil || !maps.Equal(got, want) {
		t.Errorf("ReadChecksums = %v, %v; want %v", got, err, want)
	}
	if got, err := ReadChecksums(ctx, db, "cswiki", nil); err != nil || len(got) != 0 {
		t.Errorf("no names: %v %v", got, err)
	}
}
