#!/usr/bin/env bash
# Thompson sampling against epsilon-greedy, UCB1 and fixed thresholds on simulated wikis
# (addlink learn simulate): REQUESTS (10000) requests, mean over SEEDS (20) seeds, for each
# wiki of WIKIS. A wiki's acceptance by score comes from its backtest precision curve:
# <DATA_DIR>/<wiki>/testing/<wiki>.backtest.eval.csv when DATA_DIR is set and has it, else
# the reference pipeline's curve in the fixtures (FIXTURES/reference/<wiki>/backtest.eval.csv).
# Prints one markdown table per wiki (the README's).
set -euo pipefail
cd "$(dirname "$0")/.."
fixtures=${FIXTURES:-../shared/fixtures}
wikis=${WIKIS:-elwikivoyage ukwiki viwiki jawiki}
go build -trimpath -o bin/addlink ./cmd/addlink
for wiki in $wikis; do
  curve="$fixtures/reference/$wiki/backtest.eval.csv"
  if [ -n "${DATA_DIR:-}" ] && [ -f "$DATA_DIR/$wiki/testing/$wiki.backtest.eval.csv" ]; then
    curve="$DATA_DIR/$wiki/testing/$wiki.backtest.eval.csv"
  fi
  echo "### $wiki ($curve)"
  echo
  bin/addlink learn simulate --wiki "$wiki" --curve "$curve" --requests "${REQUESTS:-10000}" --seeds "${SEEDS:-20}" ||
    echo "(no simulation: see the error above)"
  echo
done
