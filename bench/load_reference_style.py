"""Loads lr_<wiki>_<dataset>.sql.gz files the way the service's load-datasets.py does
(SERVICE.md 3.3): create the table, DELETE its rows, execute every line that contains
INSERT INTO as one statement, one transaction, commit. bench/load.sh runs it when no
research-mwaddlink checkout is at hand to run load-datasets.py itself.

usage: load_reference_style.py SOCKET DATABASE DIR WIKI DATASET...
"""
import gzip
import os
import sys

import pymysql

sock, database, directory, wiki = sys.argv[1:5]
conn = pymysql.connect(unix_socket=sock, user="root", database=database, charset="utf8mb4")
with conn.cursor() as cur:
    for dataset in sys.argv[5:]:
        table = "lr_%s_%s" % (wiki, dataset)
        cur.execute(
            "CREATE TABLE IF NOT EXISTS %s (`id` INT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,"
            " `lookup` TEXT NOT NULL, `value` LONGBLOB NOT NULL, INDEX `lookup_index` (`lookup`(767)))"
            " CHARACTER SET utf8mb4 COLLATE utf8mb4_bin" % table
        )
    conn.begin()
    for dataset in sys.argv[5:]:
        table = "lr_%s_%s" % (wiki, dataset)
        cur.execute("DELETE FROM %s" % table)
        n = 0
        for line in gzip.open(os.path.join(directory, wiki, table + ".sql.gz")):
            if line.strip() and line.find(b"INSERT INTO") != -1:
                cur.execute(line)
                n += 1
        print("%s %d rows" % (table, n))
    conn.commit()
