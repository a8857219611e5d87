"""Parsing speed and memory against plain pdfplumber, measured in one run.

    python bench/bench_parse.py

Prints pages/s of ``docanalyzer.readers.read`` against pdfplumber's ``extract_text`` on
the same 100-page text-only Chinese PDF (both in-process, after imports), the same for
a PDF whose CID font has no glyph boxes (read through pdfplumber as a fallback) and for
table pages, the CLI's cold start on a 2-page file, and peak memory on 1,000 pages.
Targets: at least 3x pdfplumber on text pages, under 300 MB peak.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pdfplumber
from common import best_of, cold_start, peak_rss_mb, text_pdf

from builders import render
from docanalyzer.readers import read


def plumber_pages(path: Path) -> int:
    with pdfplumber.open(str(path)) as pdf:
        for page in pdf.pages:
            page.extract_text()
        return len(pdf.pages)


def compare(label: str, path: Path) -> None:
    pages = plumber_pages(path)
    ours, _ = best_of(lambda: read(path))
    theirs, _ = best_of(lambda: plumber_pages(path))
    print(
        f"{label:<34} {pages:>4} pages  docanalyzer {pages / ours:8.1f} pages/s   "
        f"pdfplumber {pages / theirs:7.1f} pages/s   ratio {theirs / ours:5.2f}x"
    )


def table_pdf(path: Path) -> Path:
    row = ["问题表现" * 6, "整改措施" * 6, "办公室", "2026年6月底前"]
    spec = {
        "format": "pdf",
        "meta": {"title": "表格"},
        "items": [],
        "blocks": [
            {
                "t": "table",
                "header": ["问题", "措施", "单位", "时限"],
                "rows": [[f"{i}{row[0]}", *row[1:]] for i in range(120)],
                "widths": [30, 30, 10, 10],
            }
        ],
    }
    return render(spec, path)


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        print("parse: docanalyzer against pdfplumber extract_text, median of 3, in-process after imports")
        compare("text, embedded font", text_pdf(tmp / "embedded.pdf", 100))
        compare("text, CID font (not embedded)", text_pdf(tmp / "cid.pdf", 100, embedded=False))
        os.environ["DOCANALYZER_PDF_ENGINE"] = "pdfplumber"
        compare("text, pdf_engine=pdfplumber", tmp / "embedded.pdf")
        del os.environ["DOCANALYZER_PDF_ENGINE"]
        compare("ruled table pages", table_pdf(tmp / "table"))
        small = text_pdf(tmp / "small.pdf", 2)
        print(
            f"cold start `docanalyzer parse` on 2 pages: {cold_start(['parse', str(small)]):.2f} s (median of 5)"
        )
        big = text_pdf(tmp / "big.pdf", 1000)
        base = peak_rss_mb("import docanalyzer.readers.pdf, pypdfium2, pdfplumber")
        peak = peak_rss_mb(f"from docanalyzer.readers import read; read({str(big)!r})")
        print(
            f"peak memory reading 1,000 pages: {peak:.0f} MB (imports alone: {base:.0f} MB; target < 300 MB)"
        )


if __name__ == "__main__":
    main()
