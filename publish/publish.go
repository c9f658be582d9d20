// Package publish copies a wiki's exported datasets into the published tree that the
// Link Recommendation service downloads from (<root>/<wiki>/ and <root>/wikis.txt), and
// removes them again. A publication is replaced as a whole: the new one is assembled in
// a staging directory and exchanged with the old one in a single rename, so an
// interrupted publish leaves the previous publication intact.
package publish

import (
	"bufio"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"golang.org/x/sys/unix"

	"github.com/addlink/addlink/atomicfile"
	"github.com/addlink/addlink/checksum"
	"github.com/addlink/addlink/datasets"
	"github.com/addlink/addlink/internal/linker"
)

// DefaultRoot is where Wikimedia publishes the datasets (the reference's
// publish-datasets.sh).
const DefaultRoot = "/srv/published/datasets/one-off/research-mwaddlink"

// DefaultV2Root is where Wikimedia publishes v2 (multilingual) models with each wiki's
// datasets: the directory behind the loader's v2 base URL
// (https://analytics.wikimedia.org/published/wmf-ml-models/addalink/v2/).
const DefaultV2Root = "/srv/published/wmf-ml-models/addalink/v2"

// IndexFile is the list of published wikis, one id per line.
const IndexFile = "wikis.txt"

// readme is written into every published wiki directory.
const readme = `These datasets can be used with Wikimedia's Link Recommendation Service.
See https://wikitech.wikimedia.org/wiki/Add_Link/Datasets for details
`

// Options configures Publish and Unpublish.
type Options struct {
	Wiki    string
	DataDir string // where the exported files are (<data-dir>/<wiki>/)
	Root    string // the published tree
	DryRun  bool
	// Extended makes Unpublish work on the extended models' tree, ExtendedRoot(Root).
	// Publish chooses the tree from the export set.
	Extended bool
	// Multilingual names a multilingual (v2) model of the data directory: Publish
	// publishes the wiki's export set with that model (export --multilingual) into
	// Root, which must then be a v2 root (the loader's base URL for v2 models), never
	// the root of the v1 layout; V1Root, when given, is checked to be another tree.
	Multilingual string
	// V1Root is the root of the v1 layout (publish --publish-root) when Root is a v2
	// root: Publish refuses to write a v2 model into it or under it.
	V1Root string
	// failAfter, in tests, makes Publish fail after copying that many files.
	failAfter int
}

// Validate checks the wiki id (no '*', '/', '..' or empty id can reach the file system).
func (o *Options) Validate() error {
	if err := datasets.CheckWikiID(o.Wiki); err != nil {
		return err
	}
	if o.Root == "" {
		return errors.New("publish: no publish root")
	}
	if o.Multilingual != "" {
		if err := datasets.CheckWikiID(o.Multilingual); err != nil {
			return fmt.Errorf("publish: --multilingual: %w", err)
		}
		if o.V1Root != "" && within(o.Root, o.V1Root) {
			return fmt.Errorf("publish: the v2 root %s is the v1 layout's root %s or inside it: a consumer of the v1 layout would be handed a v2 model (give --publish-root-v2 another directory)", o.Root, o.V1Root)
		}
	}
	return nil
}

// within reports whether path is dir or below it, comparing cleaned absolute paths
// with symbolic links resolved where they exist.
func within(path, dir string) bool {
	resolve := func(p string) string {
		p, _ = filepath.Abs(p)
		// Resolve the longest existing prefix: the root may not exist yet.
		rest := ""
		for q := p; ; q = filepath.Dir(q) {
			if r, err := filepath.EvalSymlinks(q); err == nil {
				return filepath.Join(r, rest)
			}
			if filepath.Dir(q) == q {
				return p
			}
			rest = filepath.Join(filepath.Base(q), rest)
		}
	}
	rel, err := filepath.Rel(resolve(dir), resolve(path))
	return err == nil && rel != ".." && !strings.HasPrefix(rel, ".."+string(filepath.Separator))
}

// ExtendedRoot is the tree under root where Publish puts a model the Python service
// cannot load (features or candidate rules beyond the reference's, with the datasets
// its features read): <root>/addlink-extended/, with its own wikis.txt and <wiki>/
// directories. The reference's loader reads only <root>/wikis.txt and the directories
// it lists, so it never sees such a model; addlink load looks there too.
func ExtendedRoot(root string) string { return filepath.Join(root, datasets.ExtendedRootName) }

// published reports whether a file name is of a kind publish writes for wiki.
func published(wiki, name string) bool {
	switch {
	case name == "README", name == datasets.ModelName(wiki):
		return true
	case !strings.HasPrefix(name, wiki+".") && !strings.HasPrefix(name, "lr_"+wiki+"_"):
		return false
	case strings.HasPrefix(name, datasets.ServeIndexName(wiki)):
		// The serving index stays in the export set: `serve` maps it there, or builds
		// its own from the published files; the public tree keeps the reference's files.
		return false
	}
	for _, suf := range []string{".sql.gz", ".sqlite.gz", ".checksum"} {
		if strings.HasSuffix(name, suf) {
			return true
		}
	}
	return false
}

// Change is one line of a plan: what happens to a file.
type Change struct {
	Action string // "add", "replace", "keep", "remove", "unchanged", "list", "delist"
	Path   string
}

func (c Change) String() string { return c.Action + " " + c.Path }

// ErrSampleWiki is returned by Publish for the built-in sample wiki, whose datasets are
// made from generated text.
var ErrSampleWiki = errors.New("publish: the built-in sample wiki " + datasets.SampleWiki + " is generated text, not a wiki: it cannot be published")

// sources returns the exported files of the wiki to publish after checking that the
// export set is whole (every file with its recorded checksum, nothing else), and that it
// is current: made from the model and datasets now under <data-dir>/<wiki>/.
func sources(o Options) (files []string, extended bool, err error) {
	files, set, err := setFiles(o)
	return files, set != nil && set.Model != nil, err
}

func setFiles(o Options) ([]string, *datasets.ExportSet, error) {
	l := datasets.Layout{DataDir: o.DataDir, Wiki: o.Wiki}
	again := "addlink export --wiki " + o.Wiki
	if o.Multilingual != "" {
		l = datasets.Multilingual{DataDir: o.DataDir, Name: o.Multilingual}.Export(o.Wiki)
		again += " --multilingual " + o.Multilingual
	}
	// The set the link points at now: an export switching the link meanwhile cannot
	// mix its files into this publication.
	dir, err := filepath.EvalSymlinks(l.ExportDir())
	var set *datasets.ExportSet
	if err == nil {
		set, err = datasets.ReadExportSet(dir)
	}
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil, fmt.Errorf("publish: nothing exported in %s (run %s)", l.ExportDir(), again)
	}
	if err != nil {
		return nil, nil, fmt.Errorf("publish: %w", err)
	}
	if err := datasets.VerifyExportSet(dir); err != nil {
		return nil, nil, fmt.Errorf("publish: refusing to publish: %w (run %s)", err, again)
	}
	if set.Multilingual != o.Multilingual {
		return nil, nil, fmt.Errorf("publish: refusing to publish: %s is an export set of the model %q, not of %q", dir, set.Multilingual, o.Multilingual)
	}
	if err := datasets.CheckExportCurrent(dir, l.Dir(), set); err != nil {
		return nil, nil, fmt.Errorf("publish: refusing to publish: %w: run %s (or addlink run) first", err, again)
	}
	var files []string
	data := 0
	have := map[string]bool{}
	for _, f := range set.Files {
		have[f.Name] = true
		if published(o.Wiki, f.Name) && f.Name != "README" {
			files = append(files, filepath.Join(dir, f.Name))
			if !strings.HasSuffix(f.Name, checksum.Ext) {
				data++
			}
		}
	}
	if data == 0 {
		return nil, nil, fmt.Errorf("publish: nothing to publish in %s (run %s)", dir, again)
	}
	// Every data file needs its checksum file (VerifyExportSet checked the digests).
	for _, f := range files {
		name := filepath.Base(f)
		if strings.HasSuffix(name, checksum.Ext) {
			continue
		}
		side := name + checksum.Ext
		if strings.HasSuffix(name, ".sqlite.gz") {
			side = strings.TrimSuffix(name, ".gz") + checksum.Ext
		}
		if !have[side] {
			return nil, nil, fmt.Errorf("publish: refusing to publish: %s has no checksum file %s", f, side)
		}
		if name == datasets.ModelName(o.Wiki) && o.Multilingual != "" {
			// The v2 layout holds v2 models only; the v1 layout never gets one (below).
			if err := linker.CheckV2ModelFile(f); err != nil {
				return nil, nil, fmt.Errorf("publish: refusing to publish: %w", err)
			}
		} else if name == datasets.ModelName(o.Wiki) && set.Model == nil {
			// Models published under the root are loaded by the Python service: only the
			// reference's features. A set that says its model is another kind goes to
			// ExtendedRoot. (Whether the file is a well-formed model is not checked here.)
			if err := linker.CheckServiceModelFile(f); errors.Is(err, linker.ErrNotServiceModel) {
				return nil, nil, fmt.Errorf("publish: refusing to publish: %w", err)
			}
		}
	}
	sort.Strings(files)
	return files, set, nil
}

// Publish copies the exported set's files (*.sql.gz, *.sqlite.gz, <wiki>.linkmodel.json
// and their .checksum files) and a README into <root>/<wiki>/, and lists the wiki in
// wikis.txt. It refuses an export set that is not whole or not current (made from other
// datasets or another model than those now under <data-dir>/<wiki>/), and the sample
// wiki. Files of the published kinds that the new set lacks are removed; files of other
// kinds already there are kept. With DryRun it only returns the plan.
func Publish(o Options) ([]Change, error) {
	if err := o.Validate(); err != nil {
		return nil, err
	}
	if o.Wiki == datasets.SampleWiki {
		return nil, ErrSampleWiki
	}
	files, extended, err := sources(o)
	if err != nil {
		return nil, err
	}
	if extended {
		o.Root = ExtendedRoot(o.Root)
	}
	dest := filepath.Join(o.Root, o.Wiki)
	var plan []Change
	for _, f := range files {
		target := filepath.Join(dest, filepath.Base(f))
		switch same, err := sameContent(f, target); {
		case err != nil && errors.Is(err, fs.ErrNotExist):
			plan = append(plan, Change{"add", target})
		case err != nil:
			return nil, err
		case same:
			plan = append(plan, Change{"unchanged", target})
		default:
			plan = append(plan, Change{"replace", target})
		}
	}
	newNames := map[string]bool{"README": true}
	for _, f := range files {
		newNames[filepath.Base(f)] = true
	}
	if entries, err := os.ReadDir(dest); err == nil {
		for _, e := range entries {
			if e.Type().IsRegular() && published(o.Wiki, e.Name()) && !newNames[e.Name()] {
				plan = append(plan, Change{"remove", filepath.Join(dest, e.Name())})
			}
		}
	}
	if !o.DryRun {
		if err := os.MkdirAll(o.Root, 0o755); err != nil {
			return nil, err
		}
		unlock, err := lockRoot(o.Root)
		if err != nil {
			return nil, err
		}
		defer unlock()
	}
	listed, err := readIndex(o.Root)
	if err != nil {
		return nil, err
	}
	if !contains(listed, o.Wiki) {
		plan = append(plan, Change{"list", filepath.Join(o.Root, IndexFile)})
	}
	if o.DryRun {
		return plan, nil
	}
	if _, err := atomicfile.RemoveStale(o.Root, false); err != nil {
		return nil, err
	}
	stage, err := atomicfile.MkdirTemp(o.Root, "."+o.Wiki+".publish")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(stage) // after a successful exchange it holds the old publication
	// Start from the files of other kinds that are published (hard links: nothing is
	// copied or changed), then add the new set: no file of an older set stays beside it.
	if entries, err := os.ReadDir(dest); err == nil {
		for _, e := range entries {
			if !e.Type().IsRegular() || published(o.Wiki, e.Name()) {
				continue
			}
			if err := os.Link(filepath.Join(dest, e.Name()), filepath.Join(stage, e.Name())); err != nil {
				if _, err := atomicfile.CopyFile(filepath.Join(stage, e.Name()), filepath.Join(dest, e.Name())); err != nil {
					return nil, err
				}
			}
		}
	} else if !errors.Is(err, fs.ErrNotExist) {
		return nil, err
	}
	for i, f := range files {
		if o.failAfter > 0 && i == o.failAfter {
			return nil, errors.New("publish: interrupted (test)")
		}
		if _, err := atomicfile.CopyFile(filepath.Join(stage, filepath.Base(f)), f); err != nil {
			return nil, fmt.Errorf("publish: %w", err)
		}
	}
	if _, err := atomicfile.WriteFile(filepath.Join(stage, "README"), []byte(readme)); err != nil {
		return nil, err
	}
	if err := atomicfile.SyncDir(stage); err != nil {
		return nil, err
	}
	if _, err := os.Stat(dest); err == nil {
		// One atomic step: the new publication takes the old one's place.
		if err := unix.Renameat2(unix.AT_FDCWD, stage, unix.AT_FDCWD, dest, unix.RENAME_EXCHANGE); err != nil {
			return nil, fmt.Errorf("publish: exchanging %s: %w", dest, err)
		}
	} else if err := os.Rename(stage, dest); err != nil {
		return nil, err
	}
	if err := atomicfile.SyncDir(o.Root); err != nil {
		return nil, err
	}
	if !contains(listed, o.Wiki) {
		if err := writeIndex(o.Root, append(listed, o.Wiki)); err != nil {
			return nil, err
		}
	}
	return plan, nil
}

// Unpublish removes from <root>/<wiki>/ the kinds of files Publish writes, keeps (and
// reports) any other file, removes the directory when it is then empty, and delists the
// wiki from wikis.txt. Unpublishing a wiki that is not published changes nothing.
func Unpublish(o Options) (plan []Change, kept []string, err error) {
	if err := o.Validate(); err != nil {
		return nil, nil, err
	}
	if o.Extended {
		o.Root = ExtendedRoot(o.Root)
	}
	if !o.DryRun {
		if _, err := os.Stat(o.Root); err == nil {
			unlock, err := lockRoot(o.Root)
			if err != nil {
				return nil, nil, err
			}
			defer unlock()
		}
	}
	dest := filepath.Join(o.Root, o.Wiki)
	entries, err := os.ReadDir(dest)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return nil, nil, err
	}
	for _, e := range entries {
		p := filepath.Join(dest, e.Name())
		if e.Type().IsRegular() && published(o.Wiki, e.Name()) {
			plan = append(plan, Change{"remove", p})
		} else {
			kept = append(kept, p)
		}
	}
	if len(entries) > 0 && len(kept) == 0 {
		plan = append(plan, Change{"remove", dest + string(filepath.Separator)})
	}
	listed, err := readIndex(o.Root)
	if err != nil {
		return nil, nil, err
	}
	if contains(listed, o.Wiki) {
		plan = append(plan, Change{"delist", filepath.Join(o.Root, IndexFile)})
	}
	if o.DryRun {
		return plan, kept, nil
	}
	for _, c := range plan {
		switch {
		case c.Action == "remove" && strings.HasSuffix(c.Path, string(filepath.Separator)):
			if err := os.Remove(dest); err != nil {
				return nil, nil, err
			}
		case c.Action == "remove":
			if err := os.Remove(c.Path); err != nil && !errors.Is(err, fs.ErrNotExist) {
				return nil, nil, err
			}
		}
	}
	if len(entries) > 0 {
		if err := atomicfile.SyncDir(o.Root); err != nil {
			return nil, nil, err
		}
	}
	if contains(listed, o.Wiki) {
		var rest []string
		for _, w := range listed {
			if w != o.Wiki {
				rest = append(rest, w)
			}
		}
		if err := writeIndex(o.Root, rest); err != nil {
			return nil, nil, err
		}
	}
	return plan, kept, nil
}

func sameContent(a, b string) (bool, error) {
	sb, err := os.Stat(b)
	if err != nil {
		return false, err
	}
	sa, err := os.Stat(a)
	if err != nil {
		return false, err
	}
	if sa.Size() != sb.Size() {
		return false, nil
	}
	ha, err := checksum.File(a)
	if err != nil {
		return false, err
	}
	hb, err := checksum.File(b)
	return ha == hb, err
}

// readIndex reads wikis.txt (missing: empty), dropping blank lines and duplicates.
func readIndex(root string) ([]string, error) {
	f, err := os.Open(filepath.Join(root, IndexFile))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var out []string
	seen := map[string]bool{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		w := strings.TrimSpace(sc.Text())
		if w != "" && !seen[w] {
			seen[w] = true
			out = append(out, w)
		}
	}
	return out, sc.Err()
}

// writeIndex rewrites wikis.txt atomically, one id per line.
func writeIndex(root string, wikis []string) error {
	var b strings.Builder
	for _, w := range wikis {
		b.WriteString(w + "\n")
	}
	_, err := atomicfile.WriteFile(filepath.Join(root, IndexFile), []byte(b.String()))
	return err
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// lockRoot takes an exclusive flock on the publish root directory itself (no file is
// added to the published tree), so that two publishes or unpublishes do not rewrite
// wikis.txt over each other. It waits for the holder: these are short operations.
func lockRoot(root string) (func(), error) {
	d, err := os.Open(root)
	if err != nil {
		return nil, fmt.Errorf("publish: %w", err)
	}
	if err := unix.Flock(int(d.Fd()), unix.LOCK_EX); err != nil {
		d.Close()
		return nil, fmt.Errorf("publish: lock %s: %w", root, err)
	}
	return func() { d.Close() }, nil
}
