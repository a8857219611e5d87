"""PDF reader: pypdfium2 for the characters and their geometry, pdfplumber for ruled tables.

The text layer is turned into lines, running headers, footers and page numbers
are dropped, and lines are joined back into paragraphs by indentation, line
ends and spacing, also across page breaks. Pages with ruling lines go to
pdfplumber's table finder; a table that runs over pages is read as one, its
repeated header row once, and a row split by a page break is joined again.
"""

from __future__ import annotations

import re
import statistics
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from docanalyzer import config
from docanalyzer.errors import CorruptFile, Encrypted, NoTextLayer
from docanalyzer.model import Document, DocumentBuilder
from docanalyzer.text.structure import numbering_of

PAGE_NUMBER = re.compile(
    r"^(?:[—–\-－~～·•\s]*[0-9０-９]+[—–\-－~～·•\s]*"
    r"|第\s*[0-9０-９]+\s*页(?:\s*[/，,、]?\s*共\s*[0-9０-９]+\s*页)?"
    r"|[0-9０-９]+\s*/\s*[0-9０-９]+"
    r"|(?:page|Page|PAGE)\s*\d+(?:\s*of\s*\d+)?)$"
)
CJK = re.compile(r"[\u3000-\u303f\u3400-\u9fff\uf900-\ufaff\uff00-\uffef]")
CJK_SPACE = re.compile(r"(?<=[\u3000-\u9fff\uff00-\uffef]) +(?=[\u3000-\u9fff\uff00-\uffef])")
CANNOT_END = frozenset("（《“‘([{【〔、，,")  # a paragraph never ends on these
CANNOT_START = frozenset("）》”’)]}】〕、，,。；;：:！？")  # nor starts with these
SENTENCE_END = frozenset("。！？；：!?;:”’」』）)")
FURNITURE_ZONE = 0.1
FLATNESS_SAMPLE = 200  # characters per page whose glyph boxes are checked for zero height  # top and bottom share of the page where running headers and footers stand
MIN_RULES_FOR_TABLES = 4  # path objects on a page before pdfplumber looks for tables


@dataclass
class Line:
    text: str
    x0: float
    x1: float
    top: float  # distance from the top of the page to the top of the line
    base: float  # distance from the top of the page to the baseline
    size: float
    page: int
    confidence: float | None = None  # OCR lines: Tesseract's mean word confidence (0-100)


@dataclass
class TableRows:
    """The rows of one table on one page, in reading order with the lines."""

    rows: list[list[str]]
    top: float
    bottom: float
    page: int
    x0: float
    x1: float


@dataclass
class PageContent:
    number: int
    height: float
    width: float
    lines: list[Line] = field(default_factory=list)
    tables: list[TableRows] = field(default_factory=list)


def join_text(left: str, right: str) -> str:
    """Join two pieces of one sentence that a line break separated: no space, except between Latin words."""
    if (
        left
        and right
        and left[-1].isascii()
        and left[-1].isalpha()
        and right[0].isascii()
        and right[0].isalpha()
    ):
        return left + " " + right
    return left + right


def _open(path: Path):
    import pypdfium2 as pdfium

    try:
        return pdfium.PdfDocument(str(path))
    except pdfium.PdfiumError as e:
        if "password" in str(e).lower():
            raise Encrypted(
                "该 PDF 已加密，需要密码",
                "请向发送方索取未加密的副本，或去掉密码后另存。",
                path.name,
            ) from e
        raise CorruptFile(f"该 PDF 已损坏或不完整（{e}）", "请重新下载或导出该文件。", path.name) from e


def page_lines(page, number: int) -> tuple[list[Line], bool]:
    """The text lines of one page from pdfium's characters, top to bottom, and whether pdfium's
    text can be trusted: with a font that carries no glyph boxes (a non-embedded CID font) every
    box has zero height, and pdfium then drops lines it takes for duplicates of earlier ones.

    Lines are rebuilt from the characters' own positions (baseline, then x), not from the order
    pdfium reports them in: a word processor draws some glyphs (curly quotes in a fallback font)
    as separate text objects, which pdfium lists after the rest of the line."""
    import pypdfium2.raw as raw

    height = page.get_height()
    textpage = page.get_textpage()
    handle = textpage.raw
    count = textpage.count_chars()
    text = textpage.get_text_range(0, count) if count else ""
    chars = []
    flat = 0
    x = raw.ctypes.c_double()
    y = raw.ctypes.c_double()
    for i, ch in enumerate(text[:count]):
        if ch in "\r\n" or raw.FPDFText_IsGenerated(handle, i) == 1:
            continue  # pdfium's own line breaks and spaces: the positions decide instead
        if len(chars) < FLATNESS_SAMPLE and not ch.isspace():
            _, bottom, _, top = textpage.get_charbox(i)
            flat += top - bottom < 0.05
        left, _, right, _ = textpage.get_charbox(i, loose=True)  # the advance, not the ink: gaps mean spaces
        raw.FPDFText_GetCharOrigin(handle, i, x, y)
        chars.append(Char(ch, left, right, height - y.value, raw.FPDFText_GetFontSize(handle, i)))
    textpage.close()
    trusted = flat <= 0.2 * max(1, min(len(chars), FLATNESS_SAMPLE))
    return lines_from_chars(chars, number), trusted


@dataclass
class Char:
    text: str
    x0: float
    x1: float
    base: float
    size: float


def lines_from_chars(chars: list[Char], number: int) -> list[Line]:
    """Characters on one baseline, left to right, make a line; a space goes between Latin words
    that stand apart, never between CJK characters."""
    lines: list[Line] = []
    row: list[Char] = []

    def flush():
        row.sort(key=lambda c: c.x0)
        text, prev = "", None
        for c in row:
            gap = c.x0 - prev.x1 if prev else 0.0
            latin = not (CJK.match(prev.text) or CJK.match(c.text)) if prev else False
            if latin and gap > 0.15 * c.size and not text.endswith(" ") and not c.text.isspace():
                text += " "
            text += c.text
            prev = c
        text = CJK_SPACE.sub("", text).strip()
        if text:
            size = statistics.median(c.size for c in row if not c.text.isspace())
            base = statistics.median(c.base for c in row)
            lines.append(Line(text, row[0].x0, max(c.x1 for c in row), base - size, base, size, number))
        row.clear()

    for c in sorted(chars, key=lambda c: c.base):
        if row and abs(c.base - row[0].base) > 0.3 * max(c.size, row[0].size):
            flush()
        row.append(c)
    if row:
        flush()
    return lines


def plumber_lines(plumber_page, number: int) -> list[Line]:
    """The text lines of one page from pdfplumber (slower, but reads every text object)."""
    lines = []
    for ln in plumber_page.extract_text_lines(return_chars=True, strip=True):
        sizes = [c["size"] for c in ln["chars"] if not c["text"].isspace()] or [
            c["size"] for c in ln["chars"]
        ]
        size = statistics.median(sizes)
        text = CJK_SPACE.sub("", ln["text"])
        lines.append(Line(text, ln["x0"], ln["x1"], ln["top"], ln["bottom"] - 0.12 * size, size, number))
    return lines


def _has_images(page) -> bool:
    import pypdfium2.raw as raw

    return any(True for _ in page.get_objects(filter=[raw.FPDF_PAGEOBJ_IMAGE], max_depth=3))


def _digits_masked(text: str) -> str:
    return re.sub(r"[0-9０-９]+", "#", re.sub(r"\s+", "", text))


def remove_furniture(pages: list[PageContent]) -> None:
    """Drop page numbers and running headers/footers: lines in the top or bottom zone that
    look like a page number or repeat (digits aside) on several pages."""

    def in_zone(ln: Line, page: PageContent) -> bool:
        return (
            ln.base < page.height * FURNITURE_ZONE + ln.size
            or ln.top > page.height * (1 - FURNITURE_ZONE) - ln.size
        )

    seen = Counter()
    for page in pages:
        seen.update({_digits_masked(ln.text) for ln in page.lines if in_zone(ln, page)})
    repeat_floor = max(2, (len(pages) + 1) // 2)
    for page in pages:
        kept = []
        for ln in page.lines:
            if in_zone(ln, page) and (
                PAGE_NUMBER.match(ln.text.strip())
                or (len(pages) > 1 and seen[_digits_masked(ln.text)] >= repeat_floor)
            ):
                continue
            kept.append(ln)
        page.lines = kept


def find_tables(plumber_page, number: int, lines: list[Line]) -> tuple[list[TableRows], list[Line]]:
    """Ruled tables of one page, and the lines that stand outside them."""
    tables = []
    for table in plumber_page.find_tables():
        x0, top, x1, bottom = table.bbox
        rows = []
        for row in table.extract():
            rows.append([_join_cell(c) for c in row])
        if rows:
            tables.append(TableRows(rows, top, bottom, number, x0, x1))
    if not tables:
        return [], lines
    outside = [
        ln
        for ln in lines
        if not any(
            t.top - 2 <= (ln.top + ln.base) / 2 <= t.bottom + 2 and ln.x0 >= t.x0 - 2 and ln.x1 <= t.x1 + 2
            for t in tables
        )
    ]
    return tables, outside


def _join_cell(cell: str | None) -> str:
    if not cell:
        return ""
    out = ""
    for part in cell.split("\n"):
        out = join_text(out, part.strip())
    return out


def read_pages(path: Path) -> tuple[list[PageContent], dict]:
    import pypdfium2.raw as raw

    engine = str(config.get("pdf_engine"))
    pdf = _open(path)
    plumber = None
    pages = []
    try:
        metadata = pdf.get_metadata_dict()
        for index in range(len(pdf)):
            page = pdf[index]
            content = PageContent(index + 1, page.get_height(), page.get_width())
            content.lines, trusted = page_lines(page, index + 1)
            if not content.lines and config.get("ocr") and _has_images(page):
                from docanalyzer.readers.ocr import ocr_lines

                content.lines, trusted = ocr_lines(page, index + 1, Line), True
            trusted = trusted and engine == "auto"
            rules = sum(1 for _ in page.get_objects(filter=[raw.FPDF_PAGEOBJ_PATH], max_depth=2))
            if not trusted or rules >= MIN_RULES_FOR_TABLES:
                if plumber is None:
                    import pdfplumber

                    plumber = pdfplumber.open(str(path), password="")
                plumber_page = plumber.pages[index]
                if not trusted:
                    content.lines = plumber_lines(plumber_page, index + 1)
                if rules >= MIN_RULES_FOR_TABLES:
                    content.tables, content.lines = find_tables(plumber_page, index + 1, content.lines)
                plumber_page.close()
            page.close()
            pages.append(content)
    finally:
        if plumber is not None:
            plumber.close()
        pdf.close()
    return pages, metadata


@dataclass
class Layout:
    """The body's typical geometry, learned from the whole document."""

    left: float
    right: float
    size: float
    leading: float


def learn_layout(pages: list[PageContent]) -> Layout:
    lines = [ln for p in pages for ln in p.lines]
    sizes = Counter(round(ln.size) for ln in lines for _ in ln.text)
    size = float(sizes.most_common(1)[0][0]) if sizes else 12.0
    body = [ln for ln in lines if abs(ln.size - size) < 1]
    # The body's left edge: the leftmost x where lines start more than once (indented first lines
    # and centred lines start further right, and may well be the majority in a short document).
    starts = Counter(2 * round(ln.x0 / 2) for ln in body)  # 2 pt buckets absorb OCR jitter
    repeated = [x for x, n in starts.items() if n >= 2] or list(starts)
    left = min(repeated) if repeated else 0.0
    long_ends = sorted(ln.x1 for ln in body if len(ln.text) >= 8)
    right = long_ends[int(len(long_ends) * 0.8)] if long_ends else max((ln.x1 for ln in lines), default=0.0)
    gaps = [
        b.base - a.base
        for p in pages
        for a, b in zip(p.lines, p.lines[1:], strict=False)
        if abs(a.size - size) < 1 and abs(b.size - size) < 1 and 0 < b.base - a.base < 4 * size
    ]
    leading = statistics.median(gaps) if gaps else 1.5 * size
    return Layout(float(left), float(right), size, leading)


def _starts_paragraph(prev: Line | None, ln: Line, layout: Layout, new_page: bool) -> bool:
    if prev is None:
        return True
    cw = layout.size
    if abs(prev.size - ln.size) > 1:
        return True
    large = ln.size > layout.size + 1.5
    if large and not new_page:
        return ln.base - prev.base > 2 * ln.size  # titles wrap onto centred lines
    if prev.text[-1] in "。；！？;!?" and numbering_of(ln.text):
        return True  # a numbered point after a finished sentence, even without indentation
    if prev.text[-1] in CANNOT_END or ln.text[0] in CANNOT_START:
        return False  # a break inside brackets or before closing punctuation is only a line break
    indented = ln.x0 > layout.left + 0.9 * cw  # first-line indent (or a centred line)
    if prev.x1 < layout.right - 1.5 * cw:
        # The line before ended short: the paragraph ended, unless it stopped mid-sentence (a
        # number or a word the layout would not split) and this line carries on at the margin.
        mid_sentence = prev.text[-1] not in SENTENCE_END and not numbering_of(ln.text) and len(prev.text) > 20
        return indented or not mid_sentence or ln.base - prev.base > 1.6 * layout.leading
    if indented:
        return True
    return not new_page and ln.base - prev.base > 1.6 * layout.leading


def read(path: Path, doc: Document) -> Document:
    pages, metadata = read_pages(path)
    doc.pages = len(pages)
    if not any(p.lines or p.tables for p in pages):
        raise NoTextLayer(
            "该 PDF 没有文字层（看起来是扫描件）",
            "请打开 OCR（DOCANALYZER_OCR=1）并安装 Tesseract（apt-get install tesseract-ocr "
            "tesseract-ocr-chi-sim），或索取由原文档导出的 PDF。",
            path.name,
        )
    remove_furniture(pages)
    layout = learn_layout(pages)
    builder = DocumentBuilder(doc)
    paragraph: list[Line] = []
    table: list[list[str]] | None = None  # rows of the table being read, kept open across pages
    table_header: list[str] | None = None
    table_pages: list[int] = []

    def flush_paragraph():
        if paragraph:
            text, start = "", builder.length
            for ln in paragraph:
                builder.mark_page(ln.page, start + len(text))
                text = join_text(text, ln.text)
            style = "large" if paragraph[0].size > layout.size + 1.5 else None
            scores = [ln.confidence for ln in paragraph if ln.confidence is not None]
            confidence = round(sum(scores) / len(scores), 1) if scores else None
            builder.paragraph(text, page=paragraph[0].page, style=style, ocr_confidence=confidence)
            paragraph.clear()

    def flush_table():
        nonlocal table, table_header
        if table:
            for row, page in zip(table, table_pages, strict=True):
                builder.mark_page(page, builder.length)
                if any(row):
                    builder.row(row, page=page)
        table, table_header = None, None
        table_pages.clear()

    prev: Line | None = None
    for page in pages:
        events = [(ln.top, 0, ln) for ln in page.lines] + [(t.top, 1, t) for t in page.tables]
        events.sort(key=lambda e: (e[0], e[1]))
        first_on_page = True
        for _, is_table, thing in events:
            if is_table:
                flush_paragraph()
                rows = thing.rows
                continues = table is not None and first_on_page and len(rows[0]) == len(table[-1])
                if not continues:
                    flush_table()
                    table, table_header = [], rows[0]
                elif rows and [c for c in rows[0]] == table_header:
                    rows = rows[1:]  # the header row repeated on a new page
                for i, row in enumerate(rows):
                    if continues and i == 0 and row and not row[0] and table:
                        table[-1] = [join_text(a, b) for a, b in zip(table[-1], row, strict=True)]
                    else:
                        table.append(row)
                        table_pages.append(thing.page)
                prev = None
            else:
                if table is not None:
                    flush_table()
                if _starts_paragraph(prev, thing, layout, first_on_page and prev is not None):
                    flush_paragraph()
                paragraph.append(thing)
                prev = thing
            first_on_page = False
    flush_paragraph()
    flush_table()
    builder.mark_page(len(pages), builder.length)
    if metadata.get("Title") and not doc.title:
        doc.title = metadata["Title"].strip() or None
    return builder.finish()
