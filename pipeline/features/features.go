// Package features is the stage that turns the training sentences into training rows
// (docs/reference.md "Stage 5"): for every mention in a sentence that is an anchor, one row
// per candidate target with the six features computed by internal/linker and a label
// saying whether the sentence links the mention to that target. It writes
// training/link_train.csv in the reference's format (tab-separated, no header, label
// True/False) and the same rows as training/link_train.parquet.
package features

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"runtime"
	"sync"
	"time"

	"github.com/addlink/addlink/atomicfile"
	"github.com/addlink/addlink/datasets"
	"github.com/addlink/addlink/internal/linker"
	"github.com/addlink/addlink/internal/progress"
)

// Options configures the stage.
type Options struct {
	Wiki     string
	DataDir  string
	Threads  int
	Training linker.TrainingOptions
	// Features, when it has features beyond the reference's six, also writes
	// training/link_train_extended.csv with every feature of the set (link_train.csv
	// and its Parquet copy are unchanged). Nil means the reference's.
	Features linker.FeatureSet
}

// Summary is what the stage reports.
type Summary struct {
	Sentences int `json:"sentences"`
	Rows      int `json:"rows"`
	Positive  int `json:"positive"`
	Negative  int `json:"negative"`
	// Features are the columns of link_train_extended.csv, when it was written.
	Features []string `json:"features,omitempty"`
	// Candidates are the candidate rules of the rows (linker.CandidateRules), when
	// not the reference's; Extra counts the rows of the mentions they add, which
	// only link_train_extended.csv holds.
	Candidates string  `json:"candidates,omitempty"`
	Extra      int     `json:"extra_rows,omitempty"`
	Seconds    float64 `json:"seconds"`
}

// Run reads the training sentences and the dictionaries and writes the rows.
func Run(ctx context.Context, o Options, p progress.Reporter) (Summary, error) {
	start := time.Now()
	p = progress.OrNop(p)
	if err := datasets.CheckWikiID(o.Wiki); err != nil {
		return Summary{}, err
	}
	l := datasets.Layout{DataDir: o.DataDir, Wiki: o.Wiki}
	sents, err := datasets.ReadSentences(l.SentencesTrain())
	if err != nil {
		return Summary{}, fmt.Errorf("features: %w (run the sentences stage first)", err)
	}
	p.Phase("features: loading dictionaries", 0, "")
	d, err := linker.LoadDict(l, true)
	if err != nil {
		return Summary{}, fmt.Errorf("features: %w", err)
	}
	if o.Features.Extended() {
		if err := d.LoadExtended(l, o.Features); err != nil {
			return Summary{}, fmt.Errorf("features: %w", err)
		}
		o.Training.Features = o.Features
	}
	if o.Training.DropLinkedElsewhere && d.Graph == nil {
		if err := d.LoadExtended(l, linker.FeatureSet{linker.FeatureRelatedness}); err != nil {
			return Summary{}, fmt.Errorf("features: dropping rows linked elsewhere: %w", err)
		}
	}
	p.Phase("features: sentences", int64(len(sents)), "sentences")
	rows, err := Rows(ctx, d, sents, o.Training, o.Threads, p)
	if err != nil {
		return Summary{}, err
	}
	s := Summary{Sentences: len(sents), Rows: len(rows)}
	for _, r := range rows {
		if r.Label {
			s.Positive++
		} else {
			s.Negative++
		}
	}
	// The reference's files hold the reference's rows: those of the mentions the
	// candidate rules add go only to link_train_extended.csv.
	refRows := rows
	if !o.Training.Candidates.IsReference() {
		refRows = make([]linker.Row, 0, len(rows))
		for _, r := range rows {
			if r.Extra {
				s.Extra++
			} else {
				refRows = append(refRows, r)
			}
		}
		s.Candidates = o.Training.Candidates.String()
	}
	if err := WriteCSV(l.LinkTrain(), refRows); err != nil {
		return s, err
	}
	if _, err := datasets.WriteParquet(l.LinkTrainParquet(), ParquetRows(refRows)); err != nil {
		return s, err
	}
	if o.Features.Extended() || !o.Training.Candidates.IsReference() {
		set := o.Features
		if set == nil {
			set = linker.ReferenceFeatures
		}
		if err := WriteExtendedCSV(l.LinkTrainExtended(), rows, set); err != nil {
			return s, err
		}
		s.Features = set.Names()
	}
	s.Seconds = time.Since(start).Seconds()
	if err := datasets.WriteSummary(l, "features", s); err != nil {
		return s, err
	}
	progress.End(p) // the last phase's line before the summary
	p.Note(fmt.Sprintf("features: %d sentences, %d rows (%d positive, %d negative) in %.2fs",
		s.Sentences, s.Rows, s.Positive, s.Negative, s.Seconds))
	return s, nil
}

// Rows computes the rows of all sentences in parallel, in sentence order.
func Rows(ctx context.Context, d *linker.Dict, sents []datasets.Sentence, o linker.TrainingOptions, threads int, p progress.Reporter) ([]linker.Row, error) {
	p = progress.OrNop(p)
	if threads <= 0 {
		threads = runtime.GOMAXPROCS(0)
	}
	per := make([][]linker.Row, len(sents))
	var next int64
	var mu sync.Mutex
	var wg sync.WaitGroup
	for w := 0; w < threads; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				mu.Lock()
				i := next
				next++
				mu.Unlock()
				if int(i) >= len(sents) || ctx.Err() != nil {
					return
				}
				per[i] = d.TrainingRows(sents[i].Title, sents[i].Text, o)
				p.Add(1)
			}
		}()
	}
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	n := 0
	for _, r := range per {
		n += len(r)
	}
	rows := make([]linker.Row, 0, n)
	for _, r := range per {
		rows = append(rows, r...)
	}
	return rows, nil
}

// FormatRow writes a row in the reference's link_train.csv format (linker.FormatRow).
func FormatRow(b []byte, r linker.Row, haveVectors bool) []byte {
	return linker.FormatRow(b, r, haveVectors)
}

// WriteCSV writes rows to path atomically.
func WriteCSV(path string, rows []linker.Row) error {
	if err := os.MkdirAll(dirOf(path), 0o755); err != nil {
		return err
	}
	f, err := atomicfile.Create(path)
	if err != nil {
		return err
	}
	w := bufio.NewWriterSize(f, 1<<16)
	var b []byte
	for _, r := range rows {
		b = FormatRow(b[:0], r, r.W2V != 0)
		w.Write(b)
	}
	if err := w.Flush(); err != nil {
		f.Abort()
		return err
	}
	return f.Commit()
}

// WriteExtendedCSV writes rows with the features of set to path atomically:
// tab-separated under a header line "page mention target <feature names> label",
// floats as Python's repr, a missing value as nan, the label True/False.
func WriteExtendedCSV(path string, rows []linker.Row, set linker.FeatureSet) error {
	if err := os.MkdirAll(dirOf(path), 0o755); err != nil {
		return err
	}
	f, err := atomicfile.Create(path)
	if err != nil {
		return err
	}
	w := bufio.NewWriterSize(f, 1<<16)
	w.WriteString("page\tmention\ttarget")
	for _, n := range set.Names() {
		w.WriteString("\t" + n)
	}
	w.WriteString("\tlabel\n")
	var b []byte
	for _, r := range rows {
		b = append(b[:0], r.Page...)
		b = append(b, '\t')
		b = append(b, r.Mention...)
		b = append(b, '\t')
		b = append(b, r.Target...)
		for _, x := range set {
			b = append(b, '\t')
			b = append(b, datasets.PyFloat(float64(r.Features.Value(x)), 32)...)
		}
		if r.Label {
			b = append(b, "\tTrue\n"...)
		} else {
			b = append(b, "\tFalse\n"...)
		}
		w.Write(b)
	}
	if err := w.Flush(); err != nil {
		f.Abort()
		return err
	}
	return f.Commit()
}

func dirOf(path string) string {
	for i := len(path) - 1; i >= 0; i-- {
		if path[i] == '/' {
			return path[:i]
		}
	}
	return "."
}

// ParquetRows converts rows to the Parquet row type.
func ParquetRows(rows []linker.Row) []datasets.TrainingRow {
	out := make([]datasets.TrainingRow, len(rows))
	for i, r := range rows {
		out[i] = datasets.TrainingRow{Page: r.Page, Mention: r.Mention, Target: r.Target,
			NGram: int64(r.NGram), Freq: r.Freq, Ambig: int64(r.Ambig), Kurtosis: r.Kurtosis,
			W2V: r.W2V, Jaro: r.Jaro, Label: r.Label}
	}
	return out
}
