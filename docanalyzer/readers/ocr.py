"""OCR for scanned PDF pages: Tesseract (``chi_sim``) on the page rendered by pypdfium2.

Tesseract's TSV output gives words with boxes and confidences; they become the same
:class:`~docanalyzer.readers.pdf.Line` objects a text page gives, so page furniture
removal and paragraph assembly work unchanged. Stray spaces between CJK characters
are removed and ASCII punctuation between CJK characters is restored to full width.
"""

from __future__ import annotations

import csv
import io
import os
import re
import shutil
import statistics
import subprocess
import tempfile

from docanalyzer import config
from docanalyzer.errors import MissingTool

CJK = r"[\u3400-\u9fff\uf900-\ufaff\u3000-\u303f\uff00-\uffef]"
FULL_WIDTH = {",": "，", ":": "：", ";": "；", "?": "？", "!": "！", "(": "（", ")": "）"}
HALF_PUNCT = re.compile(rf"(?<={CJK})\s*([,:;?!()])\s*|\s*([,:;?!()])\s*(?={CJK})")
CJK_GAP = re.compile(rf"(?<={CJK})\s+(?={CJK})|(?<={CJK})\s+(?=[0-9A-Za-z])|(?<=[0-9A-Za-z])\s+(?={CJK})")
INSTALL = "请安装 Tesseract 及其中文数据：apt-get install tesseract-ocr tesseract-ocr-chi-sim"


def tesseract() -> str:
    path = shutil.which("tesseract")
    if not path:
        raise MissingTool(
            "该 PDF 有无文字层的页面（扫描件），但没有安装 Tesseract",
            INSTALL + "，然后重新运行。",
        )
    return path


def clean(text: str) -> str:
    """Full-width punctuation between CJK characters, and no spaces between them."""
    text = HALF_PUNCT.sub(lambda m: FULL_WIDTH[m.group(1) or m.group(2)], text)
    text = CJK_GAP.sub("", text)
    return text.replace("。 ", "。").strip()


def page_image(page, scale: float):
    """The page in grey levels: Tesseract binarises it anyway, and it is a third of the bytes."""
    return page.render(scale=scale, grayscale=True).to_pil()


def ocr_lines(page, number: int, line_type):
    """OCR one page into lines (in PDF points) with their mean word confidence."""
    scale = int(config.get("ocr_dpi")) / 72
    image = page_image(page, scale)
    with tempfile.TemporaryDirectory(prefix="docanalyzer-ocr-") as tmp:
        path = os.path.join(tmp, "page.pgm")  # uncompressed: no time spent encoding a PNG
        image.save(path)
        tsv = run_tesseract(path)
    return lines_from_tsv(tsv, scale, number, line_type)


def run_tesseract(image_path: str) -> str:
    env = {**os.environ, "OMP_THREAD_LIMIT": "1"}  # several threads are slower on a small machine
    command = [tesseract(), image_path, "stdout", "-l", str(config.get("ocr_languages")), "--psm", "3", "tsv"]
    result = subprocess.run(command, capture_output=True, text=True, env=env, timeout=600)
    if result.returncode != 0:
        if "Failed loading language" in result.stderr or "Error opening data file" in result.stderr:
            raise MissingTool(
                f"Tesseract 缺少 “{config.get('ocr_languages')}” 语言数据",
                INSTALL + "，然后重新运行。",
            )
        raise MissingTool(f"Tesseract 运行失败：{result.stderr.strip()[-200:]}", "请检查 Tesseract 的安装。")
    return result.stdout


def lines_from_tsv(tsv: str, scale: float, number: int, line_type):
    words: dict[tuple, list[dict]] = {}
    for row in csv.DictReader(io.StringIO(tsv), delimiter="\t", quoting=csv.QUOTE_NONE):
        if row.get("level") != "5" or not (row.get("text") or "").strip():
            continue
        key = (row["block_num"], row["par_num"], row["line_num"])
        words.setdefault(key, []).append(row)
    lines = []
    for ws in words.values():
        text = clean(" ".join(w["text"] for w in ws))
        if not text:
            continue
        left = min(int(w["left"]) for w in ws) / scale
        right = max(int(w["left"]) + int(w["width"]) for w in ws) / scale
        top = min(int(w["top"]) for w in ws) / scale
        bottom = statistics.median(int(w["top"]) + int(w["height"]) for w in ws) / scale
        size = statistics.median(int(w["height"]) for w in ws) / scale
        confidence = statistics.mean(max(0.0, float(w["conf"])) for w in ws)
        line = line_type(text, left, right, top, bottom, size, number)
        line.confidence = confidence
        lines.append(line)
    lines.sort(key=lambda ln: (ln.base, ln.x0))
    return lines
