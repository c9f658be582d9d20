package datasets

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/addlink/addlink/checksum"
)

// ExportSetName is the file, in the export directory, that lists the export's files
// and the inputs they were made from.
const ExportSetName = "export-set.json"

// ErrExportStale is wrapped by CheckExportCurrent when the export was made from other
// inputs than the present ones.
var ErrExportStale = errors.New("the export is not current")

// ErrExportInconsistent is wrapped by VerifyExportSet when the files of an export
// directory are not the set it lists.
var ErrExportInconsistent = errors.New("the export set is inconsistent")

// SetFile is one file of an export set: its name (in the export directory, or, for
// inputs, in the wiki's directory), size and hex SHA-256.
type SetFile struct {
	Name   string `json:"name"`
	Size   int64  `json:"size"`
	SHA256 string `json:"sha256"`
}

// ExportSet describes one export: the files written together and the inputs (the
// Parquet datasets and the model) they were made from. The export stage writes it
// last, into the directory it then switches to; publish and verify check a directory
// against it. It holds no time stamp: the same inputs give the same set.
type ExportSet struct {
	Wiki   string    `json:"wiki"`
	Inputs []SetFile `json:"inputs"`
	Files  []SetFile `json:"files"`
	// Model describes a model the Python service cannot load (features or candidate
	// rules beyond the reference's): nil for the reference's kind of model, so that
	// such a set is written as before.
	Model *SetModel `json:"model,omitempty"`
	// Multilingual names the multilingual (v2) model the set publishes with the wiki's
	// datasets (Multilingual.Export): empty for a set of the wiki's own model, so that
	// such a set is written as before. Its inputs are the wiki's datasets and that
	// model (Multilingual.ExportInputs).
	Multilingual string `json:"multilingual,omitempty"`
}

// SetModel is what an export set records about a model with extended features.
type SetModel struct {
	// Features are the model's features ("extended", or names joined by ",").
	Features string `json:"features"`
	// Datasets are the datasets of ExtendedDatasetNames the model reads, all in the
	// set (sqlitedict file with .gz and .checksum, SQL dump with .checksum).
	Datasets []string `json:"datasets"`
}

// ExtendedFiles lists the files of an export set that hold an extended dataset, by
// name in the export directory: the sqlitedict file, its .gz and .checksum, the SQL
// dump and its .checksum.
func ExtendedFiles(wiki, name string) []string {
	sqlite := SQLiteName(wiki, name)
	dump := SQLDumpName(wiki, name)
	return []string{sqlite, sqlite + ".gz", sqlite + checksum.Ext, dump, dump + checksum.Ext}
}

// ExportInputs lists the files an export is made from, whether they exist or not: the
// anchors, page ids, redirects and embeddings tables and the model.
func ExportInputs(l Layout) []string {
	out := make([]string, 0, len(DatasetNames)+1)
	for _, n := range DatasetNames {
		out = append(out, l.File(n+".parquet"))
	}
	return append(out, l.Model())
}

// DescribeFile returns the SetFile of path under the given name.
func DescribeFile(path, name string) (SetFile, error) {
	st, err := os.Stat(path)
	if err != nil {
		return SetFile{}, err
	}
	sum, err := checksum.File(path)
	if err != nil {
		return SetFile{}, err
	}
	return SetFile{Name: name, Size: st.Size(), SHA256: sum}, nil
}

// DescribeInputs returns the SetFiles of the export inputs that exist, named by their
// base name.
func DescribeInputs(l Layout) ([]SetFile, error) {
	return DescribeFiles(ExportInputs(l))
}

// DescribeFiles returns the SetFiles of the paths that exist, named by their base name.
func DescribeFiles(paths []string) ([]SetFile, error) {
	var out []SetFile
	for _, p := range paths {
		f, err := DescribeFile(p, filepath.Base(p))
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return nil, err
		}
		out = append(out, f)
	}
	return out, nil
}

// WriteExportSet lists every file of dir (but the set file itself) in a set with the
// given inputs and writes it to dir/ExportSetName atomically.
func WriteExportSet(dir, wiki string, inputs []SetFile) (*ExportSet, error) {
	return WriteExportSetModel(dir, wiki, inputs, nil)
}

// WriteExportSetModel is WriteExportSet for a set whose model is described by model
// (nil: the reference's kind of model).
func WriteExportSetModel(dir, wiki string, inputs []SetFile, model *SetModel) (*ExportSet, error) {
	return WriteExportSetOf(dir, &ExportSet{Wiki: wiki, Inputs: inputs, Model: model})
}

// WriteExportSetOf is WriteExportSet for the set s describes (its wiki, inputs, model
// and multilingual model); it lists dir's files in s.Files.
func WriteExportSetOf(dir string, s *ExportSet) (*ExportSet, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	s.Files = nil
	for _, e := range entries {
		if e.Name() == ExportSetName {
			continue
		}
		if !e.Type().IsRegular() {
			return nil, fmt.Errorf("datasets: %s in an export directory is not a regular file", filepath.Join(dir, e.Name()))
		}
		f, err := DescribeFile(filepath.Join(dir, e.Name()), e.Name())
		if err != nil {
			return nil, err
		}
		s.Files = append(s.Files, f)
	}
	sort.Slice(s.Files, func(i, j int) bool { return s.Files[i].Name < s.Files[j].Name })
	sort.Slice(s.Inputs, func(i, j int) bool { return s.Inputs[i].Name < s.Inputs[j].Name })
	if err := WriteJSON(filepath.Join(dir, ExportSetName), s); err != nil {
		return nil, err
	}
	return s, nil
}

// ReadExportSet reads dir/ExportSetName.
func ReadExportSet(dir string) (*ExportSet, error) {
	b, err := os.ReadFile(filepath.Join(dir, ExportSetName))
	if err != nil {
		return nil, err
	}
	var s ExportSet
	if err := json.Unmarshal(b, &s); err != nil {
		return nil, fmt.Errorf("datasets: %s: %w", filepath.Join(dir, ExportSetName), err)
	}
	return &s, nil
}

// VerifyExportSet checks that dir holds exactly the files its set lists, each with the
// recorded size and SHA-256, and that every .checksum file in it names a file of the
// set with the set's digest.
func VerifyExportSet(dir string) error {
	s, err := ReadExportSet(dir)
	if err != nil {
		return err
	}
	bad := func(format string, args ...any) error {
		return fmt.Errorf("%w: %s: %s", ErrExportInconsistent, dir, fmt.Sprintf(format, args...))
	}
	listed := map[string]SetFile{}
	for _, f := range s.Files {
		listed[f.Name] = f
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return err
	}
	for _, e := range entries {
		if _, ok := listed[e.Name()]; !ok && e.Name() != ExportSetName {
			return bad("%s is not a file of the set", e.Name())
		}
	}
	for _, f := range s.Files {
		got, err := DescribeFile(filepath.Join(dir, f.Name), f.Name)
		if errors.Is(err, fs.ErrNotExist) {
			return bad("%s of the set is missing", f.Name)
		}
		if err != nil {
			return err
		}
		if got != f {
			return bad("%s has changed since the export (sha256 %s, the set records %s)", f.Name, got.SHA256, f.SHA256)
		}
		if !strings.HasSuffix(f.Name, checksum.Ext) {
			continue
		}
		sum, name, err := checksum.ReadSidecar(filepath.Join(dir, f.Name))
		if err != nil {
			return err
		}
		if target, ok := listed[name]; !ok || target.SHA256 != sum {
			return bad("%s names %s with sha256 %s, which is not a file of the set", f.Name, name, sum)
		}
	}
	if s.Model != nil {
		if len(s.Model.Datasets) == 0 && s.Model.Features == "" {
			return bad("the set describes a model without its features")
		}
		for _, d := range s.Model.Datasets {
			if !IsExtendedDataset(d) {
				return bad("the model reads %q, which is not an extended dataset", d)
			}
			for _, name := range ExtendedFiles(s.Wiki, d) {
				if _, ok := listed[name]; !ok {
					return bad("the model reads %s but %s is not in the set", d, name)
				}
			}
		}
	}
	return nil
}

// CheckExportCurrent checks that the export set in dir was made from the present
// inputs under wikiDir: the same files (none added, none gone) with the same SHA-256.
func CheckExportCurrent(dir, wikiDir string, s *ExportSet) error {
	recorded := map[string]SetFile{}
	for _, f := range s.Inputs {
		recorded[f.Name] = f
	}
	l := Layout{DataDir: filepath.Dir(wikiDir), Wiki: filepath.Base(wikiDir)}
	if s.Wiki != "" && s.Wiki != l.Wiki {
		return fmt.Errorf("%w: %s is an export of %s, not of %s", ErrExportStale, dir, s.Wiki, l.Wiki)
	}
	inputs := ExportInputs(l)
	if s.Multilingual != "" {
		m, wiki, err := MultilingualOf(wikiDir)
		if err != nil {
			return err
		}
		if m.Name != s.Multilingual {
			return fmt.Errorf("%w: %s is an export of the model %s, found under %s", ErrExportStale, dir, s.Multilingual, m.Dir())
		}
		inputs = m.ExportInputs(wiki)
	}
	if s.Model != nil {
		// The extended datasets the model reads are inputs too.
		for _, p := range ExtendedInputs(l) {
			for _, d := range s.Model.Datasets {
				if filepath.Base(p) == l.Wiki+"."+d+".parquet" {
					inputs = append(inputs, p)
				}
			}
		}
	}
	for _, p := range inputs {
		name := filepath.Base(p)
		want, was := recorded[name]
		got, err := DescribeFile(p, name)
		switch {
		case errors.Is(err, fs.ErrNotExist) && !was:
			continue
		case errors.Is(err, fs.ErrNotExist):
			return fmt.Errorf("%w: %s was made from %s, which is gone", ErrExportStale, dir, p)
		case err != nil:
			return err
		case !was:
			return fmt.Errorf("%w: %s exists but %s was made without it", ErrExportStale, p, dir)
		case got.SHA256 != want.SHA256:
			return fmt.Errorf("%w: %s has changed since %s was made from it", ErrExportStale, p, dir)
		}
	}
	return nil
}

// NotTheExport reports whether dir is an export directory that readers do not see: an
// older set that the link <wiki>/export no longer points to (left by an export killed
// after its switch, or being removed by a running one), or a set still being written
// (a temporary name). verify passes over them.
func NotTheExport(dir string) bool {
	base := filepath.Base(dir)
	if strings.HasPrefix(base, ".export") && strings.Contains(base, ".tmp-") {
		return true
	}
	if !strings.HasPrefix(base, "export-") {
		return false
	}
	cur, err := os.Readlink(filepath.Join(filepath.Dir(dir), "export"))
	return err == nil && cur != base
}

// VerifyExportSets finds the export sets under paths (a path is an export directory,
// a directory holding some, or a file, which has none) and checks each: consistent
// (VerifyExportSet) and current for the inputs of the wiki directory it is in
// (CheckExportCurrent). It returns one result per set found. A set beside the export link
// that the link does not point at (an older set an export killed after its switch did not
// remove yet; the next export removes it) is not checked.
func VerifyExportSets(paths []string) []checksum.Result {
	var out []checksum.Result
	for _, p := range paths {
		root, err := filepath.EvalSymlinks(p)
		if err != nil {
			continue // VerifyPaths reports it
		}
		filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() || d.Name() != ExportSetName {
				return nil
			}
			dir := filepath.Dir(path)
			if NotTheExport(dir) {
				return nil
			}
			err = VerifyExportSet(dir)
			if err == nil {
				var s *ExportSet
				if s, err = ReadExportSet(dir); err == nil {
					err = CheckExportCurrent(dir, filepath.Dir(dir), s)
				}
			}
			out = append(out, checksum.Result{Sidecar: path, Err: err})
			return nil
		})
	}
	return out
}
