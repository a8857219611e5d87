"""Extraction against parsing on the same document, measured in one run.

    python bench/bench_extract.py

Prints pages/s of ``analyze`` (read, structure, items, classification) against ``read``
alone on a 100-page text-only Chinese PDF, the same in MB of ``document.xml`` per second
on a long Word plan (``document.xml`` about 4 MB), in-process after imports and model
loading, and the cold start of `docanalyzer extract` on a 2-page file. Targets: extract
at least 0.5x parse; cold start under 1.5 s.
"""

from __future__ import annotations

import tempfile
import zipfile
from pathlib import Path

from common import best_of, cold_start, plan_docx, text_pdf

from docanalyzer.classify.model import load_classifier
from docanalyzer.pipeline import analyze
from docanalyzer.readers import read
from docanalyzer.text.nlp import get_nlp


def compare(label: str, path: Path, amount: float, unit: str) -> None:
    """Throughput of ``read`` and of ``analyze`` on one file, and their ratio."""
    parse_s, _ = best_of(lambda: read(path))
    extract_s, _ = best_of(lambda: analyze(path))
    analysis = analyze(path)
    print(f"{label}: {len(analysis.document.blocks)} blocks, {len(analysis.items)} items")
    print(f"  parse   {amount / parse_s:7.2f} {unit}/s  ({parse_s:.2f} s)")
    print(
        f"  extract {amount / extract_s:7.2f} {unit}/s  ({extract_s:.2f} s)   "
        f"ratio extract/parse {parse_s / extract_s:.2f}x (target >= 0.5)"
    )


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        get_nlp(), load_classifier()
        print("median of 3, in-process after imports")
        path = text_pdf(Path(tmp) / "doc.pdf", 100)
        compare("100-page PDF", path, read(path).pages, "pages")
        word = plan_docx(Path(tmp) / "plan.docx", 480)
        mb = zipfile.ZipFile(word).getinfo("word/document.xml").file_size / 1e6
        compare(f"Word plan, document.xml {mb:.1f} MB", word, mb, "MB")
        small = text_pdf(Path(tmp) / "small.pdf", 2)
        parse_cold = cold_start(["parse", str(small)])
        extract_cold = cold_start(["extract", str(small)])
        print(
            f"cold start on 2 pages (median of 5): parse {parse_cold:.2f} s, extract {extract_cold:.2f} s (target < 1.5 s)"
        )


if __name__ == "__main__":
    main()
