#!/usr/bin/python3
# Writes goldens.tsv: expected kurtosis and jaro values from Debian's python3-scipy and
# python3-levenshtein (the libraries the reference pipeline uses), for the Go tests.
#   /usr/bin/python3 testdata/gen_goldens.py > testdata/goldens.tsv
import random
import sys

import scipy
import Levenshtein
from scipy.stats import kurtosis

random.seed(20261124)
out = sys.stdout
out.write("# scipy %s, python-Levenshtein %s\n" % (scipy.__version__, getattr(Levenshtein, "__version__", "0.12")))

def kurt(counts):
    vals = sorted(counts, reverse=True) + [1] * (1000 - len(counts))
    return repr(float(kurtosis(vals)))

cases = [[1], [1, 1], [2], [5, 1], [1000, 3, 2], [7] * 10, [1] * 999 + [2], list(range(1, 1200)), [3, 3, 3]]
for _ in range(160):
    n = random.choice([1, 2, 3, 5, 8, 20, 100, 999, 1000, 1500])
    cases.append([random.choice([1, 1, 1, 2, 3, 5, 10, 100, 10000]) * random.randint(1, 3) for _ in range(n)])
for c in cases:
    out.write("kurtosis\t%s\t%s\n" % (",".join(map(str, c)), kurt(c)))

words = ["Athens", "athens", "Αθήνα", "αθήνα", "Αθηνα", "Κάτω Χώρες", "κάτω χώρες", "Москва", "москва", "Київ",
         "київ", "हिन्दी", "हिंदी भाषा", "東京", "東京都", "日本語", "中华人民共和国", "İstanbul", "istanbul", "ıstanbul",
         "Izmir", "İzmir", "martha", "marhta", "dwayne", "duane", "dixon", "dicksonx", "jaro", "joaro", "", "a", "ab",
         "abc", "Straße", "strasse", "Ελλάδα", "ελλάς", "ΟΔΟΣ", "οδός", "Việt Nam", "viet nam", "Hà Nội", "ha noi",
         "Ά", "α", "😀 smile", "smile 😀", "New York City", "new york", "York", "Tōkyō", "tokyo"]
pairs = [(a, b) for a in words[:20] for b in words[:10]]
for _ in range(150):
    pairs.append((random.choice(words), random.choice(words)))
for a, b in pairs:
    out.write("jaro\t%s\t%s\t%s\n" % (a, b, repr(float(Levenshtein.jaro(a.lower(), b.lower())))))
