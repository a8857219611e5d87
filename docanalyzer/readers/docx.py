"""Word (.docx) reader: paragraphs and tables in document order, merged cells read once, a table
nested in a cell read after the row that holds it.

Page headers and footers live in their own parts of the file and are never
read, so they cannot leak into the text.
"""

from __future__ import annotations

import functools
import re
import zipfile
from collections.abc import Callable, Iterator
from pathlib import Path

from docanalyzer import config
from docanalyzer.errors import CorruptFile
from docanalyzer.model import Document, DocumentBuilder

HEADING_STYLE = re.compile(r"^(?:heading|标题)\s*(\d)$", re.IGNORECASE)
TABLE = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}tbl"


def check_zip(path: Path) -> None:
    """Refuse a file that is not a Word zip, or whose parts inflate past the limit (zip bomb)."""
    limit = int(config.get("max_docx_part_mb")) * 1024 * 1024
    try:
        with zipfile.ZipFile(path) as z:
            names = set(z.namelist())
            if "word/document.xml" not in names:
                raise CorruptFile(
                    "该文件是 zip 压缩包，但不是 Word 文档（没有 word/document.xml）",
                    "请用 Word 或 WPS 打开后重新另存为 .docx。",
                    path.name,
                )
            for info in z.infolist():
                if info.file_size > limit:
                    raise CorruptFile(
                        f"其中的 {info.filename} 解压后有 {info.file_size / 1024 / 1024:.0f} MB，"
                        f"超过 {limit // 1024 // 1024} MB 的上限（可能是压缩炸弹）",
                        "请不要处理该文件，向发送方索取一份正常的副本。",
                        path.name,
                    )
    except zipfile.BadZipFile as e:
        raise CorruptFile(
            f"该 .docx 不是有效的 zip 文件（{e}）", "请用 Word 或 WPS 打开后重新保存。", path.name
        ) from e


def clean(text: str) -> str:
    """Paragraph text on one line: soft line breaks and tabs dropped, edges trimmed."""
    return re.sub(r"[\n\r\v]+", "", text).replace("\t", " ").strip()


def style_names(word) -> Callable[[str | None], str]:
    """Paragraph style names by style id, each looked up once: python-docx scans every style of
    the file on each lookup, which dominated reading a long document."""
    from docx.enum.style import WD_STYLE_TYPE

    @functools.cache
    def name(style_id: str | None) -> str:
        style = word.part.get_style(style_id, WD_STYLE_TYPE.PARAGRAPH)
        return (style.name if style is not None else "") or ""

    return name


def paragraph_style(p, style_name: Callable[[str | None], str]) -> tuple[str | None, int | None]:
    """Heading (with its level), title, centred or plain, from a ``w:p`` element."""
    from docx.enum.text import WD_ALIGN_PARAGRAPH

    name = style_name(p.style)
    m = HEADING_STYLE.match(name)
    if m:
        return "heading", int(m.group(1))
    if name in ("Title", "标题"):
        return "title", 0
    try:
        centered = p.pPr is not None and p.pPr.jc_val == WD_ALIGN_PARAGRAPH.CENTER
    except ValueError:  # values python-docx does not know, such as LibreOffice's "start"
        centered = False
    return ("centered", None) if centered else (None, None)


def table_rows(tbl) -> Iterator[list[str]]:
    """Rows of cell texts in document order, read from the XML (python-docx resolves each merged
    cell by walking up the rows, quadratic on long tables). A merged cell is read once, in its
    first grid position: a horizontal span is one ``w:tc``, a cell merged with the one above
    reads empty. A table nested in a cell gives its rows after the row holding it."""
    for tr in tbl.tr_lst:
        cells, nested = [], []
        for tc in tr.tc_lst:
            if tc.vMerge == "continue":
                cells.append("")
                continue
            texts = []
            for part in tc.inner_content_elements:
                if part.tag == TABLE:
                    nested.append(part)
                else:
                    texts.append(part.text)
            cells.append(clean("\n".join(texts)))
        yield cells
        for inner in nested:
            yield from table_rows(inner)


def read(path: Path, doc: Document) -> Document:
    check_zip(path)
    import docx

    word = docx.Document(str(path))
    style_name = style_names(word)
    builder = DocumentBuilder(doc)
    for part in word.element.body.inner_content_elements:
        if part.tag == TABLE:
            for cells in table_rows(part):
                if any(cells):
                    builder.row(cells)
            continue
        text = clean(part.text)
        if not text:
            continue
        style, level = paragraph_style(part, style_name)
        if style == "heading":
            builder.paragraph(text, kind="heading", level=level, style=style)
        else:
            builder.paragraph(text, style=style)
    doc.title = clean(word.core_properties.title or "") or None
    return builder.finish()
