#!/usr/bin/env bash
# Benchmark of `addlink serve` against the reference service's own code, in one run, on
# the same pages and datasets (FIXTURES, REFQUERY):
#  1. builds the wiki's datasets with `addlink run` (elwikivoyage by default) unless
#     they exist, and takes PAGES (200) articles of its dump as pages.jsonl;
#  2. POSTs them, as GrowthExperiments does, to `addlink serve` at CONCURRENCY (8) for
#     DURATION (20s), with DB_BACKEND=sqlite and then DB_BACKEND=mysql (a private MariaDB
#     started here, loaded from our lr_*.sql.gz dumps the way the loader does) and prints
#     requests/s and p50/p99 latency (all pages, then pages under 100 KB);
#  3. runs the reference's code on the same pages (refquery/ref_query.py: its Flask app,
#     one request after the other on one worker, as one gunicorn sync worker serves them)
#     and prints its requests/s per core next to ours per core (ours / nproc);
#  4. SOAK (60s; 0 to skip): 64 clients for that long against the sqlite server, printing
#     the status codes (only 200 and 503 are expected) and the server's RSS over time.
# Needs Debian's mariadb-server and the refquery scripts (REFQUERY: a directory with
# setup.sh, pages_from_dump.py and ref_query.py, set up with the reference's code) and the
# fixtures (FIXTURES: the directory with dumps/<wiki>/); the script stops and says which
# is missing.
set -euo pipefail
cd "$(dirname "$0")/.."
wiki=${WIKI:-elwikivoyage}
out=${BENCH_DIR:-bench/out}/serve
fixtures=${FIXTURES:-${ADDLINK_FIXTURES:-}}
refquery=${REFQUERY:-}
[ -n "$fixtures" ] && [ -d "$fixtures/dumps" ] || { echo "serve.sh: set FIXTURES (or ADDLINK_FIXTURES) to the fixtures directory (dumps/<wiki>/...)" >&2; exit 2; }
[ -n "$refquery" ] && [ -x "$refquery/ref_query.py" ] || { echo "serve.sh: set REFQUERY to the refquery directory (setup.sh, pages_from_dump.py, ref_query.py)" >&2; exit 2; }
dur=${DURATION:-20s} conc=${CONCURRENCY:-8} npages=${PAGES:-200} soak=${SOAK:-60s}
mkdir -p "$out"
go build -trimpath -o bin/addlink ./cmd/addlink
go build -trimpath -o bin/loadgen ./bench/loadgen
dump=$(ls "$fixtures"/dumps/"$wiki"/*pages-articles*.xml.bz2 | head -1)
data=${DATA_DIR:-$out/data}
[ -e "$data/$wiki/export" ] || [ -f "$data/$wiki/$wiki.anchors.sqlite" ] || bin/addlink -q --data-dir "$data" run --wiki "$wiki" --dump "$dump"
exp="$data/$wiki"                                     # the exported files: the export set, if any
[ -e "$exp/export" ] && exp="$exp/export"
"$refquery"/pages_from_dump.py "$dump" -n "$npages" -o "$out/pages.jsonl"
lang=${wiki%%wiki*}                                   # elwikivoyage: el, wikivoyage
project=${wiki#"$lang"}
[ "$project" = wiki ] && project=wikipedia
port=${PORT:-18765}
base="http://127.0.0.1:$port"
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; }
trap cleanup EXIT

serve() { # serve BACKEND [ENV...]: start addlink serve, wait until it answers, warm it up
  env DB_BACKEND="$1" "${@:2}" bin/addlink serve --listen "127.0.0.1:$port" --data-dir "$data" --log-level warn \
    --max-queue 64 2>>"$out/serve.log" &
  server=$!
  pids+=("$server")
  for _ in $(seq 100); do curl -fs "$base/healthz" >/dev/null && break; sleep 0.1; done
  bin/loadgen -url "$base" -pages "$out/pages.jsonl" -project "$project" -domain "$lang" -c 1 -d 2s >/dev/null
  check
}
load() { # load LABEL: the measured runs
  bin/loadgen -url "$base" -pages "$out/pages.jsonl" -project "$project" -domain "$lang" -c "$conc" -d "$dur" -label "$1 all pages:      "
  bin/loadgen -url "$base" -pages "$out/pages.jsonl" -project "$project" -domain "$lang" -c "$conc" -d "$dur" -max-kb 100 -label "$1 pages < 100 KB:  "
}
stop() { kill -TERM "$server"; wait "$server" || true; }
check() { # the warm-up answer must be a 200 with links, or the figures mean nothing
  curl -fs -XPOST -H 'Content-Type: application/json' --data-binary @<(head -1 "$out/pages.jsonl") \
    "$base/v1/linkrecommendations/$project/$lang/Bench" | grep -q '"links":' || { echo "bench: the service does not answer 200" >&2; exit 1; }
}

echo "$wiki, $(wc -l <"$out/pages.jsonl") pages, concurrency $conc, $dur each, $(nproc) cores"
serve sqlite
load "addlink sqlite"
stop

if command -v mariadbd >/dev/null; then
  m=$(mktemp -d)
  pids+=()
  mariadb-install-db --no-defaults --datadir="$m/data" --auth-root-authentication-method=normal --skip-test-db --user=root >/dev/null
  mariadbd --no-defaults --datadir="$m/data" --socket="$m/sock" --skip-networking --user=root \
    --pid-file="$m/pid" --log-error="$m/err.log" --innodb-buffer-pool-size=128M --max-allowed-packet=64M &
  pids+=("$!")
  for _ in $(seq 100); do [ -S "$m/sock" ] && break; sleep 0.1; done
  sql() { mariadb --no-defaults -S "$m/sock" -u root "$@"; }
  sql -e "CREATE DATABASE mwaddlink"
  bin/addlink export --print-schema --wiki "$wiki" | sql mwaddlink
  for n in anchors pageids redirects w2vfiltered; do
    zcat "$exp/lr_${wiki}_$n.sql.gz" | grep -a 'INSERT INTO' | sql mwaddlink
    echo "INSERT INTO lr_checksum (lookup, value) VALUES ('${wiki}_$n', '$(cut -d' ' -f1 "$exp/lr_${wiki}_$n.sql.gz.checksum")');" | sql mwaddlink
  done
  echo "INSERT INTO lr_model (lookup, value) VALUES ('$wiki', FROM_BASE64('$(base64 -w0 "$exp/$wiki.linkmodel.json")'));" | sql mwaddlink
  echo "INSERT INTO lr_checksum (lookup, value) VALUES ('${wiki}_model', '$(cut -d' ' -f1 "$exp/$wiki.linkmodel.json.checksum")');" | sql mwaddlink
  serve mysql DB_HOST="$m/sock" DB_USER=root DB_DATABASE=mwaddlink
  load "addlink mysql "
  stop
else
  echo "mysql backend: skipped (no mariadbd)"
fi

# ref_query.py reads <data-dir>/<wiki>/<wiki>.<name>.sqlite: in our data directory they
# are in the export set, so it is given a directory whose <wiki> is that set (given
# $data, it would see empty datasets and only the model).
refdata="$out/refdata"
mkdir -p "$refdata"
ln -sfn "$(cd "$exp" && pwd -P)" "$refdata/$wiki"
"$refquery"/ref_query.py --data-dir "$refdata" --wiki "$wiki" --language-code "$lang" --timing "$out/ref_timing.jsonl" \
  <"$out/pages.jsonl" >"$out/ref.jsonl" 2>"$out/ref.log" || {
  echo "bench: the reference service's query failed (is refquery set up, MIRRORS set? see its README); the end of $out/ref.log:" >&2
  tail -n 5 "$out/ref.log" >&2; exit 1
}
if grep -q 'is missing' "$out/ref.log"; then
  echo "bench: the reference did not get our datasets:" >&2; grep 'is missing' "$out/ref.log" >&2; exit 1
fi
python3 - "$out/ref_timing.jsonl" "$(nproc)" <<'PY'
import json, sys
secs = sorted(json.loads(l)["seconds"] for l in open(sys.argv[1]))
n = len(secs)
print("reference (one worker):  %d requests, %.1f req/s per core, p50 %.1f ms, p99 %.1f ms"
      % (n, n / sum(secs), 1000 * secs[n // 2], 1000 * secs[min(n - 1, int(0.99 * (n - 1)))]))
PY

if [ "$soak" != 0 ]; then
  serve sqlite
  bin/loadgen -url "$base" -pages "$out/pages.jsonl" -project "$project" -domain "$lang" -c 64 -d "$soak" -pid "$server" -label "soak 64 clients: "
  stop
fi
