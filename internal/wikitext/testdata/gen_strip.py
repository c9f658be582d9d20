#!/usr/bin/python3
"""Writes strip.golden: for each case of strip_cases.txt, mwparserfromhell 0.6's
Wikicode.strip_code(), the plain text the reference pipeline counts anchors in.
Needs Debian's python3-mwparserfromhell.
Run from this directory: /usr/bin/python3 gen_strip.py > strip.golden"""
import json
import mwparserfromhell

cases = open("strip_cases.txt", encoding="utf-8").read().split("\n=====CASE=====\n")
out = [{"in": c, "want": mwparserfromhell.parse(c).strip_code()} for c in cases]
print(json.dumps(out, ensure_ascii=False, indent=1))
