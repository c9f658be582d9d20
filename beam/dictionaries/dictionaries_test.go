package dictionaries

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"regexp"
	"strings"
	"testing"

	"github.com/apache/beam/sdks/v2/go/pkg/beam"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/testing/ptest"

	"github.com/addlink/addlink/datasets"
	"github.com/addlink/addlink/internal/dump"
	"github.com/addlink/addlink/internal/synth"
	"github.com/addlink/addlink/internal/testfixtures"
	stage "github.com/addlink/addlink/pipeline/dictionaries"
)

func TestMain(m *testing.M) {
	slog.SetLogLoggerLevel(slog.LevelWarn) // Prism logs each job at level INFO
	ptest.MainWithDefault(m, "prism")
}

// onPtest runs pipelines with ptest's runner (Prism in process unless --runner says
// otherwise).
func onPtest(_ context.Context, p *beam.Pipeline) (beam.PipelineResult, error) {
	return ptest.RunWithMetrics(p)
}

// datasetFiles are the files compared byte for byte.
func datasetFiles(l datasets.Layout) []string {
	return []string{l.Anchors(), l.AnchorsUnfiltered(), l.AnchorStats(), l.PageIDs(), l.Redirects()}
}

// TestMatchesSingleMachine runs the pipeline on Prism over the elwikivoyage fixture as one
// file, as its six part files and as a multistream file split by its index, and
// compares its datasets byte for byte with those of `addlink dictionaries` (the
// single-machine stage) on the same files.
func TestMatchesSingleMachine(t *testing.T) {
	const el = "dumps/elwikivoyage/"
	const ms = el + "multistream/pages-articles-p2566p2583.multistream"
	parts := []string{"p1p358", "p359p1020", "p1021p1365", "p1366p1589", "p1590p2034", "p2035p2689"}
	partFiles := func(t *testing.T) []string {
		var fs []string
		for _, p := range parts {
			fs = append(fs, testfixtures.Path(t, el+"shards/pages-articles.xml-"+p+".bz2"))
		}
		return fs
	}
	for _, c := range []struct {
		name       string
		dumps      func(t *testing.T) []string // the single machine's and the pipeline's input
		index      string                      // the multistream index, given to the pipeline only
		splits     int                         // the splits the pipeline reads; -1: several
		splitBytes int64
		shards     int
	}{
		{"whole file", func(t *testing.T) []string {
			return []string{testfixtures.Path(t, el+"elwikivoyage-pages-articles.xml.bz2")}
		}, "", 1, 0, 4},
		{"six part files", partFiles, "", 6, 0, 3},
		// Wikimedia's multistream output (17 pages): one split per stream (the header
		// stream alone, the footer with the last page stream), or two.
		{"multistream by its index", fixture(ms + ".xml.bz2"), ms + "-index.xml.bz2", 5, 1, 1},
		{"multistream without header", fixture(ms + "-noheader.xml.bz2"), ms + "-index-noheader.xml.bz2", 5, 1, 2},
		{"multistream in two splits", fixture(ms + ".xml.bz2"), ms + "-index.xml.bz2", 2, 5000, 5},
		// The whole elwikivoyage dump as a multistream file of 100 pages per stream
		// (made with bzip2(1) as Wikimedia makes them) and its index, in splits of at
		// least 256 kB (several; their number depends on bzip2's output).
		{"whole file as multistream", func(t *testing.T) []string {
			return []string{makeMultistream(t, testfixtures.Path(t, el+"elwikivoyage-pages-articles.xml.bz2"), 100)}
		}, "", -1, 256 << 10, 4},
	} {
		t.Run(c.name, func(t *testing.T) {
			dumps := c.dumps(t)
			ctx := context.Background()
			single := datasets.Layout{DataDir: t.TempDir(), Wiki: "elwikivoyage"}
			so := stage.Options{Wiki: single.Wiki, DataDir: single.DataDir, Dumps: dumps, Threads: 2}
			if err := so.Validate(); err != nil {
				t.Fatal(err)
			}
			want, err := stage.Run(ctx, so, nil)
			if err != nil {
				t.Fatal(err)
			}

			bm := datasets.Layout{DataDir: t.TempDir(), Wiki: "elwikivoyage"}
			in := dumps
			switch {
			case c.index != "":
				in = append([]string{testfixtures.Path(t, c.index)}, dumps...)
			case strings.HasSuffix(dumps[0], "-multistream.xml.bz2"):
				in = append(in, strings.TrimSuffix(dumps[0], ".xml.bz2")+"-index.txt.bz2")
			}
			o := Options{Wiki: bm.Wiki, DataDir: bm.DataDir, Dumps: in, Shards: c.shards, SplitBytes: c.splitBytes, Threads: 2}
			if err := o.Validate(); err != nil {
				t.Fatal(err)
			}
			splits, err := Splits(ctx, o.Dumps, o.SplitBytes)
			if err != nil {
				t.Fatal(err)
			}
			if len(splits) != c.splits && (c.splits >= 0 || len(splits) < 2) {
				t.Fatalf("%d splits, want %d: %v", len(splits), c.splits, splits)
			}
			got, err := Run(ctx, o, onPtest, nil)
			if err != nil {
				t.Fatal(err)
			}

			for i, f := range datasetFiles(bm) {
				a, err := os.ReadFile(datasetFiles(single)[i])
				if err != nil {
					t.Fatal(err)
				}
				b, err := os.ReadFile(f)
				if err != nil {
					t.Fatal(err)
				}
				if !bytes.Equal(a, b) {
					t.Errorf("%s differs from the single machine's (%d and %d bytes)", filepath.Base(f), len(b), len(a))
				}
			}
			if want.Articles == 0 || want.Articles > 100 && want.AnchorTargetPairs == 0 {
				t.Fatalf("the single machine found nothing: %+v", want)
			}
			// The summary: the same counts (not the same time or compressed bytes: the
			// splits read their byte ranges).
			want.Dumps, got.Dumps = nil, nil
			want.Seconds, got.Seconds, want.XMLMBPerSecond, got.XMLMBPerSecond = 0, 0, 0, 0
			want.CompressedBytes, got.CompressedBytes = 0, 0
			if !reflect.DeepEqual(got, want) {
				t.Errorf("summary\n got %+v\nwant %+v", got, want)
			}
			// Nothing of the run is left beside the datasets.
			entries, err := os.ReadDir(bm.Dir())
			if err != nil {
				t.Fatal(err)
			}
			for _, e := range entries {
				if e.Name()[0] == '.' {
					t.Errorf("left behind: %s", e.Name())
				}
			}
		})
	}
}

func fixture(rel string) func(t *testing.T) []string {
	return func(t *testing.T) []string { return []string{testfixtures.Path(t, rel)} }
}

// makeMultistream writes, in a temporary directory, the dump src as Wikimedia's
// multistream files: <wiki>-pages-articles-multistream.xml.bz2, its header, every
// perStream pages and its footer compressed by bzip2(1) as separate streams, and its
// index (-index.txt.bz2, lines offset:pageid:title).
func makeMultistream(t *testing.T, src string, perStream int) string {
	t.Helper()
	var bzip2 string
	testfixtures.Require(t, "bzip2(1), to make a multistream dump", func() (err error) {
		bzip2, err = exec.LookPath("bzip2")
		return err
	})
	r, err := dump.OpenCompressed(context.Background(), src, 2)
	if err != nil {
		t.Fatal(err)
	}
	xml, err := io.ReadAll(r)
	r.Close()
	if err != nil {
		t.Fatal(err)
	}
	compress := func(b []byte) []byte {
		cmd := exec.Command(bzip2, "-c")
		cmd.Stdin = bytes.NewReader(b)
		out, err := cmd.Output()
		if err != nil {
			t.Fatal(err)
		}
		return out
	}
	lineStart := func(i int) int { return bytes.LastIndexByte(xml[:i], '\n') + 1 }
	first := bytes.Index(xml, []byte("<page>"))
	if first < 0 {
		t.Fatalf("%s: no page", src)
	}
	var file, index bytes.Buffer
	file.Write(compress(xml[:lineStart(first)]))
	rest := xml[lineStart(first):]
	idRe, titleRe := regexp.MustCompile(`<id>(\d+)</id>`), regexp.MustCompile(`<title>([^<]*)</title>`)
	for len(rest) > 0 && bytes.Contains(rest, []byte("<page>")) {
		end, n := 0, 0
		for n < perStream {
			j := bytes.Index(rest[end:], []byte("</page>"))
			if j < 0 {
				break
			}
			end += j + len("</page>\n")
			n++
		}
		stream := rest[:end]
		for _, pg := range bytes.SplitAfter(stream, []byte("</page>\n")) {
			if id, title := idRe.FindSubmatch(pg), titleRe.FindSubmatch(pg); id != nil && title != nil {
				fmt.Fprintf(&index, "%d:%s:%s\n", file.Len(), id[1], title[1])
			}
		}
		file.Write(compress(stream))
		rest = rest[end:]
	}
	file.Write(compress(rest))
	dir := t.TempDir()
	name := filepath.Join(dir, "elwikivoyage-20260101-pages-articles-multistream.xml.bz2")
	if err := os.WriteFile(name, file.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(strings.TrimSuffix(name, ".xml.bz2")+"-index.txt.bz2", compress(index.Bytes()), 0o644); err != nil {
		t.Fatal(err)
	}
	return name
}

// Issue 27, item 14: a dry run (Dataflow's --dry_run: the runner builds and validates
// the job and returns no result) stops there: no shard is merged, nothing is written,
// not even the data directory, and the caller is told it was a dry run.
func TestDryRunStopsAfterTheJob(t *testing.T) {
	dump := filepath.Join(t.TempDir(), "xxwiki-20260101-pages-articles.xml")
	if err := synth.WriteFile(dump, synth.Options{Wiki: "xxwiki", Articles: 20, Seed: 1}); err != nil {
		t.Fatal(err)
	}
	data := filepath.Join(t.TempDir(), "data")
	o := Options{Wiki: "xxwiki", DataDir: data, Dumps: []string{dump}, TempLocation: "gs://no-such-bucket/tmp", DryRun: true}
	if err := o.Validate(); err != nil {
		t.Fatal(err)
	}
	built := false
	dryRun := func(_ context.Context, p *beam.Pipeline) (beam.PipelineResult, error) {
		if _, _, err := p.Build(); err != nil {
			return nil, err
		}
		built = true
		return nil, nil // what the Dataflow runner returns with --dry_run
	}
	_, err := Run(context.Background(), o, dryRun, nil)
	if !errors.Is(err, ErrDryRun) || !built {
		t.Fatalf("Run: %v (built %v); want ErrDryRun after building the job", err, built)
	}
	if _, err := os.Stat(data); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("a dry run wrote %s: %v", data, err)
	}
}
