"""Word and plain-text readers on real files."""

from __future__ import annotations

import random

import docx
import pytest
from docx.table import _Cell

from docanalyzer.errors import CorruptFile
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


TRADITIONAL = (
    "市委巡察組反饋意見\n\n一、存在的問題\n1.主體責任落實不到位。黨組書記履職不夠有力，對整改工作重視不夠。\n"
)
SIMPLIFIED = (
    "市委巡察组反馈意见\n\n一、存在的问题\n1.主体责任落实不到位。党组书记履职不够有力，对整改工作重视不够。\n"
)
LONG = "".join(f"{n}.局属单位有{n}个项目未按规定履行招标程序，部分项目先施工后审批。\n" for n in range(1, 41))
ENCODED = {
    "big5": TRADITIONAL.encode("big5"),
    "utf-16 with BOM": TRADITIONAL.encode("utf-16"),
    "utf-16-be with BOM": b"\xfe\xff" + TRADITIONAL.encode("utf-16-be"),
    "utf-8": SIMPLIFIED.encode("utf-8"),
    "utf-8 with BOM": b"\xef\xbb\xbf" + SIMPLIFIED.encode("utf-8"),
    "gb18030": SIMPLIFIED.encode("gb18030"),
    "gb18030 long": LONG.encode("gb18030"),
    "gb18030 short": "审计处".encode("gb18030"),  # valid Big5 too, and charset detection ranks Big5 first
    "big5 short": "審計處".encode("big5"),
}


def test_text_encodings_are_detected(tmp_path):
    read_back = {}
    for name, data in ENCODED.items():
        path = tmp_path / "a.txt"
        path.write_bytes(data)
        read_back[name] = read(path).text
    first, plain = [ln for ln in TRADITIONAL.splitlines() if ln], [ln for ln in SIMPLIFIED.splitlines() if ln]
    assert read_back == {
        "big5": "\n".join(first),
        "utf-16 with BOM": "\n".join(first),
        "utf-16-be with BOM": "\n".join(first),
        "utf-8": "\n".join(plain),
        "utf-8 with BOM": "\n".join(plain),
        "gb18030": "\n".join(plain),
        "gb18030 long": LONG.strip(),
        "gb18030 short": "审计处",
        "big5 short": "審計處",
    }
    path.write_bytes(ENCODED["big5"])
    doc = read(path)
    assert [b.text for b in doc.blocks] == first
    assert doc.blocks[2].numbering == "1." and doc.blocks[2].kind == "paragraph"


@pytest.mark.parametrize(
    "data",
    [
        random.Random(7).randbytes(3000),
        "市委巡察组".encode("utf-16-le"),
        "整改".encode("gb18030") + b"\x00\x01",
    ],
    ids=["random bytes", "utf-16 without BOM", "binary after text"],
)
def test_unreadable_text_is_refused_in_one_line(tmp_path, data):
    path = tmp_path / "a.txt"
    path.write_bytes(data)
    with pytest.raises(CorruptFile) as refused:
        read(path)
    assert refused.value.message == (
        "a.txt: [E104] 无法读取文本：编码不是 UTF-8、UTF-16、GB18030 或 Big5，或文件含有二进制数据。"
        "请用记事本或 WPS 将其另存为 UTF-8 编码的文本，或改交原始的 PDF 或 Word 文件。"
    )


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
