"""The structure pass: heading levels, paragraph numbering, title, issuer, date and document type.

It never changes the text, so offsets set by the readers stay exact.
"""

from __future__ import annotations

import re

from docanalyzer.model import Document

CN_DIGITS = "〇零一二三四五六七八九十百"
# Official-document numbering, most specific first: (pattern, level).
NUMBERING = (
    (re.compile(r"^[一二三四五六七八九十百]+[、．.]"), 1),
    (re.compile(r"^[（(][一二三四五六七八九十百]+[）)]、?"), 2),
    (re.compile(r"^[0-9０-９]{1,3}(?:[.．](?![0-9０-９])|、)"), 3),
    (re.compile(r"^[（(][0-9０-９]{1,3}[）)]、?"), 4),
    (re.compile(r"^[①-⑳]"), 5),
    (re.compile(r"^(?:[一二三四五六七八九十]+是|第[一二三四五六七八九十]+(?:是|，))[，,：:]?"), 5),
)
SENTENCE_END = re.compile(r"[。！？；!?;]")
HEADING_MAX = 60

DATE = re.compile(
    r"(?P<y>[0-9０-９]{4}|[〇零○一二三四五六七八九]{4})\s*年\s*(?P<m>[0-9０-９]{1,2}|[一二三四五六七八九十]{1,3})\s*月"
    r"\s*(?P<d>[0-9０-９]{1,2}|[一二三四五六七八九十]{1,3})\s*日"
)
ORG_HINT = re.compile(
    r"(党组|党委|委员会|巡视组|巡察组|办公室|办公厅|政府|局|厅|委|院|校|大学|公司|集团|中心|部|所|社|会|组)$"
)


def numbering_of(text: str) -> tuple[str, int] | None:
    for pattern, level in NUMBERING:
        m = pattern.match(text)
        if m:
            return m.group(0), level
    return None


def cn_number(text: str) -> int:
    """Arabic or Chinese numerals (一…九十九, 〇-style digit strings) to int."""
    text = text.translate(str.maketrans("０１２３４５６７８９", "0123456789"))
    if text.isdigit():
        return int(text)
    digits = {c: i for i, c in enumerate("〇一二三四五六七八九")} | {"零": 0, "○": 0}
    if "十" not in text:
        return int("".join(str(digits[c]) for c in text))
    tens, _, ones = text.partition("十")
    return (digits[tens] if tens else 1) * 10 + (digits[ones] if ones else 0)


def parse_date(text: str) -> str | None:
    m = DATE.search(text)
    if not m:
        return None
    try:
        y, mo, d = cn_number(m["y"]), cn_number(m["m"]), cn_number(m["d"])
    except (KeyError, ValueError):
        return None
    if not (1 <= mo <= 12 and 1 <= d <= 31):
        return None
    return f"{y:04d}-{mo:02d}-{d:02d}"


def is_title_like(text: str) -> bool:
    """Short, and no sentence ends inside it: a heading, not body text."""
    body = text.rstrip("：:")
    return len(body) <= HEADING_MAX and not SENTENCE_END.search(body)


def annotate_blocks(doc: Document) -> None:
    for block in doc.blocks:
        if block.kind == "table_row":
            continue
        found = numbering_of(block.text)
        if found:
            block.numbering, level = found
            if block.kind == "heading":
                block.level = level
            elif is_title_like(block.text) and level <= 4:
                block.kind, block.level = "heading", level
            else:
                block.level = level
        elif (
            block.kind == "paragraph"
            and block.style == "large"
            and is_title_like(block.text)
            and not DATE.search(block.text)
        ):
            block.kind = "heading"


def find_title(doc: Document) -> None:
    """The title: the first block, when it is styled as one or stands alone before the body."""
    for block in doc.blocks[:3]:
        if block.kind == "table_row":
            break
        if block.numbering:
            break
        if (
            block.style in ("title", "large", "centered")
            and is_title_like(block.text)
            and len(block.text) >= 6
        ):
            block.kind, block.level = "heading", 0
            doc.title = block.text
            return
    if doc.title:
        return
    first = doc.blocks[0] if doc.blocks else None
    if first is not None and first.kind != "table_row" and is_title_like(first.text) and not first.numbering:
        first.kind, first.level = "heading", 0
        doc.title = first.text


def find_date_and_issuer(doc: Document) -> None:
    """成文日期 and issuer from the signature at the end: a date line, the body above it."""
    tail = [b for b in doc.blocks if b.kind != "table_row"][-10:]  # a table may be attached after it
    for i in range(len(tail) - 1, -1, -1):
        block = tail[i]
        text = block.text.strip()
        m = DATE.search(text)
        if not m or len(text) > 40:
            continue
        rest = (text[: m.start()] + text[m.end() :]).strip()
        if rest and not ORG_HINT.search(rest) and len(rest) > 2:
            continue  # a sentence that mentions a date, not a signature
        doc.date = parse_date(text)
        if rest and ORG_HINT.search(rest):
            doc.issuer = rest
        elif i > 0:
            above = tail[i - 1].text.strip()
            if len(above) <= 40 and not SENTENCE_END.search(above) and ORG_HINT.search(above):
                doc.issuer = above
        break
    if not doc.date:
        # No signature: a dateline under the title, such as "（2026年3月20日）".
        for block in doc.blocks[:4]:
            if DATE.fullmatch(block.text.strip().strip("（）()[]【】 ")):
                doc.date = parse_date(block.text)
                break
    if not doc.issuer and doc.title:
        m = re.match(r"^(.{2,30}?)(?:关于|召开|印发)", doc.title)
        if m and ORG_HINT.search(m.group(1)):
            doc.issuer = m.group(1)


DOC_TYPES = (
    ("plan", re.compile(r"整改(?:工作)?方案|实施方案|工作方案|整改台账|整改清单|任务清单")),
    (
        "progress",
        re.compile(r"整改(?:工作)?(?:进展|落实)?情况的?(?:通报|报告|公告)|进展情况|整改情况|整改成效"),
    ),
    ("meeting", re.compile(r"会议|召开|专题会")),
    ("feedback", re.compile(r"反馈意见|反馈情况|巡视.*反馈|巡察.*反馈")),
)


def find_doc_type(doc: Document) -> None:
    title = doc.title or ""
    for name, pattern in DOC_TYPES:
        if pattern.search(title):
            doc.doc_type = name
            return
    text = doc.text
    if any(b.kind == "table_row" and "整改措施" in b.text for b in doc.blocks):
        doc.doc_type = "plan"
    elif len(re.findall(r"会议(?:强调|要求|指出)", text)) >= 2:
        doc.doc_type = "meeting"
    elif "整改情况" in text and re.search(r"已(?:完成|整改|建立|制定)", text):
        doc.doc_type = "progress"
    elif re.search(r"存在的?(?:主要)?问题|发现的主要问题", text):
        doc.doc_type = "feedback"
    else:
        doc.doc_type = "other"


def copy_annotations(view: Document, doc: Document) -> None:
    """Carry what the structure pass found in a simplified view back to the original document,
    in the original characters (the view has the same offsets)."""
    for seen, block in zip(view.blocks, doc.blocks, strict=True):
        block.kind, block.level = seen.kind, seen.level
        block.numbering = block.text[: len(seen.numbering)] if seen.numbering else None
    title = next((b for b, v in zip(doc.blocks, view.blocks, strict=True) if v.text == view.title), None)
    doc.title = title.text if title is not None else doc.title
    if view.issuer:
        at = view.text.rfind(view.issuer)
        doc.issuer = doc.text[at : at + len(view.issuer)] if at >= 0 else view.issuer
    doc.date, doc.doc_type = view.date, view.doc_type


def annotate(doc: Document) -> Document:
    annotate_blocks(doc)
    find_title(doc)
    find_date_and_issuer(doc)
    find_doc_type(doc)
    return doc
