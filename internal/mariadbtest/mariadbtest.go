// Package mariadbtest starts a private MariaDB server (Debian's mariadb-server) for a
// test: a fresh data directory under a temporary directory, a unix socket and a loopback
// TCP port, root without a password, stopped when the test ends. A missing server fails
// the test in CI (CI=true) and skips it elsewhere, through testfixtures.Require.
package mariadbtest

import (
	"database/sql"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	_ "github.com/go-sql-driver/mysql"

	"github.com/addlink/addlink/internal/testfixtures"
)

// Server is a running MariaDB server.
type Server struct {
	Socket string // unix socket path
	Port   int    // TCP port on 127.0.0.1
	Dir    string // the server's temporary directory (data, logs)
	cmd    *exec.Cmd
}

// DSN returns a go-sql-driver/mysql data source name for user root over TCP on
// 127.0.0.1, for database db ("" for none).
func (s *Server) DSN(db string) string {
	return fmt.Sprintf("root@tcp(127.0.0.1:%d)/%s", s.Port, db)
}

// CreateDatabase creates database name on the server as root and returns its DSN.
func (s *Server) CreateDatabase(t testing.TB, name string) string {
	t.Helper()
	root, err := sql.Open("mysql", s.DSN(""))
	if err != nil {
		t.Fatal(err)
	}
	defer root.Close()
	if _, err := root.Exec("CREATE DATABASE " + name); err != nil {
		t.Fatal(err)
	}
	return s.DSN(name)
}

// Available reports why a MariaDB server cannot be started here (nil when it can).
func Available() error {
	for _, bin := range []string{"mariadbd", "mariadb-install-db"} {
		if _, err := exec.LookPath(bin); err != nil {
			return err
		}
	}
	return nil
}

// Start starts a server for t and stops it (and removes its files) when t ends.
func Start(t testing.TB) *Server {
	t.Helper()
	testfixtures.Require(t, "Debian's mariadb-server", Available)
	dir, err := os.MkdirTemp("", "addlink-mariadb-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	data, tmp := filepath.Join(dir, "data"), filepath.Join(dir, "tmp")
	// Each server has a temporary directory of its own: in the shared /tmp, servers
	// bootstrapped side by side (go test runs packages in parallel) failed with "Could
	// not remove temporary table '/tmp/#sql-temptable-...'".
	if err := os.Mkdir(tmp, 0o700); err != nil {
		t.Fatal(err)
	}
	install := exec.Command("mariadb-install-db", "--no-defaults", "--datadir="+data,
		"--auth-root-authentication-method=normal", "--skip-test-db", "--user=root", "--tmpdir="+tmp)
	if out, err := install.CombinedOutput(); err != nil {
		t.Fatalf("mariadb-install-db: %v\n%s", err, out)
	}
	port, err := freePort()
	if err != nil {
		t.Fatal(err)
	}
	s := &Server{Socket: filepath.Join(dir, "mysqld.sock"), Port: port, Dir: dir}
	s.cmd = exec.Command("mariadbd", "--no-defaults", "--datadir="+data, "--tmpdir="+tmp, "--socket="+s.Socket,
		"--bind-address=127.0.0.1", fmt.Sprintf("--port=%d", port), "--user=root",
		"--pid-file="+filepath.Join(dir, "mysqld.pid"), "--log-error="+filepath.Join(dir, "error.log"),
		"--innodb-buffer-pool-size=64M", "--max-allowed-packet=64M", "--local-infile=1")
	if err := s.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		s.cmd.Process.Signal(syscall.SIGTERM) // mariadbd ignores SIGINT: it would wait 20 s for the kill
		done := make(chan struct{})
		go func() { s.cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(20 * time.Second):
			s.cmd.Process.Kill()
		}
	})
	for i := 0; i < 300; i++ {
		if _, err := os.Stat(s.Socket); err == nil {
			if c, err := net.DialTimeout("tcp", fmt.Sprintf("127.0.0.1:%d", port), time.Second); err == nil {
				c.Close()
				return s
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	log, _ := os.ReadFile(filepath.Join(dir, "error.log"))
	t.Fatalf("MariaDB did not start:\n%s", log)
	return nil
}

// freePort asks the kernel for a free TCP port on the loopback interface.
func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}
