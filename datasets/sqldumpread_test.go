package datasets

import (
	"bytes"
	"compress/gzip"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/addlink/addlink/internal/testfixtures"
)

func readDump(t testing.TB, text, table string) ([]SQLRow, error) {
	var rows []SQLRow
	err := ReadSQLDump(strings.NewReader(text), table, func(r SQLRow) error {
		rows = append(rows, SQLRow{r.ID, bytes.Clone(r.Lookup), bytes.Clone(r.Value)})
		return nil
	})
	return rows, err
}

func TestReadSQLDump(t *testing.T) {
	for _, c := range []struct {
		name, text string
		want       []SQLRow
		err        string
	}{
		{"mysqldump line", "-- c\nSET x=1;\nINSERT INTO `t` VALUES (1,'a\\'b','\\0\\n\\r\\\\\\Z\\\"');\n",
			[]SQLRow{{1, []byte("a'b"), []byte("\x00\n\r\\\x1a\"")}}, ""},
		{"extended insert, columns, _binary, hex", "INSERT INTO `t` (`id`, lookup, `value`) VALUES (1,'x''y',_binary 'v'),(2,'z',X'00ff'),(3,'w',0x41);\n",
			[]SQLRow{{1, []byte("x'y"), []byte("v")}, {2, []byte("z"), []byte{0, 0xff}}, {3, []byte("w"), []byte("A")}}, ""},
		{"CRLF", "INSERT INTO `t` VALUES (7,'a','b');\r\n", []SQLRow{{7, []byte("a"), []byte("b")}}, ""},
		{"\\% keeps its backslash", "INSERT INTO `t` VALUES (1,'\\%\\_\\q','');\n", []SQLRow{{1, []byte(`\%\_q`), []byte{}}}, ""},
		{"another table", "INSERT INTO `lr_model` VALUES (1,'a','b');\n", nil, "line 1 (byte 12): INSERT INTO `lr_model`, want `t`"},
		{"a second statement", "INSERT INTO `t` VALUES (1,'a','b'); DROP TABLE t;\n", nil, "text after the statement"},
		{"an expression", "INSERT INTO `t` VALUES (1,'a',(SELECT 1));\n", nil, "value: want a quoted string"},
		{"id out of range", "INSERT INTO `t` VALUES (99999999999,'a','b');\n", nil, "id:"},
		{"wrong columns", "INSERT INTO `t` (`value`,`lookup`,`id`) VALUES (1,'a','b');\n", nil, "column list"},
		{"cut inside a string", "INSERT INTO `t` VALUES (1,'a\n", nil, "unexpected EOF"},
		{"no final newline", "INSERT INTO `t` VALUES (1,'a','b');", nil, "unexpected EOF"},
		{"second line bad", "INSERT INTO `t` VALUES (1,'a','b');\nINSERT INTO `t` VALUES (2,'a');\n", nil, "line 2 (byte 65)"},
	} {
		t.Run(c.name, func(t *testing.T) {
			got, err := readDump(t, c.text, "t")
			if c.err != "" {
				if err == nil || !strings.Contains(err.Error(), c.err) {
					t.Fatalf("error %v, want one containing %q", err, c.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != len(c.want) {
				t.Fatalf("rows %+v, want %+v", got, c.want)
			}
			for i := range got {
				if got[i].ID != c.want[i].ID || !bytes.Equal(got[i].Lookup, c.want[i].Lookup) || !bytes.Equal(got[i].Value, c.want[i].Value) {
					t.Fatalf("row %d = %+v, want %+v", i, got[i], c.want[i])
				}
			}
		})
	}
}

// The dumps mariadb-dump 10.11 wrote for the reference export parse to the values in
// the reference's SQLite files.
func TestReadSQLDumpReadsMariaDBDump(t *testing.T) {
	for _, name := range DatasetNames {
		t.Run(name, func(t *testing.T) {
			f, err := os.Open(testfixtures.Path(t, "reference/elwikivoyage/export/lr_elwikivoyage_"+name+".sql.gz"))
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			zr, err := gzip.NewReader(f)
			if err != nil {
				t.Fatal(err)
			}
			blobs := referenceBlobs(t, name)
			n := 0
			err = ReadSQLDump(zr, SQLTable("elwikivoyage", name), func(r SQLRow) error {
				n++
				if want, ok := blobs[string(r.Lookup)]; !ok || !bytes.Equal(want, r.Value) {
					t.Fatalf("row %d %q: value differs from the SQLite file's", r.ID, r.Lookup)
				}
				return nil
			})
			if err != nil || n != len(blobs) {
				t.Fatalf("%d rows, want %d (%v)", n, len(blobs), err)
			}
		})
	}
}

// What WriteSQLDump writes, ReadSQLDump reads back; a truncated .gz is an error.
func TestReadSQLDumpRoundTrip(t *testing.T) {
	rows := [][2]string{{"a", "plain"}, {"Αθήνα", "\x00\x01'\"\\\n\r\x1a\t\xff"}, {"", ""}}
	path := filepath.Join(t.TempDir(), "lr_w_x.sql.gz")
	if _, err := WriteSQLDump(path, "lr_w_x", func(yield func(string, []byte) error) error {
		for _, r := range rows {
			if err := yield(r[0], []byte(r[1])); err != nil {
				return err
			}
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	gz, _ := os.ReadFile(path)
	zr, _ := gzip.NewReader(bytes.NewReader(gz))
	text, _ := io.ReadAll(zr)
	got, err := readDump(t, string(text), "lr_w_x")
	if err != nil || len(got) != len(rows) {
		t.Fatalf("%+v, %v", got, err)
	}
	for i, r := range rows {
		if got[i].ID != uint64(i+1) || string(got[i].Lookup) != r[0] || string(got[i].Value) != r[1] {
			t.Fatalf("row %d = %+v, want %q", i, got[i], r)
		}
	}
	zr, _ = gzip.NewReader(bytes.NewReader(gz[:len(gz)/2]))
	err = ReadSQLDump(zr, "lr_w_x", func(SQLRow) error { return nil })
	if !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Fatalf("truncated dump: %v", err)
	}
}

func FuzzReadSQLDump(f *testing.F) {
	f.Add("INSERT INTO `t` VALUES (1,'a\\'b',_binary 'c'),(2,'d',X'00');\n", "k", []byte("v"))
	f.Add("-- x\nINSERT INTO `t` (`id`,`lookup`,`value`) VALUES (1,'', 0x41);\n", "\x00'", []byte("\\\n"))
	f.Fuzz(func(t *testing.T, text, key string, value []byte) {
		readDump(t, text, "t") // must not panic
		// A quoted row always reads back as itself.
		line := "INSERT INTO `t` VALUES (3," + MySQLQuote(key) + "," + MySQLQuote(string(value)) + ");\n"
		got, err := readDump(t, line, "t")
		if err != nil || len(got) != 1 || string(got[0].Lookup) != key || !bytes.Equal(got[0].Value, value) {
			t.Fatalf("%q read back as %+v, %v", line, got, err)
		}
	})
}
