"""Real-consumer check: load a model JSON with XGBoost and print its predictions.

Usage: xgb_predict.py MODEL.json ROWS.tsv
ROWS.tsv holds one feature vector per line (tab-separated, "nan" = missing). Prints, per
row, the probability from Booster.load_model and from XGBClassifier().load_model.
"""
import sys

import numpy as np
import xgboost

model_path, rows_path = sys.argv[1], sys.argv[2]
x = np.loadtxt(rows_path, delimiter="\t", dtype=np.float32, ndmin=2)

booster = xgboost.Booster()
booster.load_model(model_path)
p1 = booster.predict(xgboost.DMatrix(x, missing=np.nan))

clf = xgboost.XGBClassifier()
clf.load_model(model_path)
p2 = clf.predict_proba(x)[:, 1]

for a, b in zip(p1, p2):
    print("%r\t%r" % (float(a), float(b)))
