#!/usr/bin/env bash
# Benchmark of the dictionaries stage against the decompression ceiling, in one run:
# generates synthetic dumps (SIZES in MB of XML, default "150 300"), compresses them
# with lbzip2, then times `lbzip2 -dc -n2 FILE >/dev/null` and
# `addlink dictionaries --dump FILE` (2 threads) REPS times each (default 3), one after
# the other, and prints the medians, their ratio and the stage's peak RSS: on a shared
# machine single runs of either vary by 2x. Needs lbzip2 and GNU time (Debian packages
# lbzip2, time).
set -euo pipefail
cd "$(dirname "$0")/.."
sizes=${SIZES:-"150 300"}
out=${BENCH_DIR:-bench/out}
mkdir -p "$out"
go build -trimpath -o bin/addlink ./cmd/addlink
command -v lbzip2 >/dev/null || { echo "bench: lbzip2 is needed (apt-get install lbzip2)" >&2; exit 1; }
[ -x /usr/bin/time ] || { echo "bench: GNU time is needed (apt-get install time)" >&2; exit 1; }

secs() { /usr/bin/time -f '%e %M' "$@" 2>&1 >/dev/null | tail -1; }
median() { printf '%s\n' "$@" | sort -g | awk '{v[NR] = $1} END {print v[int((NR + 1) / 2)]}'; }

printf '%-8s %10s %10s %10s %8s %12s\n' "MB(xml)" "bz2 MB" "lbzip2 s" "addlink s" "ratio" "peak RSS MB"
echo "(medians of ${REPS:-3} runs each)"
for mb in $sizes; do
  f="$out/synth-$mb.xml"
  if [ ! -f "$f.bz2" ]; then
    # A fixed vocabulary: peak memory should not grow with the dump's size.
    bin/addlink -q synth --wiki synthwiki --size "$mb" --vocabulary 50000 --out "$f"
    lbzip2 -n2 -f "$f"
  fi
  lbs=() ourss=() rss=0
  for _ in $(seq "${REPS:-3}"); do
    read -r lb _ < <(secs lbzip2 -dc -n2 "$f.bz2")
    rm -rf "$out/data"
    read -r ours r < <(secs bin/addlink -q --threads 2 --data-dir "$out/data" dictionaries --wiki synthwiki --dump "$f.bz2")
    lbs+=("$lb") ourss+=("$ours")
    rss=$((r > rss ? r : rss))
  done
  lb=$(median "${lbs[@]}") ours=$(median "${ourss[@]}")
  bz=$(du -m "$f.bz2" | cut -f1)
  printf '%-8s %10s %10s %10s %8.2f %12d\n' "$mb" "$bz" "$lb" "$ours" "$(echo "$ours / $lb" | bc -l)" "$((rss / 1024))"
done
