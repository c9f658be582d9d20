#!/usr/bin/python3
# Reads a sqlitedict file with Debian's python3-sqlitedict (the service's reader) and
# prints every item as a JSON line: {"key": k, "type": t, "value": v}; numpy arrays are
# printed with their dtype and values (float32 values as float64 JSON numbers).
import json
import sys

import numpy
from sqlitedict import SqliteDict

db = SqliteDict(sys.argv[1], flag="r")
for key in sorted(db.keys()):
    v = db[key]
    if isinstance(v, numpy.ndarray):
        rec = {"key": key, "type": "ndarray:" + str(v.dtype) + ":" + str(v.shape), "value": [float(x) for x in v]}
    else:
        rec = {"key": key, "type": type(v).__name__, "value": v}
    print(json.dumps(rec, ensure_ascii=False))
db.close()
