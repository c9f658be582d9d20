#!/usr/bin/python3
# The real consumer of our SQL dumps: loads them into a MariaDB server the way the
# Link Recommendation service's load-datasets.py does (every line of the gunzipped
# dump that contains INSERT INTO is executed as one statement), then reads every row
# back, unpickles it, and compares it with the same dataset read from our SQLite file
# by sqlitedict. Prints "ok <table> <rows>" per table; exits non-zero on a difference.
#   mariadb_load.py SOCKET SCHEMA_FILE DATA_DIR WIKI
import gzip
import pickle
import sys

import numpy
import pymysql
from sqlitedict import SqliteDict

sock, schema, data, wiki = sys.argv[1:5]
conn = pymysql.connect(unix_socket=sock, user="root", autocommit=True)
cur = conn.cursor()
cur.execute("CREATE DATABASE IF NOT EXISTS addlink")
cur.execute("USE addlink")
for stmt in open(schema, encoding="utf-8"):
    if stmt.strip():
        cur.execute(stmt)
for name in ["anchors", "pageids", "redirects", "w2vfiltered"]:
    table = "lr_%s_%s" % (wiki, name)
    rows = 0
    for line in gzip.open("%s/%s.sql.gz" % (data, table)):
        if line.strip():
            if line.find(b"INSERT INTO") == -1:
                continue
            rows += 1
            cur.execute(line)
    cur.execute("SELECT lookup, value FROM %s" % table)
    got = {k: pickle.loads(v) for k, v in cur.fetchall()}
    want = dict(SqliteDict("%s/%s.%s.sqlite" % (data, wiki, name), flag="r").items())
    if set(got) != set(want) or len(got) != rows:
        sys.exit("%s: %d rows loaded, %d keys, sqlite has %d" % (table, rows, len(got), len(want)))
    for k, v in want.items():
        g = got[k]
        if isinstance(v, numpy.ndarray):
            ok = isinstance(g, numpy.ndarray) and g.dtype == numpy.float32 and numpy.array_equal(g, v)
        else:
            ok = g == v and type(g) is type(v)
        if not ok:
            sys.exit("%s[%r]: %r from MariaDB, %r from SQLite" % (table, k, g, v))
    print("ok", table, rows)
