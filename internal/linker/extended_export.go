package linker

import (
	"errors"
	"fmt"
	"io/fs"

	"github.com/addlink/addlink/datasets"
)

// ErrIncomplete is wrapped by the errors of loading a model whose extended features
// read a dataset that is not there (not exported, not published, not loaded): such a
// model is never served with features computed without it.
var ErrIncomplete = errors.New("the datasets of the model are incomplete")

// IncompleteError is the error of loading a model whose features read a dataset that
// is not there. It wraps ErrIncomplete and the cause.
type IncompleteError struct {
	Dataset string // "anchors_stats", "linkgraph"
	Err     error  // what is missing, with its path or table
}

func (e *IncompleteError) Error() string {
	return fmt.Sprintf("%v: the model reads the %s dataset: %v", ErrIncomplete, e.Dataset, e.Err)
}

// Unwrap gives ErrIncomplete and the cause.
func (e *IncompleteError) Unwrap() []error { return []error{ErrIncomplete, e.Err} }

// SetExtended gives d the extended datasets the features of set read, as read from an
// exported form (datasets.ExtendedRows): the same Dict as Dict.LoadExtended makes from
// the Parquet files.
func (d *Dict) SetExtended(set FeatureSet, rows datasets.ExtendedRows) {
	if set.Has(FeatureLinkProb) {
		d.SetLinkProbs(rows.AnchorStats)
	}
	if set.Has(FeatureRelatedness) {
		d.SetLinkGraph(rows.Links)
	}
}

// LoadExtendedSQLite reads the extended datasets the features of set read from their
// exported sqlitedict files (<wiki>.<name>.sqlite or .sqlite.gz, in the export set of a
// data directory or beside the model in a published directory). A missing file gives
// an error wrapping ErrIncomplete.
func (d *Dict) LoadExtendedSQLite(l datasets.Layout, set FeatureSet) error {
	var rows datasets.ExtendedRows
	for _, name := range set.Datasets() {
		path, cleanup, err := sqliteFile(exportedSQLite(l, name))
		if errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("linker: %w", &IncompleteError{name, fmt.Errorf("%s(.gz) is not there", exportedSQLite(l, name))})
		}
		if err != nil {
			return fmt.Errorf("linker: %s: %w", name, err)
		}
		err = datasets.ReadSqliteDict(path, func(key string, value []byte) error {
			return rows.Add(name, key, value)
		})
		cleanup()
		if err != nil {
			return fmt.Errorf("linker: %s: %w", exportedSQLite(l, name), err)
		}
	}
	d.SetExtended(set, rows)
	return nil
}
