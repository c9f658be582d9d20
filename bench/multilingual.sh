#!/usr/bin/env bash
# One multilingual (v2) model for the four fixture wikis (elwikivoyage, ukwiki, jawiki,
# viwiki) against each wiki's own model, and zero-shot: a model trained on three of them
# backtested on the fourth. Runs the pipeline for each wiki up to its backtest first
# (skipped when current), then `addlink multilingual` with each setting compared
# (--wiki-feature zero|codes, --balance 1|0.5|0) and prints each summary table; the
# zero-shot lines are `addlink backtest --wiki W --model` of the three-wiki model.
#   DATA_DIR=/tmp/ml bench/multilingual.sh
set -euo pipefail
cd "$(dirname "$0")/.."
fixtures=${FIXTURES:-../shared/fixtures}
data=${DATA_DIR:-bench/out/multilingual}
bin=$(mktemp -d)/addlink
go build -trimpath -o "$bin" ./cmd/addlink
wikis=(elwikivoyage ukwiki jawiki viwiki)
for w in "${wikis[@]}"; do
  dump=$(ls "$fixtures"/dumps/"$w"/*pages-articles*.xml.bz2 | head -1)
  "$bin" -q --threads 2 --data-dir "$data" run --wiki "$w" --dump "$dump" --to backtest
done
all=$(IFS=,; echo "${wikis[*]}")
for feature in zero codes; do
  for balance in 1 0.5 0; do
    echo "== --wiki-feature $feature --balance $balance"
    "$bin" --data-dir "$data" multilingual --wikis "$all" --name "ml_${feature}_${balance/./}" \
      --wiki-feature "$feature" --balance "$balance" 2>/dev/null
  done
done
echo "== zero-shot (default settings): trained on the other three, precision and recall at 0.5, best F1"
for w in "${wikis[@]}"; do
  others=$(printf '%s\n' "${wikis[@]}" | grep -vx "$w" | paste -sd,)
  "$bin" -q --data-dir "$data" multilingual --wikis "$others" --name "zs_$w" >/dev/null
  "$bin" --data-dir "$data" backtest --wiki "$w" --model "$data/zs_$w/zs_$w.linkmodel.json" 2>/dev/null |
    awk -v w="$w" '$1 == "0.5" { p = $3 " " $4 $5; r = $6 " " $7 $8 } /best F1/ { sub(/.*best F1 /, ""); f = $1 }
      END { printf "%-14s precision %s  recall %s  best F1 %s\n", w, p, r, f }'
done
