"""Numbering levels, dates, deadlines and responsible units, on the forms the documents use."""

from __future__ import annotations

import pytest

from docanalyzer.extract.fields import as_unit, deadline_from_cell, deadline_from_text, subject_of_directive
from docanalyzer.text.structure import numbering_of, parse_date


@pytest.mark.parametrize(
    "text,expected",
    [
        ("一、巡察发现的主要问题", ("一、", 1)),
        ("十二、其他", ("十二、", 1)),
        ("（一）贯彻落实方面", ("（一）", 2)),
        ("(三)组织建设方面", ("(三)", 2)),
        ("1.政治站位不够高。", ("1.", 3)),
        ("1．主体责任", ("1．", 3)),
        ("12、制度执行", ("12、", 3)),
        ("（1）个别干部", ("（1）", 4)),
        ("(2)资金管理", ("(2)", 4)),
        ("一是学习不深入", ("一是", 5)),
    ],
)
def test_numbering_levels(text, expected):
    assert numbering_of(text) == expected


@pytest.mark.parametrize("text", ["2024.3万元的资金", "2025年以来", "党组要加强领导"])
def test_not_numbering(text):
    assert numbering_of(text) is None


@pytest.mark.parametrize(
    "text,iso",
    [
        ("2026年3月12日", "2026-03-12"),
        ("二〇二六年三月十二日", "2026-03-12"),
        ("２０２５年１２月１日", "2025-12-01"),
        ("2026年13月1日", None),
    ],
)
def test_document_dates(text, iso):
    assert parse_date(text) == iso


@pytest.mark.parametrize(
    "cell,expected",
    [
        ("2026年6月底前", "2026-06-30"),
        ("2026年上半年", "2026-06-30"),
        ("2026年第三季度", "2026-09-30"),
        ("2025年第四季度", "2025-12-31"),
        ("2026年10月", "2026-10-31"),
        ("2026年2月底", "2026-02-28"),
        ("2025年11月30日前", "2025-11-30"),
        ("2026年底前", "2026-12-31"),
        ("长期坚持", "长期坚持"),
        ("立行立改", "立行立改"),
        ("立行立改，长期坚持", "立行立改，长期坚持"),
        ("2026年3季度", "2026-09-30"),
    ],
)
def test_deadline_cells(cell, expected):
    assert deadline_from_cell(cell, "2026-03-12") == expected


def test_month_without_year_resolves_against_the_document_date():
    assert deadline_from_cell("12月底前", "2026-03-12") == "2026-12-31"
    assert deadline_from_cell("2月底前", "2026-03-12") == "2027-02-28"


@pytest.mark.parametrize(
    "text,expected",
    [
        ("确保各项整改任务于2026年6月底前全部完成。", "2026-06-30"),
        ("2024年以来，局属单位有6个项目未招标。", None),
        ("在反馈后两个月内报送整改情况报告。", "反馈后两个月内"),
        ("要在收到反馈意见后2个月内将整改情况报告报送市委。", "收到反馈意见后2个月内"),
        ("确保2026年6月30日前完成全部整改任务。", "2026-06-30"),
    ],
)
def test_deadlines_in_running_text(text, expected):
    assert deadline_from_text(text, "2026-03-12") == expected


@pytest.mark.parametrize(
    "sentence,unit",
    [
        ("县纪委监委要把巡视整改纳入日常监督重点。", "县纪委监委"),
        (
            "各乡镇党委和县直各部门党组（党委）要切实担负起整改主体责任。",
            "各乡镇党委和县直各部门党组（党委）",
        ),
        ("全县各级党组织要把抓好巡视整改作为试金石。", None),
        ("党委书记要亲自抓。", None),
        ("要建立问题清单。", None),
        ("对整改不力的，市纪委监委要严肃问责。", "市纪委监委"),
        ("各牵头单位要主动加强与配合单位的衔接。", "各牵头单位"),
        ("各单位要对照问题清单逐项整改。", None),
    ],
)
def test_units_of_directives(sentence, unit):
    assert as_unit(subject_of_directive(sentence)) == unit


def test_dateline_under_the_title_when_there_is_no_signature(tmp_path):
    from docanalyzer.readers import read

    (tmp_path / "m.txt").write_text(
        "县委召开巡察整改工作会议\n（2026年3月20日）\n会议强调，要压实整改责任。\n", encoding="utf-8"
    )
    doc = read(tmp_path / "m.txt")
    assert doc.date == "2026-03-20" and doc.title == "县委召开巡察整改工作会议"
