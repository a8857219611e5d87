"""Scoring extracted items against gold items: the project's own measure of extraction.

A gold item and a found item match when their quotes overlap enough in the document's
text (compared in NFKC form without white space); each gold item matches at most one
found item, best overlap first. The same rule serves the tests, which score the
project's own documents, and the comparison of model versions.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from dataclasses import dataclass, field

GOLD_COVERED = 0.5  # share of the gold quote the found quote must cover
FOUND_COVERED = 0.2  # share of the found quote that must lie on the gold quote


def norm(text: str | None) -> str:
    """The form quotes are compared in: NFKC, no white space."""
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", text or ""))


Span = tuple[int, int]


def locate(normalised_text: str, quote: str) -> Span | None:
    """Where ``quote`` stands in the normalised document text, or None."""
    q = norm(quote)
    at = normalised_text.find(q) if q else -1
    return None if at < 0 else (at, at + len(q))


def pair(gold: list[Span | None], found: list[Span | None]) -> dict[int, int]:
    """One-to-one matching by overlap, best first: {gold index: found index}."""
    candidates = []
    for gi, g in enumerate(gold):
        for fi, f in enumerate(found):
            if g is None or f is None:
                continue
            common = min(g[1], f[1]) - max(g[0], f[0])
            if common >= GOLD_COVERED * (g[1] - g[0]) and common >= FOUND_COVERED * (f[1] - f[0]):
                candidates.append((common / max(g[1] - g[0], f[1] - f[0]), gi, fi))
    matched: dict[int, int] = {}
    used: set[int] = set()
    for _, gi, fi in sorted(candidates, reverse=True):
        if gi not in matched and fi not in used:
            matched[gi] = fi
            used.add(fi)
    return matched


@dataclass
class Tally:
    """Counts over one or more documents; the rates are computed from them."""

    counts: Counter = field(default_factory=Counter)

    def add(self, text: str, gold_items: list[dict], found_items: list[dict], gold_date, found_date) -> None:
        """Score one document: ``gold_items`` and ``found_items`` as ITEMS.md dicts."""
        c, full = self.counts, norm(text)
        matched = pair(
            [locate(full, g["quote"]) for g in gold_items],
            [locate(full, f["citation"]["quote"]) for f in found_items],
        )
        c["documents"] += 1
        c["gold"] += len(gold_items)
        c["found"] += len(found_items)
        c["matched"] += len(matched)
        c["date_ok"] += gold_date == found_date
        for gi, fi in matched.items():
            g, f = gold_items[gi], found_items[fi]
            c["kind_ok"] += g["kind"] == f["kind"]
            c["category_ok"] += g["category"] == f["category"]
            # a step reported as taken names who took it, where gold often leaves it out:
            # units are scored on problems and requirements
            if g.get("responsible_unit") and g["kind"] != "measure":
                c["unit_n"] += 1
                c["unit_ok"] += norm(g["responsible_unit"]) == norm(f.get("responsible_unit"))
            if g.get("deadline"):
                c["deadline_n"] += 1
                c["deadline_ok"] += norm(g["deadline"]) == norm(f.get("deadline"))

    def rate(self, part: str, whole: str) -> float:
        return self.counts[part] / self.counts[whole] if self.counts[whole] else 0.0

    @property
    def f1(self) -> float:
        precision, recall = self.rate("matched", "found"), self.rate("matched", "gold")
        return 2 * precision * recall / (precision + recall) if precision + recall else 0.0
