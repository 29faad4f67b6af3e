#!/usr/bin/env python3
"""A second frozen Chinese test set, drawn after the first was compromised.

Chooses WHICH items get read; it never assigns a label. A seeded random
draw of Chinese items that no earlier sample holds (neither the first test
set nor any training pool), with no enrichment: the real base rate. Drawn
because the first test set's Chinese headline misses were looked at while
the training data was being extended (docs/relevance.md says how), so its
Chinese headline figure is no longer a clean held-out measurement.

    python3 scripts/sample-labelling-test2.py /work/labelling
"""
import gzip, json, os, random, sys

sys.path.insert(0, os.path.dirname(__file__))
from labelbatch import CORPUS, LABELS, write_batch  # noqa: E402

out = sys.argv[1]

taken = set()
for name in ("test.tsv", "train.tsv"):
    for line in open(os.path.join(LABELS, name), encoding="utf-8"):
        if not line.startswith("#"):
            taken.add(line.split("\t", 1)[0])

items = [json.loads(l) for l in gzip.open(CORPUS, "rt", encoding="utf-8")]
zh = sorted((d for d in items if d["lang"] == "zh" and d["id"] not in taken), key=lambda d: d["id"])
random.Random(20261207).shuffle(zh)
draw = zh[:2100]
for k in range(3):
    write_batch(os.path.join(out, f"test2-zh-{k+1}.txt"), draw[k * 700:(k + 1) * 700])
print(len(zh), len(draw))
