"""`docanalyzer extract` on real documents: the shared samples and the project's own test documents."""

from __future__ import annotations

import io
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from builders import load_spec, render
from conftest import EVAL, ROOT, require_tool, run_cli
from docanalyzer.pipeline import analyze, analyze_many
from docanalyzer.scoring import Tally

DOCUMENTS = sorted((ROOT / "tests" / "documents").glob("*.json")) + sorted(
    (ROOT / "examples" / "specs").glob("*.json")
)


def test_shared_samples_meet_the_targets(eval_samples):
    cmd = f"{sys.executable} -m docanalyzer extract {{file}} --format json"
    out = subprocess.run(
        [sys.executable, str(EVAL / "score.py"), str(eval_samples), "--cmd", cmd, "--json"],
        capture_output=True,
        text=True,
        check=True,
    )
    summary = json.loads(out.stdout)["summary"]
    assert summary["items_f1"] >= 0.9
    assert summary["citations_valid"] == 1.0 and summary["page_accuracy"] == 1.0
    assert summary["unit_accuracy"] >= 0.9 and summary["deadline_accuracy"] >= 0.9
    assert summary["date_accuracy"] == 1.0


@pytest.fixture(scope="module")
def own_documents(tmp_path_factory):
    """The project's own test documents (varied issuers, layouts, long ones) rendered to real files."""
    out = tmp_path_factory.mktemp("own")
    built = []
    for path in DOCUMENTS:
        spec = load_spec(path)
        built.append((spec, render(spec, out / path.stem)))
    return built


def score_documents(built) -> Tally:
    tally = Tally()
    for spec, path in built:
        analysis = analyze(path)
        found = [item.to_dict() for item in analysis.items]
        tally.add(analysis.document.text, spec["items"], found, spec["meta"]["date"], analysis.document.date)
    return tally


def test_own_documents_meet_the_targets(own_documents):
    tally = score_documents(own_documents)
    print(dict(tally.counts), round(tally.f1, 3))
    assert tally.f1 >= 0.85
    assert tally.rate("kind_ok", "matched") >= 0.95
    assert tally.rate("category_ok", "matched") >= 0.9
    assert tally.rate("unit_ok", "unit_n") >= 0.85 and tally.rate("deadline_ok", "deadline_n") >= 0.85
    assert tally.counts["date_ok"] == len(own_documents)


def test_citations_are_verbatim_and_free_of_page_furniture(own_documents):
    for _, path in own_documents:
        analysis = analyze(path)
        text = analysis.document.text
        for item in analysis.items:
            c = item.citation
            assert text[c.char_start : c.char_end] == c.quote
            assert analysis.document.blocks[c.paragraph].char_start <= c.char_start
            assert not re.search(r"—\s*\d+\s*—|-\d+-|第\d+页", c.quote) and "内部资料" not in c.quote
            if path.suffix == ".pdf":
                assert 1 <= c.page <= analysis.document.pages
            else:
                assert c.page is None


def test_ids_are_stable_and_unique(own_documents):
    _, path = own_documents[0]
    first, second = analyze(path), analyze(path)
    ids = [i.id for i in first.items]
    assert ids == [i.id for i in second.items] and len(set(ids)) == len(ids)


def test_xlsx_ledger_has_chinese_headers_widths_and_frozen_header(tmp_path, own_documents):
    from openpyxl import load_workbook

    _, path = next((s, p) for s, p in own_documents if s["meta"]["doc_type"] == "plan")
    out = tmp_path / "ledger.xlsx"
    result = run_cli("extract", str(path), "--format", "xlsx", "--out", str(out))
    assert result.returncode == 0, result.stderr
    sheet = load_workbook(out).active
    headers = [c.value for c in sheet[1]]
    assert headers[:8] == ["编号", "来源文件", "类型", "问题类别", "内容", "整改措施", "责任单位", "完成时限"]
    assert sheet.freeze_panes == "A2"
    assert sheet.column_dimensions["E"].width >= 40
    items = analyze_many([path])["items"]
    assert sheet.max_row == len(items) + 1
    assert {sheet.cell(row=r, column=3).value for r in range(2, sheet.max_row + 1)} <= {
        "问题",
        "要求",
        "措施",
    }


def test_jsonl_and_csv_carry_the_same_items(own_documents, tmp_path):
    import csv

    _, path = own_documents[0]
    jsonl = run_cli("extract", str(path), "--format", "jsonl")
    items = [json.loads(line) for line in jsonl.stdout.splitlines()]
    csv_out = run_cli("extract", str(path), "--format", "csv")
    rows = list(csv.DictReader(csv_out.stdout.splitlines()))
    assert [r["id"] for r in rows] == [i["id"] for i in items]
    assert [r["citation.quote"] for r in rows] == [i["citation"]["quote"] for i in items]


@pytest.mark.parametrize("path", DOCUMENTS, ids=lambda p: Path(p).stem)
def test_document_type_is_detected(path, own_documents):
    spec, built = next((s, b) for s, b in own_documents if b.stem == Path(path).stem)
    assert analyze(built).document.doc_type == spec["meta"]["doc_type"]


def test_plan_written_as_labelled_prose(tmp_path):
    import docx

    d = docx.Document()
    for text in (
        "中共某某区教育局党组巡察整改工作方案",
        "一、整改任务",
        "（一）问题：对习近平总书记关于教育的重要论述学习不深入，研究贯彻措施不多。",
        "整改措施：完善第一议题制度，每季度专题研究一次。",
        "责任单位：局办公室",
        "完成时限：2026年6月底前",
        "（二）问题：校舍维修项目未按规定招标。整改措施：开展专项检查。责任单位：计财科。完成时限：立行立改",
        "二、工作要求",
        "局党组要扛起整改主体责任。",
        "中共某某区教育局党组",
        "2026年3月1日",
    ):
        d.add_paragraph(text)
    d.save(tmp_path / "prose.docx")
    items = analyze(tmp_path / "prose.docx").items
    fields = [(i.kind, i.text, i.responsible_unit, i.deadline, i.measures) for i in items]
    assert fields == [
        (
            "problem",
            "对习近平总书记关于教育的重要论述学习不深入，研究贯彻措施不多",
            "局办公室",
            "2026-06-30",
            "完善第一议题制度，每季度专题研究一次",
        ),
        ("problem", "校舍维修项目未按规定招标", "计财科", "立行立改", "开展专项检查"),
        ("requirement", "局党组要扛起整改主体责任。", "局党组", None, None),
    ]


def test_word_documents_exported_to_pdf_by_libreoffice(own_documents, tmp_path):
    """The same Word documents as a word processor exports them to PDF: other fonts, quotes drawn
    as separate text objects, ruled tables, rows over page breaks."""
    office = require_tool("soffice")
    docx_files = [(spec, path) for spec, path in own_documents if path.suffix == ".docx"]
    profile = (tmp_path / "profile").as_uri()
    subprocess.run(
        [
            office,
            f"-env:UserInstallation={profile}",
            "--headless",
            "--convert-to",
            "pdf",
            "--outdir",
            str(tmp_path),
            *(str(p) for _, p in docx_files),
        ],
        capture_output=True,
        check=True,
        timeout=300,
    )
    exported = [(spec, tmp_path / (path.stem + ".pdf")) for spec, path in docx_files]
    tally = score_documents(exported)
    assert tally.f1 >= 0.9
    assert tally.rate("unit_ok", "unit_n") >= 0.85 and tally.counts["date_ok"] == len(exported)


def test_an_item_without_chinese_is_kept_unclassified(tmp_path):
    import docx

    d = docx.Document()
    d.add_paragraph("某某公司党委巡察整改工作方案")
    table = d.add_table(rows=3, cols=3)
    rows = [
        ["问题", "整改措施", "责任单位"],
        ["Budget rules were not followed in 2025", "Audit all costs", "Finance"],
        ["采购制度执行不严，3个项目未按规定招标", "开展专项检查", "采购部"],
    ]
    for r, row in enumerate(rows):
        for c, text in enumerate(row):
            table.cell(r, c).text = text
    d.save(tmp_path / "plan.docx")
    result = run_cli("extract", str(tmp_path / "plan.docx"))
    assert result.returncode == 0 and "Traceback" not in result.stderr
    english, chinese = json.loads(result.stdout)["items"]
    assert (
        english["text"].startswith("Budget") and english["category"] is None and english["categories"] == []
    )
    assert chinese["category"] == "standards"


class CountingBlocks(list):
    """A document's blocks that count how many are handed out, by iteration or by index."""

    visits = 0

    def __iter__(self):
        for block in super().__iter__():
            self.visits += 1
            yield block

    def __getitem__(self, key):
        got = super().__getitem__(key)
        self.visits += len(got) if isinstance(key, slice) else 1
        return got


def meeting_minutes(path, points: int):
    lines = ["某某局党组巡察整改工作会议纪要", "一、会议要求"]
    lines += [
        f"{n}.会议强调，第{n}整改专班要对照问题清单逐项建账，每月报送整改进展。" for n in range(1, points + 1)
    ]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_block_lookups_bisect_and_follow_changed_blocks(tmp_path):
    from docanalyzer.readers import read

    doc = read(meeting_minutes(tmp_path / "minutes.txt", 2000))
    doc.blocks = blocks = CountingBlocks(doc.blocks)
    n = len(blocks)
    for i, b in enumerate(list.__iter__(blocks)):
        assert doc.block_at(b.char_start) == i and doc.block_at(b.char_end - 1) == i
    visits = blocks.visits
    assert visits <= 3 * n  # the starts taken once, then one block checked per look-up
    with pytest.raises(ValueError):
        doc.block_at(blocks[0].char_end)  # the line break between two blocks
    doc.blocks = doc.blocks[:1]  # replaced: the starts are taken again
    assert doc.block_at(0) == 0
    with pytest.raises(ValueError):
        doc.block_at(b.char_start)


def test_extraction_visits_each_block_a_bounded_number_of_times(tmp_path):
    from docanalyzer.extract.items import extract_items
    from docanalyzer.readers import read

    doc = read(meeting_minutes(tmp_path / "minutes.txt", 3000))
    doc.blocks = blocks = CountingBlocks(doc.blocks)
    items = extract_items(doc)
    visits, n = blocks.visits, len(blocks)
    assert len(items) == 3000 and items[-1].citation.paragraph == n - 1
    assert visits <= 10 * n, f"{visits} block visits for {n} blocks"


FORMULA = '=HYPERLINK("http://example.com","各单位要对照问题清单逐项整改")'


def formula_minutes(tmp_path):
    """Minutes whose file name and items start as spreadsheet formulas do."""
    path = tmp_path / "=1+2.txt"
    path.write_text(
        f"某某局党组巡察整改工作会议纪要\n一、会议要求\n{FORMULA}\n+各单位要每月报送整改进展。\n",
        encoding="utf-8",
    )
    return path


def test_xlsx_writes_formula_like_text_as_text(tmp_path):
    from openpyxl import load_workbook

    out = tmp_path / "ledger.xlsx"
    result = run_cli("extract", str(formula_minutes(tmp_path)), "--format", "xlsx", "--out", str(out))
    assert result.returncode == 0, result.stderr
    sheet = load_workbook(out).active
    headers = [c.value for c in sheet[1]]
    first, second = (
        {h: (c.value, c.data_type) for h, c in zip(headers, row, strict=True)} for row in sheet[2:3]
    )
    assert first["来源文件"] == ("=1+2.txt", "s") and first["内容"] == (FORMULA, "s")
    assert first["原文引用"] == (FORMULA, "s") and second["责任单位"] == ("+各单位", "s")
    assert first["段落"] == (2, "n") and first["起始位置"] == (23, "n")  # numbers stay numbers
    assert not [c.coordinate for row in sheet.iter_rows() for c in row if c.data_type == "f"]


def test_csv_for_machines_is_verbatim_and_for_people_defused(tmp_path):
    import csv

    from docanalyzer import export

    path = formula_minutes(tmp_path)
    machine = list(csv.DictReader(run_cli("extract", str(path), "--format", "csv").stdout.splitlines()))
    assert [(r["citation.file"], r["text"]) for r in machine] == [
        ("=1+2.txt", FORMULA),
        ("=1+2.txt", "+各单位要每月报送整改进展。"),
    ]
    assert machine[1]["responsible_unit"] == "+各单位"
    item = analyze_many([path])["items"][1]
    item.update(measures="-1", deadline="@SUM(A1)", heading="\t=1", category="\r=1", kind="问题=1")
    (row,) = csv.DictReader(io.StringIO(export.to_csv([item], for_people=True), newline=""))
    assert {k: row[k] for k in ("citation.file", "text", "measures", "deadline", "category", "kind")} == {
        "citation.file": "'=1+2.txt",
        "text": "'+各单位要每月报送整改进展。",
        "measures": "'-1",
        "deadline": "'@SUM(A1)",
        "category": "'\r=1",
        "kind": "问题=1",
    }
    assert row["citation.char_start"] == "73"  # numbers are not text: left as they are
