#!/usr/bin/env bash
# Load throughput: a synthetic export of ANCHORS anchors (default 1,000,000; as many page
# ids, a third as many redirects, 100,000 embeddings: bench/genexport), published, then
# loaded into a private MariaDB (started here, loopback only), each load into an empty
# database:
#   reference  the service's load-datasets.py (fetched research-mwaddlink, REFERENCE_REPO)
#              run with Debian's python3-pymysql and python3-requests; without a checkout,
#              bench/load_reference_style.py (the same line-by-line import)
#   load-data  addlink load --method load-data (LOAD DATA LOCAL INFILE, streamed)
#   insert     addlink load --method insert (multi-row INSERTs of 4 MB)
# REPS rounds (default 3) alternate the order (reference first, then last, ...) so that a
# change in the machine's load falls on both; each run is printed with the load average,
# then the median of each loader, the ratio of the medians and the median of the rounds'
# ratios. METHODS (default "load-data insert") are the addlink methods timed. DATASETS
# (default "anchors pageids redirects w2vfiltered") are loaded; rows per second counts
# every row of them over the command's wall time (file verification included). The
# tables of every loader are compared with the reference's (CHECKSUM TABLE) after each
# round.
# Target: addlink (load-data) at least 10x the reference's rate.
set -euo pipefail
cd "$(dirname "$0")/.."
anchors=${ANCHORS:-1000000}
datasets=${DATASETS:-anchors pageids redirects w2vfiltered}
methods=${METHODS:-load-data insert}
reps=${REPS:-3}
ref_repo=${REFERENCE_REPO:-}
out=${BENCH_DIR:-bench/out}/load
rm -rf "$out"
mkdir -p "$out"
out=$(cd "$out" && pwd)
go build -trimpath -o bin/addlink ./cmd/addlink
go run ./bench/genexport -data "$out/data" -anchors "$anchors"
echo '{"learner":{}}' > "$out/data/benchwiki/benchwiki.linkmodel.json"
bin/addlink -q --data-dir "$out/data" export --wiki benchwiki
bin/addlink -q --data-dir "$out/data" publish --wiki benchwiki --publish-root "$out/pub" >/dev/null
rm -rf "$out/data"

# A private MariaDB.
mariadb-install-db --no-defaults --datadir="$out/db" --auth-root-authentication-method=normal \
  --skip-test-db --user="$(id -un)" >/dev/null
sock=$out/mysqld.sock
mariadbd --no-defaults --datadir="$out/db" --socket="$sock" --skip-networking --user="$(id -un)" \
  --pid-file="$out/mysqld.pid" --log-error="$out/error.log" --innodb-buffer-pool-size=512M \
  --max-allowed-packet=64M --local-infile=1 &
server=$!
trap 'kill "$server" 2>/dev/null; wait "$server" 2>/dev/null || true' EXIT
for _ in $(seq 300); do [ -S "$sock" ] && break; sleep 0.1; done
sql() { mariadb --no-defaults -S "$sock" -u root -N -e "$1"; }
printf '[client]\nsocket=%s\n' "$sock" > "$out/my.cnf"

rows=0
for d in $datasets; do
  n=$(gzip -dc "$out/pub/benchwiki/lr_benchwiki_$d.sql.gz" | grep -c '^INSERT INTO' || true)
  rows=$((rows + n))
done
echo "datasets: $datasets; $rows rows; $(du -ch "$out"/pub/benchwiki/lr_*.sql.gz | tail -1 | cut -f1) of .sql.gz; $(nproc) cores"

if [ -n "$ref_repo" ] && [ -d "$ref_repo" ]; then
  ref=$out/reference
  mkdir -p "$ref/src"
  for p in load-datasets.py create_tables.py src/mysql.py; do
    git --git-dir="$ref_repo" show "HEAD:$p" > "$ref/$p"
  done
  # Modules Debian does not package, imported but unused here.
  printf 'def load_dotenv(*a, **k):\n    pass\n' > "$ref/dotenv.py"
  printf 'def init_non_web(**k):\n    pass\n' > "$ref/json_logging.py"
  echo "reference: load-datasets.py of $(git --git-dir="$ref_repo" rev-parse --short HEAD)"
else
  ref=
  echo "reference: no research-mwaddlink git directory (set REFERENCE_REPO to one): bench/load_reference_style.py"
fi

# time_it NAME DB CMD...: runs CMD into the empty database DB, prints its time, rows per
# second and the load average before it, and appends the rate to $out/NAME.rates.
time_it() {
  local name=$1 db=$2 start end load
  shift 2
  sql "DROP DATABASE IF EXISTS $db; CREATE DATABASE $db"
  load=$(cut -d' ' -f1-3 /proc/loadavg)
  start=$(date +%s.%N)
  "$@" >"$out/$name.log" 2>&1 || { cat "$out/$name.log"; exit 1; }
  end=$(date +%s.%N)
  awk -v r="$rows" -v s="$start" -v e="$end" 'BEGIN { printf "%.0f\n", r / (e - s) }' >> "$out/$name.rates"
  awk -v n="$name" -v r="$rows" -v s="$start" -v e="$end" -v l="$load" \
    'BEGIN { printf "  %-10s %7.1f s  %9.0f rows/s   (load average %s)\n", n, e - s, r / (e - s), l }'
}

run_reference() {
  if [ -n "$ref" ]; then
    # src/mysql.py has no socket variable: a my.cnf supplies it.
    (cd "$ref" && DB_USER=root DB_DATABASE=ref DB_HOST=localhost DB_READ_DEFAULT_FILE="$out/my.cnf" \
      time_it reference ref /usr/bin/python3 load-datasets.py --path "$out/pub" --wiki-id benchwiki -d $datasets)
  else
    time_it reference ref /usr/bin/python3 bench/load_reference_style.py "$sock" ref "$out/pub" benchwiki $datasets
  fi
}

run_ours() {
  local m
  for m in $methods; do
    DB_USER=root DB_READ_DEFAULT_FILE="$out/my.cnf" DB_DATABASE="m_${m//-/_}" time_it "$m" "m_${m//-/_}" \
      bin/addlink -q load --path "$out/pub" --wiki-id benchwiki --datasets "${datasets// /,}" --method "$m"
  done
}

# same_rows: every table of every method's database has the reference's checksum.
same_rows() {
  local d m a b
  for d in $datasets; do
    a=$(sql "CHECKSUM TABLE ref.lr_benchwiki_$d" | cut -f2)
    for m in $methods; do
      b=$(sql "CHECKSUM TABLE m_${m//-/_}.lr_benchwiki_$d" | cut -f2)
      [ "$a" = "$b" ] || { echo "$m: lr_benchwiki_$d differs from the reference's ($b, $a)"; exit 1; }
    done
  done
}

for i in $(seq "$reps"); do
  echo "round $i:"
  if [ $((i % 2)) = 1 ]; then run_reference; run_ours; else run_ours; run_reference; fi
  same_rows
  for m in $methods; do
    awk -v m="$m" -v a="$(tail -1 "$out/$m.rates")" -v b="$(tail -1 "$out/reference.rates")" \
      'BEGIN { r = a / b; printf "  %s: %.1fx the reference rate in this round\n", m, r; print r >> "'"$out"'/" m ".ratios" }'
  done
done
echo "every table equal to the reference loader's (CHECKSUM TABLE) in every round"

median() { sort -n "$out/$1" | awk '{ a[NR] = $1 } END { print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }
refm=$(median reference.rates)
echo "medians of $reps rounds ($rows rows):"
printf '  %-10s %9.0f rows/s\n' reference "$refm"
for m in $methods; do
  awk -v m="$m" -v a="$(median "$m.rates")" -v b="$refm" -v r="$(median "$m.ratios")" \
    'BEGIN { printf "  %-10s %9.0f rows/s  %.1fx the reference rate (median of the rounds\x27 ratios %.1fx)\n", m, a, a / b, r }'
done
