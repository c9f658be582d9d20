#!/usr/bin/env bash
# Serving memory: one large bench/genexport wiki and SMALL small ones, exported (each with
# its serving index), served by `addlink serve` (DB_BACKEND=sqlite) twice on the same
# requests:
#  1. today's in-memory serving (--index-dir none: the datasets loaded into Go maps);
#  2. the serving index with --memory-budget BUDGET (1GB): the export set's index mapped;
#     a first start verifies it (its first-request time is printed), then the measured
#     start maps it without reading it.
# Each run: the first request of every wiki (until a 200), then REQUESTS requests per wiki
# from CONCURRENCY clients (bench/servemem), the server's maximum RSS. Prints one markdown
# table (docs/serve.md) and checks that both runs gave the same answers (SHA-256 of every
# body). Sizes (defaults: the issue's large wiki):
#   ANCHORS (20000000), PAGEIDS (17000000), VECTORS (6000000), SMALL (50), SMALL_ANCHORS (2000)
# The large wiki's export is kept under OUT (bench/out/servemem) and reused when it exists.
# MEMORY=0 skips the in-memory run (and the comparison of answers): to try other budgets.
set -euo pipefail
cd "$(dirname "$0")/.."
out=${BENCH_DIR:-bench/out}/servemem
anchors=${ANCHORS:-20000000} pageids=${PAGEIDS:-17000000} vectors=${VECTORS:-6000000}
nsmall=${SMALL:-50} small_anchors=${SMALL_ANCHORS:-2000}
requests=${REQUESTS:-200} conc=${CONCURRENCY:-4} budget=${BUDGET:-1GB}
port=${PORT:-18766}
base="http://127.0.0.1:$port"
data="$out/data-$anchors-$pageids-$vectors"
mkdir -p "$out" bin
go build -trimpath -o bin/addlink ./cmd/addlink
go build -trimpath -o bin/genexport ./bench/genexport
go build -trimpath -o bin/servemem ./bench/servemem

gen() { # gen WIKI ANCHORS PAGEIDS VECTORS
  [ -e "$data/$1/export/$1.serve.idx" ] && return
  bin/genexport -data "$data" -wiki "$1" -anchors "$2" -pageids "$3" -vectors "$4" -model
  bin/addlink -q --data-dir "$data" export --wiki "$1" >/dev/null
  rm -f "$data/$1"/*.parquet  # the export set is what is served
}
t0=$(date +%s)
gen bigwiki "$anchors" "$pageids" "$vectors"
small=""
for i in $(seq -w 0 $((nsmall - 1))); do
  gen "s${i}wiki" "$small_anchors" "$small_anchors" "$((small_anchors / 2))"
  small="$small,s${i}wiki:$small_anchors"
done
small=${small#,}
echo "datasets ready in $(( $(date +%s) - t0 ))s: bigwiki $anchors anchors, $pageids page ids, $vectors vectors;" \
  "$nsmall small wikis of $small_anchors anchors; index $(du -h "$data/bigwiki/export/bigwiki.serve.idx" | cut -f1)" >&2

server=""
cleanup() { [ -n "$server" ] && kill "$server" 2>/dev/null; wait 2>/dev/null || true; }
trap cleanup EXIT
serve() { # serve ARGS...: start, wait for /healthz, print the start-up time
  local s0; s0=$(date +%s.%N)
  DB_BACKEND=sqlite bin/addlink serve --listen "127.0.0.1:$port" --data-dir "$data" --log-level warn \
    --max-queue 64 --open-wait 2s "$@" 2>>"$out/serve.log" &
  server=$!
  for _ in $(seq 600); do curl -fs "$base/healthz" >/dev/null && break; sleep 0.05; done
  echo "start-up $(echo "$(date +%s.%N) - $s0" | bc) s ($*)" >&2
}
stop() { kill -TERM "$server"; wait "$server" || true; server=""; }

rows=()
if [ "${MEMORY:-1}" != 0 ]; then
  serve --index-dir none --drain 0
  rows+=("$(bin/servemem -url "$base" -large "bigwiki:$anchors" -small "$small" -n "$requests" -c "$conc" -pid "$server" \
    -label "in memory (--index-dir none)" -answers "$out/answers-memory.txt")")
  stop
fi
idx="$out/index-cache"
rm -rf "$idx"
serve --index-dir "$idx" --memory-budget "$budget" --drain 0
first=$(bin/servemem -url "$base" -large "bigwiki:$anchors" -n 1 -c 1 -label first | awk -F'|' '{print $7}')
echo "index, first start: bigwiki's first request (verifies the index once):$first" >&2
stop
serve --index-dir "$idx" --memory-budget "$budget" --drain 0
rows+=("$(bin/servemem -url "$base" -large "bigwiki:$anchors" -small "$small" -n "$requests" -c "$conc" -pid "$server" \
  -label "serving index, --memory-budget $budget" -answers "$out/answers-index.txt")")
curl -fs "$base/metrics" | grep -E '^linkrecommendation_(resident_bytes|memory_budget_bytes)|^linkrecommendation_wiki_evictions_total' \
  | awk '{n[$1 ~ /evictions/ ? "evictions" : $1] += $2} END {for (k in n) printf "%s %.0f\n", k, n[k]}' | sort >&2
stop

echo "| serving | wiki | max RSS (MB) | p50 | p99 | first request |"
echo "|---|---|---|---|---|---|"
for r in "${rows[@]}"; do echo "$r"; done
[ "${MEMORY:-1}" = 0 ] && exit 0
if cmp -s "$out/answers-memory.txt" "$out/answers-index.txt" && [ -s "$out/answers-memory.txt" ]; then
  echo "answers: the same $(wc -l <"$out/answers-memory.txt") bodies (SHA-256) in both runs"
else
  echo "answers: the runs differ (diff $out/answers-memory.txt $out/answers-index.txt)"; exit 1
fi
