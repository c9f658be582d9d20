#!/usr/bin/env bash
# Thompson sampling against epsilon-greedy, UCB1 and fixed thresholds on simulated wikis
# (addlink learn simulate): REQUESTS (10000) requests, mean over SEEDS (20) seeds, for each
# wiki of WIKIS. Regret is against the best fixed threshold, an oracle (regret 0).
# A wiki's acceptance by score comes from a backtest precision curve:
#  - CURVES=reference (default): the reference pipeline's curve in the fixtures
#    (FIXTURES/reference/<wiki>/backtest.eval.csv); where it has no precision at any
#    threshold (jawiki: the reference predicts no link there), our pipeline's backtest of
#    the same fixture dump instead;
#  - CURVES=pipeline: our pipeline's backtest for every wiki.
# Our pipeline runs `addlink run --to backtest` on FIXTURES/dumps/<wiki>/*pages-articles*.xml.bz2
# into BENCH_DIR/bandit-data (bench/out by default; a rerun redoes only stale stages).
# SPREAD (0) makes simulated pages and readers differ against the bandit's model
# (addlink learn simulate --spread). Prints which curve each wiki used, then one markdown
# table per wiki (the README's).
set -euo pipefail
cd "$(dirname "$0")/.."
fixtures=${FIXTURES:-../shared/fixtures}
out=${BENCH_DIR:-bench/out}
curves=${CURVES:-reference}
wikis=${WIKIS:-elwikivoyage jawiki ukwiki viwiki}
case $curves in reference|pipeline) ;; *) echo "bench: CURVES must be reference or pipeline" >&2; exit 2 ;; esac
go build -trimpath -o bin/addlink ./cmd/addlink
for wiki in $wikis; do
  curve="$fixtures/reference/$wiki/backtest.eval.csv"
  source="the reference pipeline's backtest"
  if [ "$curves" = pipeline ] || ! cut -d, -f4 "$curve" | tail -n +2 | grep -q .; then
    dumps=("$fixtures"/dumps/"$wiki"/*pages-articles*.xml.bz2)
    [ "${#dumps[@]}" = 1 ] || { echo "bench: want one dump for $wiki, found: ${dumps[*]}" >&2; exit 1; }
    nice bin/addlink -q --threads 2 --data-dir "$out/bandit-data" run --wiki "$wiki" --dump "${dumps[0]}" --to backtest
    curve="$out/bandit-data/$wiki/testing/$wiki.backtest.eval.csv"
    source="our pipeline's backtest of ${dumps[0]##*/}"
  fi
  echo "### $wiki ($source: $curve)"
  echo
  nice bin/addlink learn simulate --wiki "$wiki" --curve "$curve" --requests "${REQUESTS:-10000}" --seeds "${SEEDS:-20}" --spread "${SPREAD:-0}"
  echo
done
