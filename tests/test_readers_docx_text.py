"""Word and plain-text readers on real files."""

from __future__ import annotations

import docx
import pytest

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
