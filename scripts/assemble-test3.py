#!/usr/bin/env python3
"""Write classify/testdata/labels/test3.tsv, the third frozen Chinese test
set, from the draw of scripts/sample-labelling-test3.py and the labels made
by reading, and take its items out of train.tsv.

It never decides a label. Each drawn item keeps the label it was given by
reading: a new item its annotator's (OUT/out/test3-zh-K.a.tsv, annotators
r114-r121 by batch), a training item the one train.tsv holds (the line
moves; its reason notes the pool it was labelled in), a test2.tsv item the
one test2.tsv holds (copied; test2.tsv keeps it). Where the blind second
pass disagreed and the disagreement was settled by the rubric, OUT/settled.tsv
(id, label, topics, why; written by hand after reading the item) gives the
settled label, and the annotator reads NAME+s.

    python3 scripts/assemble-test3.py OUT
"""
import json, os, sys

sys.path.insert(0, os.path.dirname(__file__))
from labelbatch import LABELS, read_annotator_file  # noqa: E402

out = sys.argv[1]
meta = json.load(open(os.path.join(out, "ids.json")))
draw, src = meta["draw"], meta["from"]


def lines(name):
    return [l for l in open(os.path.join(LABELS, name), encoding="utf-8")]


def by_id(ls):
    return {l.split("\t", 1)[0]: l.rstrip("\n").split("\t") for l in ls if l.strip() and not l.startswith("#")}


train_lines = lines("train.tsv")
train, test2 = by_id(train_lines), by_id(lines("test2.tsv"))
new = {}
for k in range(1, 9):
    name = f"test3-zh-{k}"
    for i, label, topics, reason in read_annotator_file(os.path.join(out, "out", name + ".a.tsv"), os.path.join(LABELS, "test3.tsv")):
        new[i] = [i, label, topics, f"r{113 + k}", "random", reason]
settled = {}
path = os.path.join(out, "settled.tsv")
if os.path.exists(path):
    for l in open(path, encoding="utf-8"):
        if l.strip() and not l.startswith("#"):
            i, label, topics, why = l.rstrip("\n").split("\t")
            settled[i] = (label, topics, why)

rows = []
for i in draw:
    if src[i] == "new":
        row = new.pop(i)
    elif src[i] == "train":
        f = train[i]
        row = [i, f[1], f[2], f[3], "random", f"{f[5]} [labelled for training, pool {f[4]}]"]
    else:
        row = list(test2[i])
    if i in settled:
        label, topics, why = settled.pop(i)
        if label != row[1] or topics != row[2]:
            row = [i, label, topics, row[3] + "+s", row[4], f"{row[5]} (was {row[1]}; {why})"]
    rows.append(row)
if new or settled:
    raise SystemExit(f"labels for items outside the draw: {sorted(new)[:5]} {sorted(settled)[:5]}")

with open(os.path.join(LABELS, "test3.tsv"), "w", encoding="utf-8") as f:
    f.write("# Labels made by reading, under ../shared/corpora/statemedia/RUBRIC.md (third frozen test set: "
            f"{len(rows)} Chinese items drawn uniformly, seed {meta['seed']}, by scripts/sample-labelling-test3.py from the "
            f"{meta['population']} Chinese corpus items outside test.tsv; items labelled for training left train.tsv, "
            "test2.tsv items keep their label there too; never used for training or tuning; see docs/relevance.md).\n")
    f.write("# id\tlabel\ttopics\tannotator\tpool\treason\n")
    for r in rows:
        f.write("\t".join(r) + "\n")
moved = {i for i in draw if src[i] == "train"}
with open(os.path.join(LABELS, "train.tsv"), "w", encoding="utf-8") as f:
    for l in train_lines:
        if l.split("\t", 1)[0] not in moved:
            f.write(l)
count = {c: sum(1 for r in rows if r[1] == c) for c in "012"}
print(f"test3.tsv: {len(rows)} items, labels {count}; {len(moved)} left train.tsv")
