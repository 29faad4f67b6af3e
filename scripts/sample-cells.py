#!/usr/bin/env python3
"""Uniform draws from sampling cells (issue 12, fifth session). Chooses
WHICH items get read; it never assigns a label.

The cross-validated estimates weigh each labelled item by its cell's share
of the corpus over the cell's share of the labels (scripts/pool-cells.py).
The Foreign Ministry questions without the first sampler's broad words
(cells en-mfa.rest and zh-mfa.rest) are thousands in the corpus but had
about a hundred and a few hundred labels, so one missed relevant item there
weighed as much as twenty or thirty elsewhere and moved the thresholds. This
draws more of them: a seeded uniform draw of the cell's items that no label
file holds, so that together with the earlier ones they stay a uniform
sample of the cell (all of them, when N is at least the rest: a census).
The second draw of the session took every unlabelled item of the Chinese
cells with the narrower cyber words (zh-oth.hit.zw, zh-mfa.zw.wide) and of
zh-oth.hit, where the model missed most Chinese headlines out of fold.

    python3 scripts/sample-cells.py OUTDIR CELL:N:SEED:PARTS...
    # fifth session, first draw:
    python3 scripts/sample-cells.py OUT en-mfa.rest:700:5701:2 zh-mfa.rest:700:5702:2
    # second draw:
    python3 scripts/sample-cells.py OUT zh-oth.hit.zw:1417:5703:4 zh-mfa.zw.wide:45:5704:1 zh-oth.hit:442:5705:1
"""
import gzip, json, os, random, sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from labelbatch import CORPUS, LABELS, write_batch  # noqa: E402

# pool-cells.py defines the cells; its main() runs only as a script.
_src = open(os.path.join(os.path.dirname(os.path.abspath(__file__)), "pool-cells.py"), encoding="utf-8").read()
_ns = {"__name__": "pool_cells", "__file__": os.path.join(os.path.dirname(os.path.abspath(__file__)), "pool-cells.py")}
exec(_src.rsplit("\nmain()", 1)[0], _ns)
cell = _ns["cell"]

out = sys.argv[1]
taken = set()
for name in ("test.tsv", "test2.tsv", "test3.tsv", "train.tsv"):
    for line in open(os.path.join(LABELS, name), encoding="utf-8"):
        if not line.startswith("#"):
            taken.add(line.split("\t", 1)[0])
items = [json.loads(l) for l in gzip.open(CORPUS, "rt", encoding="utf-8")]
os.makedirs(out, exist_ok=True)
for spec in sys.argv[2:]:
    c, n, seed, parts = spec.split(":")
    n, seed, parts = int(n), int(seed), int(parts)
    pool = sorted((d for d in items if d["id"] not in taken and cell(d) == c), key=lambda d: d["id"])
    random.Random(seed).shuffle(pool)
    draw = pool[:n]
    size = -(-len(draw) // parts)
    for k in range(parts):
        write_batch(os.path.join(out, f"{c}-{k + 1}.txt"), draw[k * size:(k + 1) * size])
    print(f"{c}: {len(pool)} unlabelled, {len(draw)} drawn", file=sys.stderr)
