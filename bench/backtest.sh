#!/usr/bin/env bash
# Benchmark of the backtest and of queries, on elwikivoyage (../shared/fixtures):
#  1. `addlink backtest` at the 10 thresholds 0.0..0.9, as a whole process on 2 threads,
#     against the reference's 123.4 s (fixtures/reference/elwikivoyage/summary.json);
#     the stages before it are run first and not timed.
#  2. BenchmarkQuery (pipeline/backtest): one recommendation query on a 100 KB article
#     with the datasets loaded (target: under 50 ms).
# Needs GNU time (Debian package time).
set -euo pipefail
cd "$(dirname "$0")/.."
out=${BENCH_DIR:-bench/out}
fixtures=${FIXTURES:-../shared/fixtures}
mkdir -p "$out"
go build -trimpath -o bin/addlink ./cmd/addlink
[ -x /usr/bin/time ] || { echo "bench: GNU time is needed (apt-get install time)" >&2; exit 1; }
data="$out/backtest-el"
rm -rf "$data"
dump="$fixtures/dumps/elwikivoyage/elwikivoyage-pages-articles.xml.bz2"
bin/addlink -q --threads 2 --data-dir "$data" run --wiki elwikivoyage --dump "$dump" --to train
t=$(/usr/bin/time -f '%e' bin/addlink -q --threads 2 --data-dir "$data" backtest --wiki elwikivoyage 2>&1 >/dev/null | tail -1)
echo "elwikivoyage backtest, 10 thresholds: ${t}s (reference 123.4s): $(echo "123.4 / $t" | bc -l | xargs printf '%.0f')x"
sed -n '1p;7p' "$data/elwikivoyage/testing/elwikivoyage.backtest.eval.csv"
go test -run '^$' -bench BenchmarkQuery -benchtime 20x ./pipeline/backtest | grep Benchmark |
  awk '{ printf "query on a 100 KB article: %.1f ms (%s links)\n", $3 / 1e6, $7 }'
