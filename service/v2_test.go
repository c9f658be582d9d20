package service

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/addlink/addlink/datasets"
	"github.com/addlink/addlink/internal/linker"
	"github.com/addlink/addlink/internal/testfixtures"
)

// v2Script trains a 7-input XGBClassifier on a tab-separated training file (the
// reference's link_train columns plus the wiki column, then the label) and saves it
// as JSON ("train IN MODEL"), or prints predict_proba's second column for rows of
// seven inputs ("predict MODEL IN"), as the reference's utils_v2 calls it.
const v2Script = `
import sys
import numpy as np
import xgboost
if sys.argv[1] == "train":
    X, y = [], []
    for line in open(sys.argv[2], encoding="utf-8"):
        f = line.rstrip("\n").split("\t")
        X.append([float(v) for v in f[3:10]])
        y.append(1 if f[10] == "True" else 0)
    m = xgboost.XGBClassifier(n_estimators=40, max_depth=4, n_jobs=1)
    m.fit(np.array(X), np.array(y))
    assert m.get_booster().num_features() == 7
    m.save_model(sys.argv[3])
else:
    m = xgboost.XGBClassifier()
    m.load_model(sys.argv[2])
    X = [[float(v) for v in line.split("\t")] for line in open(sys.argv[3]) if line.strip()]
    for p in m.predict_proba(np.array(X))[:, 1]:
        print(repr(float(p)))
`

func runV2Script(t *testing.T, dir string, args ...string) []string {
	t.Helper()
	script := filepath.Join(dir, "v2.py")
	if err := os.WriteFile(script, []byte(v2Script), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(testfixtures.Python(t, "xgboost", "numpy"), append([]string{script}, args...)...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("%v: %v\n%s", args, err, stderr.String())
	}
	return strings.Fields(string(out))
}

// trainV2Model trains a v2 model with Debian's XGBoost on the reference's elwikivoyage
// training rows with a seventh column: a wiki number 0, 1 or 2 that depends on the
// label and the row, so that the trees split on it and feeding anything but 0 at
// serving would change the scores.
func trainV2Model(t *testing.T, dir string) string {
	t.Helper()
	rows := testfixtures.Path(t, "reference/elwikivoyage/link_train.tsv")
	f, err := os.Open(rows)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var b bytes.Buffer
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	i := 0
	for sc.Scan() {
		fields := strings.Split(sc.Text(), "\t")
		if len(fields) != 10 {
			t.Fatalf("%s: line %d has %d fields", rows, i+1, len(fields))
		}
		wiki := i % 3
		if fields[9] == "True" && i%4 != 0 {
			wiki = 0
		}
		fmt.Fprintf(&b, "%s\t%d\t%s\n", strings.Join(fields[:9], "\t"), wiki, fields[9])
		i++
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	if i < 1000 {
		t.Fatalf("%s: only %d rows", rows, i)
	}
	train := filepath.Join(dir, "link_train_v2.tsv")
	if err := os.WriteFile(train, b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	model := filepath.Join(dir, "v2.linkmodel.json")
	runV2Script(t, dir, "train", train, model)
	return model
}

// v2DataDir returns a data directory with the reference's elwikivoyage export, its
// datasets also as Parquet, and model as the wiki's model (copied, not linked).
func v2DataDir(t *testing.T, model string) datasets.Layout {
	t.Helper()
	src := exportDir(t)
	l := datasets.Layout{DataDir: t.TempDir(), Wiki: "elwikivoyage"}
	if err := os.MkdirAll(l.Dir(), 0o755); err != nil {
		t.Fatal(err)
	}
	ents, err := os.ReadDir(src)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range ents {
		if strings.HasSuffix(e.Name(), ".linkmodel.json") {
			continue
		}
		if err := os.Symlink(filepath.Join(src, e.Name()), filepath.Join(l.Dir(), e.Name())); err != nil {
			t.Fatal(err)
		}
	}
	b, err := os.ReadFile(model)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(l.Model(), b, 0o644); err != nil {
		t.Fatal(err)
	}
	var rows datasets.Rows
	for _, name := range datasets.DatasetNames {
		err := datasets.ReadSqliteDict(filepath.Join(src, "elwikivoyage."+name+".sqlite"), func(key string, value []byte) error {
			return rows.Add(name, key, value)
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	for _, w := range []func() error{
		func() error { _, err := datasets.WriteParquet(l.Anchors(), rows.Anchors); return err },
		func() error { _, err := datasets.WriteParquet(l.PageIDs(), rows.PageIDs); return err },
		func() error { _, err := datasets.WriteParquet(l.Redirects(), rows.Redirects); return err },
		func() error { _, err := datasets.WriteParquet(l.Embeddings(), rows.Vectors); return err },
	} {
		if err := w(); err != nil {
			t.Fatal(err)
		}
	}
	return l
}

// TestV2ModelServed is the acceptance test of v2 serving: a 7-input model trained by
// Debian's XGBoost is served by every backend (sqlite, parquet, auto, mysql); each
// recommended link's score equals XGBoost's predict_proba (within 1e-6) on the inputs
// linker.ModelInputs computes for it, the seventh being 0; every backend gives the
// same answers; the log line and /metrics name the model's version.
func TestV2ModelServed(t *testing.T) {
	work := t.TempDir()
	model := trainV2Model(t, work)
	l := v2DataDir(t, model)
	pages := elPages(t, 40)

	type served struct {
		backend string
		bodies  [][]byte
	}
	var all []served
	var rows bytes.Buffer
	var scores []float64
	var where []string
	ask := func(name string, b Backend) {
		t.Helper()
		logBuf := &lockedBuffer{}
		_, ts := newTestServer(t, Options{Backend: b, Logger: jsonLogger(logBuf)})
		w, err := b.Wiki(context.Background(), "elwikivoyage")
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if w.ModelVersion != "v2" {
			t.Fatalf("%s: model version %q, want v2", name, w.ModelVersion)
		}
		s := served{backend: name}
		for _, p := range pages {
			a := do(t, "POST", ts.URL+recPath+"wikivoyage/el/"+url.PathEscape(p.Title)+"?threshold=0&max_recommendations=0",
				map[string]any{"wikitext": p.Text, "revid": p.RevID, "pageid": p.ID})
			if a.status != 200 {
				t.Fatalf("%s %s: %d %s", name, p.Title, a.status, a.body)
			}
			s.bodies = append(s.bodies, a.body)
			if len(all) > 0 {
				continue
			}
			var resp struct {
				PageTitle string                  `json:"page_title"`
				Links     []linker.Recommendation `json:"links"`
			}
			if err := json.Unmarshal(a.body, &resp); err != nil {
				t.Fatal(err)
			}
			for _, link := range resp.Links {
				x, ok := w.Dict.ModelInputs(linker.V2Features, resp.PageTitle, linker.NormalizeMention(link.LinkText, w.Dict.Lower), link.LinkTarget)
				if !ok {
					t.Fatalf("%s: %q -> %q is not a candidate", p.Title, link.LinkText, link.LinkTarget)
				}
				if len(x) != 7 || x[6] != 0 {
					t.Fatalf("inputs %v: want seven, the last 0", x)
				}
				for i, v := range x {
					if i > 0 {
						rows.WriteByte('\t')
					}
					rows.WriteString(strconv.FormatFloat(float64(v), 'g', -1, 32))
				}
				rows.WriteByte('\n')
				scores = append(scores, link.Score)
				where = append(where, p.Title+": "+link.LinkText+" -> "+link.LinkTarget)
			}
		}
		all = append(all, s)
		var line struct {
			ModelVersion string `json:"model_version"`
		}
		logs := logBuf.Bytes()
		first, _, _ := bytes.Cut(logs, []byte("\n"))
		for _, ln := range bytes.Split(logs, []byte("\n")) {
			if bytes.Contains(ln, []byte(`"links"`)) {
				first = ln
				break
			}
		}
		if err := json.Unmarshal(first, &line); err != nil || line.ModelVersion != "v2" {
			t.Errorf("%s: log line %s: model_version %q, want v2 (%v)", name, first, line.ModelVersion, err)
		}
		m := do(t, "GET", ts.URL+"/metrics", nil)
		if !bytes.Contains(m.body, []byte(`linkrecommendation_model_info{version="v2",wiki="elwikivoyage"} 1`)) {
			t.Errorf("%s: /metrics has no v2 model_info line", name)
		}
	}
	ask("sqlite", mustFileBackend(t, l.DataDir, linker.SQLite))
	ask("parquet", mustFileBackend(t, l.DataDir, linker.Parquet))
	ask("auto", mustFileBackend(t, l.DataDir, linker.Auto))
	if len(scores) < 50 {
		t.Fatalf("only %d links recommended at threshold 0", len(scores))
	}
	in := filepath.Join(work, "inputs.tsv")
	if err := os.WriteFile(in, rows.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	want := runV2Script(t, work, "predict", model, in)
	if len(want) != len(scores) {
		t.Fatalf("XGBoost gave %d probabilities for %d links", len(want), len(scores))
	}
	for i, s := range want {
		p, err := strconv.ParseFloat(s, 64)
		if err != nil {
			t.Fatal(err)
		}
		if math.Abs(p-scores[i]) > 1e-6 {
			t.Errorf("%s: served %v, predict_proba %v", where[i], scores[i], p)
		}
	}

	// MySQL: the same datasets and the v2 model in lr_model.
	if testing.Short() {
		t.Log("-short: mysql backend not run")
	} else {
		srv, db, _ := loadMariaDB(t, "elwikivoyage", exportDir(t))
		mb, err := os.ReadFile(model)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := db.Exec("UPDATE lr_model SET value = ? WHERE lookup = 'elwikivoyage'", mb); err != nil {
			t.Fatal(err)
		}
		env := map[string]string{"DB_HOST": "127.0.0.1", "DB_PORT": strconv.Itoa(srv.Port), "DB_USER": "root", "DB_DATABASE": "mwaddlink"}
		cfg, err := MySQLConfig(func(k string) string { return env[k] })
		if err != nil {
			t.Fatal(err)
		}
		b, err := NewMySQLBackend(context.Background(), cfg, 0, nil)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { b.Close() })
		ask("mysql", b)
	}
	for _, s := range all[1:] {
		for i := range pages {
			if !bytes.Equal(withoutChecksums(t, s.bodies[i]), withoutChecksums(t, all[0].bodies[i])) {
				t.Errorf("%s answers %s differently from %s:\n%s\n%s", s.backend, pages[i].Title, all[0].backend, s.bodies[i], all[0].bodies[i])
			}
		}
	}
}

// withoutChecksums returns a body's links, the part every backend must agree on
// (meta.dataset_checksums depends on the backend).
func withoutChecksums(t *testing.T, body []byte) []byte {
	var v struct {
		Links json.RawMessage `json:"links"`
	}
	if err := json.Unmarshal(body, &v); err != nil {
		t.Fatal(err)
	}
	return v.Links
}

// lockedBuffer is a bytes.Buffer written by the server's goroutines and read by the
// test.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

// Bytes returns a copy of what was written so far.
func (l *lockedBuffer) Bytes() []byte {
	l.mu.Lock()
	defer l.mu.Unlock()
	return bytes.Clone(l.b.Bytes())
}

// panicBackend panics on every wiki: a stand-in for a defect anywhere below the
// handler.
type panicBackend struct{}

func (panicBackend) Wiki(context.Context, string) (*Wiki, error) { panic("defect") }
func (panicBackend) Close() error                                { return nil }

// TestPanicIsJSON500: a panic below the handler is answered with the reference's JSON
// 500 body (not a dropped connection), logged with its value, and the server goes on
// answering.
func TestPanicIsJSON500(t *testing.T) {
	logs := &lockedBuffer{}
	_, ts := newTestServer(t, Options{Backend: panicBackend{}, Logger: jsonLogger(logs)})
	for i := 0; i < 2; i++ {
		a := do(t, "POST", ts.URL+recPath+"wikipedia/en/Foo", map[string]any{"wikitext": "x", "revid": 1, "pageid": 1})
		if a.status != 500 || a.header.Get("Content-Type") != "application/json" || !bytes.HasPrefix(a.body, []byte(`{"code": 500, "name": "Internal Server Error"`)) {
			t.Fatalf("%d %s %s", a.status, a.header.Get("Content-Type"), a.body)
		}
	}
	if !bytes.Contains(logs.Bytes(), []byte("service: panic: defect")) {
		t.Errorf("log has no panic: %s", logs.Bytes())
	}
}

// TestSharedModel: a wiki without a model of its own is served with a model file
// given for it (BackendOptions.Models), with its own datasets; without it, the wiki
// has no model (400).
func TestSharedModel(t *testing.T) {
	src := exportDir(t)
	dir := t.TempDir()
	wikiDir := filepath.Join(dir, "elwikivoyage")
	if err := os.MkdirAll(wikiDir, 0o755); err != nil {
		t.Fatal(err)
	}
	ents, err := os.ReadDir(src)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range ents {
		if !strings.HasSuffix(e.Name(), ".linkmodel.json") {
			if err := os.Symlink(filepath.Join(src, e.Name()), filepath.Join(wikiDir, e.Name())); err != nil {
				t.Fatal(err)
			}
		}
	}
	shared := filepath.Join(t.TempDir(), "multi.linkmodel.json")
	if err := os.Symlink(filepath.Join(src, "elwikivoyage.linkmodel.json"), shared); err != nil {
		t.Fatal(err)
	}
	body := map[string]any{"wikitext": elPages(t, 1)[0].Text, "revid": 1, "pageid": 1}
	for _, c := range []struct {
		models map[string]string
		status int
	}{{nil, 400}, {map[string]string{"elwikivoyage": shared}, 200}} {
		b, err := OpenBackend(context.Background(), BackendOptions{Kind: BackendSQLite, DataDir: dir, Models: c.models})
		if err != nil {
			t.Fatal(err)
		}
		_, ts := newTestServer(t, Options{Backend: b})
		a := do(t, "POST", ts.URL+recPath+"wikivoyage/el/Test", body)
		if a.status != c.status {
			t.Errorf("models %v: %d %s, want %d", c.models, a.status, a.body, c.status)
		}
	}
	if _, err := OpenBackend(context.Background(), BackendOptions{Kind: BackendSQLite, DataDir: dir, Models: map[string]string{"elwikivoyage": dir + "/none.json"}}); err == nil {
		t.Error("a missing model file was accepted")
	}
	if _, err := OpenBackend(context.Background(), BackendOptions{Kind: BackendMySQL, Models: map[string]string{"elwikivoyage": shared}}); err == nil {
		t.Error("a model file with the mysql backend was accepted")
	}
}
