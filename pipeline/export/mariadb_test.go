package export

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/addlink/addlink/datasets"
	"github.com/addlink/addlink/internal/mariadbtest"
	"github.com/addlink/addlink/internal/testfixtures"
)

// A MariaDB server loads our dumps the way the service does and returns the values
// sqlitedict reads from our SQLite files.
func TestMariaDBLoadsOurDumps(t *testing.T) {
	testfixtures.Require(t, "Debian's mariadb-server", mariadbtest.Available)
	py := testfixtures.Python(t, "pymysql", "sqlitedict", "numpy")
	l := exportElwikivoyage(t, t.TempDir())
	sock := mariadbtest.Start(t).Socket
	schema := filepath.Join(t.TempDir(), "schema.sql")
	os.WriteFile(schema, []byte(datasets.SQLSchema(l.Wiki)), 0o644)
	out, err := exec.Command(py, "testdata/mariadb_load.py", sock, schema, l.ExportDir(), l.Wiki).CombinedOutput()
	if err != nil {
		t.Fatalf("loading into MariaDB: %v\n%s", err, out)
	}
	for _, want := range []string{"ok lr_elwikivoyage_anchors 1057", "ok lr_elwikivoyage_pageids 1310", "ok lr_elwikivoyage_redirects 208", "ok lr_elwikivoyage_w2vfiltered 2"} {
		if !strings.Contains(string(out), want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
}
