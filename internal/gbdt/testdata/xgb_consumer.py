#!/usr/bin/python3
# The real consumer of our model files, used by the Go tests (Debian's python3-xgboost).
#   predict MODEL ROWS OUT: load MODEL with Booster.load_model and with
#       XGBClassifier().load_model, predict the rows of ROWS (TSV of float32, nan =
#       missing), write both probabilities per line to OUT.
#   fit TRAIN TEST OUT: fit XGBClassifier(tree_method="hist", n_jobs=2) on TRAIN (TSV,
#       features then label), write its probabilities for TEST's rows to OUT.
import sys
import numpy as np
import xgboost as xgb


def load(path):
    return np.loadtxt(path, delimiter="\t", dtype=np.float32, ndmin=2)


def main():
    mode = sys.argv[1]
    if mode == "predict":
        model, rows, out = sys.argv[2:5]
        x = load(rows)
        booster = xgb.Booster()
        booster.load_model(model)
        p1 = booster.predict(xgb.DMatrix(x, missing=np.nan))
        clf = xgb.XGBClassifier()
        clf.load_model(model)
        p2 = clf.predict_proba(x)[:, 1]
        np.savetxt(out, np.column_stack([p1, p2]), delimiter="\t", fmt="%.9g")
    elif mode == "fit":
        train, test, out = sys.argv[2:5]
        tr, te = load(train), load(test)
        clf = xgb.XGBClassifier(tree_method="hist", n_jobs=2)
        clf.fit(tr[:, :-1], tr[:, -1].astype(int))
        np.savetxt(out, clf.predict_proba(te[:, :-1])[:, 1], fmt="%.9g")
    else:
        sys.exit("unknown mode " + mode)


main()
