#!/usr/bin/python3
"""Baseline for bench/embeddings.sh: trains Debian's python3-gensim Word2Vec (skip-gram,
negative sampling) on the token sequences `addlink embeddings --write-corpus` wrote, with
the given dimension, window, negatives and epochs, and prints its training throughput
and the link-pair ROC AUC of its entity vectors next to the AUC of our vectors
(`addlink cat --format jsonl` output), both on the same pairs.

The corpus holds an article's own entity token once, at the start of its line, and its
links' entity tokens where the links are: only 16% of elwikivoyage's linked pairs
(912 of 5,830) ever fall within one window of 5, so gensim trained on the lines alone
hardly sees the link graph that our trainer trains pair by pair (LinkWeight times per
epoch). Its entity vectors then share one large common direction (cosine 0.78 of linked
pairs, 0.85 of random ones) and rank random pairs above linked ones: AUC 0.33 on
elwikivoyage, 0.46 on viwiki, below chance. So gensim also trains each (article,
linked entity) pair as a two-token sentence LINK_COPIES times per epoch (default 15, our
link weight), and, as our trainer does, the entity vectors' mean is removed before the
cosines. Throughput counts the corpus's tokens for both (equal work: both train the
text and the link graph).

usage: gensim_baseline.py CORPUS OURS_JSONL THREADS DIM WINDOW NEGATIVES EPOCHS [LINK_COPIES]"""
import json
import sys
import time

import numpy as np
from gensim.models import Word2Vec

corpus, ours_path = sys.argv[1], sys.argv[2]
threads, dim, window, negatives, epochs = (int(x) for x in sys.argv[3:8])
link_copies = int(sys.argv[8]) if len(sys.argv) > 8 else 15
sentences = [line.split() for line in open(corpus, encoding="utf-8")]
tokens = sum(len(s) for s in sentences)
links = [[s[0], t] for s in sentences for t in s[1:] if t.startswith("E:") and t != s[0]]
sentences += links * link_copies
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


entities = [k for k in model.wv.index_to_key if k.startswith("E:")]
mean = np.mean([model.wv[k] for k in entities], axis=0)
g = lambda a, b: cos(model.wv["E:%d" % a] - mean, model.wv["E:%d" % b] - mean)
ours = [np.array(json.loads(line)["vector"], dtype=np.float32) for line in open(ours_path, encoding="utf-8")]
o = lambda a, b: cos(ours[a], ours[b])
print(json.dumps({"tokens": tokens, "gensim_seconds": seconds,
                  "gensim_tokens_per_second": tokens * epochs / seconds,
                  "gensim_auc": auc(g), "ours_auc": auc(o)}))
