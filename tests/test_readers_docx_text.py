"""Word and plain-text readers on real files."""

from __future__ import annotations

import docx
import pytest
from docx.table import _Cell

from docanalyzer.readers import read


def test_docx_paragraphs_tables_in_order_merged_cells_once_no_headers(tmp_path):
    d = docx.Document()
    d.add_paragraph("某某局党组巡察整改工作方案").alignment = 1
    d.add_heading("一、问题清单", level=1)
    d.add_paragraph("　　整改清单如下。")
    table = d.add_table(rows=3, cols=3)
    for i, row in enumerate(
        [["问题", "整改措施", "责任单位"], ["问题甲", "措施甲", "办公室"], ["问题乙", "措施乙", ""]]
    ):
        for j, text in enumerate(row):
            table.cell(i, j).text = text
    table.cell(1, 2).merge(table.cell(2, 2))  # one unit for two rows
    d.add_paragraph("二、工作要求")
    d.sections[0].header.paragraphs[0].text = "页眉文字不应出现"
    d.sections[0].footer.paragraphs[0].text = "第1页"
    path = tmp_path / "plan.docx"
    d.save(path)
    doc = read(path)
    assert "页眉文字不应出现" not in doc.text and "第1页" not in doc.text
    assert [b.kind for b in doc.blocks] == [
        "heading",
        "heading",
        "paragraph",
        "table_row",
        "table_row",
        "table_row",
        "heading",
    ]
    assert doc.blocks[1].level == 1 and doc.title == "某某局党组巡察整改工作方案"
    rows = [[c.text for c in b.cells] for b in doc.blocks if b.kind == "table_row"]
    assert rows == [
        ["问题", "整改措施", "责任单位"],
        ["问题甲", "措施甲", "办公室"],
        ["问题乙", "措施乙", ""],
    ]
    for b in doc.blocks:
        assert doc.text[b.char_start : b.char_end] == b.text
    assert doc.pages is None


@pytest.mark.parametrize("encoding,prefix", [("utf-8", b""), ("utf-8", b"\xef\xbb\xbf"), ("gb18030", b"")])
def test_text_encodings(tmp_path, encoding, prefix):
    body = "市委巡察组反馈意见\n\n一、存在的问题\n1.主体责任落实不到位。党组书记履职不够有力。\n"
    path = tmp_path / "a.txt"
    path.write_bytes(prefix + body.encode(encoding))
    doc = read(path)
    assert [b.text for b in doc.blocks] == [
        "市委巡察组反馈意见",
        "一、存在的问题",
        "1.主体责任落实不到位。党组书记履职不够有力。",
    ]
    assert doc.blocks[2].numbering == "1." and doc.blocks[2].kind == "paragraph"


def test_docx_table_nested_in_a_cell_is_read_after_its_row_in_order(tmp_path):
    d = docx.Document()
    d.add_paragraph("整改任务分解表")
    outer = d.add_table(rows=3, cols=3)
    for i, row in enumerate(
        [["问题", "整改措施", "责任单位"], ["问题甲", "", "办公室"], ["问题乙", "措施乙", "财务科"]]
    ):
        for j, text in enumerate(row):
            outer.cell(i, j).text = text
    steps = outer.cell(1, 1)
    steps.paragraphs[0].text = "分三步整改："
    inner = steps.add_table(rows=2, cols=2)
    inner.cell(0, 1).text, inner.cell(1, 1).text = "全面排查", "建章立制"
    inner.cell(0, 0).merge(inner.cell(1, 0)).text = "两步"  # merged in the nested table too: read once
    steps.add_paragraph("（持续推进）")
    d.add_paragraph("以上任务务必按期完成。")
    path = tmp_path / "nested.docx"
    d.save(path)
    doc = read(path)
    assert [[c.text for c in b.cells] or b.text for b in doc.blocks] == [
        "整改任务分解表",
        ["问题", "整改措施", "责任单位"],
        ["问题甲", "分三步整改：（持续推进）", "办公室"],
        ["两步", "全面排查"],
        ["", "建章立制"],
        ["问题乙", "措施乙", "财务科"],
        "以上任务务必按期完成。",
    ]
    assert [b.kind for b in doc.blocks[1:6]] == ["table_row"] * 5
    for b in doc.blocks:
        assert doc.text[b.char_start : b.char_end] == b.text
        for c in b.cells:
            assert doc.text[c.char_start : c.char_end] == c.text


def test_docx_cell_merged_down_a_long_table_is_read_once(tmp_path):
    """python-docx walks a vertical merge cell by cell up to its top (deep recursion on long merges)."""
    d = docx.Document()
    rows = 1200
    table = d.add_table(rows=rows, cols=2)
    for i, tr in enumerate(table._tbl.tr_lst):  # element by element: table.cell() is slow on long tables
        problem, unit = tr.tc_lst
        _Cell(problem, table).text = f"问题{i + 1}"
        unit.vMerge = "continue" if i else "restart"  # the unit column merged over every row
    _Cell(table._tbl.tr_lst[0].tc_lst[1], table).text = "办公室"
    path = tmp_path / "merged.docx"
    d.save(path)
    doc = read(path)
    assert [[c.text for c in b.cells] for b in doc.blocks[:3]] == [
        ["问题1", "办公室"],
        ["问题2", ""],
        ["问题3", ""],
    ]
    assert len(doc.blocks) == rows
