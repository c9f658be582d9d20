#!/usr/bin/env bash
# Load throughput: a synthetic export of ANCHORS anchors (default 1,000,000; as many page
# ids, a third as many redirects, 100,000 embeddings: bench/genexport), published, then
# loaded into a private MariaDB (started here, loopback only) three ways, each into an
# empty database, measured in the same run:
#   reference  the service's load-datasets.py (fetched research-mwaddlink, REFERENCE_REPO)
#              run with Debian's python3-pymysql and python3-requests; without a checkout,
#              bench/load_reference_style.py (the same line-by-line import)
#   load-data  addlink load --method load-data (LOAD DATA LOCAL INFILE, streamed)
#   insert     addlink load --method insert (multi-row INSERTs of 4 MB)
# DATASETS (default "anchors pageids redirects w2vfiltered") are loaded; rows per second
# counts every row of them over the command's wall time (verification included).
# Target: addlink at least 10x the reference's rate.
set -euo pipefail
cd "$(dirname "$0")/.."
anchors=${ANCHORS:-1000000}
datasets=${DATASETS:-anchors pageids redirects w2vfiltered}
ref_repo=${REFERENCE_REPO:-/work/.mirror/wikimedia+research-mwaddlink/repo}
out=${BENCH_DIR:-bench/out}/load
rm -rf "$out"
mkdir -p "$out"
out=$(cd "$out" && pwd)
go build -trimpath -o bin/addlink ./cmd/addlink
go run ./bench/genexport -data "$out/data" -anchors "$anchors"
echo '{"learner":{}}' > "$out/data/benchwiki/benchwiki.linkmodel.json"
bin/addlink -q --data-dir "$out/data" export --wiki benchwiki
bin/addlink -q --data-dir "$out/data" publish --wiki benchwiki --publish-root "$out/pub" >/dev/null

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

rows=0
for d in $datasets; do
  n=$(gzip -dc "$out/pub/benchwiki/lr_benchwiki_$d.sql.gz" | grep -c '^INSERT INTO' || true)
  rows=$((rows + n))
done
echo "datasets: $datasets; $rows rows; $(du -ch "$out"/pub/benchwiki/lr_*.sql.gz | tail -1 | cut -f1) of .sql.gz"

# time_it NAME CMD...: runs CMD, prints its rows per second and keeps it in $out/NAME.rate.
time_it() {
  local name=$1; shift
  local start end
  start=$(date +%s.%N)
  "$@" >"$out/$name.log" 2>&1 || { cat "$out/$name.log"; exit 1; }
  end=$(date +%s.%N)
  awk -v r="$rows" -v s="$start" -v e="$end" 'BEGIN { printf "%.0f\n", r / (e - s) }' > "$out/$name.rate"
  awk -v n="$name" -v r="$rows" -v s="$start" -v e="$end" 'BEGIN { printf "%-10s %8.1f s  %9.0f rows/s\n", n, e - s, r / (e - s) }'
}

sql "CREATE DATABASE ref; CREATE DATABASE loaddata; CREATE DATABASE ins"
if [ -d "$ref_repo" ]; then
  ref=$out/reference
  mkdir -p "$ref/src"
  for p in load-datasets.py create_tables.py src/mysql.py; do
    git --git-dir="$ref_repo" show "HEAD:$p" > "$ref/$p"
  done
  # Modules Debian does not package, imported but unused here.
  printf 'def load_dotenv(*a, **k):\n    pass\n' > "$ref/dotenv.py"
  printf 'def init_non_web(**k):\n    pass\n' > "$ref/json_logging.py"
  echo "reference: load-datasets.py of $(git --git-dir="$ref_repo" rev-parse --short HEAD)"
  # src/mysql.py has no socket variable: a my.cnf supplies it.
  printf '[client]\nsocket=%s\n' "$sock" > "$out/my.cnf"
  (cd "$ref" && DB_USER=root DB_DATABASE=ref DB_HOST=localhost DB_READ_DEFAULT_FILE="$out/my.cnf" \
    time_it reference /usr/bin/python3 load-datasets.py --path "$out/pub" --wiki-id benchwiki -d $datasets)
else
  echo "reference: no research-mwaddlink checkout at $ref_repo: bench/load_reference_style.py"
  time_it reference /usr/bin/python3 bench/load_reference_style.py "$sock" ref "$out/pub" benchwiki $datasets
fi
printf '[client]\nsocket=%s\n' "$sock" > "$out/my.cnf"
export DB_USER=root DB_READ_DEFAULT_FILE="$out/my.cnf"
DB_DATABASE=loaddata time_it load-data bin/addlink -q load --path "$out/pub" --wiki-id benchwiki \
  --datasets "${datasets// /,}" --method load-data
DB_DATABASE=ins time_it insert bin/addlink -q load --path "$out/pub" --wiki-id benchwiki \
  --datasets "${datasets// /,}" --method insert
for db in ref loaddata ins; do
  echo "$db: $(sql "SELECT COUNT(*) FROM $db.lr_benchwiki_anchors") anchors rows"
done
for m in load-data insert; do
  awk -v m="$m" -v a="$(cat "$out/$m.rate")" -v b="$(cat "$out/reference.rate")" \
    'BEGIN { printf "%s: %.1fx the reference rate\n", m, a / b }'
done
