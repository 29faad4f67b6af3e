"""The batch file annotators read: one block per item, numbered, with its
id, outlet, language and date, then the title (T:) and lead (L:). Shared by
the sampling scripts, which choose items and never label them."""
import os

_HERE = os.path.dirname(os.path.abspath(__file__))
# The corpus the items come from, and the repository's label files.
CORPUS = os.path.join(_HERE, "..", "..", "shared", "corpora", "statemedia", "headlines.jsonl.gz")
LABELS = os.path.join(_HERE, "..", "classify", "testdata", "labels")


def write_batch(path, items):
    with open(path, "w", encoding="utf-8") as f:
        for i, d in enumerate(items, 1):
            f.write(f"#{i} id={d['id']} | {d['outlet']} | {d['lang']} | {d['date']}\n")
            f.write(f"T: {d['title']}\n")
            if d["lead"]:
                f.write(f"L: {d['lead']}\n")
            f.write("\n")


def write_named(out, name, items):
    write_batch(os.path.join(out, name), items)


def read_annotator_file(out, labelled):
    """The lines of an annotator's file (id, label, topics, reason; made by
    reading), checked: a label 0, 1 or 2, an id no label file in labelled
    (a path) holds yet, each id once."""
    have = set()
    if os.path.exists(labelled):
        have = {l.split("\t", 1)[0] for l in open(labelled, encoding="utf-8") if not l.startswith("#")}
    rows = []
    for line in open(out, encoding="utf-8"):
        if not line.strip():
            continue
        i, label, topics, reason = line.rstrip("\n").split("\t")
        if label not in ("0", "1", "2"):
            raise SystemExit(f"{out}: item {i}: label {label!r}")
        if i in have:
            raise SystemExit(f"{out}: item {i} is labelled already")
        have.add(i)
        rows.append((i, label, topics, reason))
    return rows
