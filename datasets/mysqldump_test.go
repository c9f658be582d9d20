package datasets

import (
	"bytes"
	"compress/gzip"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/addlink/addlink/internal/testfixtures"
)

func TestMySQLQuote(t *testing.T) {
	for in, want := range map[string]string{
		"plain": "'plain'", "a'b": `'a\'b'`, `a"b`: `'a\"b'`, "\x00\n\r\\\x1a\t": `'\0\n\r\\\Z` + "\t'",
	} {
		if got := MySQLQuote(in); got != want {
			t.Errorf("MySQLQuote(%q) = %s, want %s", in, got, want)
		}
	}
}

// Our INSERT lines for the reference's pickles are those mariadb-dump 10.11 wrote.
func TestSQLDumpLinesMatchMariaDB(t *testing.T) {
	ref := map[string]string{} // lookup -> INSERT line without the id
	f, err := os.Open(testfixtures.Path(t, "reference/elwikivoyage/export/lr_elwikivoyage_redirects.sql.gz"))
	if err != nil {
		t.Fatal(err)
	}
	zr, err := gzip.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	data, _ := io.ReadAll(zr)
	f.Close()
	for _, line := range strings.Split(string(data), "\n") {
		if !strings.HasPrefix(line, "INSERT INTO") {
			continue
		}
		rest := line[strings.Index(line, ",")+1:]
		key := rest[:strings.Index(rest, "',")+1]
		ref[key] = rest
	}
	blobs := referenceBlobs(t, "redirects")
	if len(ref) != len(blobs) {
		t.Fatalf("%d INSERT lines, %d SQLite rows", len(ref), len(blobs))
	}
	path := filepath.Join(t.TempDir(), "lr_w_redirects.sql.gz")
	var keys []string
	for k := range blobs {
		keys = append(keys, k)
	}
	if _, err := WriteSQLDump(path, "lr_elwikivoyage_redirects", func(yield func(string, []byte) error) error {
		for _, k := range keys {
			if err := yield(k, blobs[k]); err != nil {
				return err
			}
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	ours, _ := os.ReadFile(path)
	zr, _ = gzip.NewReader(bytes.NewReader(ours))
	data, _ = io.ReadAll(zr)
	n := 0
	for _, line := range strings.Split(string(data), "\n") {
		if !strings.HasPrefix(line, "INSERT INTO `lr_elwikivoyage_redirects` VALUES (") {
			continue
		}
		rest := line[strings.Index(line, ",")+1:]
		key := rest[:strings.Index(rest, "',")+1]
		if ref[key] != rest {
			t.Fatalf("line for %s:\nours %q\nref  %q", key, rest, ref[key])
		}
		n++
	}
	if n != len(ref) {
		t.Fatalf("%d INSERT lines, want %d", n, len(ref))
	}
}
