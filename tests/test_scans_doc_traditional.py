"""Scanned and mixed PDFs (OCR), old Word files, and traditional characters, on real files."""

from __future__ import annotations

import io
import json
import os
import re
import shutil

import pytest

from builders import render
from conftest import ROOT, require_shared, require_tool, run_cli
from docanalyzer.readers import read

BODY = [
    {"t": "title", "text": "县委巡察整改工作领导小组会议纪要"},
    {"t": "p", "text": "会议强调，县纪委监委要把巡察整改纳入日常监督重点，对整改不力的严肃问责。"},
    {"t": "p", "text": "各乡镇党委要切实担负起整改主体责任，确保2026年6月底前完成全部整改任务。"},
    {"t": "p", "text": "县直牵头部门要加强与配合部门的沟通对接，定期会商研究跨部门问题。"},
]


def squash(text):
    return re.sub(r"\s+", "", text)


def similarity(quote, text):
    import difflib

    q, full = squash(quote), squash(text)
    m = difflib.SequenceMatcher(None, full, q, autojunk=False).find_longest_match(0, len(full), 0, len(q))
    start = max(0, m.a - m.b)
    return difflib.SequenceMatcher(None, full[start : start + len(q)], q, autojunk=False).ratio()


def scanned(pdf_path, out_path, pages=None):
    """Render a text PDF's pages to images and build an image-only PDF of them (a scan)."""
    import pypdfium2 as pdfium
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.utils import ImageReader
    from reportlab.pdfgen import canvas

    source = pdfium.PdfDocument(str(pdf_path))
    c = canvas.Canvas(str(out_path), pagesize=A4)
    for i in range(len(source)):
        if pages is None or i in pages:
            image = source[i].render(scale=300 / 72).to_pil().convert("L")
            buffer = io.BytesIO()
            image.save(buffer, format="PNG")
            buffer.seek(0)
            c.drawImage(ImageReader(buffer), 0, 0, width=A4[0], height=A4[1])
        else:
            c.setFont("Helvetica", 1)  # a text page made of the same words: see mixed_pdf
        c.showPage()
    c.save()
    return out_path


@pytest.fixture
def tesseract():
    require_tool("tesseract")


def test_scanned_pdf_is_read_with_ocr(tmp_path, tesseract):
    text_pdf = render({"format": "pdf", "meta": {}, "blocks": BODY, "items": []}, tmp_path / "text")
    scan = scanned(text_pdf, tmp_path / "scan.pdf")
    doc = read(scan)
    assert all(b.ocr_confidence is not None and b.ocr_confidence > 50 for b in doc.blocks)
    for block in BODY:
        assert similarity(block["text"], doc.text) >= 0.9, block["text"]
    assert "，" in doc.text and not re.search(r"[\u4e00-\u9fff] [\u4e00-\u9fff]", doc.text)
    assert "— 1 —" not in doc.text  # page furniture removed from OCR text too
    assert doc.doc_type == "meeting"


def test_mixed_pdf_reads_text_pages_and_scanned_pages(tmp_path, tesseract):
    from pypdf import PdfReader, PdfWriter

    long = BODY + [
        {"t": "p", "text": f"第{i}项要求：要把整改与建章立制结合起来，从源头上堵塞制度漏洞。"}
        for i in range(30)
    ]
    text_pdf = render({"format": "pdf", "meta": {}, "blocks": long, "items": []}, tmp_path / "text")
    scan = scanned(text_pdf, tmp_path / "scan.pdf")
    writer = PdfWriter()
    writer.add_page(PdfReader(text_pdf).pages[0])
    for page in PdfReader(scan).pages[1:]:
        writer.add_page(page)
    mixed = tmp_path / "mixed.pdf"
    with open(mixed, "wb") as f:
        writer.write(f)
    doc = read(mixed)
    assert doc.pages >= 2
    first = [b for b in doc.blocks if b.page == 1]
    later = [b for b in doc.blocks if b.page and b.page > 1]
    assert first and all(b.ocr_confidence is None for b in first)
    assert later and all(b.ocr_confidence is not None for b in later)
    assert similarity("第29项要求：要把整改与建章立制结合起来", doc.text) >= 0.85


def test_without_tesseract_a_scan_says_how_to_install(tmp_path):
    text_pdf = render({"format": "pdf", "meta": {}, "blocks": BODY, "items": []}, tmp_path / "text")
    scan = scanned(text_pdf, tmp_path / "scan.pdf")
    result = run_cli("parse", str(scan), env={"PATH": "/nonexistent"})
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert result.stderr.startswith("scan.pdf: [E107]") and "apt-get install tesseract-ocr" in result.stderr


def test_shared_scan_sample_holds_every_gold_quote(tesseract):
    scans = require_shared("samples", "scan")
    gold = json.loads((scans / "s03_meeting_scan.gold.json").read_text(encoding="utf-8"))
    doc = read(scans / gold["file"])
    for item in gold["items"]:
        assert similarity(item["quote"], doc.text) >= 0.8, item["quote"]


@pytest.mark.parametrize("reader,tool", [("antiword", "antiword"), ("libreoffice", "soffice")])
def test_old_word_files(reader, tool, monkeypatch):
    require_tool(tool)
    monkeypatch.setenv("DOCANALYZER_DOC_READER", reader)
    doc = read(ROOT / "tests" / "fixtures" / "fixture_plan.doc")
    rows = [[c.text for c in b.cells] for b in doc.blocks if b.kind == "table_row"]
    assert rows[0] == ["序号", "存在问题", "整改措施", "责任单位"]
    assert rows[2][3] == "局办公室" and rows[1][1].startswith("高标准农田建设项目验收把关不严")
    assert doc.date == "2026-03-02" and doc.doc_type == "plan"
    assert "局党组要扛起整改主体责任" in doc.text


def test_old_word_file_without_a_reader_says_what_to_install(tmp_path):
    shutil.copy(ROOT / "tests" / "fixtures" / "fixture_plan.doc", tmp_path / "plan.doc")
    result = run_cli("parse", str(tmp_path / "plan.doc"), env={"PATH": "/nonexistent"})
    assert result.returncode == 1 and "antiword" in result.stderr and "Traceback" not in result.stderr


def test_traditional_characters_keep_their_quotes_and_are_classified_as_simplified(tmp_path):
    import docx

    d = docx.Document()
    for text in (
        "市委第二巡察組關於巡察市衛生健康局黨組的反饋意見",
        "一、巡察發現的主要問題",
        "1.部門協同配合不夠。局機關與各區衛生部門之間信息共享不及時，存在推諉扯皮現象。",
        "二、整改意見",
        "市衛生健康局黨組要切實提高政治站位，確保各項整改任務於2026年6月底前全部完成。",
        "市委第二巡察組",
        "2026年4月2日",
    ):
        d.add_paragraph(text)
    d.save(tmp_path / "trad.docx")
    result = run_cli("extract", str(tmp_path / "trad.docx"))
    out = json.loads(result.stdout)
    assert out["documents"][0]["doc_type"] == "feedback" and out["documents"][0]["issuer"] == "市委第二巡察組"
    problem, requirement = out["items"]
    assert (
        problem["citation"]["quote"].startswith("部門協同配合不夠") and problem["category"] == "collaboration"
    )
    assert requirement["responsible_unit"] == "市衛生健康局黨組" and requirement["deadline"] == "2026-06-30"
    parsed = json.loads(run_cli("parse", "--format", "json", str(tmp_path / "trad.docx")).stdout)
    c = problem["citation"]
    assert parsed["text"][c["char_start"] : c["char_end"]] == c["quote"]
    off = run_cli("extract", str(tmp_path / "trad.docx"), env={"DOCANALYZER_TO_SIMPLIFIED": "0"})
    assert json.loads(off.stdout)["documents"][0]["doc_type"] != "feedback" or os.environ.get("CI") is None
