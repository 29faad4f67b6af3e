#!/usr/bin/env python3
"""Copy the annotators' label files (made by reading; see issue 12 and
docs/relevance.md) into the repository's format, classify/testdata/labels/.

It never decides a label: it joins each annotator's file with the sampling
pool of each item, and replaces a test label by the settled one where the
blind second pass disagreed and the disagreement was settled by the rubric
(settled.tsv, written by hand after reading both).
Usage: scripts/assemble-labels.py /work/labelling
"""
import json, os, sys

src = sys.argv[1]
dst = os.path.join(os.path.dirname(__file__), "..", "classify", "testdata", "labels")
ids = json.load(open(os.path.join(src, "ids.json")))
out = os.path.join(src, "out")

# batch file -> annotator name (each a separate reader)
TRAIN = {"train-1": "r4", "train-2": "r5", "train-3": "r11", "train-4": "r12", "train-5": "r14", "train-6": "r17", "train-7": "r18", "train-8": "r21", "train-9": "r22", "train-10": "r24", "train-12": "r26"}
TEST = {"test-zh-1": "r1", "test-zh-2": "r2", "test-en": "r3", "test-zh-3": "r9"}

def read(name):
    path = os.path.join(out, name + ".a.tsv")
    if not os.path.exists(path):
        print("missing", path, file=sys.stderr)
        return []
    rows = []
    for line in open(path, encoding="utf-8"):
        line = line.rstrip("\n")
        if not line.strip():
            continue
        f = line.split("\t")
        if len(f) < 4:
            raise SystemExit(f"{path}: bad line {line!r}")
        rows.append((f[0], f[1], f[2] or "-", " ".join(f[3:]).replace("\t", " ")))
    return rows

def write(name, header, rows):
    with open(os.path.join(dst, name), "w", encoding="utf-8") as f:
        f.write(header)
        for r in rows:
            f.write("\t".join(r) + "\n")

settled = {}
sp = os.path.join(src, "settled.tsv")
if os.path.exists(sp):
    for line in open(sp, encoding="utf-8"):
        if line.strip() and not line.startswith("#"):
            f = line.rstrip("\n").split("\t")
            settled[f[0]] = (f[1], f[2], f[3])

HEAD = "# Labels made by reading, under ../shared/corpora/statemedia/RUBRIC.md (see docs/relevance.md).\n" \
       "# id\tlabel\ttopics\tannotator\tpool\treason\n"
# train-5 (Chinese items with narrower cyber words) has no declared
# population share: it is left out of base-rate estimates.
zhkw = set(ids.get("zhkw", []))
rows = []
for b, ann in TRAIN.items():
    for i, l, t, r in read(b):
        pool = "zhkw" if i in zhkw else ids["pool"][i]
        rows.append((i, l, t, ann, pool, r))
write("train.tsv", HEAD + "".join(f"#! pool {k} {v:.4f}\n" for k, v in ids["pool_share"].items()), rows)

rows = []
for b, ann in TEST.items():
    for i, l, t, r in read(b):
        if i in settled:
            l, t, r = settled[i]
            ann += "+r10"
        rows.append((i, l, t, ann, "random", r))
write("test.tsv", HEAD.replace("(see", "(frozen test set: never used for training or tuning; see"), rows)

rows = []
p = os.path.join(out, "second-pass.b.tsv")
if os.path.exists(p):
    for line in open(p, encoding="utf-8"):
        f = line.rstrip("\n").split("\t")
        if len(f) >= 4:
            rows.append((f[0], f[1], f[2] or "-", "r10", "random", " ".join(f[3:])))
write("second-pass.tsv", HEAD.replace("(see", "(the blind second pass over 300 test items; see"), rows)
print("ok")

# The full-text set: a content-blind part (every article of some files or
# dates) and an enriched part chosen by searching for cyber words, both
# labelled by reading the whole text. The articles' text goes with them
# (origin and licence in each record).
rows, arts = [], []
for part, ann, pool in (("articles", "r13", "random"), ("enriched", "r19", "enriched")):
    jl = os.path.join(src, "fulltext", part + ".jsonl")
    lb = os.path.join(src, "fulltext", ("labels" if part == "articles" else part) + ".a.tsv")
    if not os.path.exists(jl):
        continue
    arts += [l for l in open(jl, encoding="utf-8") if l.strip()]
    for line in open(lb, encoding="utf-8"):
        f = line.rstrip("\n").split("\t")
        if len(f) >= 4:
            rows.append((f[0], f[1], f[2] or "-", ann, pool, " ".join(f[3:])))
write("fulltext.tsv", HEAD.replace("(see", "(full-text set: a content-blind part, pool random, and an enriched part; see"), rows)
with open(os.path.join(dst, "fulltext.jsonl"), "w", encoding="utf-8") as f:
    f.writelines(arts)
