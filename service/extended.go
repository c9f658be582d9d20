package service

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/addlink/addlink/datasets"
	"github.com/addlink/addlink/internal/gbdt"
	"github.com/addlink/addlink/internal/linker"
	"github.com/addlink/addlink/internal/mysqlenv"
)

// loadExtendedTables reads, within the load's transaction, the lr_<wiki>_<name> tables
// of the extended datasets a model's features read (datasets.ExtendedDatasetNames)
// into d. Each must have been loaded: its table there and its checksum in
// lr_checksum (the loader records it with the model's); otherwise the error wraps
// linker.ErrIncomplete and the wiki is not served.
func loadExtendedTables(ctx context.Context, tx *sql.Tx, id string, m *gbdt.Model, sums map[string]string, d *linker.Dict) error {
	set, err := linker.ModelFeatures(m)
	if err != nil {
		return fmt.Errorf("service: %s: %w", id, err)
	}
	var rows datasets.ExtendedRows
	for _, name := range set.Datasets() {
		table := datasets.SQLTable(id, name)
		if sums[name] == "" {
			return fmt.Errorf("service: %s: %w", id, &linker.IncompleteError{Dataset: name,
				Err: fmt.Errorf("not loaded (no %s_%s in lr_checksum): load the wiki's extended publication with addlink load", id, name)})
		}
		err := scanTable(ctx, tx, table, func(key string, value []byte) error {
			return rows.Add(name, key, value)
		})
		if mysqlenv.NoSuchTable(err) {
			return fmt.Errorf("service: %s: %w", id, &linker.IncompleteError{Dataset: name,
				Err: fmt.Errorf("%s does not exist: load the wiki's extended publication with addlink load", table)})
		}
		if err != nil {
			return fmt.Errorf("service: %s: %w", table, err)
		}
	}
	d.SetExtended(set, rows)
	return nil
}
