"""Item fields read from the text: deadlines (normalised to ISO dates) and responsible units."""

from __future__ import annotations

import calendar
import re

from docanalyzer.text.structure import cn_number

NUM = r"[0-9０-９]{1,2}|[一二三四五六七八九十]{1,3}"
YEAR = r"[0-9０-９]{4}|[〇零○一二三四五六七八九]{4}"
QUARTERS = {"一": 1, "二": 2, "三": 3, "四": 4, "1": 1, "2": 2, "3": 3, "4": 4}

DAY = re.compile(rf"(?:(?P<y>{YEAR})\s*年\s*)?(?P<m>{NUM})\s*月\s*(?P<d>{NUM})\s*[日号]")
MONTH = re.compile(rf"(?:(?P<y>{YEAR})\s*年\s*)?(?P<m>{NUM})\s*月(?P<end>底|末|份|中旬|上旬|下旬)?")
HALF = re.compile(
    rf"(?:(?P<y>{YEAR})\s*年\s*(?:度\s*)?|(?<![0-9０-９一二三四五六七八九十〇零○]))(?P<half>上半年|年中|下半年|年底|年末|(?<=年)底|(?<=年)末)"
)
QUARTER = re.compile(rf"(?P<y>{YEAR})\s*年\s*(?:第\s*)?(?P<q>[一二三四1-4])\s*季度")
YEAR_ONLY = re.compile(rf"(?P<y>{YEAR})\s*年(?:前|内|完成)")
WORDS = re.compile(
    r"长期坚持|持续推进|立行立改|立查立改|常态化推进|长期推进|持续整改|持续抓好|久久为功|"
    r"(?:收到|接到)?(?:(?:巡察|巡视)?反馈(?:意见)?|(?:本)?方案印发|印发)后\s*(?:[0-9０-９]+|[一二三四五六七八九十两]+)\s*个?(?:月|日|天|周|个工作日)内"
)
# In running text a date is a deadline only when a deadline word follows it closely.
DEADLINE_CUE = re.compile(r"^\s*(?:之前|以前|前|底前|末前|内|以内|全部完成|完成|底|末)")


def _iso(y: int, m: int, d: int | None = None) -> str | None:
    if not (1 <= m <= 12 and 1900 < y < 2200):
        return None
    last = calendar.monthrange(y, m)[1]
    return f"{y:04d}-{m:02d}-{min(d or last, last):02d}"


def _year(text: str | None, doc_date: str | None, month: int) -> int | None:
    if text:
        return cn_number(text)
    if not doc_date:
        return None
    y, m = int(doc_date[:4]), int(doc_date[5:7])
    return y + 1 if month < m else y  # "12月底前" written in March means this December


def _match_date(text: str, doc_date: str | None, pos: int = 0) -> tuple[str | None, int, int]:
    """The first date or period in ``text`` from ``pos`` as an ISO date, with its span."""
    found = []
    for m in DAY.finditer(text, pos):
        year = _year(m["y"], doc_date, cn_number(m["m"]))  # "6月15日前" is this year's, or next
        if year is not None:
            found.append((m.start(), m.end(), _iso(year, cn_number(m["m"]), cn_number(m["d"]))))
    for m in QUARTER.finditer(text, pos):
        q = QUARTERS[m["q"]]
        found.append((m.start(), m.end(), _iso(cn_number(m["y"]), q * 3)))
    for m in HALF.finditer(text, pos):
        month = 6 if m["half"] in ("上半年", "年中") else 12
        year = (
            cn_number(m["y"]) if m["y"] else (int(doc_date[:4]) if doc_date else None)
        )  # "年底前": this year's
        if year is not None:
            found.append((m.start(), m.end(), _iso(year, month)))
    for m in MONTH.finditer(text, pos):
        if any(s <= m.start() < e for s, e, _ in found):
            continue
        if m.end() < len(text) and text[m.end() : m.end() + 1] in "日号":
            continue
        month = cn_number(m["m"])
        year = _year(m["y"], doc_date, month)
        if year is None:
            continue
        day = {"上旬": 10, "中旬": 20}.get(m["end"] or "")
        found.append((m.start(), m.end(), _iso(year, month, day)))
    for m in YEAR_ONLY.finditer(text, pos):
        if not any(s <= m.start() < e for s, e, _ in found):
            found.append((m.start(), m.end() - 1, _iso(cn_number(m["y"]), 12)))
    found = [f for f in found if f[2]]
    if not found:
        return None, -1, -1
    start, end, iso = min(found, key=lambda f: (f[0], -f[1]))
    return iso, start, end


def deadline_from_cell(text: str, doc_date: str | None = None) -> str | None:
    """A plan table's deadline cell: a date or period as ISO, else its own words."""
    text = text.strip()
    if not text:
        return None
    iso, _, _ = _match_date(text, doc_date)
    if iso:
        return iso
    return text  # the cell's own words: 长期坚持, 立行立改、长期坚持, 本方案印发后1个月内


def deadline_from_text(text: str, doc_date: str | None = None) -> str | None:
    """A deadline stated in running text: a date followed by 前/底/内/完成, or deadline words."""
    pos = 0
    while True:
        iso, start, end = _match_date(text, doc_date, pos)
        if iso is None:
            break
        if DEADLINE_CUE.match(text[end : end + 6]) or re.search(
            r"(?:确保|力争|要在|须在|必须在|于)\s*$", text[max(0, start - 4) : start]
        ):
            return iso
        pos = end
    words = WORDS.search(text)
    return words.group(0) if words else None


DIRECTIVE = re.compile(
    r"(?<![重主需只纪摘概])要(?!求|点|害|素|件|闻|看到|清醒|认识到|的|是)|必须|务必|应当|须(?=[将把在对])|请(?=[于在将把按务])"
)
UNIT_END = re.compile(
    r"(?:党组|党委|党工委|党总支|党支部|支部|纪委监委|纪委|监委|纪检监察组|委员会|巡视组|巡察组|领导小组|工作专班|专班|"
    r"办公室|办公厅|政府|人大|政协|局|厅|委|院|校|大学|学院|公司|集团|中心|部|处|科|室|所|站|队|街道|乡镇|镇|乡|"
    r"单位|部门|机关|组织|分行|支行|银行|协会|学会|医院|法院|检察院|分局|管委会|开发区|办)"
    r"(?:[（(][^）)]{1,10}[）)])?$"
)
NOT_A_UNIT = re.compile(
    r"^(?:全|各级|所有)|各级各|全体|^各(?:单位|部门|地|方|有关单位|有关部门)$|"
    r"书记$|同志$|干部$|负责人$|领导$|成员$|人员$|党员$|群众$|职工$"
)


def subject_of_directive(sentence: str) -> str | None:
    """The words before a directive's ``要`` (``县纪委监委要…`` → 县纪委监委); None when the
    directive names no subject (``要建立…``)."""
    m = DIRECTIVE.search(sentence)
    if not m:
        return None
    subject = re.split(r"[，,：:；;。]", sentence[: m.start()])[-1].strip()
    subject = re.sub(r"^(?:同时|此外|另外|其中|并且|并|对此|为此)", "", subject).strip()
    return subject if 0 < len(subject) <= 40 else None


def as_unit(subject: str | None) -> str | None:
    """The subject when it names a body; None for a person or post, or for everyone."""
    if not subject or NOT_A_UNIT.search(subject) or not UNIT_END.search(subject):
        return None
    return subject
