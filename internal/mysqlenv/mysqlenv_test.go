package mysqlenv

import (
	"os"
	"path/filepath"
	"testing"
)

func TestConfig(t *testing.T) {
	dir := t.TempDir()
	cnf := filepath.Join(dir, "my.cnf")
	os.WriteFile(cnf, []byte("[client]\nuser = admin\npassword = \"s3cret\"\nhost=db.example\n[mysqld]\nuser=nobody\n"), 0o644)
	sock := filepath.Join(dir, "sock.cnf")
	os.WriteFile(sock, []byte("[mysql]\nuser=nobody\n[client]\nuser = fromfile\npass=secret\nsocket=/run/mysqld.sock\ndb=fromfile\n"), 0o644)
	for _, tc := range []struct {
		name string
		env  map[string]string
		dsn  string
		err  bool
	}{
		{"variables", map[string]string{"DB_USER": "u", "DB_PASSWORD": "p", "DB_HOST": "h", "DB_DATABASE": "mwaddlink"}, "u:p@tcp(h:3306)/mwaddlink", false},
		{"defaults", map[string]string{"DB_DATABASE": "x", "DB_PORT": "3307"}, "tcp(localhost:3307)/x", false},
		{"the file fills what is unset", map[string]string{"DB_READ_DEFAULT_FILE": cnf, "DB_DATABASE": "x"}, "admin:s3cret@tcp(db.example:3306)/x", false},
		{"a variable wins over the file", map[string]string{"DB_READ_DEFAULT_FILE": cnf, "DB_USER": "u", "DB_DATABASE": "x"}, "u:s3cret@tcp(db.example:3306)/x", false},
		{"an empty variable is unset", map[string]string{"DB_READ_DEFAULT_FILE": cnf, "DB_USER": "", "DB_DATABASE": "x"}, "admin:s3cret@tcp(db.example:3306)/x", false},
		{"socket, pass and db from the file", map[string]string{"DB_READ_DEFAULT_FILE": sock, "DB_USER": "u"}, "u:secret@unix(/run/mysqld.sock)/fromfile", false},
		{"host as a socket path", map[string]string{"DB_DATABASE": "d", "DB_HOST": "/tmp/s.sock"}, "unix(/tmp/s.sock)/d", false},
		{"bad port", map[string]string{"DB_DATABASE": "d", "DB_PORT": "x"}, "", true},
		{"port out of range", map[string]string{"DB_DATABASE": "d", "DB_PORT": "70000"}, "", true},
		{"missing file", map[string]string{"DB_READ_DEFAULT_FILE": filepath.Join(dir, "none")}, "", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, err := Config(func(k string) (string, bool) { v, ok := tc.env[k]; return v, ok })
			if tc.err {
				if err == nil {
					t.Fatalf("no error: %s", c.FormatDSN())
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := c.FormatDSN(); got != tc.dsn {
				t.Errorf("DSN %q, want %q", got, tc.dsn)
			}
		})
	}
}
