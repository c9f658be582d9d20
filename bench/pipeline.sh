#!/usr/bin/env bash
# Benchmark of the whole pipeline on elwikivoyage (../shared/fixtures), as one process on
# 2 threads: `addlink run` from an empty data directory, RUNS times (default 3), against
# the reference's 142.7 s total (fixtures/reference/elwikivoyage/summary.json, measured
# on a 2-core machine; no Wikidata stage there, none here). Prints the median wall time,
# the speed-up, each stage's share (from the median run's report.md), and the time of a
# rerun in which every stage is current. Needs GNU time (Debian package time).
set -euo pipefail
cd "$(dirname "$0")/.."
out=${BENCH_DIR:-bench/out}
fixtures=${FIXTURES:-../shared/fixtures}
runs=${RUNS:-3}
mkdir -p "$out"
go build -trimpath -o bin/addlink ./cmd/addlink
[ -x /usr/bin/time ] || { echo "bench: GNU time is needed (apt-get install time)" >&2; exit 1; }
dump="$fixtures/dumps/elwikivoyage/elwikivoyage-pages-articles.xml.bz2"
reference=142.7
times=()
for i in $(seq "$runs"); do
  rm -rf "$out/pipeline-$i"
  t=$(/usr/bin/time -f '%e' bin/addlink -q --threads 2 --data-dir "$out/pipeline-$i" run --wiki elwikivoyage --dump "$dump" 2>&1 >/dev/null | tail -1)
  times+=("$t $i")
done
read -r median best < <(printf '%s\n' "${times[@]}" | sort -n | sed -n "$(( (runs + 1) / 2 ))p")
echo "elwikivoyage, whole pipeline: runs $(printf '%s ' "${times[@]%% *}")s; median ${median}s"
echo "speed-up against the reference's ${reference}s: $(echo "$reference / $median" | bc -l | xargs printf '%.1f')x"
echo "stage shares (run $best):"
awk -F'|' -v total="$median" '/^\| [a-z]+ \| ran \|/ { s=$4+0; printf "  %-13s %6.2fs %5.1f%%\n", $2, s, 100*s/total }' "$out/pipeline-$best/elwikivoyage/report.md" | sed 's/  */ /'
t=$(/usr/bin/time -f '%e' bin/addlink -q --threads 2 --data-dir "$out/pipeline-$best" run --wiki elwikivoyage --dump "$dump" 2>&1 >/dev/null | tail -1)
echo "rerun with every stage current: ${t}s"
