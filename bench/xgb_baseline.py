"""Baseline for bench/train.sh: XGBoost 1.7's XGBClassifier(tree_method="hist", n_jobs=2)
fitted on the same split as `addlink train` (NumPy RandomState(seed).permutation, the first
ceil(holdout*n) rows held out, as scikit-learn's train_test_split).

Usage: xgb_baseline.py link_train.csv [holdout] [seed]
Prints "auc <held-out ROC AUC>" and "fit_seconds <seconds of fit alone>".
"""
import sys
import time

import numpy as np
import xgboost

path = sys.argv[1]
holdout = float(sys.argv[2]) if len(sys.argv) > 2 else 0.33
seed = int(sys.argv[3]) if len(sys.argv) > 3 else 7

cols = np.loadtxt(path, delimiter="\t", dtype=str, comments=None, ndmin=2)
x = cols[:, 3:9].astype(np.float64)
y = (cols[:, 9] == "True").astype(int)
n = len(y)
perm = np.random.RandomState(seed).permutation(n)
n_test = int(np.ceil(holdout * n))
test, train = perm[:n_test], perm[n_test:]

clf = xgboost.XGBClassifier(tree_method="hist", n_jobs=2)
start = time.perf_counter()
clf.fit(x[train], y[train])
fit_seconds = time.perf_counter() - start
p = clf.predict_proba(x[test])[:, 1]

# ROC AUC as the Mann-Whitney statistic, ties counted as half.
order = np.argsort(p, kind="mergesort")
ranks = np.empty(n_test)
sp = p[order]
i = 0
while i < n_test:
    j = i
    while j < n_test and sp[j] == sp[i]:
        j += 1
    ranks[order[i:j]] = (i + j + 1) / 2.0
    i = j
yt = y[test]
pos = yt.sum()
neg = n_test - pos
auc = (ranks[yt == 1].sum() - pos * (pos + 1) / 2.0) / (pos * neg)
print("auc %.5f" % auc)
print("fit_seconds %.3f" % fit_seconds)
