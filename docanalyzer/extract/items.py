"""Candidate rectification items, each cited to its exact source text.

The detector reads the document's structure: sections by heading, plan
tables by their header row, numbered problem points, directive sentences
(``…要…``) and steps reported as taken. It yields spans of ``doc.text``;
quotes are always ``doc.text[start:end]``, with numbering, lead-ins
(``会议强调，``, ``整改情况：``) and trailing status marks left out.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass

from docanalyzer.extract.fields import (
    DIRECTIVE,
    WORDS,
    as_unit,
    deadline_from_cell,
    deadline_from_text,
    subject_of_directive,
)
from docanalyzer.model import Block, Citation, Document, Item
from docanalyzer.text.normalize import simplified_view
from docanalyzer.text.structure import DATE, NUMBERING

# Section titles (numbering aside, short) whose text describes rather than directs or reports.
SECTION_TITLE_MAX = 16
SKIP_SECTION = re.compile(
    r"总体情况|基本情况|工作目标|目标任务|指导思想|总体要求|基本原则|工作机构|组织机构|下一步|工作打算|"
    r"巡察(?:工作)?基本情况|巡视(?:工作)?基本情况|主要成效|取得的成效|工作成效|整改成效|工作开展情况|总体进展"
)
REQUIREMENT_SECTION = re.compile(
    r"整改意见|意见建议|整改建议|工作要求|整改要求|有关要求|保障措施|组织保障|几点要求"
)
LEAD_IN = re.compile(
    r"^(?:会议|会上|会议上|[^，。；：]{0,24}?(?:在讲话中|在会上|讲话时|同志|书记|主任|组长))?"
    r"(?:强调|要求|指出|提出|认为|明确|号召|决定|部署|希望)[，,：:]"
    r"|^(?:整改情况|整改进展|整改措施|整改结果|完成情况|落实情况|进展情况)[：:]"
)
ASSESSMENT_LEAD = re.compile(r"^(?:会议|会上)?(?:指出|认为|充分肯定|肯定了|听取了)")
CLAUSE_MARK = re.compile(
    r"(?:^|(?<=[\n，,；;：:。]))\s*(?:[一二三四五六七八九十]+(?:是|要)|第[一二三四五六七八九十]+，)"
)
STATUS_WORDS = r"已完成|基本完成|已整改|整改中|推进中|正在推进|持续推进|长期坚持|立行立改|常态化推进"
TRAILING_MARK = re.compile(rf"[（(](?P<mark>(?:{STATUS_WORDS})[^（）()]{{0,20}})[）)]\s*[。；;]?\s*$")
NOT_ITEM_LINE = re.compile(
    r"^(?:联系电话|电话|联系人|邮箱|电子邮箱|邮政信箱|通讯地址|通信地址|地址|附件|主送|抄送|印发|来信|传真)"
)
# A line naming whom the document is sent to (主送): "市委巡察工作领导小组：".
ADDRESSEE = re.compile(r"^[^。，；！？,;]{2,40}[：:]\s*$")
# Passages that report on the inspection itself, not on a problem or a step.
NOT_ITEM_TEXT = re.compile(
    r"收到[^。]{0,24}问题线索|已按(?:有关|相关)?规定(?:移交|转交)|现将[^。]{0,30}(?:报告|通报|公布|反馈)如下|反馈如下|(?:巡视|巡察)(?:组)?认为|^(?:根据|按照)[^。]{0,40}(?:统一部署|安排|要求)"
)
PRAISE = re.compile(r"取得(?:了)?(?:明显|积极|阶段性|显著|重要)成效|高度重视|总体进展顺利|有序推进$|成效明显")
PROBLEM_MARK = re.compile(
    r"不够|不到位|不力|不严|不足|不强|不高|不深|不实|不规范|不健全|不完善|不及时|不精准|不平衡|不明显|"
    r"偏松|偏软|偏弱|偏少|薄弱|缺失|缺乏|欠缺|存在|未按|未能|未经|未落实|未建立|未执行|没有|滞后|流于形式|"
    r"淡化|弱化|虚化|违规|违反|漏洞|隐患|不当|失职|走过场|打折扣|搞变通"
)
MEASURE_MARK = re.compile(
    r"已|完成|建立|健全|制定|出台|修订|印发|开展|召开|组织|清退|追缴|收回|退还|约谈|谈话|查处|立案|处分|"
    r"诫勉|问责|通报|纠正|签订|移送|轮岗|培训|排查|核查|评查|督导|实现|新增|累计|举办|整改|处置|办结|挽回|补缴|"
    r"调整|撤销|清理|上线|投入|推行|实行|落实|回访|交办|提升|完善|设立|配备|新建|改造|退回|发放|压减|减少|选派|挂职|"
    r"搭建|下发|检查|走访|督促|会同|研究|部署|明确|推动|形成|编制|启动|复核|复查|审核|收缴|追回|兑现|公开|警示|纳入|列入|提高|增设|优化|上线"
)
FUTURE = re.compile(
    r"^(?:下一步|下步|今后|我们将|拟|计划|争取|力争|继续)|将(?:继续|进一步|持续|不断|加快|着力|深入|全力|适时)"
)
ELABORATION = re.compile(r"^(?:其中|这|此举|该|从而|进而|由此)")
BOILERPLATE = re.compile(r"欢迎|监督电话|联系电话|联系人|来信来访|意见建议|请及时向")
SENTENCE = re.compile(r"[^。！？!?]*[。！？!?]+[”’」』）)]?(?:[（(][^（）()。]{2,24}[）)])?|[^。！？!?]+$")
# A problem's title in a progress report (``问题1：…``, ``关于…的问题``): it names, it reports nothing.
PROBLEM_TITLE = re.compile(
    r"^(?:问题[0-9０-９一二三四五六七八九十]*[：:]|[^。，]{0,4}关于[^。]{2,60}的问题[。：:]?$|[^。]{4,60}的问题[。：:]?$)"
)
# Tallies of the whole rectification (11个问题中已完成整改9个; 整改完成率): not a step of their own.
TALLY = re.compile(
    r"[0-9０-９]+个问题中|[0-9０-９]+个方面[0-9０-９]+个问题|已完成整改[0-9０-９]+个|整改完成率|完成率(?:达到?|为)|"
    r"[0-9０-９]+(?:个|项|条)(?:具体)?(?:问题|整改措施|整改任务)[^。；]{0,4}(?:已|均已)(?:整改)?(?:完成|落实)"
)

# A plan written as prose: "问题：… 整改措施：… 责任单位：… 完成时限：…" in one or several paragraphs.
FIELD_LABEL = re.compile(
    r"(?P<label>存在(?:的)?问题|问题(?:表现|描述)?|主要问题|整改(?:措施|举措)|责任(?:单位|部门)|牵头(?:单位|部门)|"
    r"配合(?:单位|部门)|责任(?:领导|人)|(?:完成|整改)(?:时限|时间)|时限)\s*[：:]"
)
FIELD_OF_LABEL = (
    ("problem", r"问题"),
    ("measures", r"措施|举措"),
    ("unit", r"^(?:责任|牵头)(?:单位|部门)"),
    ("deadline", r"时限|时间"),
)

# Plan-table columns, by header words; the first match wins.
COLUMNS = {
    "problem": re.compile(r"问题(?:表现|描述|内容|清单)?$|存在(?:的)?问题|主要问题|反馈问题|问题具体表现"),
    "measures": re.compile(r"整改(?:措施|举措)|^措施$|工作措施|具体措施"),
    "unit": re.compile(r"^(?:牵头|责任|主责)(?:单位|部门|处室)|^责任主体|^牵头领导?单位"),
    "deadline": re.compile(r"时限|完成时间|整改期限|完成期限|时间节点|^时间$"),
}


@dataclass
class Span:
    kind: str
    start: int
    end: int
    block: int
    unit: str | None = None
    deadline: str | None = None
    measures: str | None = None
    heading: str | None = None


def trim(text: str, start: int, end: int, lead_ins: bool = True) -> tuple[int, int]:
    """Narrow [start, end) past white space, numbering, lead-ins and a trailing separator."""
    while start < end and text[start].isspace():
        start += 1
    changed = True
    while changed:
        changed = False
        piece = text[start:end]
        for pattern, _ in NUMBERING:
            m = pattern.match(piece)
            if m:
                start += m.end()
                changed = True
                break
        else:
            m = LEAD_IN.match(piece) if lead_ins else None
            if m:
                start += m.end()
                changed = True
        while start < end and text[start] in " \u3000，,、":
            start += 1
    while end > start and text[end - 1] in " \u3000；;，,、：:":
        end -= 1
    return start, end


def split_at_semicolons(text: str, spans: list[tuple[int, int]], own: re.Pattern) -> list[tuple[int, int]]:
    """Cut each span at a ``；`` after which a part of its own begins (``…督办；局机关纪委要…``):
    ``own`` says what such a part holds (a directive, a step)."""
    out = []
    for a, b in spans:
        cuts = [m.end() for m in re.finditer(r"[；;]", text[a:b])]
        bounds, last = [a], a
        for cut in cuts:
            nxt = next((c for c in cuts if c > cut), b - a)
            if own.search(text[a + cut : a + nxt]) and a + cut - last >= 8:
                bounds.append(a + cut)
                last = a + cut
        bounds.append(b)
        out += [(x, y) for x, y in zip(bounds, bounds[1:], strict=False) if y > x]
    return out


def sentences(text: str, start: int, end: int) -> list[tuple[int, int]]:
    return [
        (start + m.start(), start + m.end()) for m in SENTENCE.finditer(text[start:end]) if m.group().strip()
    ]


def clauses(text: str, start: int, end: int) -> list[tuple[int, int]] | None:
    """The clauses of a ``一是…二是…`` list inside [start, end), or None when there is none."""
    marks = [m for m in CLAUSE_MARK.finditer(text, start, end)]
    if len(marks) < 2:
        return None
    spans = []
    for i, m in enumerate(marks):
        stop = marks[i + 1].start() if i + 1 < len(marks) else end
        spans.append((m.start(), stop))
    return spans


STATUS_THEN_NEXT = re.compile(rf"[（(](?:{STATUS_WORDS})[^（）()]{{0,20}}[）)]\s*[；;]")


def split_after_status(text: str, start: int, end: int) -> list[tuple[int, int]]:
    """``…处分（已完成）；在全系统开展…（持续推进）。``: a status mark closes one step, and the
    step after the semicolon is another."""
    cuts = [m.end() for m in STATUS_THEN_NEXT.finditer(text, start, end)]
    bounds = [start, *cuts, end]
    return [(a, b) for a, b in zip(bounds, bounds[1:], strict=False) if b > a]


def status_mark(text: str, start: int, end: int, doc_date: str | None = None) -> tuple[int, str | None]:
    """A trailing status in brackets (``（持续推进）``, ``（已完成）``, ``（正在推进，2026年10月底前完成）``)
    is not part of the quote; deadline words or a date in it become the deadline."""
    m = TRAILING_MARK.search(text, start, end)
    if not m:
        return end, None
    mark = m["mark"]
    words = WORDS.fullmatch(mark)
    return m.start(), words.group(0) if words else deadline_from_text(mark, doc_date)


class Detector:
    """Walks a document's blocks and collects item spans by the document's type."""

    def __init__(self, doc: Document):
        self.doc = doc
        self.spans: list[Span] = []
        self.columns: dict[str, int] | None = None

    # -- sections -------------------------------------------------------------------------
    @staticmethod
    def section_is(pattern: re.Pattern, path: list[str]) -> bool:
        """Whether a heading on the path is a section title of this kind (``四、工作要求``), not a
        long heading that happens to hold the words (``（一）贯彻落实…工作要求方面``)."""
        for heading in path:
            title = heading
            for numbering, _ in NUMBERING:
                title = numbering.sub("", title, count=1)
            if len(title) <= SECTION_TITLE_MAX and pattern.search(title):
                return True
        return False

    def section_paths(self) -> list[list[str]]:
        paths, stack = [], []
        for block in self.doc.blocks:
            if block.kind == "heading" and block.level:
                stack = [h for h in stack if h[0] < block.level] + [(block.level, block.text)]
                paths.append([t for _, t in stack])
            else:
                paths.append([t for _, t in stack])
        return paths

    def body_end(self) -> int:
        """Index after the last body block: the signature (issuer, date) and what follows are not items."""
        blocks = self.doc.blocks
        prose = [i for i, b in enumerate(blocks) if b.kind != "table_row"]  # an attached table may follow
        for i in reversed(prose[-8:]):
            text = blocks[i].text.strip()
            if DATE.search(text) and len(text) <= 40:
                j = i
                if (
                    i > 0
                    and len(blocks[i - 1].text) <= 40
                    and not re.search(r"[。；！？]", blocks[i - 1].text)
                ):
                    j = i - 1
                return j
        return len(blocks)

    # -- detection ------------------------------------------------------------------------
    def run(self) -> list[Span]:
        doc, paths = self.doc, self.section_paths()
        kind_by_type = {"progress": "measure", "meeting": "requirement"}
        end = self.body_end()
        has_headings = any(b.kind == "heading" and b.level for b in doc.blocks)
        i = 0
        while i < end:
            block, path = doc.blocks[i], paths[i]
            heading = path[-1] if path else None
            if (
                ADDRESSEE.match(block.text)
                or self.section_is(SKIP_SECTION, path)
                or NOT_ITEM_LINE.match(block.text)
                or NOT_ITEM_TEXT.search(block.text[:60])
            ):
                i += 1
                continue
            if block.kind == "table_row":
                self.table_row(i, block, heading)
            elif block.kind == "paragraph" and self.starts_labelled_problem(block):
                i = self.labelled_fields(i, end, heading)
                continue
            elif block.kind == "heading":
                if (
                    doc.doc_type == "feedback"
                    and block.level
                    and block.level >= 3
                    and self.is_problem_section(path)
                ):
                    i = self.problem_point(i, end, heading)
                    continue
            elif kind_by_type.get(doc.doc_type) == "measure":
                if path or not has_headings:  # before the first heading: how the report came about
                    self.measures(i, block, heading)
            elif doc.doc_type == "feedback" and self.is_problem_section(path):
                i = self.problem_point(i, end, heading)
                continue
            elif doc.doc_type in ("feedback", "plan", "meeting") or any(
                REQUIREMENT_SECTION.search(h) for h in path
            ):
                self.directives(i, block, heading)
            else:
                self.other(i, block, heading, path)
            i += 1
        return self.spans

    def is_problem_section(self, path: list[str]) -> bool:
        return not self.section_is(REQUIREMENT_SECTION, path)

    def problem_point(self, i: int, end: int, heading: str | None) -> int:
        """A numbered problem point: a paragraph, or a heading sentence with its evidence after it;
        a ``一是…二是…`` list inside it gives one problem per clause."""
        blocks, text = self.doc.blocks, self.doc.text
        first = blocks[i]
        stop = i + 1
        short_lead = first.kind == "heading" or (
            first.numbering and len(sentences(text, first.char_start, first.char_end)) == 1
        )
        if short_lead:
            while stop < end and blocks[stop].kind == "paragraph" and not blocks[stop].numbering:
                stop += 1
        start, finish = trim(text, first.char_start, blocks[stop - 1].char_end)
        if first.kind == "heading" and stop == i + 1:
            return stop  # a title-only heading
        if not first.numbering and not PROBLEM_MARK.search(text[start:finish]):
            return stop
        if text[start:finish].rstrip().endswith(("：", ":")) and stop == i + 1:
            return stop  # an introduction to a list
        parts = clauses(text, first.char_start, finish)  # from the block's start: it may open with 一是
        if parts:
            for a, b in parts:
                a, b = trim(text, a, b)
                if b - a >= 6:
                    self.add("problem", a, b, heading)
        elif finish - start >= 6:
            self.add("problem", start, finish, heading)
        return stop

    def directives(self, i: int, block: Block, heading: str | None) -> None:
        """Directive sentences (``…要…``) of a paragraph; a sentence that only carries on the one
        before is joined to it, and a directive with no subject takes the subject before it."""
        text = self.doc.text
        start, end = trim(text, block.char_start, block.char_end)
        opening = text[block.char_start : block.char_end]
        assessment = bool(
            ASSESSMENT_LEAD.match(opening)
        )  # 会议指出/认为: directs only where it says so outright
        directive_lead = bool(LEAD_IN.match(opening)) and not assessment
        parts = clauses(text, block.char_start, end) or split_at_semicolons(
            text, sentences(text, start, end), DIRECTIVE
        )
        subject = None
        current: Span | None = None
        for a, b in parts:
            raw = text[a:b].lstrip()
            if LEAD_IN.match(raw):  # 会议认为，… 会议强调，… inside one paragraph: each sets what follows
                assessment = bool(ASSESSMENT_LEAD.match(raw))
            a, b = trim(text, a, b)
            if b - a < 4:
                continue
            piece = text[a:b]
            directs = DIRECTIVE.search(re.split(r"[，,；;]", piece, maxsplit=1)[0] if assessment else piece)
            if directs or (directive_lead and current is None):
                named = subject_of_directive(piece)
                if named:
                    subject = as_unit(named)  # a post or "everyone" leaves the next one without a unit
                current = self.add(
                    "requirement",
                    a,
                    b,
                    heading,
                    unit=subject,
                    deadline=deadline_from_text(piece, self.doc.date),
                )
            elif current is not None and not ASSESSMENT_LEAD.match(piece):
                current.end = b
                current.deadline = current.deadline or deadline_from_text(piece, self.doc.date)

    def measures(self, i: int, block: Block, heading: str | None) -> None:
        """Steps reported as taken, one per sentence (or clause of a ``一是…`` list); a trailing
        ``（持续推进）`` gives the step its deadline words and stays out of the quote."""
        text = self.doc.text
        start, end = trim(text, block.char_start, block.char_end)
        parts = clauses(text, block.char_start, end) or split_at_semicolons(
            text, sentences(text, start, end), MEASURE_MARK
        )
        parts = [piece for a, b in parts for piece in split_after_status(text, a, b)]
        current: Span | None = None
        for a, b in parts:
            a, b = trim(text, a, b)
            b, mark = status_mark(text, a, b, self.doc.date)
            a, b = trim(text, a, b)
            piece = text[a:b]
            if b - a < 6 or FUTURE.search(piece) or BOILERPLATE.search(piece) or PRAISE.search(piece):
                continue
            if PROBLEM_TITLE.match(piece) or TALLY.search(piece):
                continue
            if current is not None and (ELABORATION.match(piece) or not MEASURE_MARK.search(piece)):
                current.end = b  # a sentence that only says more about the step before
            else:
                current = self.add("measure", a, b, heading)
            if mark:
                current.deadline = mark

    def starts_labelled_problem(self, block: Block) -> bool:
        """``问题：…`` with fields after it, or (in a plan) a problem followed by its own
        ``责任单位：…；完成时限：…`` in the same paragraph."""
        text = self.doc.text
        start, _ = trim(text, block.char_start, block.char_end, lead_ins=False)
        m = FIELD_LABEL.match(text, start)
        if m:
            return "问题" in m["label"]
        later = FIELD_LABEL.search(text, start, block.char_end)
        return (
            self.doc.doc_type == "plan"
            and later is not None
            and re.search(r"单位|部门|时限|时间", later["label"]) is not None
            and later.start() - start >= 8
        )

    def labelled_fields(self, i: int, end: int, heading: str | None) -> int:
        """A problem written with labelled fields, in this paragraph and the ones after it up to
        the next problem or heading: the problem is the item, the other fields go beside it."""
        blocks, text = self.doc.blocks, self.doc.text
        stop = i + 1
        while (
            stop < end
            and blocks[stop].kind == "paragraph"
            and not self.starts_labelled_problem(blocks[stop])
            and FIELD_LABEL.match(
                text, trim(text, blocks[stop].char_start, blocks[stop].char_end, lead_ins=False)[0]
            )
        ):
            stop += 1
        region_start, region_end = blocks[i].char_start, blocks[stop - 1].char_end
        labels = list(FIELD_LABEL.finditer(text, region_start, region_end))
        fields: dict[str, tuple[int, int]] = {}
        lead = trim(text, region_start, labels[0].start() if labels else region_end)
        if lead[1] - lead[0] >= 8:
            fields["problem"] = lead  # the problem written first, its fields after it
        for n, m in enumerate(labels):
            value_end = labels[n + 1].start() if n + 1 < len(labels) else region_end
            for name, pattern in FIELD_OF_LABEL:
                if re.search(pattern, m["label"]) and name not in fields:
                    fields[name] = trim(text, m.end(), value_end, lead_ins=False)
                    break
        if "problem" in fields:
            a, b = fields["problem"]
            b = a + len(text[a:b].rstrip("。；;，, \n"))

            def value(name):
                span = fields.get(name)
                return text[span[0] : span[1]].rstrip("。；; \n") or None if span else None

            self.plan_problem(a, b, heading, value("unit"), value("measures"), value("deadline"))
        return stop

    def plan_problem(
        self, a: int, b: int, heading, unit: str | None, measures: str | None, deadline: str | None
    ):
        """A plan's problem with the fields written beside it (table cells or labelled lines)."""
        deadline = deadline_from_cell(deadline, self.doc.date) if deadline else None
        self.add("problem", a, b, heading, unit=unit, measures=measures, deadline=deadline)

    def table_row(self, i: int, block: Block, heading: str | None) -> None:
        """A plan table row: its problem cell is the item; measures, lead unit and deadline beside it."""
        cells = [c.text for c in block.cells]
        mapped = self.header_columns(cells)
        if mapped:
            self.columns = mapped
            return
        cols = self.columns
        if not cols or "problem" not in cols or cols["problem"] >= len(cells):
            return
        cell = block.cells[cols["problem"]]
        a, b = trim(self.doc.text, cell.char_start, cell.char_end)
        if b - a < 6:
            return

        def col(name):
            j = cols.get(name)
            return cells[j].strip() if j is not None and j < len(cells) and cells[j].strip() else None

        self.plan_problem(a, b, heading, col("unit"), col("measures"), col("deadline"))

    @staticmethod
    def header_columns(cells: list[str]) -> dict[str, int] | None:
        found: dict[str, int] = {}
        for j, cell in enumerate(cells):
            label = re.sub(r"\s+", "", cell)
            if len(label) > 12:
                return None
            for name, pattern in COLUMNS.items():
                if name not in found and pattern.search(label):
                    found[name] = j
                    break
        return found if "problem" in found and len(found) >= 2 else None

    def other(self, i: int, block: Block, heading: str | None, path: list[str]) -> None:
        text = self.doc.text
        piece = text[block.char_start : block.char_end]
        if block.numbering and PROBLEM_MARK.search(piece) and not DIRECTIVE.search(piece):
            start, end = trim(text, block.char_start, block.char_end)
            self.add("problem", start, end, heading)
        elif DIRECTIVE.search(piece):
            self.directives(i, block, heading)
        elif re.match(r"^\s*(?:已|完成)", piece):
            self.measures(i, block, heading)

    def add(self, kind: str, start: int, end: int, heading: str | None, **fields) -> Span:
        span = Span(kind, start, end, self.doc.block_at(start), heading=heading, **fields)
        self.spans.append(span)
        return span


def item_id(doc: Document, quote: str, seen: dict[str, int]) -> str:
    """Stable for the same text of the same document: a hash of both (and the repeat count)."""
    key = re.sub(r"\s+", "", quote)
    n = seen.get(key, 0)
    seen[key] = n + 1
    digest = hashlib.sha1(f"{doc.sha256}\x00{key}\x00{n}".encode()).hexdigest()[:16]
    return f"{doc.sha256[:8]}-{digest}"


def in_original(doc: Document, view: Document, found: str | None, block: int) -> str | None:
    """A field found in the simplified view, in the original characters (searched in its block)."""
    if found is None or view is doc:
        return found
    b = doc.blocks[block]
    at = view.text.find(found, b.char_start, b.char_end)
    return doc.text[at : at + len(found)] if at >= 0 else found


def extract_items(doc: Document) -> list[Item]:
    """The document's candidate items, unclassified, in document order.

    Detection runs on the simplified view of the document; quotes and fields come from
    the original characters at the same offsets."""
    view = simplified_view(doc)
    items, seen = [], {}
    for span in sorted(Detector(view).run(), key=lambda s: s.start):
        quote = doc.text[span.start : span.end]
        deadline = (
            span.deadline
            if span.deadline is not None
            else deadline_from_text(view.text[span.start : span.end], doc.date)
        )
        citation = Citation(
            file=doc.file,
            sha256=doc.sha256,
            page=doc.page_at(span.start),
            paragraph=span.block,
            char_start=span.start,
            char_end=span.end,
            quote=quote,
        )
        items.append(
            Item(
                id=item_id(doc, quote, seen),
                kind=span.kind,
                text=re.sub(r"\s*\n\s*", "", quote),
                citation=citation,
                responsible_unit=in_original(doc, view, span.unit, span.block),
                deadline=in_original(doc, view, deadline, span.block),
                measures=in_original(doc, view, span.measures, span.block),
                heading=span.heading,
            )
        )
    return items
