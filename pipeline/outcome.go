package pipeline

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"math"
	"os"
	"strings"
)

// Outcome is what a run ends with: how good the model is. Fields are nil when the
// stage that measures them has not run (or could not measure: one class held out,
// nothing predicted).
type Outcome struct {
	ROCAUC    *float64 // on the rows train held out
	Threshold float64  // of the backtest row below
	N         int      // test sentences of the backtest
	Precision *float64 // micro precision at Threshold
	Recall    *float64 // micro recall at Threshold
}

// OutcomeThreshold is the threshold whose backtest row a run reports, the service's
// default.
const OutcomeThreshold = 0.5

// ReadOutcome reads the outcome of the wiki's last training and backtest from their
// summaries. A missing summary leaves its fields nil; an unreadable one is an error.
func ReadOutcome(cfg *Config) (Outcome, error) {
	o := Outcome{Threshold: OutcomeThreshold}
	var tr struct {
		ROCAUC *float64 `json:"roc_auc"`
	}
	if ok, err := readJSON(cfg.Layout().Summary("train"), &tr); err != nil {
		return o, err
	} else if ok {
		o.ROCAUC = tr.ROCAUC
	}
	var bt struct {
		Rows []struct {
			Threshold      float64  `json:"threshold"`
			N              int      `json:"n"`
			MicroPrecision *float64 `json:"micro_precision"`
			MicroRecall    *float64 `json:"micro_recall"`
		} `json:"rows"`
	}
	if ok, err := readJSON(cfg.Layout().Summary("backtest"), &bt); err != nil {
		return o, err
	} else if ok {
		for _, r := range bt.Rows {
			if math.Abs(r.Threshold-OutcomeThreshold) < 1e-9 {
				o.N, o.Precision, o.Recall = r.N, r.MicroPrecision, r.MicroRecall
			}
		}
	}
	return o, nil
}

func readJSON(path string, v any) (bool, error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	if err := json.Unmarshal(b, v); err != nil {
		return false, fmt.Errorf("%s: %w", path, err)
	}
	return true, nil
}

// String is the run's last line: "held-out AUC 0.909; backtest at 0.5: precision
// 0.989, recall 0.885 (200 test sentences)".
func (o Outcome) String() string {
	f := func(v *float64) string {
		if v == nil {
			return "undefined"
		}
		return fmt.Sprintf("%.3f", *v)
	}
	var parts []string
	if o.ROCAUC != nil {
		parts = append(parts, "held-out AUC "+f(o.ROCAUC))
	} else {
		parts = append(parts, "no held-out AUC")
	}
	if o.N > 0 || o.Precision != nil || o.Recall != nil {
		parts = append(parts, fmt.Sprintf("backtest at %.1f: precision %s, recall %s (%d test sentences)",
			o.Threshold, f(o.Precision), f(o.Recall), o.N))
	} else {
		parts = append(parts, "no backtest")
	}
	return strings.Join(parts, "; ")
}
