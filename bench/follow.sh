#!/usr/bin/env bash
# Benchmark of `addlink follow` through its whole path (bench/followbench): a local fake
# EventStreams server and a fake api.php serve edits of PAGES (200) articles of the wiki's
# fixture dump; the binary fetches, recommends with the reference's exported model and
# commits rows to an SQLite pool. Prints refreshed pages per second for EVENTS (3000)
# edits read live and replayed from a file (the baseline), and the p50/p99 time from an
# event being sent to its row being committed at RATE (20) edits per second.
# Targets (issue 31): >= 100 refreshed pages/s on 2 cores; p99 < 1 s at 20 pages/s.
set -euo pipefail
cd "$(dirname "$0")/.."
wiki=${WIKI:-elwikivoyage}
fixtures=${FIXTURES:-${ADDLINK_FIXTURES:-../shared/fixtures}}
out=${BENCH_DIR:-bench/out}/follow
mkdir -p "$out/data"
go build -trimpath -o bin/addlink ./cmd/addlink
go build -trimpath -o bin/followbench ./bench/followbench
dump=$(ls "$fixtures"/dumps/"$wiki"/*pages-articles*.xml.bz2 | head -1)
# The reference's export of the wiki (sqlitedict files and model), as serve reads it.
ln -sfn "$(cd "$fixtures/reference/$wiki/export" && pwd)" "$out/data/$wiki"
bin/followbench -addlink bin/addlink -data "$out/data" -dump "$dump" -wiki "$wiki" -out "$out" \
  -pages "${PAGES:-200}" -events "${EVENTS:-3000}" -rate "${RATE:-20}" -latency-events "${LATENCY_EVENTS:-400}" \
  -concurrency "${CONCURRENCY:-4}"
