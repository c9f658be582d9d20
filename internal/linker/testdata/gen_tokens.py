#!/usr/bin/python3
"""Writes tokens.tsv: for each word of words.txt, the tokens of NLTK 3.8's
NLTKWordTokenizer (Debian python3-nltk), joined by U+001F. Run from this directory:
/usr/bin/python3 gen_tokens.py > tokens.tsv"""
from nltk.tokenize import NLTKWordTokenizer

tok = NLTKWordTokenizer()
for line in open("words.txt", encoding="utf-8"):
    w = line.rstrip("\n")
    if not w:
        continue
    print(w + "\t" + "\x1f".join(tok.tokenize(w)))
