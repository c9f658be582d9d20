#!/usr/bin/env bash
# Model training against XGBoost, in one run: a synthetic training set (ROWS, default
# 300000, with missing values) split 67/33; `addlink train` as a whole process (2
# threads) and XGBoost 1.7.4's XGBClassifier(tree_method="hist", n_jobs=2) fit alone,
# both trained on the same rows and scored on the same held-out rows. Prints both AUCs
# and the time ratio (ours / XGBoost's fit). Needs Debian's python3-xgboost and
# python3-sklearn.
set -euo pipefail
cd "$(dirname "$0")/.."
rows=${ROWS:-300000}
out=${BENCH_DIR:-bench/out}
mkdir -p "$out"
go build -trimpath -o bin/addlink ./cmd/addlink
go run ./bench/gentrain -n "$rows" -out "$out/train-all.csv"
split=$((rows * 67 / 100))
head -n "$split" "$out/train-all.csv" > "$out/train.csv"
tail -n +"$((split + 1))" "$out/train-all.csv" > "$out/test.csv"

runs=${RUNS:-3}
ours=() xgbs=()
for i in $(seq "$runs"); do
  start=$(date +%s.%N)
  bin/addlink -q --threads 2 train --training-file "$out/train.csv" --holdout-file "$out/test.csv" \
    --model-out "$out/model.json" 2> "$out/ours.txt"
  ours+=("$(echo "$(date +%s.%N) - $start" | bc -l)")
  auc_ours=$(grep -o 'ROC AUC=[0-9.]*' "$out/ours.txt" | cut -d= -f2)
  read -r xgb auc_xgb < <(/usr/bin/python3 - "$out/train.csv" "$out/test.csv" <<'PY'
import sys, time
import numpy as np, xgboost as xgb
from sklearn.metrics import roc_auc_score
def load(p):
    a = np.genfromtxt(p, delimiter="\t", dtype=str)
    x = a[:, 3:9].astype(np.float32)
    y = (a[:, 9] == "True").astype(int)
    return x, y
xtr, ytr = load(sys.argv[1]); xte, yte = load(sys.argv[2])
clf = xgb.XGBClassifier(tree_method="hist", n_jobs=2)
t = time.perf_counter(); clf.fit(xtr, ytr); fit = time.perf_counter() - t
print("%.3f %.4f" % (fit, roc_auc_score(yte, clf.predict_proba(xte)[:, 1])))
PY
)
  xgbs+=("$xgb")
done
median() { printf '%s\n' "$@" | sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
o=$(median "${ours[@]}") x=$(median "${xgbs[@]}")
printf 'rows %d (train %d, held out %d); medians of %d alternating runs (run on a quiet machine)\n' "$rows" "$split" "$((rows - split))" "$runs"
printf '%-34s %8s %8s\n' "" "seconds" "AUC"
printf '%-34s %8.2f %8s\n' "addlink train (whole process)" "$o" "$auc_ours"
printf '%-34s %8.2f %8s\n' "XGBoost 1.7.4 hist fit alone" "$x" "$auc_xgb"
printf 'time ratio ours/XGBoost: %.2f\n' "$(echo "$o / $x" | bc -l)"
