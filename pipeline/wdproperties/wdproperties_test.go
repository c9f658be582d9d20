package wdproperties

import (
	"bytes"
	"compress/gzip"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestFindDumps(t *testing.T) {
	root := t.TempDir()
	mk := func(rel string) {
		p := filepath.Join(root, rel)
		os.MkdirAll(filepath.Dir(p), 0o755)
		os.WriteFile(p, nil, 0o644)
	}
	mk("xxwiki/20260101/xxwiki-20260101-page_props.sql.gz")
	mk("xxwiki/20260201/xxwiki-20260201-page_props.sql.gz")
	mk("xxwiki/20260301/xxwiki-20260301-pages-articles.xml.bz2") // newest date has no page_props
	mk("wikidatawiki/entities/20260105/wikidata-20260105-all.json.bz2")
	mk("wikidatawiki/entities/20251201/wikidata-20251201-all.json.gz")
	if p, err := FindPageProps(root, "xxwiki"); err != nil || !strings.HasSuffix(p, "20260201-page_props.sql.gz") {
		t.Errorf("FindPageProps = %s, %v", p, err)
	}
	if p, err := FindEntityDump(root); err != nil || !strings.HasSuffix(p, "wikidata-20260105-all.json.bz2") {
		t.Errorf("FindEntityDump = %s, %v", p, err)
	}
	if _, err := FindPageProps(root, "yywiki"); err == nil || !strings.Contains(err.Error(), "--page-props") {
		t.Errorf("missing page_props: %v", err)
	}
	o := Options{Wiki: "xxwiki", DataDir: t.TempDir(), DumpsDir: root}
	if err := o.Validate(); err != nil || o.Wikidata == "" || o.PageProps == "" {
		t.Errorf("Validate: %v, %+v", err, o)
	}
}

func gzipped(t *testing.T, path, content string) {
	t.Helper()
	var b bytes.Buffer
	z := gzip.NewWriter(&b)
	z.Write([]byte(content))
	z.Close()
	if err := os.WriteFile(path, b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
}

// Truncated compressed inputs are errors, not short datasets.
func TestTruncatedInputs(t *testing.T) {
	dir := t.TempDir()
	var rows strings.Builder
	rows.WriteString("INSERT INTO `page_props` VALUES (1,'wikibase_item','Q1')")
	for i := 2; i < 5000; i++ {
		fmt.Fprintf(&rows, ",(%d,'wikibase_item','Q%d')", i, i)
	}
	rows.WriteString(";\n")
	pp := filepath.Join(dir, "xxwiki-20260101-page_props.sql.gz")
	gzipped(t, pp, rows.String())
	full, _ := os.ReadFile(pp)
	os.WriteFile(pp, full[:len(full)/2], 0o644)
	o := Options{Wiki: "xxwiki", DataDir: dir, PageProps: pp}
	if err := o.Validate(); err != nil {
		t.Fatal(err)
	}
	if _, err := Run(context.Background(), o, nil); err == nil {
		t.Fatal("a truncated page_props dump was accepted")
	}
	gzipped(t, pp, rows.String())
	var ents strings.Builder
	ents.WriteString("[\n")
	for i := 1; i < 5000; i++ {
		fmt.Fprintf(&ents, "{\"type\":\"item\",\"id\":\"Q%d\",\"claims\":{}},\n", i)
	}
	ents.WriteString("]\n")
	wd := filepath.Join(dir, "wikidata-20260101-all.json.gz")
	gzipped(t, wd, ents.String())
	full, _ = os.ReadFile(wd)
	os.WriteFile(wd, full[:len(full)-40], 0o644)
	o.Wikidata = wd
	if _, err := Run(context.Background(), o, nil); err == nil {
		t.Fatal("a truncated entity dump was accepted")
	}
	if _, err := os.Stat(filepath.Join(dir, "xxwiki", "xxwiki.wdproperties.parquet")); !os.IsNotExist(err) {
		t.Error("an output was written despite the error")
	}
}

// A page_props dump without a single page_props row (a 0-byte file, another table's
// dump) is an error, and the table of an earlier run stays (issue 18, item 2).
func TestEmptyPagePropsReplacesNothing(t *testing.T) {
	dir := t.TempDir()
	pp := filepath.Join(dir, "xxwiki-20260101-page_props.sql.gz")
	gzipped(t, pp, "INSERT INTO `page_props` VALUES (1,'wikibase_item','Q1'),(2,'disambiguation','');\n")
	o := Options{Wiki: "xxwiki", DataDir: dir, PageProps: pp}
	if err := o.Validate(); err != nil {
		t.Fatal(err)
	}
	if _, err := Run(context.Background(), o, nil); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "xxwiki", "xxwiki.wdproperties.parquet")
	good, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	for name, content := range map[string]string{
		"0 bytes":     "",
		"other table": "INSERT INTO `page` VALUES (1,0,'A');\n",
	} {
		os.WriteFile(pp, nil, 0o644)
		if content != "" {
			gzipped(t, pp, content)
		}
		if _, err := Run(context.Background(), o, nil); err == nil || !strings.Contains(err.Error(), pp) {
			t.Errorf("%s: err = %v, want an error naming %s", name, err, pp)
		}
		if b, _ := os.ReadFile(out); !bytes.Equal(b, good) {
			t.Errorf("%s: the earlier table was replaced", name)
		}
	}
	// The same for an entity dump without entities.
	gzipped(t, pp, "INSERT INTO `page_props` VALUES (1,'wikibase_item','Q1');\n")
	wd := filepath.Join(dir, "wikidata-20260101-all.json.gz")
	for _, content := range []string{"", "[\n]\n"} {
		gzipped(t, wd, content)
		o.Wikidata = wd
		if _, err := Run(context.Background(), o, nil); err == nil || !strings.Contains(err.Error(), wd) {
			t.Errorf("entities %q: err = %v, want an error naming %s", content, err, wd)
		}
		if b, _ := os.ReadFile(out); !bytes.Equal(b, good) {
			t.Errorf("entities %q: the earlier table was replaced", content)
		}
	}
}
