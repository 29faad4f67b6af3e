#!/usr/bin/env python3
"""Append one annotator's label file (made by reading; see
docs/relevance.md) to classify/testdata/labels/train.tsv, with its annotator
name and sampling pool. It never decides a label: it copies the
annotator's, except where settle.tsv (written by hand after reading the
item, under a rule of docs/relevance.md) gives the settled one; the
annotator column then reads NAME+i12 and the reason keeps the old label.

    scripts/add-round.py OUT.tsv NAME POOL [SETTLE.tsv]
"""
import os, sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from labelbatch import read_annotator_file  # noqa: E402

out, name, pool = sys.argv[1:4]
settle = {}
if len(sys.argv) > 4:
    for line in open(sys.argv[4], encoding="utf-8"):
        if line.strip() and not line.startswith("#"):
            i, label, topics, why = line.rstrip("\n").split("\t")
            settle[i] = (label, topics, why)
path = os.path.join(os.path.dirname(__file__), "..", "classify", "testdata", "labels", "train.tsv")
rows = []
for i, label, topics, reason in read_annotator_file(out, path):
    who = name
    if i in settle:
        new, newtopics, why = settle.pop(i)
        if new != label:
            reason = f"{reason} (was {label}; {why})"
            label, topics, who = new, newtopics, name + "+i12"
    rows.append("\t".join([i, label, topics or "-", who, pool, reason.replace("\t", " ")]))
if settle:
    sys.exit(f"settled items not in {out}: {sorted(settle)}")
with open(path, "a", encoding="utf-8") as f:
    f.write("\n".join(rows) + "\n")
print(f"{out}: {len(rows)} items appended as {name}, pool {pool}", file=sys.stderr)
