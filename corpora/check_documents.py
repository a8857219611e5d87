"""Checks labelled whole documents (corpora/documents/*/*.json): the spec format the tests render.

Each file: ``format`` (pdf, docx or txt), ``meta`` (title, issuer, date, doc_type), ``blocks``
(``t``: title, h1, h2, h3, p or table with ``header`` and ``rows``) and ``items`` (kind, quote,
category, also, responsible_unit, deadline), every quote verbatim inside one block or table cell
(or over consecutive blocks, joined by a line break: a problem title with its evidence).

    python corpora/check_documents.py FILE_OR_FOLDER...
"""

from __future__ import annotations

import json
import sys
import tomllib
from pathlib import Path

HERE = Path(__file__).resolve().parent
FORMATS = {"pdf", "docx", "txt"}
BLOCKS = {"title", "h1", "h2", "h3", "p", "table"}
KINDS = {"problem", "requirement", "measure"}
DOC_TYPES = {"feedback", "plan", "meeting", "progress", "other"}


def taxonomy_keys() -> set[str]:
    data = tomllib.loads((HERE.parent / "models" / "taxonomy.toml").read_text(encoding="utf-8"))
    return {c["key"] for c in data["category"]}


def texts_of(block: dict) -> list[str]:
    if block.get("t") == "table":
        return [cell for row in [block.get("header", [])] + block.get("rows", []) for cell in row]
    return [block.get("text", "")]


def check(spec: dict, keys: set[str]) -> list[str]:
    """Every problem of one document spec, as lines; empty when it is sound."""
    problems = []
    if spec.get("format") not in FORMATS:
        problems.append(f"format must be one of {sorted(FORMATS)}")
    meta = spec.get("meta", {})
    for name in ("title", "issuer", "date", "doc_type"):
        if name not in meta:
            problems.append(f"meta.{name} is missing (null where the text gives none)")
    if meta.get("doc_type") not in DOC_TYPES:
        problems.append(f"meta.doc_type must be one of {sorted(DOC_TYPES)}")
    cells = []
    for i, block in enumerate(spec.get("blocks", [])):
        if block.get("t") not in BLOCKS:
            problems.append(f"block {i}: t must be one of {sorted(BLOCKS)}")
        cells.extend(texts_of(block))
    if not cells:
        problems.append("no blocks")
    seen = set()
    for i, item in enumerate(spec.get("items", [])):
        where = f"item {i}"
        if item.get("kind") not in KINDS:
            problems.append(f"{where}: kind must be one of {sorted(KINDS)}")
        if item.get("category") not in keys:
            problems.append(f"{where}: category must be one of {sorted(keys)}")
        if not set(item.get("also", [])) <= keys - {item.get("category")}:
            problems.append(f"{where}: also lists other categories of the taxonomy only")
        for name in ("responsible_unit", "deadline"):
            if name not in item:
                problems.append(f"{where}: {name} is missing (null where the text gives none)")
        quote = item.get("quote", "")
        holders = [c for c in cells if quote and quote in c]
        if not holders and not (quote and quote in "\n".join(cells)):
            problems.append(f"{where}: quote is not verbatim in the blocks: {quote[:40]}")
        elif len(holders) > 1 and all(h == holders[0] for h in holders):
            problems.append(f"{where}: quote stands in two identical blocks: {quote[:40]}")
        if quote in seen:
            problems.append(f"{where}: the same quote twice: {quote[:40]}")
        seen.add(quote)
    return problems


def main(paths: list[str]) -> int:
    keys, bad = taxonomy_keys(), 0
    files = [f for p in map(Path, paths) for f in (sorted(p.rglob("*.json")) if p.is_dir() else [p])]
    for path in files:
        try:
            spec = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as e:
            print(f"{path}: not readable JSON ({e})")
            bad += 1
            continue
        for problem in check(spec, keys):
            print(f"{path}: {problem}")
            bad += 1
    print(f"{len(files)} files, {bad} problems")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
