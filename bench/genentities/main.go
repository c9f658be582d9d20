// Command genentities writes a synthetic Wikidata JSON entity dump for bench/wikidata.sh
// (about -mb megabytes; entities of a few KB with labels, descriptions, sitelinks and
// claims, P31 in the current form) and a page_props dump naming -wanted of its items
// (1% by default). Deterministic.
package main

import (
	"bufio"
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
)

func main() {
	mb := flag.Int("mb", 500, "size of the entity dump in MB")
	share := flag.Float64("wanted", 0.01, "share of items named in page_props")
	out := flag.String("out", "", "entity dump file (.json)")
	props := flag.String("page-props", "", "page_props dump file (.sql)")
	flag.Parse()
	if *out == "" || *props == "" {
		fmt.Fprintln(os.Stderr, "genentities: -out and -page-props are required")
		os.Exit(2)
	}
	f, _ := os.Create(*out)
	w := bufio.NewWriterSize(f, 1<<20)
	pf, _ := os.Create(*props)
	pw := bufio.NewWriterSize(pf, 1<<20)
	fmt.Fprintln(pw, "INSERT INTO `page_props` VALUES (0,'defaultsort','x')")
	r := rand.New(rand.NewPCG(1, 1))
	w.WriteString("[\n")
	var n int64
	page := 1
	for q := 1; n < int64(*mb)*1000000; q++ {
		label := fmt.Sprintf("Item %d label", q)
		line := fmt.Sprintf(`{"type":"item","id":"Q%d","labels":{"en":{"language":"en","value":%q},"de":{"language":"de","value":%q}},"descriptions":{"en":{"language":"en","value":"a synthetic item used to measure the scanner"}},"aliases":{},"claims":{"P31":[{"mainsnak":{"snaktype":"value","property":"P31","hash":"%016x","datavalue":{"value":{"entity-type":"item","numeric-id":%d,"id":"Q%d"},"type":"wikibase-entityid"},"datatype":"wikibase-item"},"type":"statement","id":"Q%d$%08x","rank":"normal"}],"P17":[{"mainsnak":{"snaktype":"value","property":"P17","datavalue":{"value":{"entity-type":"item","numeric-id":183,"id":"Q183"},"type":"wikibase-entityid"},"datatype":"wikibase-item"},"type":"statement","rank":"normal"}],"P625":[{"mainsnak":{"snaktype":"value","property":"P625","datavalue":{"value":{"latitude":%f,"longitude":%f,"precision":0.0001,"globe":"http://www.wikidata.org/entity/Q2"},"type":"globecoordinate"},"datatype":"globe-coordinate"},"type":"statement","rank":"normal"}]},"sitelinks":{"enwiki":{"site":"enwiki","title":%q,"badges":[]},"dewiki":{"site":"dewiki","title":%q,"badges":[]}},"lastrevid":%d},`,
			q, label, label, r.Uint64(), 5+r.IntN(1000), 5+r.IntN(1000), q, r.Uint32(), r.Float64()*180-90, r.Float64()*360-180, label, label, r.IntN(1<<30))
		n += int64(len(line)) + 1
		w.WriteString(line)
		w.WriteByte('\n')
		if r.Float64() < *share {
			fmt.Fprintf(pw, ",(%d,'wikibase_item','Q%d')", page, q)
			page++
		}
	}
	w.WriteString("]\n")
	pw.WriteString(";\n")
	w.Flush()
	pw.Flush()
	f.Close()
	pf.Close()
}
