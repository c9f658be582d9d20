// Package train is the model stage: it fits gradient-boosted trees (XGBoost's defaults)
// to the training rows, reports held-out ROC AUC and log loss, and writes the model in
// XGBoost's JSON format with a sha256 checksum file (REFERENCE.md "Stage 6").
package train

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/addlink/addlink/checksum"
	"github.com/addlink/addlink/datasets"
	"github.com/addlink/addlink/internal/atomicfile"
	"github.com/addlink/addlink/internal/gbdt"
	"github.com/addlink/addlink/internal/progress"
)

// Options configures the stage. Either Wiki (with DataDir) or TrainingFile and ModelOut.
type Options struct {
	Wiki         string
	DataDir      string
	TrainingFile string // default <data-dir>/<wiki>/training/link_train.csv
	ModelOut     string // default <data-dir>/<wiki>/<wiki>.linkmodel.json
	Holdout      float64
	HoldoutFile  string // evaluate on this file's rows instead of holding out a share
	Seed         uint64
	Params       gbdt.Params
}

// DefaultOptions has the reference's hold-out (33%, seed 7) and XGBoost's defaults.
func DefaultOptions() Options {
	return Options{Holdout: 0.33, Seed: 7, Params: gbdt.DefaultParams()}
}

// Validate fills the default paths and checks the options.
func (o *Options) Validate() error {
	if o.Wiki != "" {
		if err := datasets.CheckWikiID(o.Wiki); err != nil {
			return err
		}
		l := datasets.Layout{DataDir: o.DataDir, Wiki: o.Wiki}
		if o.TrainingFile == "" {
			o.TrainingFile = l.LinkTrain()
		}
		if o.ModelOut == "" {
			o.ModelOut = l.Model()
		}
	}
	if o.TrainingFile == "" || o.ModelOut == "" {
		return errors.New("train: give --wiki, or --training-file and --model-out")
	}
	if o.Holdout < 0 || o.Holdout >= 1 {
		return fmt.Errorf("train: --holdout %v must be in [0, 1)", o.Holdout)
	}
	return o.Params.Validate()
}

// Summary is what the stage reports.
type Summary struct {
	TrainingFile string  `json:"training_file"`
	Model        string  `json:"model"`
	Rows         int     `json:"rows"`
	Positives    int     `json:"positives"`
	TrainRows    int     `json:"train_rows"`
	HoldoutRows  int     `json:"holdout_rows"`
	AUC          float64 `json:"roc_auc"`  // NaN when undefined (JSON null)
	LogLoss      float64 `json:"log_loss"` // NaN when there is no hold-out
	SHA256       string  `json:"sha256"`
	Seconds      float64 `json:"seconds"`
}

// MarshalJSON writes NaN figures as null.
func (s Summary) MarshalJSON() ([]byte, error) {
	type plain Summary
	b, err := json.Marshal(struct {
		plain
		AUC     *float64 `json:"roc_auc"`
		LogLoss *float64 `json:"log_loss"`
	}{plain(s), nanToNil(s.AUC), nanToNil(s.LogLoss)})
	if err != nil {
		return nil, err
	}
	return b, nil
}

func nanToNil(f float64) *float64 {
	if math.IsNaN(f) {
		return nil
	}
	return &f
}

// Run trains the model and writes it with its checksum.
func Run(ctx context.Context, o Options, p progress.Reporter) (Summary, error) {
	start := time.Now()
	p = progress.OrNop(p)
	mat, err := datasets.ReadTrainingMatrix(o.TrainingFile, o.Params.Threads)
	if err != nil {
		return Summary{}, fmt.Errorf("train: %w", err)
	}
	if mat.Rows() == 0 {
		return Summary{}, fmt.Errorf("train: %s has no rows", o.TrainingFile)
	}
	nTrain := mat.Rows()
	if o.HoldoutFile != "" {
		held, err := datasets.ReadTrainingMatrix(o.HoldoutFile, o.Params.Threads)
		if err != nil {
			return Summary{}, fmt.Errorf("train: %w", err)
		}
		mat.X = append(mat.X, held.X...)
		mat.Y = append(mat.Y, held.Y...)
	}
	pos := 0
	for _, y := range mat.Y {
		if y == 1 {
			pos++
		}
	}
	all, err := gbdt.NewDatasetRowMajor(mat.X, mat.Y, len(datasets.FeatureNames))
	if err != nil {
		return Summary{}, err
	}
	trainIdx, testIdx := gbdt.Split(all.N, o.Holdout, o.Seed)
	if o.HoldoutFile != "" {
		trainIdx, testIdx = trainIdx[:0], testIdx[:0]
		for i := 0; i < all.N; i++ {
			if i < nTrain {
				trainIdx = append(trainIdx, i)
			} else {
				testIdx = append(testIdx, i)
			}
		}
	}
	if len(trainIdx) == 0 {
		return Summary{}, fmt.Errorf("train: no rows left to train on (%d rows, hold-out %v)", all.N, o.Holdout)
	}
	m, err := gbdt.Train(ctx, all.Subset(trainIdx), o.Params, p)
	if err != nil {
		return Summary{}, err
	}
	m.FeatureName = nil
	m.Attributes = map[string]string{"scikit_learn": strings.Replace(sklearnMeta, "%d", strconv.Itoa(o.Params.Rounds), 1)}
	s := Summary{TrainingFile: o.TrainingFile, Model: o.ModelOut, Rows: all.N, Positives: pos,
		TrainRows: len(trainIdx), HoldoutRows: len(testIdx), AUC: math.NaN(), LogLoss: math.NaN()}
	if len(testIdx) > 0 {
		held := all.Subset(testIdx)
		pred := m.PredictDataset(held, o.Params.Threads)
		probs := make([]float64, len(pred))
		for i, v := range pred {
			probs[i] = float64(v)
		}
		s.AUC = gbdt.AUC(probs, held.Y)
		s.LogLoss = gbdt.LogLoss(probs, held.Y)
	}
	var buf bytes.Buffer
	if err := m.WriteJSON(&buf); err != nil {
		return Summary{}, err
	}
	if s.SHA256, err = atomicfile.WriteFile(o.ModelOut, buf.Bytes()); err != nil {
		return Summary{}, err
	}
	if err := checksum.WriteSidecar(o.ModelOut, s.SHA256); err != nil {
		return Summary{}, err
	}
	s.Seconds = time.Since(start).Seconds()
	if o.Wiki != "" {
		b, err := json.MarshalIndent(s, "", "  ")
		if err != nil {
			return s, err
		}
		l := datasets.Layout{DataDir: o.DataDir, Wiki: o.Wiki}
		if _, err := atomicfile.WriteFile(filepath.Clean(l.Summary("train")), append(b, '\n')); err != nil {
			return s, err
		}
	}
	return s, nil
}

// sklearnMeta is the "scikit_learn" attribute XGBoost 1.7.4 saves for a default
// XGBClassifier, so that XGBClassifier().load_model restores a classifier.
const sklearnMeta = `{"use_label_encoder": null, "n_estimators": %d, "objective": "binary:logistic", "max_depth": null, "max_leaves": null, "max_bin": null, "grow_policy": null, "learning_rate": null, "verbosity": null, "booster": null, "tree_method": "hist", "gamma": null, "min_child_weight": null, "max_delta_step": null, "subsample": null, "sampling_method": null, "colsample_bytree": null, "colsample_bylevel": null, "colsample_bynode": null, "reg_alpha": null, "reg_lambda": null, "scale_pos_weight": null, "base_score": null, "missing": NaN, "num_parallel_tree": null, "random_state": null, "n_jobs": null, "monotone_constraints": null, "interaction_constraints": null, "importance_type": null, "gpu_id": null, "validate_parameters": null, "predictor": null, "enable_categorical": false, "feature_types": null, "max_cat_to_onehot": null, "max_cat_threshold": null, "eval_metric": null, "early_stopping_rounds": null, "callbacks": null, "classes_": [0, 1], "n_classes_": 2, "_estimator_type": "classifier"}`
