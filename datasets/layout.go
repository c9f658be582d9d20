package datasets

import (
	"fmt"
	"path/filepath"
	"regexp"
	"strings"
)

var wikiIDPattern = regexp.MustCompile(`^[a-z][a-z0-9_]*$`)

// CheckWikiID returns an error unless id is a wiki database name such as "cswiki" or
// "elwikivoyage": a lower-case letter followed by lower-case letters, digits and '_'.
// This keeps ids safe to use in paths and table names.
func CheckWikiID(id string) error {
	if !wikiIDPattern.MatchString(id) {
		return fmt.Errorf("invalid wiki id %q: want a database name like cswiki (^[a-z][a-z0-9_]*$)", id)
	}
	return nil
}

// SampleWiki is the wiki id of the built-in sample wiki (internal/synth generates its
// dump): its datasets are made from generated text, so it is never published.
const SampleWiki = "samplewiki"

// Language returns the language code of a wiki database name: the name without its
// project suffix, underscores as hyphens ("azwiki" az, "zh_min_nanwiki" zh-min-nan,
// "elwikivoyage" el).
func Language(wiki string) string {
	for _, suffix := range []string{"wikivoyage", "wiktionary", "wikibooks", "wikinews", "wikiquote", "wikisource", "wikiversity", "wiki"} {
		if strings.HasSuffix(wiki, suffix) && len(wiki) > len(suffix) {
			return strings.ReplaceAll(strings.TrimSuffix(wiki, suffix), "_", "-")
		}
	}
	return wiki
}

// Layout names the artifacts of one wiki under the data root: <DataDir>/<Wiki>/...
// The names are those of the reference pipeline where it has them.
type Layout struct {
	DataDir string
	Wiki    string
}

// LayoutOf returns the layout whose Dir is dir, a directory of one wiki's files (a
// published directory, or <data-dir>/<wiki>): dir must be named after the wiki.
func LayoutOf(dir, wiki string) (Layout, error) {
	dir = filepath.Clean(dir)
	if filepath.Base(dir) != wiki {
		return Layout{}, fmt.Errorf("%s: the directory must be named after the wiki (%s)", dir, wiki)
	}
	return Layout{DataDir: filepath.Dir(dir), Wiki: wiki}, nil
}

// Dir is <data-dir>/<wiki>.
func (l Layout) Dir() string { return filepath.Join(l.DataDir, l.Wiki) }

// File is <data-dir>/<wiki>/<wiki>.<suffix>, e.g. File("anchors.parquet").
func (l Layout) File(suffix string) string {
	return filepath.Join(l.Dir(), l.Wiki+"."+suffix)
}

// Anchors is the (filtered, when the filter stage ran) anchor dictionary.
func (l Layout) Anchors() string { return l.File("anchors.parquet") }

// AnchorsUnfiltered is the anchor dictionary before the Wikidata filter.
func (l Layout) AnchorsUnfiltered() string { return l.File("anchors_unfiltered.parquet") }

// AnchorStats is the per-anchor link-probability table.
func (l Layout) AnchorStats() string { return l.File("anchors_stats.parquet") }

// PageIDs is the title -> page id table.
func (l Layout) PageIDs() string { return l.File("pageids.parquet") }

// Redirects is the redirect table.
func (l Layout) Redirects() string { return l.File("redirects.parquet") }

// Embeddings is the entity-embedding table.
func (l Layout) Embeddings() string { return l.File("w2vfiltered.parquet") }

// LinkGraph is <wiki>.linkgraph.parquet, the articles' links between articles.
func (l Layout) LinkGraph() string { return l.File("linkgraph.parquet") }

// LinkTrainExtended is training/link_train_extended.csv: the training rows with every
// feature the linker computes, under a header line.
func (l Layout) LinkTrainExtended() string {
	return filepath.Join(l.TrainingDir(), "link_train_extended.csv")
}

// WDProperties is the page -> P31 values table.
func (l Layout) WDProperties() string { return l.File("wdproperties.parquet") }

// Model is the XGBoost JSON model.
func (l Layout) Model() string { return filepath.Join(l.Dir(), ModelName(l.Wiki)) }

// TrainingDir is <data-dir>/<wiki>/training.
func (l Layout) TrainingDir() string { return filepath.Join(l.Dir(), "training") }

// TestingDir is <data-dir>/<wiki>/testing.
func (l Layout) TestingDir() string { return filepath.Join(l.Dir(), "testing") }

// SentencesTrain is training/sentences_train.csv.
func (l Layout) SentencesTrain() string {
	return filepath.Join(l.TrainingDir(), "sentences_train.csv")
}

// SentencesTest is testing/sentences_test.csv.
func (l Layout) SentencesTest() string { return filepath.Join(l.TestingDir(), "sentences_test.csv") }

// LinkTrain is training/link_train.csv.
func (l Layout) LinkTrain() string { return filepath.Join(l.TrainingDir(), "link_train.csv") }

// LinkTrainParquet is training/link_train.parquet, the same rows as LinkTrain.
func (l Layout) LinkTrainParquet() string {
	return filepath.Join(l.TrainingDir(), "link_train.parquet")
}

// BacktestEval is testing/<wiki>.backtest.eval.csv.
func (l Layout) BacktestEval() string {
	return filepath.Join(l.TestingDir(), l.Wiki+".backtest.eval.csv")
}

// BacktestPlot is testing/<wiki>.backtest.svg.
func (l Layout) BacktestPlot() string {
	return filepath.Join(l.TestingDir(), l.Wiki+".backtest.svg")
}

// ArticlesCache is cache/articles.s2: the dump's articles, kept by the dictionaries
// stage for the stages that read the dump after it.
func (l Layout) ArticlesCache() string { return filepath.Join(l.Dir(), "cache", "articles.s2") }

// Summary is the JSON summary a stage writes: <data-dir>/<wiki>/<stage>.summary.json.
func (l Layout) Summary(stage string) string {
	return filepath.Join(l.Dir(), stage+".summary.json")
}

// ExportDir is the directory that holds the export stage's files, <data-dir>/<wiki>/export:
// the sqlitedict datasets (<wiki>.<name>.sqlite, .sqlite.gz, .sqlite.checksum), the
// MySQL dumps (lr_<wiki>_<name>.sql.gz and .checksum), the model and its checksum, and
// the set file (ExportSetName) that lists them with the inputs they were made from.
// It is a symbolic link to export-<id>/, which the export stage replaces as a whole:
// a reader sees the previous set or the new one, never a mix. Readers of exported
// files (publish, serve, load) find them through ExportedSQLite, ExportedSQLDump and
// ExportedModel, never by building paths themselves.
func (l Layout) ExportDir() string { return filepath.Join(l.Dir(), "export") }

// ExportedSQLite is the exported sqlitedict file of a dataset ("anchors", "pageids",
// "redirects", "w2vfiltered"); the export set holds it gzipped (+".gz") and its
// sidecar (+checksum.Ext), which names the .gz.
func (l Layout) ExportedSQLite(name string) string {
	return filepath.Join(l.ExportDir(), SQLiteName(l.Wiki, name))
}

// ExportedSQLDump is the exported MySQL dump of a dataset, lr_<wiki>_<name>.sql.gz.
func (l Layout) ExportedSQLDump(name string) string {
	return filepath.Join(l.ExportDir(), SQLDumpName(l.Wiki, name))
}

// ExportedModel is the model as exported and published, <wiki>.linkmodel.json: the
// copy in the export set, which the train stage does not touch.
func (l Layout) ExportedModel() string { return filepath.Join(l.ExportDir(), ModelName(l.Wiki)) }

// A published directory, <publish root>/<wiki>/ (Layout{DataDir: root, Wiki: wiki}),
// holds the export set's files under the same names, each beside its sidecar: the
// reference's data/<wiki>/ layout, which the service and the loader also read.

// PublishedSQLite is a dataset's sqlitedict file in a published directory (published
// gzipped, +".gz").
func (l Layout) PublishedSQLite(name string) string {
	return filepath.Join(l.Dir(), SQLiteName(l.Wiki, name))
}

// PublishedSQLDump is a dataset's MySQL dump in a published directory.
func (l Layout) PublishedSQLDump(name string) string {
	return filepath.Join(l.Dir(), SQLDumpName(l.Wiki, name))
}

// PublishedModel is the model in a published directory; it is also where the train
// stage writes it in a data directory (Model).
func (l Layout) PublishedModel() string { return filepath.Join(l.Dir(), ModelName(l.Wiki)) }

// ExportedServeIndex is the serving index in the export set (OpenServeIndex), with its
// sidecar (+checksum.Ext). Publish leaves it out; serve maps it.
func (l Layout) ExportedServeIndex() string {
	return filepath.Join(l.ExportDir(), ServeIndexName(l.Wiki))
}

// PublishedServeIndex is a serving index beside the files of a published directory,
// which serve maps when an operator puts one there.
func (l Layout) PublishedServeIndex() string {
	return filepath.Join(l.Dir(), ServeIndexName(l.Wiki))
}

// ServeIndexName is the bare name of a wiki's serving index, <wiki>.serve.idx.
func ServeIndexName(wiki string) string { return wiki + ".serve.idx" }

// ServeIndexSourcePath is the file beside a serving index built into a cache
// directory that identifies what it was built from (<index>.source).
func ServeIndexSourcePath(index string) string { return index + ".source" }

// ModelName is the bare name of a wiki's exported and published model,
// <wiki>.linkmodel.json.
func ModelName(wiki string) string { return wiki + ".linkmodel.json" }

// SQLiteName is the bare name of a dataset's sqlitedict file, <wiki>.<name>.sqlite.
func SQLiteName(wiki, name string) string { return wiki + "." + name + ".sqlite" }

// SQLDumpName is the bare name of a dataset's MySQL dump, lr_<wiki>_<name>.sql.gz.
func SQLDumpName(wiki, name string) string { return SQLTable(wiki, name) + ".sql.gz" }

// PublishedName is the bare name of the published file the loader reads for a
// dataset: the model's for "model", the MySQL dump's otherwise. Its sidecar is the
// name + checksum.Ext.
func PublishedName(wiki, dataset string) string {
	if dataset == "model" {
		return ModelName(wiki)
	}
	return SQLDumpName(wiki, dataset)
}

// V2DirName is the directory, in a multilingual model's directory, that holds the
// model's export sets for the v2 layout: <data-dir>/<name>/v2/<wiki>/export.
const V2DirName = "v2"

// Multilingual names the files of a multilingual (v2) model under the data root: its
// directory <DataDir>/<Name>/, beside the wikis' directories, and the export sets that
// publish the model with each wiki's datasets in the v2 layout.
type Multilingual struct {
	DataDir string
	Name    string
}

// Dir is <data-dir>/<name>.
func (m Multilingual) Dir() string { return filepath.Join(m.DataDir, m.Name) }

// Model is the model, <data-dir>/<name>/<name>.linkmodel.json.
func (m Multilingual) Model() string { return filepath.Join(m.Dir(), ModelName(m.Name)) }

// Export is the layout whose ExportDir holds the export set of wiki with this model,
// <data-dir>/<name>/v2/<wiki>/export: the wiki's datasets (from <data-dir>/<wiki>/)
// and the model as <wiki>.linkmodel.json, the files a published v2 directory holds.
func (m Multilingual) Export(wiki string) Layout {
	return Layout{DataDir: filepath.Join(m.Dir(), V2DirName), Wiki: wiki}
}

// Data is the layout of wiki's own directory, whose datasets the export reads.
func (m Multilingual) Data(wiki string) Layout { return Layout{DataDir: m.DataDir, Wiki: wiki} }

// ExportInputs lists the files the export of wiki with this model is made from,
// whether they exist or not: the wiki's anchors, page ids, redirects and embeddings
// tables and the multilingual model.
func (m Multilingual) ExportInputs(wiki string) []string {
	out := ExportInputs(m.Data(wiki))
	return append(out[:len(out)-1], m.Model())
}

// MultilingualOf returns the model whose export directory for a wiki is wikiDir
// (<data-dir>/<name>/v2/<wiki>, Export(wiki).Dir()), and that wiki.
func MultilingualOf(wikiDir string) (Multilingual, string, error) {
	v2 := filepath.Dir(wikiDir)
	if filepath.Base(v2) != V2DirName {
		return Multilingual{}, "", fmt.Errorf("%s is not the export directory of a multilingual model (<data-dir>/<name>/%s/<wiki>)", wikiDir, V2DirName)
	}
	dir := filepath.Dir(v2)
	return Multilingual{DataDir: filepath.Dir(dir), Name: filepath.Base(dir)}, filepath.Base(wikiDir), nil
}
