"""Writing extracted items: JSON, JSONL, CSV, and the XLSX ledger (整改台账) for people."""

from __future__ import annotations

import csv
import io
import json
import sys
from pathlib import Path

# (field path, Chinese header, column width) — the ledger's columns, shared by CSV and XLSX.
COLUMNS = (
    ("id", "编号", 20),
    ("citation.file", "来源文件", 28),
    ("kind", "类型", 8),
    ("category", "问题类别", 20),
    ("text", "内容", 60),
    ("measures", "整改措施", 44),
    ("responsible_unit", "责任单位", 20),
    ("deadline", "完成时限", 14),
    ("citation.page", "页码", 6),
    ("citation.paragraph", "段落", 6),
    ("citation.char_start", "起始位置", 9),
    ("citation.char_end", "结束位置", 9),
    ("citation.quote", "原文引用", 60),
    ("citation.sha256", "文件哈希", 20),
)
KIND_NAMES = {"problem": "问题", "requirement": "要求", "measure": "措施"}
# What makes a spreadsheet read a cell as a formula (OWASP's list for CSV injection).
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def field_value(item: dict, path: str):
    value = item
    for part in path.split("."):
        value = (value or {}).get(part)
    return value


def rows(items: list[dict], human: bool = False) -> list[list]:
    from docanalyzer.classify.taxonomy import load_taxonomy

    names = load_taxonomy().name_of if human else (lambda k: k)
    out = []
    for item in items:
        row = []
        for path, _, _ in COLUMNS:
            value = field_value(item, path)
            if human and path == "kind":
                value = KIND_NAMES.get(value, value)
            elif human and path == "category" and value:
                value = names(value)
            row.append(value)
        out.append(row)
    return out


def defused(value):
    """Text a spreadsheet would run as a formula, made plain text by a leading apostrophe."""
    return "'" + value if isinstance(value, str) and value.startswith(FORMULA_START) else value


def to_csv(items: list[dict], for_people: bool = False) -> str:
    """The items as CSV. Values stay verbatim (what programs read, such as `docanalyzer extract`'s
    output); ``for_people``: a file people open in a spreadsheet, where a value starting like a
    formula (``=``, ``+``, ``-``, ``@``, tab, CR) is prefixed with ``'`` so it is never run."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow([path for path, _, _ in COLUMNS])
    for row in rows(items):
        writer.writerow([defused(v) for v in row] if for_people else row)
    return buffer.getvalue()


def write_xlsx(items: list[dict], path: Path) -> None:
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font
    from openpyxl.utils import get_column_letter

    book = Workbook()
    sheet = book.active
    sheet.title = "整改台账"
    sheet.append([header for _, header, _ in COLUMNS])
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for row in rows(items, human=True):
        sheet.append(row)
    for i, (_, _, width) in enumerate(COLUMNS, start=1):
        sheet.column_dimensions[get_column_letter(i)].width = width
    for row in sheet.iter_rows(min_row=2):
        for cell in row:
            cell.alignment = Alignment(wrap_text=True, vertical="top")
            if isinstance(cell.value, str):
                cell.data_type = "s"  # openpyxl makes text starting with "=" a formula: never run it
    sheet.freeze_panes = "A2"
    sheet.auto_filter.ref = sheet.dimensions
    book.save(path)


def print_table(result: dict) -> None:
    """A readable summary on the terminal: each document, then its items."""
    from rich.console import Console
    from rich.table import Table

    from docanalyzer.classify.taxonomy import load_taxonomy

    names = load_taxonomy().name_of
    console = Console()
    for doc in result["documents"]:
        if doc.get("error"):
            console.print(f"[red]{doc['error']}[/red]")
            continue
        items = [i for i in result["items"] if i["citation"]["sha256"] == doc["sha256"]]
        table = Table(
            title=f"{doc['file']}  {doc['title'] or ''}",
            caption=f"{doc['issuer'] or '—'}  {doc['date'] or '—'}  类型 {doc['doc_type']}  {len(items)} 项",
            show_lines=True,
            expand=True,
        )
        for header, ratio in (
            ("类型", 1),
            ("问题类别", 2),
            ("内容", 7),
            ("责任单位", 2),
            ("时限", 2),
            ("页", 1),
        ):
            table.add_column(header, overflow="fold", ratio=ratio)
        for i in items:
            table.add_row(
                KIND_NAMES.get(i["kind"], i["kind"]),
                names(i["category"]),
                i["text"],
                i["responsible_unit"] or "",
                i["deadline"] or "",
                str(i["citation"]["page"] or ""),
            )
        console.print(table)


def write(result: dict, fmt: str, out: Path | None) -> None:
    """Write the extraction result in ``fmt`` to ``out`` (or standard output)."""
    if fmt == "table":
        print_table(result)
        return
    if fmt == "xlsx":
        write_xlsx(result["items"], out)
        return
    if fmt == "json":
        text = json.dumps(result, ensure_ascii=False, indent=1) + "\n"
    elif fmt == "jsonl":
        text = "".join(json.dumps(i, ensure_ascii=False) + "\n" for i in result["items"])
    else:
        text = to_csv(result["items"])
    if out is None:
        sys.stdout.write(text)
    else:
        Path(out).write_text(text, encoding="utf-8-sig" if fmt == "csv" else "utf-8")
