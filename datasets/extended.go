package datasets

import (
	"errors"
	"fmt"
	"strconv"
)

// ExtendedDatasetNames are the datasets a model with extended features reads beyond
// DatasetNames: anchors_stats (the link probability of anchors, for the linkprob
// feature) and linkgraph (the articles' links, for relatedness). Export writes them in
// the same forms as the others (sqlitedict file, lr_<wiki>_<name> dump) when the model
// reads them; their Parquet form is <wiki>.<name>.parquet of the data directory.
var ExtendedDatasetNames = []string{"anchors_stats", "linkgraph"}

// IsExtendedDataset reports whether name is one of ExtendedDatasetNames.
func IsExtendedDataset(name string) bool {
	for _, n := range ExtendedDatasetNames {
		if n == name {
			return true
		}
	}
	return false
}

// ExtendedRootName is the directory, under a publish root (and under a loader's
// base URL), that holds the published models with extended features: its own
// wikis.txt and <wiki>/ directories. It is not a valid wiki id (it has a '-'), so it
// never names a wiki of the root itself, and the reference's loader, which reads only
// the root's wikis.txt and the directories it lists, never sees what is under it.
const ExtendedRootName = "addlink-extended"

// ExtendedInputs lists the Parquet files of ExtendedDatasetNames, whether they exist
// or not: the inputs an export of a model with extended features is also made from.
func ExtendedInputs(l Layout) []string {
	out := make([]string, len(ExtendedDatasetNames))
	for i, n := range ExtendedDatasetNames {
		out[i] = l.File(n + ".parquet")
	}
	return out
}

// PickleIntTuple returns the pickle of a Python tuple of ints, as CPython writes it
// (EMPTY_TUPLE; TUPLE1-3 for up to three items; MARK ... TUPLE beyond; memoized).
func PickleIntTuple(v []int64) []byte {
	var p pickler
	switch n := len(v); {
	case n == 0:
		p.b = append(p.b, ')')
		return p.finish()
	case n <= 3:
		for _, x := range v {
			p.int(x)
		}
		p.b = append(p.b, opTuple1+byte(n-1))
	default:
		p.b = append(p.b, opMark)
		for _, x := range v {
			p.int(x)
		}
		p.b = append(p.b, opTuple)
	}
	p.memoize()
	return p.finish()
}

// UnpickleIntTuple decodes a pickled tuple (or list) of ints.
func UnpickleIntTuple(b []byte) ([]int64, error) {
	v, err := unpickle(b)
	if err != nil {
		return nil, err
	}
	items, ok := v.([]any)
	if !ok {
		return nil, fmt.Errorf("pickle: want a tuple of ints, got %T", v)
	}
	out := make([]int64, len(items))
	for i, it := range items {
		n, ok := it.(int64)
		if !ok {
			return nil, errors.New("pickle: want a tuple of ints")
		}
		out[i] = n
	}
	return out, nil
}

// LinkGraphKey is the lookup key of a page's row in the exported link graph: its page
// id in decimal.
func LinkGraphKey(pageID int64) string { return strconv.FormatInt(pageID, 10) }

// ExtendedRows holds the rows of the extended datasets read from an exported form.
type ExtendedRows struct {
	AnchorStats []AnchorStat
	Links       []Link
}

// Add decodes the pickled value of key in an extended dataset: anchors_stats (key
// the anchor, value the tuple (aslink, astext)) or linkgraph (key the page id, value
// the tuple of the page ids it links, in page order).
func (r *ExtendedRows) Add(name, key string, value []byte) error {
	t, err := UnpickleIntTuple(value)
	if err != nil {
		return err
	}
	switch name {
	case "anchors_stats":
		if len(t) != 2 {
			return fmt.Errorf("datasets: anchors_stats %q: want (aslink, astext), got %d values", key, len(t))
		}
		s := AnchorStat{Anchor: key, AsLink: t[0], AsText: t[1]}
		if t[0]+t[1] > 0 {
			s.LinkProb = float64(t[0]) / float64(t[0]+t[1])
		}
		r.AnchorStats = append(r.AnchorStats, s)
	case "linkgraph":
		id, err := strconv.ParseInt(key, 10, 64)
		if err != nil {
			return fmt.Errorf("datasets: linkgraph key %q is not a page id", key)
		}
		for _, to := range t {
			r.Links = append(r.Links, Link{PageID: id, TargetID: to})
		}
	default:
		return fmt.Errorf("datasets: no extended dataset %q", name)
	}
	return nil
}

// ExtendedPickledRows returns the (key, pickled value) rows of an extended dataset's
// Parquet file, in key byte order (as export writes every dataset).
func ExtendedPickledRows(l Layout, name string) (keys []string, values [][]byte, err error) {
	path := l.File(name + ".parquet")
	switch name {
	case "anchors_stats":
		rs, err := ReadParquet[AnchorStat](path)
		if err != nil {
			return nil, nil, err
		}
		for _, r := range rs {
			keys = append(keys, r.Anchor)
			values = append(values, PickleIntTuple([]int64{r.AsLink, r.AsText}))
		}
	case "linkgraph":
		rs, err := ReadParquet[Link](path)
		if err != nil {
			return nil, nil, err
		}
		// One row per linking page, its targets in the file's order (page order).
		index := map[int64]int{}
		var targets [][]int64
		for _, r := range rs {
			i, ok := index[r.PageID]
			if !ok {
				i = len(targets)
				index[r.PageID] = i
				keys = append(keys, LinkGraphKey(r.PageID))
				targets = append(targets, nil)
			}
			targets[i] = append(targets[i], r.TargetID)
		}
		for _, t := range targets {
			values = append(values, PickleIntTuple(t))
		}
	default:
		return nil, nil, fmt.Errorf("datasets: no extended dataset %q", name)
	}
	return keys, values, nil
}
