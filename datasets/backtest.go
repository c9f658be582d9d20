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

// MarshalJSON writes NaN as null.
func (r BacktestRow) MarshalJSON() ([]byte, error) {
	type plain BacktestRow
	p := struct {
		plain
		MicroPrecision *float64 `json:"micro_precision"`
		MicroRecall    *float64 `json:"micro_recall"`
		PrecisionLow   *float64 `json:"precision_low"`
		PrecisionHigh  *float64 `json:"precision_high"`
		RecallLow      *float64 `json:"recall_low"`
		RecallHigh     *float64 `json:"recall_high"`
	}{plain: plain(r), MicroPrecision: nullNaN(r.MicroPrecision), MicroRecall: nullNaN(r.MicroRecall),
		PrecisionLow: nullNaN(r.PrecisionLow), PrecisionHigh: nullNaN(r.PrecisionHigh),
		RecallLow: nullNaN(r.RecallLow), RecallHigh: nullNaN(r.RecallHigh)}
	return json.Marshal(p)
}

func nullNaN(v float64) *float64 {
	if math.IsNaN(v) {
		return nil
	}
	return &v
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

// MarshalJSON writes NaN as null.
func (s BacktestSummary) MarshalJSON() ([]byte, error) {
	type plain BacktestSummary
	return json.Marshal(struct {
		plain
		PRAUC     *float64 `json:"pr_auc"`
		PRAUCLow  *float64 `json:"pr_auc_low"`
		PRAUCHigh *float64 `json:"pr_auc_high"`
		BestF1    *float64 `json:"best_f1"`
		BestF1Th  *float64 `json:"best_f1_threshold"`
	}{plain(s), nullNaN(s.PRAUC), nullNaN(s.PRAUCLow), nullNaN(s.PRAUCHigh), nullNaN(s.BestF1), nullNaN(s.BestF1Threshold)})
}

// UnmarshalJSON reads null as NaN.
func (s *BacktestSummary) UnmarshalJSON(b []byte) error {
	type plain BacktestSummary
	var v struct {
		plain
		PRAUC     *float64 `json:"pr_auc"`
		PRAUCLow  *float64 `json:"pr_auc_low"`
		PRAUCHigh *float64 `json:"pr_auc_high"`
		BestF1    *float64 `json:"best_f1"`
		BestF1Th  *float64 `json:"best_f1_threshold"`
	}
	if err := json.Unmarshal(b, &v); err != nil {
		return err
	}
	*s = BacktestSummary(v.plain)
	s.PRAUC, s.PRAUCLow, s.PRAUCHigh, s.BestF1 = nanNull(v.PRAUC), nanNull(v.PRAUCLow), nanNull(v.PRAUCHigh), nanNull(v.BestF1)
	s.BestF1Threshold = nanNull(v.BestF1Th)
	return nil
}

// UnmarshalJSON reads null as NaN.
func (r *BacktestRow) UnmarshalJSON(b []byte) error {
	type plain BacktestRow
	var v struct {
		plain
		MicroPrecision *float64 `json:"micro_precision"`
		MicroRecall    *float64 `json:"micro_recall"`
		PrecisionLow   *float64 `json:"precision_low"`
		PrecisionHigh  *float64 `json:"precision_high"`
		RecallLow      *float64 `json:"recall_low"`
		RecallHigh     *float64 `json:"recall_high"`
	}
	if err := json.Unmarshal(b, &v); err != nil {
		return err
	}
	*r = BacktestRow(v.plain)
	r.MicroPrecision, r.MicroRecall = nanNull(v.MicroPrecision), nanNull(v.MicroRecall)
	r.PrecisionLow, r.PrecisionHigh = nanNull(v.PrecisionLow), nanNull(v.PrecisionHigh)
	r.RecallLow, r.RecallHigh = nanNull(v.RecallLow), nanNull(v.RecallHigh)
	return nil
}

func nanNull(p *float64) float64 {
	if p == nil {
		return math.NaN()
	}
	return *p
}
