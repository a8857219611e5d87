"""The labelled corpus: size, balance, schema, no near-duplicates, nothing from the evaluation samples."""

from __future__ import annotations

import json
import re
import sys
from collections import Counter

from conftest import EVAL, ROOT

sys.path.insert(0, str(ROOT / "corpora"))
import check_corpus  # noqa: E402


def corpus_rows():
    rows, problems = check_corpus.load(sorted((ROOT / "corpora" / "passages").glob("*.jsonl")))
    assert not problems
    return rows


def test_schema_and_no_near_duplicates():
    rows = corpus_rows()
    assert check_corpus.check_rows(rows) == []
    assert check_corpus.near_duplicates(rows) == []


def test_size_and_balance():
    rows = corpus_rows()
    items = [r for r in rows if r["kind"] != "none"]
    assert len(items) >= 2000
    counts = Counter(r["category"] for r in items)
    assert min(counts.values()) >= 400 and len(counts) == 4
    genres = Counter(r["genre"] for r in items)
    assert set(genres) == {"feedback", "plan", "meeting", "progress"}
    assert Counter(r["kind"] for r in rows)["none"] >= 400
    docs = {r["doc_id"] for r in rows}
    assert len(docs) >= 80


def test_near_duplicate_checker_catches_a_copy():
    rows = [
        {"text": "党组落实全面从严治党主体责任不到位，对下级党组织督促指导不够", "kind": "problem"},
        {"text": "党组落实全面从严治党主体责任不到位，对下级党组织督促指导不足", "kind": "problem"},
        {"text": "部门间信息共享不及时", "kind": "problem"},
    ]
    assert len(check_corpus.near_duplicates(rows)) == 1


def test_no_evaluation_sample_text_in_the_corpus():
    def squash(t):
        return re.sub(r"\W", "", t)

    corpus = [squash(r["text"]) for r in corpus_rows()]
    for spec in sorted((EVAL / "samples").glob("*.json")):
        for item in json.loads(spec.read_text(encoding="utf-8"))["items"]:
            quote = squash(item["quote"])
            for i in range(0, max(1, len(quote) - 30), 10):
                window = quote[i : i + 30]  # longer than any stock phrase
                assert not any(window in text for text in corpus), (spec.name, window)
