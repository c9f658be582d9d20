package review

import (
	"bytes"
	"context"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/addlink/addlink/datasets"
	"github.com/addlink/addlink/pipeline/train"
)

// Weakly labelled rows and their effect on the golden set from the dumps' own links:
// the golden set is 40 articles (seed 1) with their links removed, judged from those
// links; the weak rows are the label model's labels of the suggestions on up to 150
// other articles (seed 2, as they are, pages of the golden set left out); the wiki's
// model is trained again from its own rows without and with the weak ones
// (train.Options.AddRows), and both are measured by Evaluate on the golden set. The
// test checks the rows and the bookkeeping; the figures are logged (go test ./review
// -run TestWeakRows -v), whichever way they go.
func TestWeakRowsOnGoldenSet(t *testing.T) {
	if testing.Short() {
		t.Skip("short")
	}
	for _, wiki := range []string{"ukwiki", "viwiki"} {
		t.Run(wiki, func(t *testing.T) {
			ctx := context.Background()
			gold := newStore(t)
			_, dir, dumpFile := importFromLinks(t, gold, wiki)
			goldItems, err := gold.Items(ctx, wiki)
			if err != nil {
				t.Fatal(err)
			}
			goldPages := map[int64]bool{}
			for _, it := range goldItems {
				goldPages[it.PageID] = true
			}

			weak := newStore(t)
			if _, err := Import(ctx, weak, ImportOptions{Wiki: wiki, DataDir: dir, Dumps: []string{dumpFile}, Pages: 150, Seed: 2, Threshold: DefaultThreshold}, nil); err != nil {
				t.Fatal(err)
			}
			items, err := weak.Items(ctx, wiki)
			if err != nil {
				t.Fatal(err)
			}
			// The pages also in the golden set get a judgment, which keeps them out.
			excluded := map[int64]bool{}
			for _, it := range items {
				if goldPages[it.PageID] && !excluded[it.PageID] {
					excluded[it.PageID] = true
					if _, _, err := weak.Judge(ctx, Judgment{ItemID: it.ID, Reviewer: "test", Label: Skip, RequestID: fmt.Sprintf("x-%d", it.ID)}, time.Unix(0, 0)); err != nil {
						t.Fatal(err)
					}
				}
			}
			out := filepath.Join(t.TempDir(), "weak.csv")
			ws, err := WriteWeakRows(ctx, weak, WeakOptions{Wiki: wiki, DataDir: dir, Out: out})
			if err != nil {
				t.Fatal(err)
			}
			if ws.JudgedPages != len(excluded) || ws.Rows == 0 || ws.Positives == 0 || ws.Positives == ws.Rows {
				t.Fatalf("weak rows %+v, %d pages excluded", ws, len(excluded))
			}
			data, err := os.ReadFile(out)
			if err != nil {
				t.Fatal(err)
			}
			lines := strings.Split(strings.TrimSuffix(string(data), "\n"), "\n")
			if len(lines) != ws.Rows || bytes.Count(data, []byte("\tTrue\n")) != ws.Positives {
				t.Fatalf("%d lines, %d True; summary %+v", len(lines), bytes.Count(data, []byte("\tTrue\n")), ws)
			}

			l := datasets.Layout{DataDir: dir, Wiki: wiki}
			models := map[string]string{}
			var added train.Summary
			for _, with := range []bool{false, true} {
				o := train.DefaultOptions()
				o.TrainingFile = l.LinkTrain()
				o.ModelOut = filepath.Join(t.TempDir(), fmt.Sprintf("model-%v.json", with))
				o.Params.Threads = 2
				if with {
					o.AddRows = []string{out}
				}
				s, err := train.Run(ctx, o, nil)
				if err != nil {
					t.Fatal(err)
				}
				models[fmt.Sprint(with)] = o.ModelOut
				if with {
					added = s
				}
			}
			if added.AddedRows != ws.Rows || added.AddedPositives != ws.Positives {
				t.Fatalf("train added %d rows (%d positive), want %d (%d)", added.AddedRows, added.AddedPositives, ws.Rows, ws.Positives)
			}
			base, err := Evaluate(ctx, gold, EvalOptions{Wiki: wiki, DataDir: dir, Model: models["false"], Bootstrap: 200}, nil)
			if err != nil {
				t.Fatal(err)
			}
			with, err := Evaluate(ctx, gold, EvalOptions{Wiki: wiki, DataDir: dir, Model: models["true"], Bootstrap: 200}, nil)
			if err != nil {
				t.Fatal(err)
			}
			if base.ModelChecksum == with.ModelChecksum || base.Golden != with.Golden || base.Golden != len(goldItems) {
				t.Fatalf("models %.12s and %.12s on %d and %d golden items (want %d)", base.ModelChecksum, with.ModelChecksum, base.Golden, with.Golden, len(goldItems))
			}
			var b strings.Builder
			fmt.Fprintf(&b, "%s: %d weak rows (%d accepted) from %d items, %d pages left out, added to %d training rows; golden set %d items (%d accepted)\n",
				wiki, ws.Rows, ws.Positives, ws.Items, ws.JudgedPages, added.Rows, base.Golden, base.Accepted)
			fmt.Fprintf(&b, "threshold  P/R/F1 without  P/R/F1 with weak rows\n")
			for i := range base.Rows {
				a, c := base.Rows[i], with.Rows[i]
				fmt.Fprintf(&b, "%.1f  %.3f/%.3f/%.3f  %.3f/%.3f/%.3f\n", a.Threshold, a.Precision, a.Recall, a.F1, c.Precision, c.Recall, c.F1)
				if math.IsNaN(a.Recall) || math.IsNaN(c.Recall) {
					t.Errorf("recall undefined at %.1f", a.Threshold)
				}
			}
			t.Log(b.String())
		})
	}
}
