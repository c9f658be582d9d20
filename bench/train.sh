#!/usr/bin/env bash
# Benchmark of `addlink train` against XGBoost 1.7.4 (Debian's python3-xgboost) on a
# synthetic training set with missing values (ROWS rows, default 300,000): both train on
# the same 67% of the rows with 2 threads and are evaluated on the same 33%. Prints both
# held-out AUCs and the time ratio: our whole process / XGBoost's fit alone (medians of
# RUNS alternating runs, default 3, and fastest runs). Run it on a quiet machine: on a
# loaded one both sides swing widely (XGBoost's OpenMP threads worst).
# Ours runs with --refit=false: like XGBoost here, it trains once, on the 67%.
set -euo pipefail
cd "$(dirname "$0")/.."

rows=${ROWS:-300000}
runs=${RUNS:-3}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

go build -o "$work/addlink" ./cmd/addlink
go run ./bench/gensynth -rows "$rows" -seed 1 >"$work/link_train.csv"
echo "synthetic set: $rows rows, $(du -h "$work/link_train.csv" | cut -f1)"

ours=() theirs=()
for i in $(seq "$runs"); do
  start=$(date +%s.%N)
  "$work/addlink" --threads 2 --quiet train --training-file "$work/link_train.csv" \
    --model-out "$work/model.json" --holdout 0.33 --refit=false >"$work/ours.txt"
  end=$(date +%s.%N)
  ours+=("$(echo "$end - $start" | bc -l)")
  /usr/bin/python3 bench/xgb_baseline.py "$work/link_train.csv" 0.33 7 >"$work/theirs.txt"
  theirs+=("$(awk '/^fit_seconds/ {print $2}' "$work/theirs.txt")")
done

median() { printf '%s\n' "$@" | sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
fastest() { printf '%s\n' "$@" | sort -g | head -1; }
t_ours=$(median "${ours[@]}")
t_theirs=$(median "${theirs[@]}")
b_ours=$(fastest "${ours[@]}")
b_theirs=$(fastest "${theirs[@]}")
auc_ours=$(sed -n 's/^ROC AUC=//p' "$work/ours.txt")
auc_theirs=$(awk '/^auc/ {print $2}' "$work/theirs.txt")
printf 'addlink train (whole process): AUC %s  %.2f s  runs: %s\n' "$auc_ours" "$t_ours" "${ours[*]}"
printf 'XGBoost 1.7.4 hist fit alone:  AUC %s  %.2f s  runs: %s\n' "$auc_theirs" "$t_theirs" "${theirs[*]}"
printf 'AUC difference: %.5f\n' "$(echo "$auc_ours - $auc_theirs" | bc -l)"
printf 'time ratio (ours / XGBoost fit): %.2f (medians), %.2f (fastest runs)\n' \
  "$(echo "$t_ours / $t_theirs" | bc -l)" "$(echo "$b_ours / $b_theirs" | bc -l)"
