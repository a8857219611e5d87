"""Check labelled corpus files: schema, labels, and near-duplicates.

    python corpora/check_corpus.py [FILE.jsonl ...]   (default: corpora/passages/*.jsonl)

Two passages are near-duplicates when the Jaccard similarity of their character
trigram sets is at least THRESHOLD. Exits 1 and lists the problems found.
"""

import json
import sys
from collections import Counter
from pathlib import Path

THRESHOLD = 0.6
CATEGORIES = {"political_awareness", "standards", "education", "collaboration"}
KINDS = {"problem", "requirement", "measure", "none"}
GENRES = {"feedback", "plan", "meeting", "progress"}
FIELDS = {"id", "text", "category", "secondary", "kind", "genre", "doc_id", "provenance"}


def trigrams(text):
    t = "".join(text.split())
    return {t[i : i + 3] for i in range(max(1, len(t) - 2))}


def load(paths):
    rows, problems = [], []
    for path in paths:
        for n, line in enumerate(Path(path).read_text(encoding="utf-8").splitlines(), 1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
            except json.JSONDecodeError as e:
                problems.append(f"{path}:{n}: not JSON ({e})")
                continue
            row["_where"] = f"{path}:{n}"
            rows.append(row)
    return rows, problems


def check_rows(rows):
    problems = []
    seen_ids = set()
    for r in rows:
        where = r["_where"]
        missing = FIELDS - r.keys()
        if missing:
            problems.append(f"{where}: missing fields {sorted(missing)}")
            continue
        if r["id"] in seen_ids:
            problems.append(f"{where}: duplicate id {r['id']}")
        seen_ids.add(r["id"])
        if r["kind"] not in KINDS:
            problems.append(f"{where}: bad kind {r['kind']!r}")
        if r["genre"] not in GENRES:
            problems.append(f"{where}: bad genre {r['genre']!r}")
        if r["kind"] == "none":
            if r["category"] is not None:
                problems.append(f"{where}: non-item text must have category null")
        elif r["category"] not in CATEGORIES:
            problems.append(f"{where}: bad category {r['category']!r}")
        if any(s not in CATEGORIES or s == r["category"] for s in r["secondary"]):
            problems.append(f"{where}: bad secondary {r['secondary']!r}")
        if len(r["text"].strip()) < 6:
            problems.append(f"{where}: text too short")
    return problems


def is_stock_heading(row):
    """Section headings (``四、工作要求``) recur in every real document: not counted as duplicates."""
    text = row["text"]
    return row["kind"] == "none" and len(text) <= 30 and not any(p in text for p in "。；！？")


def near_duplicates(rows, threshold=THRESHOLD):
    """Pairs of passages whose trigram Jaccard similarity reaches the threshold (stock headings aside)."""
    rows = [r for r in rows if not is_stock_heading(r)]
    grams = [trigrams(r["text"]) for r in rows]
    index = {}
    for i, g in enumerate(grams):
        for t in g:
            index.setdefault(t, []).append(i)
    pairs = []
    for i, g in enumerate(grams):
        shared = Counter(j for t in g for j in index[t] if j > i)
        for j, common in shared.items():
            if common / (len(g) + len(grams[j]) - common) >= threshold:
                pairs.append((rows[i], rows[j]))
    return pairs


def main(argv):
    paths = argv or sorted(Path(__file__).parent.glob("passages/*.jsonl"))
    rows, problems = load(paths)
    problems += check_rows(rows)
    for a, b in near_duplicates(rows):
        problems.append(f"near-duplicate: {a['_where']} ~ {b['_where']}: {a['text'][:30]}")
    counts = Counter(r["category"] for r in rows)
    kinds = Counter(r["kind"] for r in rows)
    print(f"{len(rows)} passages; categories {dict(counts)}; kinds {dict(kinds)}")
    for p in problems:
        print(p)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
