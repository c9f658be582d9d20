package export

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/addlink/addlink/datasets"
	"github.com/addlink/addlink/internal/testfixtures"
)

// startMariaDB starts a MariaDB server on a unix socket in a temporary data directory
// and returns the socket; the server is stopped when the test ends.
func startMariaDB(t *testing.T) string {
	t.Helper()
	dir, err := os.MkdirTemp("", "addlink-mariadb-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	data := filepath.Join(dir, "data")
	install := exec.Command("mariadb-install-db", "--no-defaults", "--datadir="+data,
		"--auth-root-authentication-method=normal", "--skip-test-db", "--user=root")
	if out, err := install.CombinedOutput(); err != nil {
		t.Fatalf("mariadb-install-db: %v\n%s", err, out)
	}
	sock := filepath.Join(dir, "mysqld.sock")
	srv := exec.Command("mariadbd", "--no-defaults", "--datadir="+data, "--socket="+sock,
		"--skip-networking", "--user=root", "--pid-file="+filepath.Join(dir, "mysqld.pid"),
		"--log-error="+filepath.Join(dir, "error.log"), "--innodb-buffer-pool-size=32M")
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		srv.Process.Signal(os.Interrupt)
		done := make(chan struct{})
		go func() { srv.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(20 * time.Second):
			srv.Process.Kill()
		}
	})
	for i := 0; i < 300; i++ {
		if _, err := os.Stat(sock); err == nil {
			return sock
		}
		time.Sleep(100 * time.Millisecond)
	}
	log, _ := os.ReadFile(filepath.Join(dir, "error.log"))
	t.Fatalf("MariaDB did not start:\n%s", log)
	return ""
}

// A MariaDB server loads our dumps the way the service does and returns the values
// sqlitedict reads from our SQLite files.
func TestMariaDBLoadsOurDumps(t *testing.T) {
	testfixtures.Require(t, "Debian's mariadb-server", func() error {
		if _, err := exec.LookPath("mariadbd"); err != nil {
			return err
		}
		_, err := exec.LookPath("mariadb-install-db")
		return err
	})
	py := testfixtures.Python(t, "pymysql", "sqlitedict", "numpy")
	l := exportElwikivoyage(t, t.TempDir())
	sock := startMariaDB(t)
	schema := filepath.Join(t.TempDir(), "schema.sql")
	os.WriteFile(schema, []byte(datasets.SQLSchema(l.Wiki)), 0o644)
	out, err := exec.Command(py, "testdata/mariadb_load.py", sock, schema, l.Dir(), l.Wiki).CombinedOutput()
	if err != nil {
		t.Fatalf("loading into MariaDB: %v\n%s", err, out)
	}
	for _, want := range []string{"ok lr_elwikivoyage_anchors 1057", "ok lr_elwikivoyage_pageids 1310", "ok lr_elwikivoyage_redirects 208", "ok lr_elwikivoyage_w2vfiltered 2"} {
		if !strings.Contains(string(out), want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
}
