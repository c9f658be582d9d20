#!/usr/bin/env bash
# Start-up with many published wikis: WIKIS (300) small bench/genexport wikis, exported
# and published (addlink publish) into one publish root, served by `addlink serve`
# (DB_BACKEND=sqlite, --index-dir, --memory-budget 1GB). Measures the time from starting
# the process to the first 200 of /healthz (polled every 10 ms), RUNS (5) times, against
# the same server over a publish root holding one wiki (the baseline, measured in the same
# run), and checks that start-up opened no wiki: the index directory stays empty and
# /metrics shows no mapped wiki. Then one request for the last wiki (the first one
# builds its index) must answer 200. Prints one markdown table (docs/serve.md).
# The wikis are kept under OUT (bench/out/startup) and reused when they exist.
set -euo pipefail
cd "$(dirname "$0")/.."
out=${BENCH_DIR:-bench/out}/startup
nwikis=${WIKIS:-300} runs=${RUNS:-5} port=${PORT:-18767}
base="http://127.0.0.1:$port"
mkdir -p "$out" bin
go build -trimpath -o bin/addlink ./cmd/addlink
go build -trimpath -o bin/genexport ./bench/genexport

data="$out/data" all="$out/published-$nwikis" one="$out/published-1"
t0=$(date +%s)
for i in $(seq -w 0 $((nwikis - 1))); do
  w="p${i}wiki"
  [ -e "$all/$w/$w.linkmodel.json" ] && continue
  bin/genexport -data "$data" -wiki "$w" -anchors 200 -pageids 200 -vectors 100 -model >/dev/null
  bin/addlink -q --data-dir "$data" export --wiki "$w" >/dev/null
  bin/addlink -q --data-dir "$data" publish --wiki "$w" --publish-root "$all" >/dev/null
  [ -e "$one/$w" ] || [ "$(ls "$one" 2>/dev/null | wc -l)" -gt 0 ] ||
    bin/addlink -q --data-dir "$data" publish --wiki "$w" --publish-root "$one" >/dev/null
done
last=$(ls "$all" | grep 'wiki$' | sort | tail -1)
echo "wikis ready in $(( $(date +%s) - t0 ))s: $(ls -d "$all"/*wiki | wc -l) published in $all" >&2

server=""
cleanup() { [ -n "$server" ] && kill "$server" 2>/dev/null; wait 2>/dev/null || true; }
trap cleanup EXIT
startup() { # startup ROOT: start a server on ROOT, set t to the seconds to /healthz 200
  local idx="$out/index-cache" s0
  rm -rf "$idx"
  s0=$(date +%s.%N)
  DB_BACKEND=sqlite bin/addlink serve --listen "127.0.0.1:$port" --data-dir "$1" --log-level warn \
    --index-dir "$idx" --memory-budget 1GB --drain 0 >/dev/null 2>>"$out/serve.log" &
  server=$!
  for _ in $(seq 3000); do curl -fs "$base/healthz" >/dev/null 2>&1 && break; sleep 0.01; done
  t=$(echo "$(date +%s.%N) - $s0" | bc)
  if [ -n "$(ls -A "$idx" 2>/dev/null)" ] || curl -fs "$base/metrics" | grep -q '^linkrecommendation_wiki_mapped_bytes'; then
    echo "start-up opened a wiki" >&2; exit 1
  fi
}
stop() { kill -TERM "$server"; wait "$server" || true; server=""; }
median() { sort -n | awk '{v[NR]=$1} END {m = NR % 2 ? v[(NR+1)/2] : (v[NR/2]+v[NR/2+1])/2; printf "%.3f s (min %.3f, max %.3f)", m, v[1], v[NR]}'; }

declare -a t1 tn
for _ in $(seq "$runs"); do # alternated, so both see the same machine
  startup "$one"; t1+=("$t"); stop
  startup "$all"; tn+=("$t")
  [ "${#tn[@]}" = "$runs" ] || stop
done
body='{"wikitext": "w1 w2 w3 w4 w5 w6 w7 w8 w9 w10", "revid": 1, "pageid": 2}'
code=$(curl -s -o /dev/null -w '%{http_code}' -XPOST -H 'Content-Type: application/json' \
  "$base/v1/linkrecommendations/wikipedia/${last%wiki}/Page_1?threshold=0.5" -d "$body")
stop
[ "$code" = 200 ] || { echo "the first request for $last: $code" >&2; exit 1; }
echo "| publish root | start-up to /healthz 200, median of $runs |"
echo "|---|---|"
echo "| 1 wiki | $(printf '%s\n' "${t1[@]}" | median) |"
echo "| $nwikis wikis | $(printf '%s\n' "${tn[@]}" | median) |"
echo "start-up opened no wiki (index cache empty, no wiki mapped); the first request for $last answered 200" >&2
