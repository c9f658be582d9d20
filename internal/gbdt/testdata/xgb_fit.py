"""Quality baseline: fit XGBoost 1.7's XGBClassifier(tree_method="hist", n_jobs=2) on a
training file and print its probabilities for a test file, then the fit time.

Usage: xgb_fit.py TRAIN.tsv TEST.tsv
Each file: tab-separated features then a 0/1 label in the last column, "nan" = missing.
Prints one probability per test row, then a last line "fit_seconds <s>".
"""
import sys
import time

import numpy as np
import xgboost

train = np.loadtxt(sys.argv[1], delimiter="\t", dtype=np.float64, ndmin=2)
test = np.loadtxt(sys.argv[2], delimiter="\t", dtype=np.float64, ndmin=2)
clf = xgboost.XGBClassifier(tree_method="hist", n_jobs=2)
start = time.perf_counter()
clf.fit(train[:, :-1], train[:, -1].astype(int))
elapsed = time.perf_counter() - start
for p in clf.predict_proba(test[:, :-1])[:, 1]:
    print(repr(float(p)))
print("fit_seconds %.6f" % elapsed)
