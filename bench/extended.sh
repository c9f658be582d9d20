#!/usr/bin/env bash
# What the extended model costs and gains (README "Which model"): on the fixture wikis
# elwikivoyage, ukwiki, viwiki, jawiki (../shared/fixtures), `addlink run` (the
# six-feature model), then, on a copy of that data directory, `addlink run --features
# extended` (the stages before the link graph are current and skipped: only what the
# extended model changes runs). Prints per wiki the CPU seconds (user+sys, GNU time) of
# that extended run against the six-feature run's same stages run again (--force --from
# sentences), the wall seconds of each stage that differs (from each run's report.md), the exported datasets' sizes (the sql.gz and sqlite.gz
# files publish copies) and the backtest at threshold 0.5 with the best F1: the
# `extended` row of bench/linkquality.sh made through `run --features extended`.
# Single runs on a shared machine: read the seconds as rough.
set -euo pipefail
cd "$(dirname "$0")/.."
out=${BENCH_DIR:-bench/out}/extended
fixtures=${FIXTURES:-../shared/fixtures}
wikis=${WIKIS:-elwikivoyage ukwiki viwiki jawiki}
rm -rf "$out"
mkdir -p "$out"
go build -trimpath -o bin/addlink ./cmd/addlink
A=(nice bin/addlink -q --threads 2 --dumps-dir "$out/nodumps")
a() { "${A[@]}" "$@"; }
mkdir -p "$out/nodumps"
[ -x /usr/bin/time ] || { echo "bench: GNU time is needed (apt-get install time)" >&2; exit 1; }
cpu() { /usr/bin/time -f '%U %S' "$@" 2>&1 >/dev/null | tail -1 | awk '{ printf "%.2f\n", $1 + $2 }'; }
for wiki in $wikis; do
  dump=$(ls "$fixtures/dumps/$wiki/"*pages-articles*.bz2 | head -1)
  a --data-dir "$out/ref" run --wiki "$wiki" --dump "$dump"
  mkdir -p "$out/ext"
  cp -a "$out/ref/$wiki" "$out/ext/$wiki"
  # CPU seconds of what the extended model changes: its run on the copy (linkgraph to
  # export), against the six-feature model's sentences to export run again.
  cpu "${A[@]}" --data-dir "$out/ref" run --wiki "$wiki" --dump "$dump" --force --from sentences > "$out/$wiki.six.cpu"
  cpu "${A[@]}" --data-dir "$out/ext" run --wiki "$wiki" --dump "$dump" --features extended > "$out/$wiki.ext.cpu"
  echo "$wiki: done" >&2
done
python3 - "$out" $wikis <<'PY'
import json, os, re, sys
out, wikis = sys.argv[1], sys.argv[2:]
cpus = {}
for w in wikis:
    six, ext = (float(open(f"{out}/{w}.{k}.cpu").read()) for k in ("six", "ext"))
    cpus[w] = (six, ext)
def stages(d, w):
    t = {}
    for line in open(f"{out}/{d}/{w}/report.md"):
        m = re.match(r"\| (\w+) \| (ran|current|skipped) \| ([0-9.]*) \|", line)
        if m:
            t[m.group(1)] = (m.group(2), float(m.group(3) or 0))
    return t
def exported(d, w):
    e = f"{out}/{d}/{w}/export"
    return sum(os.path.getsize(os.path.join(e, f)) for f in os.listdir(e) if f.endswith(".sql.gz") or f.endswith(".sqlite.gz"))
def extra(d, w):
    e = f"{out}/{d}/{w}/export"
    return sum(os.path.getsize(os.path.join(e, f)) for f in os.listdir(e) if ("anchors_stats" in f or "linkgraph" in f) and (f.endswith(".sql.gz") or f.endswith(".sqlite.gz")))
def bt(d, w):
    s = json.load(open(f"{out}/{d}/{w}/backtest.summary.json"))
    r = [x for x in s["rows"] if abs(x["threshold"] - 0.5) < 1e-9][0]
    return r["micro_precision"], r["micro_recall"], s["best_f1"]
names = ["linkgraph", "sentences", "features", "train", "backtest", "export"]
print("| wiki | CPU s, sentences to export (six / ext, ratio) | " + " | ".join(f"{n} s (six / ext)" for n in names) + " | exported KB (six / ext, of which new datasets) | P / R at 0.5 (six) | P / R at 0.5 (ext) | best F1 six / ext |")
print("|---|" + "---|" * (len(names) + 5))
for w in wikis:
    r, e = stages("ref", w), stages("ext", w)
    cells = []
    for n in names:
        rs = f"{r[n][1]:.2f}" if n in r else "-"
        es = f"{e[n][1]:.2f}" if n in e and e[n][0] == "ran" else "-"
        cells.append(f"{rs} / {es}")
    p0, r0, f0 = bt("ref", w)
    p1, r1, f1 = bt("ext", w)
    six, ext = cpus[w]
    print(f"| {w} | {six:.2f} / {ext:.2f} ({ext / six:.2f}x) | " + " | ".join(cells) + f" | {exported('ref', w) / 1024:.0f} / {exported('ext', w) / 1024:.0f} ({extra('ext', w) / 1024:.0f}) | {p0:.3f} / {r0:.3f} | {p1:.3f} / {r1:.3f} | {f0:.3f} / {f1:.3f} |")
PY
