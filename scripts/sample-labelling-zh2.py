#!/usr/bin/env python3
"""A sixth training enrichment for Chinese (issue 12, second session).

Chooses WHICH items get read; it never assigns a label. It draws Chinese
items that no earlier sample holds (neither test nor training) and that
lack the broad cyber words of sample-labelling.py but contain words of
the wider technology, information and intelligence field, where the
cross-validation finds the Chinese misses (Foreign Ministry questions about
named firms, cases and platforms that avoid the taxonomy's words).

    python3 scripts/sample-labelling-zh2.py /work/labelling
"""
import gzip, json, os, random, sys

sys.path.insert(0, os.path.dirname(__file__))
from labelbatch import CORPUS, LABELS, write_batch  # noqa: E402

HERE = os.path.dirname(__file__)
out = sys.argv[1]

src = open(os.path.join(HERE, "sample-labelling.py"), encoding="utf-8").read()
WORDS = eval(src.split("WORDS = ")[1].split("]")[0] + "]")  # the first sampler's broad words, unchanged

def hit(d):
    t = (d["title"] + " " + d["lead"]).lower()
    return any(w.lower() in t for w in WORDS)

WIDER = ["孟晚舟", "科技", "技术", "推特", "脸书", "社交媒体", "谷歌", "苹果公司", "微软", "情报", "监控", "监视",
         "知识产权", "窃取", "假新闻", "维基解密", "斯诺登", "通信", "电信", "量子", "高科技", "信息", "媒体", "账号",
         "应用程序", "软件", "网站", "黑名单", "脱钩", "中国制造2025"]

taken = set()
for name in ("test.tsv", "train.tsv"):
    for line in open(os.path.join(LABELS, name), encoding="utf-8"):
        f = line.split("\t")
        # This draw's own items (annotators r30-r32) are in train.tsv now:
        # they do not count as taken, so the draw is the same again.
        if not line.startswith("#") and f[3].split("+")[0] not in ("r30", "r31", "r32"):
            taken.add(f[0])

items = [json.loads(l) for l in gzip.open(CORPUS, "rt", encoding="utf-8")]
zh = [d for d in items if d["lang"] == "zh" and d["id"] not in taken]
pool = [d for d in zh if not hit(d) and any(w in d["title"] + d["lead"] for w in WIDER)]
mfa = [d for d in pool if d["outlet"].startswith("PRC MFA")]
oth = [d for d in pool if not d["outlet"].startswith("PRC MFA")]
random.Random(21).shuffle(mfa)
random.Random(22).shuffle(oth)
batches = {"train-z2-1.txt": mfa[:700], "train-z2-2.txt": mfa[700:1400], "train-z2-3.txt": oth[:700]}
for name, ds in batches.items():
    write_batch(os.path.join(out, name), ds)
# The pool's share of the unsampled Chinese items, for the weights that put
# cross-validation back at the real base rate.
json.dump({"pool": "zhkw2", "pool_size": len(pool), "unsampled_zh": len(zh), "corpus": len(items),
           "ids": [d["id"] for ds in batches.values() for d in ds]}, open(os.path.join(out, "zh2.json"), "w"))
print(len(pool), len(mfa), len(oth), len(zh))
