package main

import (
	"os"
	"path/filepath"
	"testing"
)

// TestMultilingualUsage: bad input to multilingual, and a model of another number of
// inputs given to backtest --model, are usage errors (status 2) that write nothing.
func TestMultilingualUsage(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "eight.json")
	// An XGBoost JSON model with eight inputs and no feature names.
	model := `{"learner":{"attributes":{},"feature_names":[],"feature_types":[],"gradient_booster":{"model":{"gbtree_model_param":{"num_parallel_tree":"1","num_trees":"1","size_leaf_vector":"0"},"tree_info":[0],"trees":[{"base_weights":[0.1],"categories":[],"categories_nodes":[],"categories_segments":[],"categories_sizes":[],"default_left":[0],"id":0,"left_children":[-1],"loss_changes":[0],"parents":[2147483647],"right_children":[-1],"split_conditions":[0.1],"split_indices":[0],"split_type":[0],"sum_hessian":[1],"tree_param":{"num_deleted":"0","num_feature":"8","num_nodes":"1","size_leaf_vector":"0"}}]},"name":"gbtree"},"learner_model_param":{"base_score":"5E-1","boost_from_average":"1","num_class":"0","num_feature":"8","num_target":"1"},"objective":{"name":"binary:logistic","reg_loss_param":{"scale_pos_weight":"1"}}},"version":[1,7,4]}`
	if err := os.WriteFile(bad, []byte(model), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{
		{"multilingual", "--wikis", "aawiki", "--name", "multi"},
		{"multilingual", "--wikis", "aawiki,bbwiki"},
		{"multilingual", "--wikis", "aawiki,bbwiki", "--name", "multi"},
		{"multilingual", "--wikis", "aawiki,bbwiki", "--name", "multi", "--balance", "3"},
		{"multilingual", "--wikis", "aawiki,bbwiki", "--name", "multi", "--min-precision", "2"},
		{"backtest", "--wiki", "aawiki", "--model", bad},
		{"backtest", "--wiki", "aawiki", "--out", dir},
	} {
		out, code := runApp(t, append([]string{"--quiet", "--data-dir", dir}, args...)...)
		if code != exitUsage {
			t.Errorf("%v: exit %d, want %d: %s", args, code, exitUsage, out)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "multi")); err == nil {
		t.Error("multilingual wrote its directory on bad input")
	}
}
