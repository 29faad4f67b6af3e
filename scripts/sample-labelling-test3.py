#!/usr/bin/env python3
"""A third frozen Chinese test set: a held-out measure at the real base rate.

Chooses WHICH items get read; it never assigns a label. test.tsv's Chinese
half was compromised (its headline misses were looked at), and test2.tsv,
drawn from the items no label file held, misses the cells the training
rounds had labelled in full, where most relevant items are. This draw is
uniform over every Chinese corpus item outside test.tsv (itself a nearly
uniform draw, so what is left is nearly the population; docs/relevance.md
says by how much): items that training held
leave the training set for good and keep the label they were given by
reading; items of test2.tsv keep theirs; the rest are labelled now, blind,
by annotators who see the rubric and their batch only.

    python3 scripts/sample-labelling-test3.py OUT N
writes OUT/ids.json (the draw, in order, with where each item's label
comes from) and OUT/test3-zh-K.txt, the batches of the items to read.
"""
import gzip, json, os, random, sys

sys.path.insert(0, os.path.dirname(__file__))
from labelbatch import CORPUS, LABELS, write_batch  # noqa: E402

out, n = sys.argv[1], int(sys.argv[2])
batches = int(sys.argv[3]) if len(sys.argv) > 3 else 8


def ids_of(name):
    return {l.split("\t", 1)[0] for l in open(os.path.join(LABELS, name), encoding="utf-8") if not l.startswith("#") and l.strip()}


test, train, test2 = ids_of("test.tsv"), ids_of("train.tsv"), ids_of("test2.tsv")
items = [json.loads(l) for l in gzip.open(CORPUS, "rt", encoding="utf-8")]
zh = sorted((d for d in items if d["lang"] == "zh" and d["id"] not in test), key=lambda d: d["id"])
random.Random(20261208).shuffle(zh)
draw = zh[:n]
where = {d["id"]: ("train" if d["id"] in train else "test2" if d["id"] in test2 else "new") for d in draw}
os.makedirs(out, exist_ok=True)
json.dump({"seed": 20261208, "population": len(zh), "draw": [d["id"] for d in draw], "from": where}, open(os.path.join(out, "ids.json"), "w"), indent=0)
new = [d for d in draw if where[d["id"]] == "new"]
size = -(-len(new) // batches)
for k in range(batches):
    write_batch(os.path.join(out, f"test3-zh-{k+1}.txt"), new[k * size:(k + 1) * size])
counts = {w: list(where.values()).count(w) for w in ("train", "test2", "new")}
print(f"population {len(zh)}, drawn {len(draw)}: {counts}; batches of {size}")
