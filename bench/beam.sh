#!/usr/bin/env bash
# Cost check of addlink-beam on Prism (in process, LOOPBACK workers) against the
# single-machine stage, on a synthetic dump of SIZE MB of XML (default 400) cut into
# PARTS page-range part files (default 8), each compressed with lbzip2: times, CPU
# seconds and peak RSS of `addlink dictionaries` (the part files, --threads 2) and of
# `addlink-beam` (the same part files), REPS runs each (default 1), and whether their
# datasets are byte-identical. Prism is not a production runner: the figure is a cost
# check, not a race. Needs lbzip2 and GNU time (Debian packages lbzip2, time).
set -euo pipefail
cd "$(dirname "$0")/.."
mb=${SIZE:-400}
parts=${PARTS:-8}
out=${BENCH_DIR:-bench/out}
mkdir -p "$out" bin
go build -trimpath -o bin/addlink ./cmd/addlink
(cd beam && go build -o ../bin/addlink-beam ./cmd/addlink-beam)
command -v lbzip2 >/dev/null || { echo "bench: lbzip2 is needed (apt-get install lbzip2)" >&2; exit 1; }
[ -x /usr/bin/time ] || { echo "bench: GNU time is needed (apt-get install time)" >&2; exit 1; }

dir="$out/beam-$mb-$parts"
if [ ! -f "$dir/done" ]; then
  rm -rf "$dir" && mkdir -p "$dir"
  # A fixed vocabulary, as bench/dictionaries.sh.
  bin/addlink -q synth --size "$mb" --vocabulary 50000 --wiki synthwiki --out "$dir/synth.xml"
  go run ./bench/splitdump -parts "$parts" -prefix "$dir/synthwiki-pages-articles" "$dir/synth.xml" >/dev/null
  rm "$dir/synth.xml"
  lbzip2 -n2 -f "$dir"/synthwiki-pages-articles-p*.xml
  touch "$dir/done"
fi
files=("$dir"/synthwiki-pages-articles-p*.xml.bz2)

# measure prints "wall-seconds cpu-seconds peak-RSS-MB" of a command.
measure() {
  /usr/bin/time -f '%e %U %S %M' "$@" 2>&1 >/dev/null | tail -1 |
    awk '{printf "%s %.1f %d\n", $1, $2 + $3, $4 / 1024}'
}
median() { printf '%s\n' "$@" | sort -g | awk '{v[NR] = $1} END {print v[int((NR + 1) / 2)]}'; }

printf '%-16s %8s %8s %10s %12s\n' "($mb MB, $parts parts)" "wall s" "CPU s" "peak MB" "identical"
for what in single beam; do
  walls=() cpus=() rss=0
  for _ in $(seq "${REPS:-1}"); do
    rm -rf "$dir/data-$what"
    if [ "$what" = single ]; then
      read -r w c r < <(measure bin/addlink -q --threads 2 --data-dir "$dir/data-$what" dictionaries --wiki synthwiki "${files[@]/#/--dump=}")
    else
      read -r w c r < <(measure bin/addlink-beam --quiet --wiki synthwiki --data-dir "$dir/data-$what" "${files[@]/#/--dump=}")
    fi
    walls+=("$w") cpus+=("$c")
    rss=$((r > rss ? r : rss))
  done
  same=-
  if [ "$what" = beam ]; then
    same=yes
    for f in "$dir/data-single/synthwiki/"*.parquet; do
      cmp -s "$f" "$dir/data-beam/synthwiki/$(basename "$f")" || same=no
    done
  fi
  printf '%-16s %8s %8s %10s %12s\n' "$what" "$(median "${walls[@]}")" "$(median "${cpus[@]}")" "$rss" "$same"
done
