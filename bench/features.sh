#!/usr/bin/env bash
# Benchmark of the sentences and features stages, as whole processes on 2 threads:
#  1. elwikivoyage (../shared/fixtures): `addlink sentences` + `addlink features` against
#     the reference's 4.74 s + 3.72 s (fixtures/reference/elwikivoyage/summary.json,
#     measured on a 2-core machine), with the reference's workload (one sentence per
#     article) and with our default; the dictionaries and embeddings they read are made
#     first and not timed.
#  2. a synthetic dump of SIZE MB of XML (default 200): the same two stages, with
#     throughput in MB of XML per second and sentences per second.
# Needs GNU time (Debian package time).
set -euo pipefail
cd "$(dirname "$0")/.."
out=${BENCH_DIR:-bench/out}
fixtures=${FIXTURES:-../shared/fixtures}
size=${SIZE:-200}
mkdir -p "$out"
go build -trimpath -o bin/addlink ./cmd/addlink
[ -x /usr/bin/time ] || { echo "bench: GNU time is needed (apt-get install time)" >&2; exit 1; }
secs() { /usr/bin/time -f '%e' "$@" 2>&1 >/dev/null | tail -1; }
a() { bin/addlink -q --threads 2 --data-dir "$data" "$@"; }

data="$out/features-el"
rm -rf "$data"
dump="$fixtures/dumps/elwikivoyage/elwikivoyage-pages-articles.xml.bz2"
a dictionaries --wiki elwikivoyage --dump "$dump"
a filter --wiki elwikivoyage
a embeddings --wiki elwikivoyage --dump "$dump"
median() { printf '%s\n' "$@" | sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
# The reference's workload (one sentence per article in both halves) for the ratio, and
# our default (up to three sentences from each training article); medians of 3 runs.
for tpa in 1 3; do
  ss=() fs=()
  for i in 1 2 3; do
    ss+=("$(secs bin/addlink -q --threads 2 --data-dir "$data" sentences --wiki elwikivoyage --dump "$dump" --train-per-article "$tpa")")
    fs+=("$(secs bin/addlink -q --threads 2 --data-dir "$data" features --wiki elwikivoyage)")
  done
  s=$(median "${ss[@]}") f=$(median "${fs[@]}")
  rows=$(wc -l < "$data/elwikivoyage/training/link_train.csv")
  echo "elwikivoyage, --train-per-article $tpa: sentences ${s}s + features ${f}s (reference 4.74s + 3.72s); $rows rows"
  echo "elwikivoyage, --train-per-article $tpa: speed-up $(echo "(4.74 + 3.72) / ($s + $f)" | bc -l | xargs printf '%.1f')x"
done

syn="$out/synth-features-$size.xml.gz"
[ -f "$syn" ] || bin/addlink -q synth --wiki synthwiki --size "$size" --out "$syn"
data="$out/features-synth"
rm -rf "$data"
a dictionaries --wiki synthwiki --dump "$syn"
a filter --wiki synthwiki
# Embeddings are not needed for the timing: features reads them, so give it an empty set.
a embeddings --wiki synthwiki --dump "$syn" --epochs 1 --dim 8
s=$(secs bin/addlink -q --threads 2 --data-dir "$data" sentences --wiki synthwiki --dump "$syn")
f=$(secs bin/addlink -q --threads 2 --data-dir "$data" features --wiki synthwiki)
xml=$(gzip -dc "$syn" | wc -c)
n=$(cat "$data/synthwiki/training/sentences_train.csv" "$data/synthwiki/testing/sentences_test.csv" | wc -l)
rows=$(wc -l < "$data/synthwiki/training/link_train.csv")
echo "synthetic $((xml / 1000000)) MB XML: sentences ${s}s ($(echo "$xml / 1000000 / $s" | bc -l | xargs printf '%.0f') MB/s, $n sentences), features ${f}s ($rows rows, $(echo "$rows / $f" | bc -l | xargs printf '%.0f') rows/s)"
