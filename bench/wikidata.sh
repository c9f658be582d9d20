#!/usr/bin/env bash
# Entity-dump scanning throughput: a synthetic Wikidata JSON dump of MB megabytes
# (default 600) in which 1% of the items are named by a page_props dump. Runs
# `addlink wdproperties` on the plain .json (the scan alone; target >= 200 MB/s on one
# core) and on a gzipped copy (scan plus decompression), and prints both rates.
set -euo pipefail
cd "$(dirname "$0")/.."
mb=${MB:-600}
out=${BENCH_DIR:-bench/out}/wikidata
mkdir -p "$out"
go build -trimpath -o bin/addlink ./cmd/addlink
if [ ! -f "$out/entities-$mb.json" ]; then
  go run ./bench/genentities -mb "$mb" -out "$out/entities-$mb.json" -page-props "$out/page_props.sql"
  gzip -1 -c "$out/entities-$mb.json" > "$out/entities-$mb.json.gz"
fi
echo "entity dump: $(du -m "$out/entities-$mb.json" | cut -f1) MB of JSON, $(du -m "$out/entities-$mb.json.gz" | cut -f1) MB gzipped"
for f in "$out/entities-$mb.json" "$out/entities-$mb.json.gz"; do
  rm -rf "$out/data"
  bin/addlink --threads 1 --data-dir "$out/data" wdproperties --wiki benchwiki \
    --page-props "$out/page_props.sql" --wikidata "$f" 2>&1 | grep -o 'wdproperties: .*' | sed "s|^|$(basename "$f"): |"
done
