#!/usr/bin/env bash
# Throughput of addlink serve's event collector on loopback: eventsgen posts batches of
# BATCH (50) events from CONCURRENCY (8) clients for DURATION (20s), every tenth batch twice
# (a client retry), then checks that every accepted event is in the log exactly once, and
# prints the events stored per second. Every batch is fsync'd before its answer.
set -euo pipefail
cd "$(dirname "$0")/.."
out=${BENCH_DIR:-bench/out}/events
dur=${DURATION:-20s} conc=${CONCURRENCY:-8} size=${BATCH:-50} port=${PORT:-18766}
rm -rf "$out"
mkdir -p "$out/data"
go build -trimpath -o bin/addlink ./cmd/addlink
go build -trimpath -o bin/eventsgen ./bench/eventsgen
bin/addlink serve --listen "127.0.0.1:$port" --data-dir "$out/data" --events-dir "$out/events" --log-level warn 2>"$out/serve.log" &
server=$!
trap 'kill $server 2>/dev/null || true; wait 2>/dev/null || true' EXIT
for _ in $(seq 100); do curl -fs "http://127.0.0.1:$port/healthz" >/dev/null && break; sleep 0.1; done
bin/eventsgen -url "http://127.0.0.1:$port" -log "$out/events/events.log" -c "$conc" -batch "$size" -d "$dur"
