"""The labelled corpus: size, balance, schema, no near-duplicates, nothing from the evaluation samples."""

from __future__ import annotations

import json
import re
import sys
from collections import Counter

from conftest import ROOT, require_shared

sys.path.insert(0, str(ROOT / "corpora"))
import check_corpus  # noqa: E402
import check_documents  # noqa: E402


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


def squash(text: str) -> str:
    return re.sub(r"\W", "", text)


def windows(text: str, width: int = 30, step: int = 10):
    """Stretches longer than any stock phrase: one found in the corpus is a copied sentence."""
    text = squash(text)
    return {text[i : i + width] for i in range(0, max(1, len(text) - width), step)}


def evaluation_texts():
    """Every gold quote of the samples, and every line of the real development texts."""
    samples, real = require_shared("samples"), require_shared("real")
    for spec in sorted(samples.glob("*.json")):
        for item in json.loads(spec.read_text(encoding="utf-8"))["items"]:
            yield spec.name, item["quote"]
    for path in sorted(real.glob("*.txt")):
        for line in path.read_text(encoding="utf-8").splitlines():
            if len(squash(line)) >= 30:
                yield path.name, line


def document_texts():
    """Every block and table cell of the labelled whole documents."""
    for path in sorted((ROOT / "corpora" / "documents").rglob("*.json")):
        for block in json.loads(path.read_text(encoding="utf-8"))["blocks"]:
            yield from check_documents.texts_of(block)


def test_labelled_documents_are_sound():
    folder = ROOT / "corpora" / "documents"
    assert check_documents.main([str(folder)]) == 0
    specs = [json.loads(p.read_text(encoding="utf-8")) for p in folder.rglob("*.json")]
    kinds = Counter(s["meta"]["doc_type"] for s in specs)
    assert min(kinds[k] for k in ("feedback", "plan", "meeting", "progress")) >= 20, kinds


def test_no_evaluation_text_in_the_corpus():
    texts = [r["text"] for r in corpus_rows()] + list(document_texts())
    corpus = "\n".join(squash(t) for t in texts)
    copied = [(name, w) for name, text in evaluation_texts() for w in windows(text) if w in corpus]
    assert not copied
