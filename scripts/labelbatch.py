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
    reading), checked as classify.ReadLabels will read them: four fields, a
    label 0, 1 or 2, rubric topic codes for 1 and 2 only, an id no label
    file in labelled (a path) holds yet, each id once."""
    codes = {"GOV", "DATA", "HACK", "LAW", "TECH", "INFO"}
    have = set()
    if os.path.exists(labelled):
        have = {l.split("\t", 1)[0] for l in open(labelled, encoding="utf-8") if not l.startswith("#")}
    rows = []
    for n, line in enumerate(open(out, encoding="utf-8"), 1):
        if not line.strip():
            continue
        f = line.rstrip("\n").split("\t")
        if len(f) != 4:
            raise SystemExit(f"{out}:{n}: want 4 tab-separated fields (id, label, topics, reason), got {len(f)}")
        i, label, topics, reason = f
        if label not in ("0", "1", "2"):
            raise SystemExit(f"{out}:{n}: item {i}: label {label!r}")
        given = [c.strip().upper() for c in topics.split(",") if c.strip() not in ("", "-")]
        if (label != "0") != bool(given) or not set(given) <= codes:
            raise SystemExit(f"{out}:{n}: item {i}: topics {topics!r} do not fit label {label} (rubric codes for 1 and 2, '-' for 0)")
        if i in have:
            raise SystemExit(f"{out}:{n}: item {i} is labelled already")
        have.add(i)
        rows.append((i, label, topics, reason))
    return rows
