#!/usr/bin/env python3
"""Put each training item in its sampling cell and write the cells' shares
(issue 12). It changes only the pool column and the "#! pool" lines of
classify/testdata/labels/train.tsv, never a label.

The training items were drawn in several rounds (scripts/sample-labelling.py,
scripts/sample-labelling-zh2.py), each a seeded uniform draw from the items
of some word-defined group that no earlier round held. Every group is a
union of the cells below, so the items of one cell, whatever round drew
them, are a uniform sample of that cell. Weighting each item by its cell's
share of the corpus (outside the test set) over the cell's share of the
labels puts every labelled item back at the real base rate; trainmodel's
"#! pool NAME SHARE" weights do exactly that when the pool is the cell.

A cell is the stratum (Chinese Foreign Ministry, other Chinese, English
state media, English Foreign Ministry, English non-state), whether the
title and lead hold one of the first sampler's broad words (hit), and for
Chinese items whether they hold one of the narrower Chinese words (zw) and,
for items without the broad words, one of the wider words of the sixth
round (wide). A cell with no labelled item is merged into its stratum's
rest cell, or its hit cell when rest has none (the script says which).

Items chosen by the model's uncertainty (classify/internal/uncertain: the
unlabelled items scored nearest the threshold; pools "unc.zh", "unc.en")
are no uniform sample of any cell: every such item was read, so each such
pool is a census of its own cell, whose share is its count, and those
items are taken out of the word-defined cells. (The earlier items of a
cell stay a uniform sample of the rest of it, but for the few that would
have been chosen had they not been labelled already.)

    python3 scripts/pool-cells.py            # rewrites train.tsv in place
"""
import collections, gzip, json, os, sys

HERE = os.path.dirname(os.path.abspath(__file__))
CORPUS = os.path.join(HERE, "..", "..", "shared", "corpora", "statemedia", "headlines.jsonl.gz")
LABELS = os.path.join(HERE, "..", "classify", "testdata", "labels")


def words(script, name):
    src = open(os.path.join(HERE, script), encoding="utf-8").read()
    return eval(src.split(name + " = ")[1].split("]")[0] + "]")  # the samplers' own lists, unchanged


WORDS = words("sample-labelling.py", "WORDS")
ZH_WORDS = words("sample-labelling.py", "ZH_WORDS")
WIDER = words("sample-labelling-zh2.py", "WIDER")


def cell(d):
    text = d["title"] + " " + d["lead"]
    if d["lang"] == "zh":
        s = "zh-mfa" if d["outlet"].startswith("PRC MFA") else "zh-oth"
    elif d["outlet"].startswith("non-state"):
        s = "en-nonstate"
    elif d["outlet"].startswith("PRC MFA"):
        s = "en-mfa"
    else:
        s = "en-state"
    hit = any(w.lower() in text.lower() for w in WORDS)
    if d["lang"] != "zh":
        return s + (".hit" if hit else ".rest")
    zw = any(w in text for w in ZH_WORDS)
    if hit:
        return s + (".hit.zw" if zw else ".hit")
    wide = any(w in text for w in WIDER)
    return s + ("".join(x for x, ok in ((".zw", zw), (".wide", wide)) if ok) or ".rest")


def main():
    path = os.path.join(LABELS, "train.tsv")
    test = {l.split("\t", 1)[0] for l in open(os.path.join(LABELS, "test.tsv"), encoding="utf-8") if not l.startswith("#")}
    lines = open(path, encoding="utf-8").read().splitlines()
    items = {}
    for l in gzip.open(CORPUS, "rt", encoding="utf-8"):
        d = json.loads(l)
        items[d["id"]] = d
    rows = [l.split("\t") for l in lines if l and not l.startswith("#")]
    census = {f[0]: f[4] for f in rows if f[4].startswith("unc.")}

    def cell_of(i):
        return census.get(i) or cell(items[i])

    pop = collections.Counter(cell_of(i) for i in items if i not in test)
    got = collections.Counter(cell_of(f[0]) for f in rows)
    merge = {}
    for c in sorted(pop):
        if got[c] == 0:
            s = c.split(".")[0]
            to = next((t for t in (s + ".rest", s + ".hit") if got[t] > 0), None)
            if to is None:
                sys.exit(f"cell {c} ({pop[c]} items) has no labelled item, nor has its stratum")
            merge[c] = to
            print(f"cell {c} ({pop[c]} items, none labelled) counted in {to}", file=sys.stderr)
    share = collections.Counter()
    for c, n in pop.items():
        share[merge.get(c, c)] += n
    total = sum(pop.values())
    out = [l for l in lines if l.startswith("#") and not l.startswith("#! pool ")]
    for c in sorted(share):
        out.append(f"#! pool {c} {share[c] / total:.6f}")
    for l in lines:
        if l and not l.startswith("#"):
            f = l.split("\t")
            c = cell_of(f[0])
            f[4] = merge.get(c, c)
            out.append("\t".join(f))
    open(path, "w", encoding="utf-8").write("\n".join(out) + "\n")
    for c in sorted(share):
        n = sum(1 for f in rows if merge.get(cell_of(f[0]), cell_of(f[0])) == c)
        print(f"{c:20s} corpus {share[c]:6d} labelled {n:5d}", file=sys.stderr)


main()
