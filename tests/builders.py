"""Real PDF and Word files for the tests, built from document specs.

A spec is the JSON of ``../shared/eval`` (``format``, ``meta``, ``blocks``,
``items``) with an optional ``layout``: ``page_numbers`` (``dash`` — 3 —,
``hyphen`` -3-, ``page`` 第3页, ``slash`` 3/5, ``none``), ``indent`` (first-line
indent of body paragraphs), ``font_size``, ``font`` (``embedded``: WenQuanYi Micro Hei embedded in
the file; by default reportlab's CID font STSong-Light, which needs no font file and is not
embedded).
"""

from __future__ import annotations

import json
from pathlib import Path

from conftest import missing

FONT = "STSong-Light"
EMBEDDED_FONT = Path("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc")  # Debian's fonts-wqy-microhei
PAGE_NUMBER_STYLES = {
    "dash": lambda n, total: f"— {n} —",
    "hyphen": lambda n, total: f"-{n}-",
    "page": lambda n, total: f"第{n}页",
    "slash": lambda n, total: f"{n}/{total}",
    "none": None,
}


def require_embedded_font() -> None:
    if not EMBEDDED_FONT.exists():
        missing("the font fonts-wqy-microhei", ".ci/run installs it (apt-get install fonts-wqy-microhei)")


def load_spec(path: Path) -> dict:
    return json.loads(Path(path).read_text(encoding="utf-8"))


def render(spec: dict, out: Path) -> Path:
    """Write the spec as a PDF or Word file at ``out`` (suffix chosen by the spec's format)."""
    fmt = spec.get("format", "pdf")
    target = out.with_suffix("." + fmt)
    (render_pdf if fmt == "pdf" else render_docx)(spec, target)
    return target


def render_pdf(spec: dict, path: Path) -> None:
    from reportlab.lib import colors
    from reportlab.lib.enums import TA_CENTER
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.lib.units import mm
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

    layout = spec.get("layout", {})
    font = FONT
    if layout.get("font") == "embedded":  # a TrueType font embedded in the file, as office suites do
        from reportlab.pdfbase.ttfonts import TTFont

        require_embedded_font()
        pdfmetrics.registerFont(TTFont("WQY", str(EMBEDDED_FONT), subfontIndex=0))
        font = "WQY"
    else:
        pdfmetrics.registerFont(UnicodeCIDFont(FONT))
    size = layout.get("font_size", 15)
    indent = 2 * size if layout.get("indent", True) else 0
    body = ParagraphStyle(
        "body", fontName=font, fontSize=size, leading=size * 1.8, wordWrap="CJK", firstLineIndent=indent
    )
    title = ParagraphStyle(
        "title",
        parent=body,
        fontSize=size + 6,
        leading=(size + 6) * 1.6,
        alignment=TA_CENTER,
        firstLineIndent=0,
    )
    heads = {"h1": ParagraphStyle("h1", parent=body, fontSize=size + 1), "h2": body, "h3": body}
    cell = ParagraphStyle("cell", fontName=font, fontSize=10.5, leading=15, wordWrap="CJK")
    numbering = PAGE_NUMBER_STYLES[layout.get("page_numbers", "dash")]
    header_text = spec.get("meta", {}).get("running_header")

    def flowables():  # made anew for each build: reportlab consumes them
        flow = []
        for b in spec["blocks"]:
            t = b["t"]
            if t == "title":
                flow += [Paragraph(b["text"], title), Spacer(1, 8)]
            elif t in heads:
                flow.append(Paragraph(b["text"], heads[t]))
            elif t == "p":
                flow.append(Paragraph(b["text"], body))
            elif t == "table":
                rows = ([b["header"]] if b.get("header") else []) + b["rows"]
                data = [[Paragraph(c, cell) for c in row] for row in rows]
                widths = b.get("widths")
                if widths:
                    widths = [w / sum(widths) * (A4[0] - 54 * mm) for w in widths]
                table = Table(data, colWidths=widths, repeatRows=1 if b.get("header") else 0)
                table.setStyle(
                    TableStyle(
                        [("GRID", (0, 0), (-1, -1), 0.5, colors.black), ("VALIGN", (0, 0), (-1, -1), "TOP")]
                    )
                )
                flow += [Spacer(1, 6), table, Spacer(1, 6)]
        return flow

    pages_total = {"n": 0}

    def furniture(canvas, doc):
        canvas.saveState()
        canvas.setFont(font, 12)
        if numbering:
            canvas.drawCentredString(A4[0] / 2, 14 * mm, numbering(doc.page, pages_total["n"] or doc.page))
        if header_text:
            canvas.drawString(28 * mm, A4[1] - 16 * mm, header_text)
        canvas.restoreState()

    def build(target):
        doc = SimpleDocTemplate(
            str(target),
            pagesize=A4,
            leftMargin=28 * mm,
            rightMargin=26 * mm,
            topMargin=37 * mm,
            bottomMargin=35 * mm,
            title=spec.get("meta", {}).get("title", ""),
        )
        doc.build(flowables(), onFirstPage=furniture, onLaterPages=furniture)
        return doc

    first = build(path)
    if numbering and layout.get("page_numbers") == "slash":
        pages_total["n"] = first.page
        build(path)


def render_docx(spec: dict, path: Path) -> None:
    from docx import Document
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.shared import Pt

    meta = spec.get("meta", {})
    doc = Document()
    for b in spec["blocks"]:
        t = b["t"]
        if t == "title":
            p = doc.add_paragraph()
            p.alignment = WD_ALIGN_PARAGRAPH.CENTER
            run = p.add_run(b["text"])
            run.bold, run.font.size = True, Pt(22)
        elif t in ("h1", "h2", "h3"):
            if meta.get("heading_styles"):
                doc.add_heading(b["text"], level=int(t[1]))
            else:
                doc.add_paragraph().add_run(b["text"]).bold = True
        elif t == "p":
            doc.add_paragraph(b["text"]).paragraph_format.first_line_indent = Pt(32)
        elif t == "table":
            rows = ([b["header"]] if b.get("header") else []) + b["rows"]
            table = doc.add_table(rows=len(rows), cols=len(rows[0]))
            table.style = "Table Grid"
            for i, row in enumerate(rows):
                for j, text in enumerate(row):
                    table.cell(i, j).text = text
    doc.core_properties.title = meta.get("title", "")
    section = doc.sections[0]
    section.header.paragraphs[0].text = meta.get("running_header") or "内部资料"
    section.footer.paragraphs[0].text = "— 1 —"
    doc.save(str(path))
