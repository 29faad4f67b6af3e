#!/usr/bin/env python3
"""The web-page training items (docs/relevance.md, "Web-page items").

State-media headlines and leads found in stored public web pages by search
queries (an enriched sample: it trains the model, it measures nothing).
This script never decides a label.

    scripts/web-items.py prepare OUTDIR BATCHES HARVEST.jsonl...
        normalise the harvested records, drop those whose headline is
        already in the state-media corpus, the full-text set or the web
        items (or too short to compare), give each an id from its URL,
        append them to classify/testdata/web/items.jsonl and write the new
        items, shuffled, as BATCHES annotator batches of equal size
        (OUTDIR/batch-N.txt) in the format of scripts/labelbatch.py. The
        fifth session's three rounds used BATCHES 3, 2 and 1.

    scripts/web-items.py second OUT.txt N SEED [ANNOTATOR...]
        write a blind second-pass batch: N items drawn at random (seeded)
        from the labelled web items (of the annotators named, if any).

    scripts/web-items.py add OUT.tsv NAME
        append one annotator's file (id, label, topics, reason; made by
        reading) to classify/testdata/labels/web.tsv, pool web.<lang>.

    scripts/web-items.py add-second OUT.tsv NAME
        the same for a blind second pass, to web-second-pass.tsv.
"""
import datetime, gzip, hashlib, html, json, os, random, re, sys, unicodedata

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from labelbatch import CORPUS, LABELS, read_annotator_file, write_batch  # noqa: E402

ITEMS = os.path.join(LABELS, "..", "web", "items.jsonl")
WEB_LABELS = os.path.join(LABELS, "web.tsv")


def key(title):
    """The headline reduced to lower-case letters and digits (as titleKey in
    classify/web_test.go)."""
    return "".join(c for c in title.lower() if unicodedata.category(c)[0] == "L" or unicodedata.category(c) == "Nd")


def clean(s):
    return re.sub(r"\s+", " ", html.unescape(s or "")).strip()


def day(date):
    """The date as YYYY-MM-DD when it names a whole, valid day (2024-6-5,
    2024/06/05, 2024年6月5日, or an ISO time stamp's date part); anything
    else, a month or a year alone included, is dropped (items carry a day
    or none)."""
    m = re.match(r"(\d{4})[-/年](\d{1,2})[-/月](\d{1,2})(?:日|$|[T ])", date)
    if not m:
        return ""
    try:
        return datetime.date(int(m[1]), int(m[2]), int(m[3])).isoformat()
    except ValueError:
        return ""


def cut(lead, lang):
    limit = 150 if lang == "zh" else 300
    if len(lead) <= limit or len(lead) == limit + 1 and lead.endswith("…"):
        return lead
    lead = lead[:limit]
    if lang != "zh" and " " in lead:
        lead = lead[: lead.rindex(" ")]
    return lead.rstrip() + "…"


def load_items():
    if not os.path.exists(ITEMS):
        return []
    return [json.loads(l) for l in open(ITEMS, encoding="utf-8") if l.strip()]


def prepare(outdir, batches, harvests):
    if batches < 1:
        sys.exit("prepare: BATCHES must be at least 1")
    seen = {}
    with gzip.open(CORPUS, "rt", encoding="utf-8") as f:
        for line in f:
            seen[key(json.loads(line)["title"])] = "corpus"
    for line in open(os.path.join(LABELS, "fulltext.jsonl"), encoding="utf-8"):
        seen[key(json.loads(line)["title"])] = "fulltext"
    have = load_items()
    ids = {d["id"] for d in have}
    for d in have:
        seen[key(d["title"])] = "web"
    new, dropped = [], {}
    for path in harvests:
        for n, line in enumerate(open(path, encoding="utf-8"), 1):
            if not line.strip():
                continue
            try:
                r = json.loads(line)
            except json.JSONDecodeError as e:
                print(f"{path}:{n}: skipped: {e}", file=sys.stderr)
                continue
            title, url, lang = clean(r.get("title")), clean(r.get("url")), r.get("lang")
            if not title or not url.startswith("http") or lang not in ("en", "zh"):
                dropped["incomplete"] = dropped.get("incomplete", 0) + 1
                continue
            k = key(title)
            i = "web-" + hashlib.sha1(url.encode()).hexdigest()[:12]
            if len(k) < (5 if lang == "zh" else 8) or k in seen or i in ids:
                why = "short" if len(k) < (5 if lang == "zh" else 8) else seen.get(k, "duplicate")
                dropped[why] = dropped.get(why, 0) + 1
                continue
            seen[k] = "web"
            ids.add(i)
            new.append({"id": i, "outlet": clean(r.get("outlet")), "lang": lang, "date": day(clean(r.get("date"))),
                        "title": title, "lead": cut(clean(r.get("lead")), lang), "url": url,
                        "origin": "stored public web page (search cache)"})
    os.makedirs(os.path.dirname(ITEMS), exist_ok=True)
    with open(ITEMS, "a", encoding="utf-8") as f:
        for d in new:
            f.write(json.dumps(d, ensure_ascii=False) + "\n")
    rnd = random.Random(47)
    batch = new[:]
    rnd.shuffle(batch)
    os.makedirs(outdir, exist_ok=True)
    size = -(-len(batch) // batches)
    for b in range(batches):
        write_batch(os.path.join(outdir, f"batch-{b + 1}.txt"), batch[b * size:(b + 1) * size])
    print(f"{len(new)} new items ({sum(d['lang'] == 'en' for d in new)} English); dropped {dropped}", file=sys.stderr)


def add(out, name, target=WEB_LABELS):
    lang = {d["id"]: d["lang"] for d in load_items()}
    rows = []
    for i, label, topics, reason in read_annotator_file(out, target):
        if i not in lang:
            sys.exit(f"{out}: item {i} is not a web item")
        rows.append("\t".join([i, label, topics or "-", name, "web." + lang[i], reason.replace("\t", " ")]))
    with open(target, "a", encoding="utf-8") as f:
        f.write("\n".join(rows) + "\n")
    print(f"{out}: {len(rows)} items appended to {os.path.basename(target)} as {name}", file=sys.stderr)


def second(out, n, seed, annotators):
    items = {d["id"]: d for d in load_items()}
    ids = sorted(l.split("\t")[0] for l in open(WEB_LABELS, encoding="utf-8")
                 if not l.startswith("#") and l.strip() and (not annotators or l.split("\t")[3] in annotators))
    if n > len(ids):
        sys.exit(f"second: {n} items asked for, but only {len(ids)} are labelled (by the annotators named)")
    write_batch(out, [items[i] for i in random.Random(seed).sample(ids, n)])


if __name__ == "__main__":
    if len(sys.argv) >= 4 and sys.argv[1] == "prepare":
        prepare(sys.argv[2], int(sys.argv[3]), sys.argv[4:])
    elif len(sys.argv) >= 5 and sys.argv[1] == "second":
        second(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), set(sys.argv[5:]))
    elif len(sys.argv) == 4 and sys.argv[1] == "add":
        add(sys.argv[2], sys.argv[3])
    elif len(sys.argv) == 4 and sys.argv[1] == "add-second":
        add(sys.argv[2], sys.argv[3], os.path.join(LABELS, "web-second-pass.tsv"))
    else:
        sys.exit(__doc__)
