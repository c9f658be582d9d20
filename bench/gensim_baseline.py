#!/usr/bin/python3
"""Baseline for bench/embeddings.sh: trains Debian's python3-gensim Word2Vec (skip-gram,
negative sampling) on the token sequences `addlink embeddings --write-corpus` wrote, with
the given dimension, window, negatives and epochs, and prints its training throughput
and the link-pair ROC AUC of its entity vectors next to the AUC of our vectors
(`addlink cat --format jsonl` output), both on the same pairs.

usage: gensim_baseline.py CORPUS OURS_JSONL THREADS DIM WINDOW NEGATIVES EPOCHS"""
import json
import sys
import time

import numpy as np
from gensim.models import Word2Vec

corpus, ours_path = sys.argv[1], sys.argv[2]
threads, dim, window, negatives, epochs = (int(x) for x in sys.argv[3:8])
sentences = [line.split() for line in open(corpus, encoding="utf-8")]
tokens = sum(len(s) for s in sentences)
pairs = [tuple(int(x) for x in line.split()) for line in open(corpus + ".pairs")]

model = Word2Vec(vector_size=dim, window=window, negative=negatives, sg=1, min_count=1,
                 sample=1e-4, workers=threads, seed=1)
model.build_vocab(sentences)
start = time.perf_counter()
model.train(sentences, total_examples=len(sentences), epochs=epochs)
seconds = time.perf_counter() - start


def auc(score):
    pos = [score(a, b) for a, b, y in pairs if y == 1]
    neg = [score(a, b) for a, b, y in pairs if y == 0]
    allv = np.array(pos + neg)
    ranks = allv.argsort().argsort() + 1.0
    # average ranks of ties
    order = np.argsort(allv, kind="mergesort")
    sorted_v = allv[order]
    i = 0
    while i < len(sorted_v):
        j = i
        while j + 1 < len(sorted_v) and sorted_v[j + 1] == sorted_v[i]:
            j += 1
        if j > i:
            ranks[order[i:j + 1]] = (i + j) / 2.0 + 1
        i = j + 1
    r = ranks[:len(pos)].sum()
    return (r - len(pos) * (len(pos) + 1) / 2) / (len(pos) * len(neg))


def cos(u, v):
    n = np.linalg.norm(u) * np.linalg.norm(v)
    return float(np.dot(u, v) / n) if n else 0.0


g = lambda a, b: cos(model.wv["E:%d" % a], model.wv["E:%d" % b])
ours = [np.array(json.loads(line)["vector"], dtype=np.float32) for line in open(ours_path, encoding="utf-8")]
o = lambda a, b: cos(ours[a], ours[b])
print(json.dumps({"tokens": tokens, "gensim_seconds": seconds,
                  "gensim_tokens_per_second": tokens * epochs / seconds,
                  "gensim_auc": auc(g), "ours_auc": auc(o)}))
