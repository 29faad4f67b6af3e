#!/usr/bin/env python3
"""The blind second pass over test3.tsv: a seeded uniform draw of N items of
the third Chinese test set's draw (OUT/ids.json, from
scripts/sample-labelling-test3.py), whatever their first label's source,
written as a batch for one more annotator. It never assigns a label.

    python3 scripts/sample-test3-second.py OUT N
"""
import gzip, json, os, random, sys

sys.path.insert(0, os.path.dirname(__file__))
from labelbatch import CORPUS, write_batch  # noqa: E402

out, n = sys.argv[1], int(sys.argv[2])
draw = json.load(open(os.path.join(out, "ids.json")))["draw"]
pick = set(random.Random(2026120802).sample(sorted(draw), n))
items = {d["id"]: d for d in map(json.loads, gzip.open(CORPUS, "rt", encoding="utf-8")) if d["id"] in pick}
write_batch(os.path.join(out, "test3-second.txt"), [items[i] for i in draw if i in pick])
print(f"{n} of {len(draw)} items")
