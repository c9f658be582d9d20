#!/usr/bin/env bash
# Export throughput: synthetic dictionaries of ANCHORS anchors (default 1,000,000; as many
# page ids, a third as many redirects, 100,000 embeddings), exported by `addlink export`
# (2 threads); prints rows per second for the SQLite files (with their .gz) and for the
# SQL dumps, as the command reports them. Target: >= 200,000 rows/s each.
set -euo pipefail
cd "$(dirname "$0")/.."
anchors=${ANCHORS:-1000000}
out=${BENCH_DIR:-bench/out}/export
rm -rf "$out"
mkdir -p "$out"
go build -trimpath -o bin/addlink ./cmd/addlink
go run ./bench/genexport -data "$out" -anchors "$anchors"
/usr/bin/time -f '%e s wall, %M KB peak RSS' bin/addlink -q --threads 2 --data-dir "$out" export --wiki benchwiki
