"""Extraction against parsing on the same document, measured in one run.

    python bench/bench_extract.py

Prints pages/s of ``analyze`` (read, structure, items, classification) against ``read``
alone on a 100-page text-only Chinese PDF, in-process after imports and model loading,
and the cold start of `docanalyzer extract` on a 2-page file. Targets: extract at least
0.5x parse; cold start under 1.5 s.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from common import best_of, cold_start, text_pdf

from docanalyzer.classify.model import load_classifier
from docanalyzer.pipeline import analyze
from docanalyzer.readers import read
from docanalyzer.text.nlp import get_nlp


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = text_pdf(Path(tmp) / "doc.pdf", 100)
        get_nlp(), load_classifier()
        pages = read(path).pages
        parse_s, _ = best_of(lambda: read(path))
        extract_s, _ = best_of(lambda: analyze(path))
        items = len(analyze(path).items)
        print(f"{pages} pages, {items} items; median of 3, in-process after imports")
        print(f"parse   {pages / parse_s:7.1f} pages/s")
        print(
            f"extract {pages / extract_s:7.1f} pages/s   ratio extract/parse {parse_s / extract_s:.2f}x (target >= 0.5)"
        )
        small = text_pdf(Path(tmp) / "small.pdf", 2)
        parse_cold = cold_start(["parse", str(small)])
        extract_cold = cold_start(["extract", str(small)])
        print(
            f"cold start on 2 pages (median of 5): parse {parse_cold:.2f} s, extract {extract_cold:.2f} s (target < 1.5 s)"
        )


if __name__ == "__main__":
    main()
