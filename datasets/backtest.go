package datasets

import (
	"encoding/json"
	"math"
)

// BacktestRow is one line of the backtest's evaluation, at one threshold.
type BacktestRow struct {
	Threshold      float64 `json:"threshold"`
	N              int     `json:"n"`
	MicroPrecision float64 `json:"micro_precision"` // NaN when nothing was predicted
	MicroRecall    float64 `json:"micro_recall"`
	TruePositives  int     `json:"true_positives"`
	Predicted      int     `json:"predicted"`
	Gold           int     `json:"gold"`
	// The 95% bootstrap intervals (2.5th and 97.5th percentiles over resamples of the
	// sentences) of precision and recall; NaN when not computed or undefined.
	PrecisionLow  float64 `json:"precision_low"`
	PrecisionHigh float64 `json:"precision_high"`
	RecallLow     float64 `json:"recall_low"`
	RecallHigh    float64 `json:"recall_high"`
}

// backtestRowJSON is a BacktestRow as it is written: its NaN figures as null.
type backtestRowJSON struct {
	plainBacktestRow
	MicroPrecision *float64 `json:"micro_precision"`
	MicroRecall    *float64 `json:"micro_recall"`
	PrecisionLow   *float64 `json:"precision_low"`
	PrecisionHigh  *float64 `json:"precision_high"`
	RecallLow      *float64 `json:"recall_low"`
	RecallHigh     *float64 `json:"recall_high"`
}

// plainBacktestRow is BacktestRow without its JSON methods.
type plainBacktestRow BacktestRow

// MarshalJSON writes NaN as null.
func (r BacktestRow) MarshalJSON() ([]byte, error) {
	return json.Marshal(backtestRowJSON{plainBacktestRow: plainBacktestRow(r), MicroPrecision: NaNAsNull(r.MicroPrecision), MicroRecall: NaNAsNull(r.MicroRecall),
		PrecisionLow: NaNAsNull(r.PrecisionLow), PrecisionHigh: NaNAsNull(r.PrecisionHigh),
		RecallLow: NaNAsNull(r.RecallLow), RecallHigh: NaNAsNull(r.RecallHigh)})
}

// UnmarshalJSON reads null as NaN.
func (r *BacktestRow) UnmarshalJSON(b []byte) error {
	var v backtestRowJSON
	if err := json.Unmarshal(b, &v); err != nil {
		return err
	}
	*r = BacktestRow(v.plainBacktestRow)
	r.MicroPrecision, r.MicroRecall = NullAsNaN(v.MicroPrecision), NullAsNaN(v.MicroRecall)
	r.PrecisionLow, r.PrecisionHigh = NullAsNaN(v.PrecisionLow), NullAsNaN(v.PrecisionHigh)
	r.RecallLow, r.RecallHigh = NullAsNaN(v.RecallLow), NullAsNaN(v.RecallHigh)
	return nil
}

// NaNAsNull is v for a JSON field written as null when v is NaN (a nil pointer), as the
// summaries write figures that are undefined or not computed.
func NaNAsNull(v float64) *float64 {
	if math.IsNaN(v) {
		return nil
	}
	return &v
}

// NullAsNaN reads back what NaNAsNull made: NaN for null.
func NullAsNaN(p *float64) float64 {
	if p == nil {
		return math.NaN()
	}
	return *p
}

// BacktestSummary is what the backtest stage reports (<wiki>/backtest.summary.json),
// the file `addlink compare` reads.
type BacktestSummary struct {
	Rows []BacktestRow `json:"rows"`
	// Features are the model's inputs ("reference", "extended" or the names).
	Features string `json:"features"`
	// Candidates are the model's candidate rules (linker.CandidateRules), when not
	// the reference's.
	Candidates string `json:"candidates,omitempty"`
	// Sentences is the number of test sentences evaluated (with gold links).
	Sentences int `json:"sentences"`
	// Bootstrap and Seed describe the intervals' resampling.
	Bootstrap int    `json:"bootstrap"`
	Seed      uint64 `json:"seed"`
	// PRAUC is the area under the precision-recall curve through the thresholds'
	// points (PRAUC), with its 95% bootstrap interval.
	PRAUC     float64 `json:"pr_auc"`
	PRAUCLow  float64 `json:"pr_auc_low"`
	PRAUCHigh float64 `json:"pr_auc_high"`
	// BestF1 is the highest F1 over the thresholds, at BestF1Threshold.
	BestF1          float64 `json:"best_f1"`
	BestF1Threshold float64 `json:"best_f1_threshold"`
	Seconds         float64 `json:"seconds"`
}

// backtestSummaryJSON is a BacktestSummary as it is written: its NaN figures as null.
type backtestSummaryJSON struct {
	plainBacktestSummary
	PRAUC     *float64 `json:"pr_auc"`
	PRAUCLow  *float64 `json:"pr_auc_low"`
	PRAUCHigh *float64 `json:"pr_auc_high"`
	BestF1    *float64 `json:"best_f1"`
	BestF1Th  *float64 `json:"best_f1_threshold"`
}

// plainBacktestSummary is BacktestSummary without its JSON methods.
type plainBacktestSummary BacktestSummary

// MarshalJSON writes NaN as null.
func (s BacktestSummary) MarshalJSON() ([]byte, error) {
	return json.Marshal(backtestSummaryJSON{plainBacktestSummary(s), NaNAsNull(s.PRAUC), NaNAsNull(s.PRAUCLow), NaNAsNull(s.PRAUCHigh), NaNAsNull(s.BestF1), NaNAsNull(s.BestF1Threshold)})
}

// UnmarshalJSON reads null as NaN.
func (s *BacktestSummary) UnmarshalJSON(b []byte) error {
	var v backtestSummaryJSON
	if err := json.Unmarshal(b, &v); err != nil {
		return err
	}
	*s = BacktestSummary(v.plainBacktestSummary)
	s.PRAUC, s.PRAUCLow, s.PRAUCHigh, s.BestF1 = NullAsNaN(v.PRAUC), NullAsNaN(v.PRAUCLow), NullAsNaN(v.PRAUCHigh), NullAsNaN(v.BestF1)
	s.BestF1Threshold = NullAsNaN(v.BestF1Th)
	return nil
}
