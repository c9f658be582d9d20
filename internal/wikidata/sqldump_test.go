package wikidata

import (
	"compress/gzip"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/addlink/addlink/internal/testfixtures"
)

func openSQL(t *testing.T, path string) io.Reader {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	if strings.HasSuffix(path, ".gz") {
		z, err := gzip.NewReader(f)
		if err != nil {
			t.Fatal(err)
		}
		return z
	}
	return f
}

// For every wiki of the fixtures, the pages flagged as redirects are as many as the rows
// of its redirect table.
func TestRedirectsMatchPageFlags(t *testing.T) {
	wikis, _ := filepath.Glob(filepath.Join(testfixtures.Path(t, "sql"), "*"))
	if len(wikis) != 9 {
		t.Fatalf("%d wikis", len(wikis))
	}
	for _, dir := range wikis {
		t.Run(filepath.Base(dir), func(t *testing.T) {
			page, _ := filepath.Glob(filepath.Join(dir, "*-page.sql*"))
			red, _ := filepath.Glob(filepath.Join(dir, "*-redirect.sql*"))
			if len(page) != 1 || len(red) != 1 {
				t.Fatalf("page %v redirect %v", page, red)
			}
			flagged, pages := 0, 0
			r := NewSQLReader(openSQL(t, page[0]), page[0])
			for {
				table, row, err := r.Next()
				if err == io.EOF {
					break
				}
				if err != nil {
					t.Fatal(err)
				}
				cols := r.Columns(table)
				if table != "page" || len(row) != len(cols) {
					t.Fatalf("table %s: %d values for columns %v", table, len(row), cols)
				}
				pages++
				if row[index(cols, "page_is_redirect")].Num == "1" {
					flagged++
				}
			}
			rows := 0
			r = NewSQLReader(openSQL(t, red[0]), red[0])
			for {
				_, _, err := r.Next()
				if err == io.EOF {
					break
				}
				if err != nil {
					t.Fatal(err)
				}
				rows++
			}
			if flagged != rows || pages == 0 {
				t.Errorf("%d pages flagged as redirects, %d redirect rows (%d pages)", flagged, rows, pages)
			}
		})
	}
}

func index(cols []string, name string) int {
	for i, c := range cols {
		if c == name {
			return i
		}
	}
	return -1
}

func TestHandWrittenPageProps(t *testing.T) {
	path := filepath.Join("testdata", "xxwiki-20260101-page_props.sql")
	r := NewSQLReader(openSQL(t, path), path)
	var got []string
	for {
		table, row, err := r.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if table != "page_props" {
			t.Fatalf("table %q", table)
		}
		var f []string
		for _, v := range row {
			f = append(f, v.String())
		}
		got = append(got, strings.Join(f, "|"))
	}
	want := []string{
		"1|wikibase_item|Q1",
		"1|page_image_free|Foo.jpg",
		"2|wikibase_item|Q42",
		"2|displaytitle|It's a \"title\"; (with) parens",
		"3|disambiguation|",
		"3|wikibase_item|Q5",
		"4|defaultsort|Tab\there, newline\nthere, backslash \\ and NUL \x00",
		"5|wikibase_item|Q99",
		"5|notes|NULL",
		"6|unicode|Ελλάδα 日本 😀",
		"6|binary|bin'ary",
		"7|wikibase_item|Q7",
		"7|sortkey|-12.5e3",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("rows:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if cols := r.Columns("page_props"); strings.Join(cols, ",") != "pp_page,pp_propname,pp_value,pp_sortkey" {
		t.Errorf("columns %v", cols)
	}
}

func TestMalformedSQL(t *testing.T) {
	for _, tt := range []struct{ name, in string }{
		{"unterminated string", "INSERT INTO `t` VALUES (1,'abc"},
		{"truncated row", "INSERT INTO `t` VALUES (1,2),(3,"},
		{"no semicolon", "INSERT INTO `t` VALUES (1,2)"},
		{"garbage", "INSERT INTO `t` VALUES (1,?);\n"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			r := NewSQLReader(strings.NewReader(tt.in), "x.sql")
			var err error
			for err == nil {
				_, _, err = r.Next()
			}
			var se *InputError
			if !errors.As(err, &se) || se.File != "x.sql" || se.Line < 1 {
				t.Fatalf("err = %v, want a *InputError", err)
			}
		})
	}
	// --skip-bad-rows skips and counts a malformed row.
	r := NewSQLReader(strings.NewReader("INSERT INTO `t` VALUES (1,'a'),(2,?),(3,'c');\n"), "x.sql")
	r.SkipBadRows = true
	var ids []string
	for {
		_, row, err := r.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, row[0].Num)
	}
	if strings.Join(ids, ",") != "1,3" || r.Skipped != 1 {
		t.Errorf("rows %v, skipped %d", ids, r.Skipped)
	}
}

func FuzzSQLReader(f *testing.F) {
	f.Add("INSERT INTO `t` VALUES (1,'a\\'b',NULL,-2.5),(2,'',_binary 'x');\n")
	f.Add("CREATE TABLE `t` (\n  `a` int,\n  `b` varbinary(3)\n) ENGINE=InnoDB;\nINSERT INTO `t` VALUES (1,'x');\n")
	f.Add("-- comment\n/*!40101 SET x */;\nINSERT INTO t VALUES (1,'''');\n")
	f.Fuzz(func(t *testing.T, in string) {
		r := NewSQLReader(strings.NewReader(in), "f.sql")
		for i := 0; i < 10000; i++ {
			_, _, err := r.Next()
			if err != nil {
				var se *InputError
				if err != io.EOF && !errors.As(err, &se) {
					t.Fatalf("error %v is not a *InputError", err)
				}
				return
			}
		}
	})
}
