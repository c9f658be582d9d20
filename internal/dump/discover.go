package dump

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
)

var dateDir = regexp.MustCompile(`^\d{8}$`)

// ErrNotFound is wrapped by Discover's errors when no usable dump exists, so that callers
// can tell "no dump" from a dump that could not be read.
var ErrNotFound = errors.New("no dump found")

// Files returns the dump files a command reads: files when some are given (the stage
// reports one it cannot open), the latest complete dump of wiki under root otherwise
// (Discover).
func Files(files []string, root, wiki string) ([]string, error) {
	if len(files) > 0 {
		return files, nil
	}
	return Discover(root, wiki)
}

// Discover finds the pages-articles dump of wiki under root, in the layout of Wikimedia's
// dump hosts: <root>/<wiki>/<YYYYMMDD>/<wiki>-<YYYYMMDD>-pages-articles*.xml*.bz2.
//
// It takes the latest date whose pages-articles dump is complete: when the directory
// has a dumpstatus.json, its "articlesdump" job must be "done"; page-range part files
// (…pages-articlesN.xml-p<first>p<last>.bz2) count as complete when their ranges start
// at page 1 and follow each other without gaps, and are preferred over the combined
// …pages-articles.xml.bz2. Multistream files and their indexes are not used.
func Discover(root, wiki string) ([]string, error) {
	base := filepath.Join(root, wiki)
	entries, err := os.ReadDir(base)
	if err != nil {
		return nil, fmt.Errorf("dump: %w for %s under %s: %w", ErrNotFound, wiki, root, err)
	}
	var dates []string
	for _, e := range entries {
		if e.IsDir() && dateDir.MatchString(e.Name()) {
			dates = append(dates, e.Name())
		}
	}
	sort.Sort(sort.Reverse(sort.StringSlice(dates)))
	var skipped []string
	for _, d := range dates {
		files, why := completeDump(filepath.Join(base, d), wiki, d)
		if files != nil {
			return files, nil
		}
		skipped = append(skipped, d+": "+why)
	}
	if len(dates) == 0 {
		return nil, fmt.Errorf("dump: %w: no dated dump directory (YYYYMMDD) in %s", ErrNotFound, base)
	}
	return nil, fmt.Errorf("dump: %w: no complete pages-articles dump of %s under %s (%v)", ErrNotFound, wiki, base, skipped)
}

func completeDump(dir, wiki, date string) ([]string, string) {
	if ok, why := statusDone(dir); !ok {
		return nil, why
	}
	prefix := regexp.QuoteMeta(wiki + "-" + date + "-pages-articles")
	partRe := regexp.MustCompile(`^` + prefix + `\d+\.xml-p(\d+)p(\d+)\.bz2$`)
	combined := wiki + "-" + date + "-pages-articles.xml.bz2"
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, err.Error()
	}
	type part struct {
		path        string
		first, last int64
	}
	var parts []part
	hasCombined := false
	for _, e := range entries {
		if e.IsDir() {
			continue
		}
		if e.Name() == combined {
			hasCombined = true
		}
		if m := partRe.FindStringSubmatch(e.Name()); m != nil {
			first, _ := strconv.ParseInt(m[1], 10, 64)
			last, _ := strconv.ParseInt(m[2], 10, 64)
			parts = append(parts, part{filepath.Join(dir, e.Name()), first, last})
		}
	}
	sort.Slice(parts, func(i, j int) bool { return parts[i].first < parts[j].first })
	contiguous := len(parts) > 0 && parts[0].first == 1
	for i := 1; contiguous && i < len(parts); i++ {
		if parts[i].first != parts[i-1].last+1 {
			contiguous = false
		}
	}
	if contiguous {
		files := make([]string, len(parts))
		for i, p := range parts {
			files[i] = p.path
		}
		return files, ""
	}
	if hasCombined {
		return []string{filepath.Join(dir, combined)}, ""
	}
	if len(parts) > 0 {
		return nil, "part files have a gap in their page ranges"
	}
	return nil, "no pages-articles files"
}

// statusDone reads dumpstatus.json when present.
func statusDone(dir string) (bool, string) {
	b, err := os.ReadFile(filepath.Join(dir, "dumpstatus.json"))
	if errors.Is(err, os.ErrNotExist) {
		return true, ""
	}
	if err != nil {
		return false, err.Error()
	}
	var st struct {
		Jobs map[string]struct {
			Status string `json:"status"`
		} `json:"jobs"`
	}
	if err := json.Unmarshal(b, &st); err != nil {
		return false, "unreadable dumpstatus.json: " + err.Error()
	}
	if job, ok := st.Jobs["articlesdump"]; ok && job.Status != "done" {
		return false, "articlesdump is " + job.Status
	}
	return true, ""
}
