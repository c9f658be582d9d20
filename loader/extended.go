package loader

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"slices"

	"github.com/addlink/addlink/datasets"
	"github.com/addlink/addlink/internal/gbdt"
	"github.com/addlink/addlink/internal/linker"
)

// Models with extended features are published under <base>/addlink-extended/
// (datasets.ExtendedRootName), with their own wikis.txt: the reference's loader never
// reads there. A wiki found there is loaded from there, in preference to the same
// wiki under the base itself, with the datasets its features read
// (datasets.ExtendedDatasetNames) besides the reference's; they are checked, staged and
// swapped in with the others, and their checksums recorded in lr_checksum.

// extendedSource returns the source of the extended models under base, and where its
// downloads go (<Path>/addlink-extended/<wiki>/, so that a later load without
// --download finds them there).
func extendedSource(base string, o *Options) source {
	return newSource(joinURL(base, datasets.ExtendedRootName), filepath.Join(o.Path, datasets.ExtendedRootName), o)
}

// listExtendedWikis reads the wikis.txt of an extended source; a source without one
// has no extended wiki.
func listExtendedWikis(ctx context.Context, src source) ([]string, error) {
	ws, err := listWikis(ctx, src)
	var he *HTTPError
	if errors.Is(err, fs.ErrNotExist) || (errors.As(err, &he) && (he.Status == http.StatusNotFound || he.Status == http.StatusForbidden)) {
		return nil, nil
	}
	return ws, err
}

// extendedDirWikis lists the wikis of <dir>/addlink-extended/ (none when it does not
// exist).
func extendedDirWikis(dir string) ([]string, error) {
	ws, err := listDirWikis(filepath.Join(dir, datasets.ExtendedRootName))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	return ws, err
}

// wikiDatasets are the datasets loaded for a wiki: those asked for, and, for a wiki
// from an extended source when none were asked for, the extended datasets before the
// model.
func wikiDatasets(o *Options, w wikiSource) []string {
	if !w.extended || o.explicitDatasets {
		return o.Datasets
	}
	var out []string
	for _, d := range o.Datasets {
		if d == "model" {
			out = append(out, datasets.ExtendedDatasetNames...)
		}
		out = append(out, d)
	}
	if !slices.Contains(o.Datasets, "model") {
		out = append(out, datasets.ExtendedDatasetNames...)
	}
	return out
}

// checkModelDatasets returns an error unless the datasets a model's features read are
// among those of the load (loaded now or already current): a model is never swapped
// in without them.
func checkModelDatasets(f *os.File, names []string) error {
	m, err := gbdt.ReadJSON(f)
	if err != nil {
		return fmt.Errorf("the model: %w", err)
	}
	set, err := linker.ModelFeatures(m)
	if err != nil {
		return fmt.Errorf("the model: %w", err)
	}
	for _, d := range set.Datasets() {
		if !slices.Contains(names, d) {
			return fmt.Errorf("the model reads the %s dataset, which is not published beside it (publish it from an export of addlink run --features %s)", d, set)
		}
	}
	return nil
}
