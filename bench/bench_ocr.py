"""OCR cost per page against Tesseract run alone on the same page images, in one run.

    python bench/bench_ocr.py [SCANNED.pdf]

Default input: ../shared/eval/samples/scan/s03_meeting_scan.pdf. Both sides run
Tesseract with OMP_THREAD_LIMIT=1 on the page rendered at the ocr_dpi setting; ours adds
rendering, TSV parsing, furniture removal and paragraph assembly. Target: at most 1.2x.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from common import ROOT

from docanalyzer import config
from docanalyzer.readers import read


def main() -> None:
    default = ROOT.parent / "shared" / "eval" / "samples" / "scan" / "s03_meeting_scan.pdf"
    path = Path(sys.argv[1]) if len(sys.argv) > 1 else default
    import pypdfium2 as pdfium

    pdf = pdfium.PdfDocument(str(path))
    pages = len(pdf)
    scale = int(config.get("ocr_dpi")) / 72
    with tempfile.TemporaryDirectory() as tmp:
        images = []
        for i in range(pages):
            image = Path(tmp) / f"p{i}.png"
            pdf[i].render(scale=scale).to_pil().save(image)  # a page image as a scanner would give it
            images.append(image)
        env = {**os.environ, "OMP_THREAD_LIMIT": "1"}
        alone, ours = [], []
        for _ in range(3):
            t0 = time.perf_counter()
            for image in images:
                subprocess.run(
                    ["tesseract", str(image), "stdout", "-l", "chi_sim", "--psm", "3", "tsv"],
                    capture_output=True,
                    env=env,
                    check=True,
                )
            alone.append((time.perf_counter() - t0) / pages)
            t0 = time.perf_counter()
            read(path)
            ours.append((time.perf_counter() - t0) / pages)
    a, o = statistics.median(alone), statistics.median(ours)
    print(f"{path.name}: {pages} pages at {config.get('ocr_dpi')} dpi, median of 3 runs")
    print(f"tesseract alone {a:.2f} s/page   docanalyzer {o:.2f} s/page   ratio {o / a:.2f}x (target <= 1.2)")


if __name__ == "__main__":
    main()
