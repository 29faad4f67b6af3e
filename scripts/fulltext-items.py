#!/usr/bin/env python3
"""More articles for the full-text set (classify/testdata/labels/fulltext.*).

Articles with their whole body, found in public repositories through the
search tool's file look-ups and labelled on the whole text by reading. This
script never decides a label.

    scripts/fulltext-items.py prepare OUTDIR PREFIX POOL BATCHES HARVEST.jsonl...
        drop records whose headline is already in the full-text set (or
        whose body is under 400 characters), name any web-page training
        item with a new article's headline (remove it from the training
        files by hand; TestWebItemsNotInTestSets fails until then), give the rest ids PREFIX-NNN
        (numbered after the prefix's last), append them to fulltext.jsonl
        and write them, shuffled, as BATCHES annotator batches
        (OUTDIR/POOL-batch-N.txt) showing the whole body. POOL is "random"
        for a content-blind part (taken by a rule fixed before reading) or
        "enriched" for articles found by searching for cyber stories.

    scripts/fulltext-items.py second OUT.txt N SEED ANNOTATOR...
        write a blind second-pass batch: N articles drawn at random (seeded)
        from those the annotators named labelled, shown whole.

    scripts/fulltext-items.py add OUT.tsv NAME POOL
        append one annotator's file (id, label, topics, reason) to
        fulltext.tsv with that pool.

    scripts/fulltext-items.py add-second OUT.tsv NAME POOL
        the same for a blind second pass, to fulltext-second-pass.tsv.
"""
import json, os, random, re, sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from labelbatch import LABELS, read_annotator_file  # noqa: E402

TEXTS = os.path.join(LABELS, "fulltext.jsonl")
TSV = os.path.join(LABELS, "fulltext.tsv")
SECOND = os.path.join(LABELS, "fulltext-second-pass.tsv")
FIELDS = ("id", "outlet", "lang", "date", "url", "origin", "licence", "title", "body")


def key(title):
    return re.sub(r"\W+", "", title.lower())


def load():
    return [json.loads(l) for l in open(TEXTS, encoding="utf-8") if l.strip()]


def prepare(outdir, prefix, pool, batches, harvests):
    if batches < 1:
        sys.exit("prepare: BATCHES must be at least 1")
    have = load()
    seen = {key(d["title"]) for d in have}
    last = max([int(d["id"].rsplit("-", 1)[1]) for d in have if d["id"].startswith(prefix + "-")] or [0])
    new, dropped = [], 0
    for path in harvests:
        for line in open(path, encoding="utf-8"):
            if not line.strip():
                continue
            r = json.loads(line)
            title, body = (r.get("title") or "").strip(), (r.get("body") or "").strip()
            if not title or len(body) < 400 or key(title) in seen or r.get("lang") not in ("en", "zh"):
                dropped += 1
                continue
            seen.add(key(title))
            last += 1
            d = {k: (r.get(k) or "") for k in FIELDS}
            d.update(id=f"{prefix}-{last:03d}", title=title, body=body)
            new.append(d)
    web = os.path.join(LABELS, "..", "web", "items.jsonl")
    if os.path.exists(web):
        items = [json.loads(l) for l in open(web, encoding="utf-8") if l.strip()]
        train = {key(d["title"]): d["id"] for d in items}
        for d in new:
            if key(d["title"]) in train:
                print(f"{d['id']}: the web-page training item {train[key(d['title'])]} has this headline; "
                      "remove it from the training files (TestWebItemsNotInTestSets)", file=sys.stderr)
    with open(TEXTS, "a", encoding="utf-8") as f:
        for d in new:
            f.write(json.dumps(d, ensure_ascii=False) + "\n")
    batch = new[:]
    random.Random(53).shuffle(batch)
    os.makedirs(outdir, exist_ok=True)
    size = -(-len(batch) // batches)
    for b in range(batches):
        write_articles(os.path.join(outdir, f"{pool}-batch-{b + 1}.txt"), batch[b * size:(b + 1) * size])
    print(f"{len(new)} new articles as {prefix}-NNN; {dropped} dropped", file=sys.stderr)


def write_articles(path, items):
    with open(path, "w", encoding="utf-8") as f:
        for n, d in enumerate(items, 1):
            f.write(f"#{n} id={d['id']} | {d['outlet']} | {d['lang']} | {d['date']}\nT: {d['title']}\nB: {d['body']}\n\n")


def second(out, n, seed, annotators):
    ids = sorted(l.split("\t")[0] for l in open(TSV, encoding="utf-8")
                 if not l.startswith("#") and l.strip() and l.split("\t")[3] in annotators)
    if n > len(ids):
        sys.exit(f"second: {n} articles asked for, but {', '.join(sorted(annotators))} labelled {len(ids)}")
    texts = {d["id"]: d for d in load()}
    write_articles(out, [texts[i] for i in random.Random(seed).sample(ids, n)])


def add(out, name, pool, target=TSV):
    ids = {d["id"] for d in load()}
    rows = []
    for i, label, topics, reason in read_annotator_file(out, target):
        if i not in ids:
            sys.exit(f"{out}: item {i} is not in {TEXTS}")
        rows.append("\t".join([i, label, topics or "-", name, pool, reason.replace("\t", " ")]))
    with open(target, "a", encoding="utf-8") as f:
        f.write("\n".join(rows) + "\n")
    print(f"{out}: {len(rows)} labels appended to {os.path.basename(target)} as {name} ({pool})", file=sys.stderr)


if __name__ == "__main__":
    a = sys.argv
    if len(a) >= 7 and a[1] == "prepare" and a[4] in ("random", "enriched"):
        prepare(a[2], a[3], a[4], int(a[5]), a[6:])
    elif len(a) >= 6 and a[1] == "second":
        second(a[2], int(a[3]), int(a[4]), set(a[5:]))
    elif len(a) == 5 and a[1] == "add" and a[4] in ("random", "enriched"):
        add(a[2], a[3], a[4])
    elif len(a) == 5 and a[1] == "add-second" and a[4] in ("random", "enriched"):
        add(a[2], a[3], a[4], SECOND)
    else:
        sys.exit(__doc__)
