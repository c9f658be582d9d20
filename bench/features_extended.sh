#!/usr/bin/env bash
# Cost of the extended features (docs/features.md): `addlink features` with today's
# six features against `addlink features --features extended --drop-linked-elsewhere`
# (link probability, relatedness, position, rows whose target the page links elsewhere
# dropped, and the extended candidate rules: articles' titles as mentions), as whole processes on 2 threads, alternately, RUNS times each, on
#  1. the fixture wikis elwikivoyage, ukwiki, viwiki, jawiki (../shared/fixtures), and
#  2. a synthetic dump of SIZE MB of XML (default 100; 0 skips it).
# Prints the medians of wall and CPU (user+sys) seconds and their ratios, extended /
# reference, measured in the same run; and the ratio with the linkgraph stage (which
# the extended features need, run once per wiki) added to the extended side.
# The stages before features are run first and not timed. Needs GNU time.
set -euo pipefail
cd "$(dirname "$0")/.."
out=${BENCH_DIR:-bench/out}/features-ext
fixtures=${FIXTURES:-../shared/fixtures}
runs=${RUNS:-5}
size=${SIZE:-100}
wikis=${WIKIS:-elwikivoyage ukwiki viwiki jawiki}
mkdir -p "$out"
go build -trimpath -o bin/addlink ./cmd/addlink
[ -x /usr/bin/time ] || { echo "bench: GNU time is needed (apt-get install time)" >&2; exit 1; }
# times CMD...: prints "wall cpu" of one run.
times() { /usr/bin/time -f '%e %U %S' "$@" 2>&1 >/dev/null | tail -1 | awk '{ printf "%.3f %.3f\n", $1, $2 + $3 }'; }
median() { printf '%s\n' "$@" | sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

bench_wiki() { # wiki data dump [embeddings flags]
  local wiki=$1 data=$2 dump=$3
  shift 3
  local a=(bin/addlink -q --threads 2 --data-dir "$data")
  "${a[@]}" run --wiki "$wiki" --dump "$dump" --to filter ${run_flags:-}
  [ -f "$data/$wiki/$wiki.w2vfiltered.parquet" ] || "${a[@]}" embeddings --wiki "$wiki" --dump "$dump" "$@"
  [ -f "$data/$wiki/training/sentences_train.csv" ] || "${a[@]}" sentences --wiki "$wiki" --dump "$dump"
  local lg; lg=$(times "${a[@]}" linkgraph --wiki "$wiki" --dump "$dump")
  local rw=() rc=() ew=() ec=()
  for _ in $(seq "$runs"); do
    read -r w c < <(times "${a[@]}" features --wiki "$wiki"); rw+=("$w"); rc+=("$c")
    read -r w c < <(times "${a[@]}" features --wiki "$wiki" --features extended --drop-linked-elsewhere); ew+=("$w"); ec+=("$c")
  done
  local mrw mrc mew mec
  mrw=$(median "${rw[@]}") mrc=$(median "${rc[@]}") mew=$(median "${ew[@]}") mec=$(median "${ec[@]}")
  read -r lgw lgc <<< "$lg"
  local rows; rows=$(wc -l < "$data/$wiki/training/link_train.csv")
  local erows; erows=$(($(wc -l < "$data/$wiki/training/link_train_extended.csv") - 1))
  printf '%-14s %7d rows (extended %d) | reference %6.2fs wall %6.2fs cpu | extended %6.2fs wall %6.2fs cpu | ratio wall %.2f cpu %.2f | linkgraph %.2fs cpu, with it: cpu %.2f\n' \
    "$wiki" "$rows" "$erows" "$mrw" "$mrc" "$mew" "$mec" "$(echo "$mew / $mrw" | bc -l)" "$(echo "$mec / $mrc" | bc -l)" \
    "$lgc" "$(echo "($mec + $lgc) / $mrc" | bc -l)"
}

for wiki in $wikis; do
  bench_wiki "$wiki" "$out/$wiki" "$(ls "$fixtures/dumps/$wiki/"*pages-articles*.bz2 | head -1)"
done
if [ "$size" -gt 0 ]; then
  syn="$out/synth-$size.xml.gz"
  [ -f "$syn" ] || bin/addlink -q synth --size "$size" --out "$syn"
  # The vectors' values do not matter for the timing: one short epoch.
  # (the synthetic dump names itself samplewiki)
  run_flags=--allow-wiki-mismatch bench_wiki synthwiki "$out/synth" "$syn" --epochs 1 --dim 8 --allow-wiki-mismatch
fi
