package loader

import (
	"bufio"
	"context"
	"database/sql"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/addlink/addlink/internal/mariadbtest"
	"github.com/addlink/addlink/internal/testfixtures"
)

// The loader process killed with SIGKILL in the middle of an import leaves the tables as
// they were; the next load drops what it left and completes.
func testProcessKilled(t *testing.T, f *fixture, srv *mariadbtest.Server) {
	for _, method := range []string{MethodInsert, MethodLoadData} {
		t.Run(method, func(t *testing.T) {
			dsn, db := newDatabase(t, srv)
			o := options(dsn, f.rootA, t.TempDir())
			if r, err := Run(context.Background(), o); err != nil || len(r.Failed()) > 0 {
				t.Fatalf("first load: %v %+v", err, r)
			}
			before := digest(t, db, false)
			cmd := exec.Command(os.Args[0], "-test.run=^TestHelperLoadProcess$")
			cmd.Env = append(os.Environ(), "ADDLINK_LOADER_HELPER=1", "HELPER_DSN="+dsn, "HELPER_BASE="+f.rootB,
				"HELPER_PATH="+t.TempDir(), "HELPER_METHOD="+method)
			out, _ := cmd.StdoutPipe()
			cmd.Stderr = os.Stderr
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			sc := bufio.NewScanner(out)
			for sc.Scan() && sc.Text() != "importing" {
			}
			cmd.Process.Signal(syscall.SIGKILL)
			cmd.Wait()
			if sc.Err() != nil {
				t.Fatal(sc.Err())
			}
			// The server notices the dead connection and rolls its transaction back.
			deadline := time.Now().Add(10 * time.Second)
			for digest(t, db, true) != before && time.Now().Before(deadline) {
				time.Sleep(100 * time.Millisecond)
			}
			if after := digest(t, db, true); after != before {
				t.Fatalf("a killed load changed the tables:\n%s\n%s", before, after)
			}
			o.BaseURL, o.LockWait = f.rootB, 10*time.Second
			r, err := Run(context.Background(), o)
			if err != nil || len(r.Failed()) > 0 || len(r.Wikis[0].Loaded) != 5 {
				t.Fatalf("load after the kill: %v %+v", err, r)
			}
			checkChecksums(t, db, f.rootB, wiki)
			if d := digest(t, db, false); strings.Contains(d, newSuffix) || strings.Contains(d, oldSuffix) {
				t.Fatalf("staging tables left:\n%s", d)
			}
		})
	}
}

// TestHelperLoadProcess is the loader that testProcessKilled kills: it says "importing"
// once rows are going in, then waits to be killed.
func TestHelperLoadProcess(t *testing.T) {
	if os.Getenv("ADDLINK_LOADER_HELPER") != "1" {
		t.Skip("run by testProcessKilled")
	}
	o := options(os.Getenv("HELPER_DSN"), os.Getenv("HELPER_BASE"), os.Getenv("HELPER_PATH"))
	o.Method, o.BatchBytes = os.Getenv("HELPER_METHOD"), 8<<10
	o.Progress = &killer{kill: func() {
		fmt.Println("importing")
		time.Sleep(time.Minute)
	}}
	Run(context.Background(), o)
	t.Fatal("not killed")
}

// The reference's load-datasets.py (research-mwaddlink, run with Debian's python3-pymysql
// and python3-requests) loads the same published files into a second database with the
// same rows (id, lookup, value) in every table, and the same checksums.
func testReference(t *testing.T, f *fixture, srv *mariadbtest.Server) {
	py, dir := testfixtures.ReferenceLoader(t)

	refDSN, refDB := newDatabase(t, srv)
	oursDSN, oursDB := newDatabase(t, srv)
	base := serve(t, f.rootA, nil).URL + "/"
	cmd := exec.Command(py, "load-datasets.py", "--download", "--path="+filepath.Join(dir, "datasets"), "--wiki-id", wiki)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "ANALYTICS_BASE_URL="+base, "DB_HOST=127.0.0.1", fmt.Sprintf("DB_PORT=%d", srv.Port),
		"DB_USER=root", "DB_DATABASE="+refDSN[strings.LastIndex(refDSN, "/")+1:])
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("load-datasets.py: %v\n%s", err, out)
	}
	if r, err := Run(context.Background(), options(oursDSN, base, t.TempDir())); err != nil || len(r.Failed()) > 0 {
		t.Fatalf("%v %+v", err, r)
	}
	for _, table := range []string{"lr_" + wiki + "_anchors", "lr_" + wiki + "_pageids", "lr_" + wiki + "_redirects", "lr_" + wiki + "_w2vfiltered", "lr_model", "lr_checksum"} {
		ref, ours := idRows(t, refDB, table), idRows(t, oursDB, table)
		if len(ref) != len(ours) {
			t.Fatalf("%s: reference %d rows, ours %d", table, len(ref), len(ours))
		}
		for i := range ref {
			if ref[i] != ours[i] {
				t.Fatalf("%s row %d: reference %.80q, ours %.80q", table, i, ref[i], ours[i])
			}
		}
	}
	checkLoaded(t, refDB, f, f.rootA)
}

// idRows returns "id lookup value" of every row of a data table, or "lookup value" of
// lr_model and lr_checksum (whose ids count loads), in id order.
func idRows(t *testing.T, db *sql.DB, table string) []string {
	t.Helper()
	rows, err := db.Query("SELECT id, lookup, value FROM " + quoteID(table) + " ORDER BY id")
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var id int64
		var k string
		var v []byte
		if err := rows.Scan(&id, &k, &v); err != nil {
			t.Fatal(err)
		}
		if strings.HasPrefix(table, "lr_model") || strings.HasPrefix(table, "lr_checksum") {
			out = append(out, k+" "+string(v))
		} else {
			out = append(out, fmt.Sprintf("%d %s %s", id, k, v))
		}
	}
	slices.Sort(out)
	return out
}
