// Package pipeline runs addlink's stages as a graph: each stage declares its inputs and
// outputs, and a manifest per stage (input identities, parameters, program version)
// lets a rerun skip the stages that are current and redo exactly those whose inputs or
// parameters changed.
package pipeline

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"

	"github.com/addlink/addlink/checksum"
	"github.com/addlink/addlink/datasets"
)

// FileID identifies a file's content: size and modification time for the quick check,
// and its SHA-256, consulted only when the quick check fails (a file rewritten with the
// same bytes is still current).
type FileID struct {
	Path    string `json:"path"`
	Size    int64  `json:"size"`
	ModTime int64  `json:"mtime_ns"`
	SHA256  string `json:"sha256,omitempty"`
}

// Manifest records how a stage's outputs were made.
type Manifest struct {
	Stage   string            `json:"stage"`
	Version string            `json:"version"`
	Params  map[string]string `json:"params"`
	Inputs  []FileID          `json:"inputs"`
	Outputs []FileID          `json:"outputs"`
}

// identify returns the FileID of path; with hash it also computes the SHA-256.
func identify(path string, hash bool) (FileID, error) {
	st, err := os.Stat(path)
	if err != nil {
		return FileID{}, err
	}
	id := FileID{Path: path, Size: st.Size(), ModTime: st.ModTime().UnixNano()}
	if hash {
		if id.SHA256, err = checksum.File(path); err != nil {
			return FileID{}, err
		}
	}
	return id, nil
}

// Identify returns the identities of paths, hashing those for which hash(path) is true
// (large dumps are identified by size and mtime alone).
func Identify(paths []string, hash func(string) bool) ([]FileID, error) {
	ids := make([]FileID, 0, len(paths))
	for _, p := range paths {
		id, err := identify(p, hash != nil && hash(p))
		if err != nil {
			return nil, err
		}
		ids = append(ids, id)
	}
	sort.Slice(ids, func(i, j int) bool { return ids[i].Path < ids[j].Path })
	return ids, nil
}

// Staleness says why a stage must run again; the zero value means current.
type Staleness struct {
	Reason string
}

// Current reports whether nothing changed.
func (s Staleness) Current() bool { return s.Reason == "" }

// Check compares a recorded manifest with the present state: same version and
// parameters, every recorded input and output unchanged, and the same set of inputs.
func (m *Manifest) Check(version string, params map[string]string, inputs []string) Staleness {
	if m == nil {
		return Staleness{"never run"}
	}
	if m.Version != version {
		return Staleness{fmt.Sprintf("program version changed (%s -> %s)", m.Version, version)}
	}
	if d := diffParams(m.Params, params); d != "" {
		return Staleness{d}
	}
	want := append([]string(nil), inputs...)
	sort.Strings(want)
	if len(want) != len(m.Inputs) {
		return Staleness{"the set of inputs changed"}
	}
	for i, in := range m.Inputs {
		if in.Path != want[i] {
			return Staleness{fmt.Sprintf("the set of inputs changed (%s)", want[i])}
		}
		if why := unchanged(in); why != "" {
			return Staleness{"input " + why}
		}
	}
	for _, out := range m.Outputs {
		if why := unchanged(out); why != "" {
			return Staleness{"output " + why}
		}
	}
	return Staleness{}
}

func unchanged(id FileID) string {
	st, err := os.Stat(id.Path)
	if errors.Is(err, fs.ErrNotExist) {
		return id.Path + " is missing"
	}
	if err != nil {
		return fmt.Sprintf("%s: %v", id.Path, err)
	}
	if st.Size() != id.Size {
		return id.Path + " changed size"
	}
	if st.ModTime().UnixNano() == id.ModTime {
		return ""
	}
	if id.SHA256 == "" {
		return id.Path + " was modified"
	}
	sum, err := checksum.File(id.Path)
	if err != nil {
		return fmt.Sprintf("%s: %v", id.Path, err)
	}
	if sum != id.SHA256 {
		return id.Path + " changed content"
	}
	return ""
}

func diffParams(old, cur map[string]string) string {
	keys := map[string]bool{}
	for k := range old {
		keys[k] = true
	}
	for k := range cur {
		keys[k] = true
	}
	names := make([]string, 0, len(keys))
	for k := range keys {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, k := range names {
		if old[k] != cur[k] {
			return fmt.Sprintf("parameter %s changed (%q -> %q)", k, old[k], cur[k])
		}
	}
	return ""
}

// ReadManifest reads a manifest; a missing file gives (nil, nil).
func ReadManifest(path string) (*Manifest, error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var m Manifest
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, fmt.Errorf("pipeline: manifest %s: %w", path, err)
	}
	return &m, nil
}

// WriteManifest writes m atomically.
func WriteManifest(path string, m *Manifest) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	return datasets.WriteJSON(path, m)
}
