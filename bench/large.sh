#!/usr/bin/env bash
# The whole pipeline on a large synthetic dump, this checkout against an older one, in the
# same session: `addlink synth --size SIZE` (default 400 MB of XML, 158,886 articles,
# 27.1 M tokens, 1.6 M links), then `addlink --threads 2 run` from an empty data
# directory with the binary of BEFORE (a git revision, default d81eebf: the last commit
# before issue 16's work on the embeddings) and with this checkout's. Prints each stage's
# seconds from the runs' report.md, both wall times and their ratio. One run of each, one
# after the other: run it on an otherwise idle machine (the old embeddings stage alone
# takes about 12 minutes on 2 cores). Needs git and GNU time.
set -euo pipefail
cd "$(dirname "$0")/.."
out=${BENCH_DIR:-bench/out}
mb=${SIZE:-400}
before=${BEFORE:-d81eebf}
mkdir -p "$out"
out=$(cd "$out" && pwd)
[ -x /usr/bin/time ] || { echo "bench: GNU time is needed (apt-get install time)" >&2; exit 1; }
go build -trimpath -o bin/addlink ./cmd/addlink
wt="$out/large-before-src"
rm -rf "$wt"
git worktree prune
git worktree add -q --detach "$wt" "$before"
trap 'git worktree remove --force "$wt" 2>/dev/null || true' EXIT
(cd "$wt" && go build -trimpath -o "$out/addlink-before" ./cmd/addlink)
dump="$out/synth-large-$mb.xml"
[ -f "$dump" ] || bin/addlink -q synth --wiki synthwiki --size "$mb" --out "$dump"
declare -A wall
for which in before after; do
  bin=bin/addlink
  [ "$which" = before ] && bin="$out/addlink-before"
  rm -rf "$out/large-$which"
  wall[$which]=$(/usr/bin/time -f '%e' "$bin" -q --threads 2 --data-dir "$out/large-$which" run --wiki synthwiki --dump "$dump" 2>&1 >/dev/null | tail -1)
done
printf '%-13s %10s %10s\n' stage "before s" "after s"
awk -F'|' '/^\| [a-z]+ \| ran \|/ { gsub(/ /, "", $2); if (FNR == NR) { order[++n] = $2; b[$2] = $4 + 0 } else a[$2] = $4 + 0 }
  END { for (i = 1; i <= n; i++) printf "%-13s %10.2f %10.2f\n", order[i], b[order[i]], a[order[i]] }' \
  "$out/large-before/synthwiki/report.md" "$out/large-after/synthwiki/report.md"
printf '%-13s %10.2f %10.2f\n' "whole (wall)" "${wall[before]}" "${wall[after]}"
echo "after/before: $(echo "${wall[after]} / ${wall[before]}" | bc -l | xargs printf '%.3f')"
for which in before after; do
  printf '%s: ' "$which"
  /usr/bin/python3 -c "import json; s=json.load(open('$out/large-$which/synthwiki/embeddings.summary.json')); print('%d tokens, %d links, %d pairs trained in %.1f s (%.0f pairs/s)' % (s['tokens'], s['links'], s['pairs'], s['train_seconds'], s['pairs_per_second']))"
done
