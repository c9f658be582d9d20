// Command splitdump splits a plain XML pages-articles dump into page-range part files
// as Wikimedia publishes them (each with the dump's header and footer, named
// <prefix>-p<first id>p<last id>.xml), for bench/beam.sh. The parts hold about the
// same number of bytes; pages are never split.
//
// Usage: go run ./bench/splitdump -parts 8 -prefix DIR/synth-pages-articles FILE.xml
package main

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"regexp"
)

func main() {
	parts := flag.Int("parts", 8, "number of part files")
	prefix := flag.String("prefix", "", "path prefix of the part files")
	flag.Parse()
	if flag.NArg() != 1 || *prefix == "" || *parts < 1 {
		fmt.Fprintln(os.Stderr, "usage: splitdump -parts N -prefix PREFIX FILE.xml")
		os.Exit(2)
	}
	if err := split(flag.Arg(0), *prefix, *parts); err != nil {
		fmt.Fprintln(os.Stderr, "splitdump:", err)
		os.Exit(1)
	}
}

var idRe = regexp.MustCompile(`<id>(\d+)</id>`)

func split(file, prefix string, parts int) error {
	xml, err := os.ReadFile(file) // a benchmark input of a few hundred MB
	if err != nil {
		return err
	}
	first := bytes.Index(xml, []byte("<page>"))
	last := bytes.LastIndex(xml, []byte("</page>"))
	if first < 0 || last < 0 {
		return fmt.Errorf("%s: no <page>", file)
	}
	first = bytes.LastIndexByte(xml[:first], '\n') + 1
	last += len("</page>\n")
	header, footer, pages := xml[:first], xml[last:], xml[first:last]
	for k := 0; k < parts && len(pages) > 0; k++ {
		end := len(pages)
		if k < parts-1 {
			want := len(pages) / (parts - k)
			if i := bytes.Index(pages[want:], []byte("</page>\n")); i >= 0 {
				end = want + i + len("</page>\n")
			}
		}
		part := pages[:end]
		pages = pages[end:]
		ids := idRe.FindAllSubmatch(part, -1)
		if len(ids) == 0 {
			return fmt.Errorf("%s: a part without page ids", file)
		}
		// The first <id> of a page is the page's; the last page's is its first <id>
		// after its last <page>.
		lastPage := bytes.LastIndex(part, []byte("<page>"))
		lastID := idRe.FindSubmatch(part[lastPage:])
		name := fmt.Sprintf("%s-p%sp%s.xml", prefix, ids[0][1], lastID[1])
		out := append(append(append([]byte(nil), header...), part...), footer...)
		if err := os.WriteFile(name, out, 0o644); err != nil {
			return err
		}
		fmt.Println(name)
	}
	return nil
}
