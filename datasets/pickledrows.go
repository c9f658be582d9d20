package datasets

import "fmt"

// Rows holds the rows of a wiki's four lookup datasets as the Parquet tables have them.
// Readers of the exported formats (sqlitedict files, the MySQL lr_ tables) fill it one
// (key, pickled value) pair at a time with Add.
type Rows struct {
	Anchors   []Anchor
	PageIDs   []PageID
	Redirects []Redirect
	Vectors   []Embedding
}

// Add decodes the pickled value of key in dataset name ("anchors", "pageids",
// "redirects", "w2vfiltered", as exported) and appends its rows.
func (r *Rows) Add(name, key string, value []byte) error {
	switch name {
	case "anchors":
		items, err := UnpickleStrIntDict(value)
		if err != nil {
			return err
		}
		for _, it := range items {
			r.Anchors = append(r.Anchors, Anchor{Anchor: key, Target: it.Key, N: it.Value})
		}
	case "pageids":
		n, err := UnpickleInt(value)
		if err != nil {
			return err
		}
		r.PageIDs = append(r.PageIDs, PageID{Title: key, PageID: n})
	case "redirects":
		to, err := UnpickleString(value)
		if err != nil {
			return err
		}
		r.Redirects = append(r.Redirects, Redirect{From: key, To: to})
	case "w2vfiltered":
		v, err := UnpickleFloat32Array(value)
		if err != nil {
			return err
		}
		r.Vectors = append(r.Vectors, Embedding{Title: key, Vector: v})
	default:
		return fmt.Errorf("datasets: no dataset %q", name)
	}
	return nil
}
