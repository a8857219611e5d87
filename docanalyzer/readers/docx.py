"""Word (.docx) reader: paragraphs and tables in document order, merged cells read once.

Page headers and footers live in their own parts of the file and are never
read, so they cannot leak into the text.
"""

from __future__ import annotations

import re
import zipfile
from pathlib import Path

from docanalyzer import config
from docanalyzer.errors import CorruptFile
from docanalyzer.model import Document, DocumentBuilder

HEADING_STYLE = re.compile(r"^(?:heading|标题)\s*(\d)$", re.IGNORECASE)


def check_zip(path: Path) -> None:
    """Refuse a file that is not a Word zip, or whose parts inflate past the limit (zip bomb)."""
    limit = int(config.get("max_docx_part_mb")) * 1024 * 1024
    try:
        with zipfile.ZipFile(path) as z:
            names = set(z.namelist())
            if "word/document.xml" not in names:
                raise CorruptFile(
                    "the file is a zip archive but not a Word document (no word/document.xml)",
                    "Open it in Word or WPS and save it as .docx again.",
                    path.name,
                )
            for info in z.infolist():
                if info.file_size > limit:
                    raise CorruptFile(
                        f"part {info.filename} inflates to {info.file_size / 1024 / 1024:.0f} MB, "
                        f"over the {limit // 1024 // 1024} MB limit (a zip bomb?)",
                        "Do not process this file; ask its sender for a clean copy.",
                        path.name,
                    )
    except zipfile.BadZipFile as e:
        raise CorruptFile(
            f"the .docx is not a valid zip file ({e})", "Open it in Word or WPS and save it again.", path.name
        ) from e


def clean(text: str) -> str:
    """Paragraph text on one line: soft line breaks and tabs dropped, edges trimmed."""
    return re.sub(r"[\n\r\v]+", "", text).replace("\t", " ").strip()


def paragraph_style(paragraph) -> tuple[str | None, int | None]:
    from docx.enum.text import WD_ALIGN_PARAGRAPH

    name = paragraph.style.name if paragraph.style is not None else ""
    m = HEADING_STYLE.match(name or "")
    if m:
        return "heading", int(m.group(1))
    if name in ("Title", "标题"):
        return "title", 0
    try:
        centered = paragraph.alignment == WD_ALIGN_PARAGRAPH.CENTER
    except ValueError:  # values python-docx does not know, such as LibreOffice's "start"
        centered = False
    return ("centered", None) if centered else (None, None)


def table_rows(table) -> list[list[str]]:
    """Rows of cell texts; a merged cell is read once, in its first grid position."""
    earlier_rows: dict[int, object] = {}  # id -> element, kept alive so ids stay unique
    rows = []
    for row in table.rows:
        cells, this_row = [], {}
        for cell in row.cells:
            key = id(cell._tc)
            if key in this_row:
                continue  # horizontal merge: the same cell again in this row
            this_row[key] = cell._tc
            cells.append("" if key in earlier_rows else clean(cell.text))  # vertical merge: read above
        earlier_rows.update(this_row)
        rows.append(cells)
    return rows


def read(path: Path, doc: Document) -> Document:
    check_zip(path)
    import docx

    word = docx.Document(str(path))
    builder = DocumentBuilder(doc)
    for part in word.iter_inner_content():
        if isinstance(part, docx.table.Table):
            for cells in table_rows(part):
                if any(cells):
                    builder.row(cells)
            continue
        text = clean(part.text)
        if not text:
            continue
        style, level = paragraph_style(part)
        if style == "heading":
            builder.paragraph(text, kind="heading", level=level, style=style)
        else:
            builder.paragraph(text, style=style)
    doc.title = clean(word.core_properties.title or "") or None
    return builder.finish()
