#!/usr/bin/python3
"""Writes sections.golden: for each case of sections_cases.txt, mwparserfromhell 0.6's
sections (get_sections(include_lead=True, include_headings=True, flat=True)) with their
heading title and top-level text nodes. Needs Debian's python3-mwparserfromhell.
Run from this directory: /usr/bin/python3 gen_sections.py > sections.golden"""
import json
import mwparserfromhell
from mwparserfromhell.nodes import Heading

cases = open("sections_cases.txt", encoding="utf-8").read().split("\n=====CASE=====\n")
out = []
for case in cases:
    code = mwparserfromhell.parse(case)
    secs = []
    for sec in code.get_sections(include_lead=True, include_headings=True, flat=True):
        if not sec:
            secs.append({"heading": None, "texts": []})
            continue
        first = sec.nodes[0]
        heading = str(first.title).strip() if isinstance(first, Heading) else None
        secs.append({"heading": heading, "texts": [str(n) for n in sec.filter_text(recursive=False)]})
    out.append(secs)
print(json.dumps(out, ensure_ascii=False, indent=1))
