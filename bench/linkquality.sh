#!/usr/bin/env bash
# Link detection beyond the reference (README "Beyond the reference", docs/features.md):
# on the fixture wikis elwikivoyage, ukwiki, viwiki and jawiki (../shared/fixtures),
# trains and backtests models that differ only in their features and training data,
# all on the same test sentences, and prints the table of precision and recall at
# threshold 0.5 (with 95% bootstrap intervals), best F1 and PR AUC per wiki, the
# macro averages, and the differences against today's six-feature model.
#   variants: tpa<N>-<features>[-clean], N sentences per training article (1 the
#   reference's, 3 today's default, all), features reference | reference+linkprob |
#   ... | extended; -clean: features --drop-linked-elsewhere; @<rules>: the candidate
#   rules of features and train --candidates (exacttitle+titles, extended, ...), the
#   reference's without.
# The dictionaries, embeddings, sentences and link graph are made once per wiki (not
# timed). WIKIS and VARIANTS override the lists; the summaries stay under
# bench/out/quality/<wiki>/results/ for `addlink compare`.
set -euo pipefail
cd "$(dirname "$0")/.."
out=${BENCH_DIR:-bench/out}/quality
fixtures=${FIXTURES:-../shared/fixtures}
wikis=${WIKIS:-elwikivoyage ukwiki viwiki jawiki}
variants=${VARIANTS:-tpa1-reference tpa3-reference tpa3-reference+linkprob tpa3-reference+relatedness tpa3-reference+position tpa3-extended
  tpa3-reference-clean tpa3-extended-clean tpaall-reference tpaall-extended tpaall-reference-clean
  tpaall-reference+linkprob-clean tpaall-reference+relatedness-clean tpaall-reference+position-clean tpaall-extended-clean
  tpa3-reference@titles tpaall-extended-clean@exacttitle tpaall-extended-clean@titles tpaall-extended-clean@redirects
  tpaall-extended-clean@exacttitle+titles tpaall-extended-clean@titles+redirects tpaall-extended-clean@exacttitle+titles+redirects}
baseline=${BASELINE:-tpa3-reference}
mkdir -p "$out"
go build -trimpath -o bin/addlink ./cmd/addlink
a() { nice bin/addlink -q --threads 2 --data-dir "$data" "$@"; }

for wiki in $wikis; do
  data="$out/$wiki"
  dump=$(ls "$fixtures/dumps/$wiki/"*pages-articles*.bz2 | head -1)
  a run --wiki "$wiki" --dump "$dump" --to embeddings
  a linkgraph --wiki "$wiki" --dump "$dump"
  mkdir -p "$data/results"
  tpa_done="" rows_done=""
  for v in $variants; do
    cands=reference
    case $v in *@*) cands=${v#*@} ;; esac
    tpa=${v%%-*}; tpa=${tpa#tpa}; feats=${v#*-}; feats=${feats%%@*}; clean=""
    case $feats in *-clean) feats=${feats%-clean}; clean=--drop-linked-elsewhere ;; esac
    if [ "$tpa" != "$tpa_done" ]; then
      a sentences --wiki "$wiki" --dump "$dump" --train-per-article "$tpa"
      tpa_done=$tpa rows_done=""
    fi
    if [ "$tpa:$clean:$cands" != "$rows_done" ]; then
      a features --wiki "$wiki" --features extended --candidates "$cands" $clean
      rows_done="$tpa:$clean:$cands"
    fi
    a train --wiki "$wiki" --features "$feats" --candidates "$cands" > /dev/null
    a backtest --wiki "$wiki" > /dev/null
    cp "$data/$wiki/backtest.summary.json" "$data/results/$v.json"
    cp "$data/$wiki/train.summary.json" "$data/results/$v.train.json"
    echo "$wiki $v: done" >&2
  done
done

# The table: per wiki and variant, P and R at 0.5 with intervals, best F1, PR AUC;
# then macro averages over the wikis and the differences against the baseline.
python3 - "$out" "$baseline" $wikis -- $variants <<'EOF'
import json, sys
out, base = sys.argv[1], sys.argv[2]
rest = sys.argv[3:]
k = rest.index('--')
wikis, variants = rest[:k], rest[k + 1:]
def row(w, v):
    s = json.load(open(f"{out}/{w}/results/{v}.json"))
    r = [x for x in s["rows"] if abs(x["threshold"] - 0.5) < 1e-9][0]
    return s, r
def f(x):
    return "-" if x is None else f"{x:.3f}"
def ci(r, k):
    lo, hi = r[k + "_low"], r[k + "_high"]
    return "" if lo is None else f" [{lo:.2f}, {hi:.2f}]"
print("| wiki | variant | N | P@0.5 [95%] | R@0.5 [95%] | best F1 (thr) | PR AUC [95%] |")
print("|---|---|---|---|---|---|---|")
macro = {}
for w in wikis:
    for v in variants:
        s, r = row(w, v)
        print(f"| {w} | {v} | {r['n']} | {f(r['micro_precision'])}{ci(r, 'precision')} | {f(r['micro_recall'])}{ci(r, 'recall')} | "
              f"{f(s['best_f1'])} ({s['best_f1_threshold']}) | {f(s['pr_auc'])} [{f(s['pr_auc_low'])}, {f(s['pr_auc_high'])}] |")
        m = macro.setdefault(v, {"p": [], "r": [], "f1": [], "auc": []})
        m["p"].append(r["micro_precision"] or 0.0)
        m["r"].append(r["micro_recall"] or 0.0)
        m["f1"].append(s["best_f1"] or 0.0)
        m["auc"].append(s["pr_auc"] or 0.0)
print()
print(f"Macro averages over {', '.join(wikis)}; differences against {base}; 'F1 up on' counts the wikis whose best F1 is higher than the baseline's.")
print()
print("| variant | macro P@0.5 | macro R@0.5 | dP | dR | macro best F1 | dF1 | F1 up on | macro PR AUC |")
print("|---|---|---|---|---|---|---|---|---|")
avg = lambda xs: sum(xs) / len(xs)
b = macro[base]
for v in variants:
    m = macro[v]
    up = sum(1 for i in range(len(wikis)) if m["f1"][i] > b["f1"][i] + 1e-12)
    print(f"| {v} | {avg(m['p']):.3f} | {avg(m['r']):.3f} | {avg(m['p']) - avg(b['p']):+.3f} | {avg(m['r']) - avg(b['r']):+.3f} | "
          f"{avg(m['f1']):.3f} | {avg(m['f1']) - avg(b['f1']):+.3f} | {up}/{len(wikis)} | {avg(m['auc']):.3f} |")
EOF
