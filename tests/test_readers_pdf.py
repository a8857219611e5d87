"""The PDF reader on real PDFs built here: text, offsets, pages, headings, furniture, tables."""

from __future__ import annotations

import re

import pytest

from builders import render, require_embedded_font
from docanalyzer.readers import read

LONG = (
    "党组对巡察整改工作的政治意义认识不足，把整改当作一般性业务工作来抓，没有作为重大政治任务摆上重要位置，"
    "班子成员对分管领域的整改任务过问不多、督促不够，部分单位整改措施空泛，缺少可检验的时间节点和责任人。"
)


FONT = {"layout": "cid"}


@pytest.fixture(params=["cid", "embedded"], autouse=True)
def font(request):
    """Every PDF test runs with a non-embedded CID font and with an embedded TrueType font."""
    if request.param == "embedded":
        require_embedded_font()
    FONT["layout"] = request.param
    return request.param


def spec(blocks, **layout):
    layout.setdefault("font", FONT["layout"])
    return {
        "format": "pdf",
        "meta": {"title": "测试文件", "running_header": layout.pop("header", None)},
        "layout": layout,
        "blocks": blocks,
        "items": [],
    }


def squash(text):
    return re.sub(r"\s+", "", text)


@pytest.fixture(params=["auto", "pdfplumber"], autouse=True)
def engine(request, monkeypatch):
    """Every PDF test runs on both text engines: they must read the same document."""
    monkeypatch.setenv("DOCANALYZER_PDF_ENGINE", request.param)
    return request.param


def test_offsets_are_exact_and_text_round_trips(tmp_path):
    blocks = [
        {"t": "title", "text": "市委第九巡察组关于巡察某某局党组的反馈意见"},
        {"t": "h1", "text": "一、巡察发现的主要问题"},
        {"t": "h2", "text": "（一）贯彻落实决策部署方面"},
        {"t": "p", "text": "1.政治站位不够高。" + LONG},
        {"t": "p", "text": "（1）个别干部纪律意识淡薄。2025年以来有3人违规兼职。"},
        {"t": "p", "text": "某某局党组"},
        {"t": "p", "text": "2026年4月9日"},
    ]
    doc = read(render(spec(blocks), tmp_path / "a"))
    for b in doc.blocks:
        assert doc.text[b.char_start : b.char_end] == b.text
    texts = [b.text for b in doc.blocks]
    assert texts == [b["text"] for b in blocks]
    assert doc.title == blocks[0]["text"] and doc.date == "2026-04-09" and doc.issuer == "某某局党组"
    kinds = [(b.kind, b.level, b.numbering) for b in doc.blocks[:5]]
    assert kinds == [
        ("heading", 0, None),
        ("heading", 1, "一、"),
        ("heading", 2, "（一）"),
        ("paragraph", 3, "1."),
        ("paragraph", 4, "（1）"),
    ]


@pytest.mark.parametrize(
    "style,shown", [("dash", "— 2 —"), ("hyphen", "-2-"), ("page", "第2页"), ("slash", "2/")]
)
def test_headers_footers_and_page_numbers_are_removed(tmp_path, style, shown):
    blocks = [{"t": "p", "text": f"{i}号段落。" + LONG} for i in range(14)]
    doc = read(render(spec(blocks, page_numbers=style, header="内部资料 注意保存"), tmp_path / "b"))
    assert doc.pages >= 3
    assert "内部资料" not in doc.text
    assert shown not in doc.text
    assert squash(doc.text) == squash("".join(b["text"] for b in blocks))


def test_paragraph_over_a_page_break_is_one_block_with_pages(tmp_path):
    blocks = [{"t": "p", "text": f"第{i}段。" + LONG * 2} for i in range(6)]
    doc = read(render(spec(blocks), tmp_path / "c"))
    assert [b.text for b in doc.blocks] == [b["text"] for b in blocks]
    spanning = [b for b in doc.blocks if doc.page_at(b.char_start) != doc.page_at(b.char_end - 1)]
    assert spanning, "the fixture should put a paragraph across a page break"
    block = spanning[0]
    assert block.page == doc.page_at(block.char_start) == doc.page_at(block.char_end - 1) - 1


def test_table_over_pages_reads_rows_once_and_joins_split_rows(tmp_path):
    header = ["序号", "存在问题", "整改措施", "责任单位", "完成时限"]
    rows = [
        [str(i), f"问题{i}：" + LONG[: 40 + i], f"措施{i}：" + LONG[10:60], "办公室", "2026年6月底前"]
        for i in range(1, 19)
    ]
    blocks = [
        {"t": "p", "text": "整改清单如下。"},
        {"t": "table", "header": header, "rows": rows, "widths": [4, 30, 30, 10, 10]},
        {"t": "p", "text": "以上清单按期完成。"},
    ]
    path = render(spec(blocks), tmp_path / "d")
    doc = read(path)
    assert doc.pages >= 2
    table = [b for b in doc.blocks if b.kind == "table_row"]
    assert [c.text for c in table[0].cells] == header  # the repeated header is read once
    assert len(table) == len(rows) + 1
    for block, row in zip(table[1:], rows, strict=True):
        assert [c.text for c in block.cells] == row
        for cell in block.cells:
            assert doc.text[cell.char_start : cell.char_end] == cell.text
    assert {b.page for b in table} >= {1, 2}
    assert doc.blocks[-1].text == "以上清单按期完成。"


def test_word_exported_pdf_row_split_over_pages(eval_samples):
    doc = read(eval_samples / "s02_plan_lo.pdf")
    rows = [b for b in doc.blocks if b.kind == "table_row"]
    assert len(rows) == 9
    assert rows[4].cells[1].text.endswith("少征水资源费约94万元")  # a row the page break split, joined again
    assert rows[4].page == 1 and rows[5].page == 2


def test_every_gold_quote_is_in_the_document_text(eval_samples):
    import json

    for gold_path in sorted(eval_samples.glob("*.gold.json")):
        gold = json.loads(gold_path.read_text(encoding="utf-8"))
        doc = read(eval_samples / gold["file"])
        text = squash(doc.text)
        for item in gold["items"]:
            assert squash(item["quote"]) in text, (gold["file"], item["quote"])
