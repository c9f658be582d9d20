package wdproperties

import (
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
