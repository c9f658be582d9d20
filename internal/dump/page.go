// Package dump reads MediaWiki XML dumps (pages-articles, schema 0.8 to 0.11) as a
// stream of pages: plain .xml, .bz2 (single stream and multistream, with or without its
// index) and .gz, one file or several (page-range part files) read as one wiki.
package dump

// Page is one <page> of a dump, with the text of its (last) revision.
type Page struct {
	Title    string // as in the dump, e.g. "Κάτω Χώρες"
	NS       int    // namespace number
	ID       int64  // page id
	RevID    int64  // revision id, 0 when absent
	Redirect string // target of <redirect title="..."/>, "" when the page is no redirect
	Model    string // content model ("wikitext", "Scribunto", ...), "" when absent
	Text     string // revision text, XML entities decoded, invalid UTF-8 replaced
}

// IsRedirect reports whether the page has a <redirect> element.
func (p *Page) IsRedirect() bool { return p.Redirect != "" }

// SiteInfo is the dump's <siteinfo>, when it has one.
type SiteInfo struct {
	SiteName   string
	DBName     string
	Base       string
	Case       string // "first-letter" or "case-sensitive"
	Namespaces map[int]string
}
