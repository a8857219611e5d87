"""Readers turn a file into a :class:`~docanalyzer.model.Document`, one module per format.

``read(path)`` checks the file (exists, size, bytes match the suffix), picks
the reader by suffix and magic bytes, and runs the structure pass so every
format yields headings, numbering and metadata the same way.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from pathlib import Path

from docanalyzer import config
from docanalyzer.errors import CorruptFile, EmptyFile, InputError, TooLarge, UnsupportedFormat
from docanalyzer.model import Document

OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"


def _read_pdf(path, doc):
    from docanalyzer.readers import pdf

    return pdf.read(path, doc)


def _read_docx(path, doc):
    from docanalyzer.readers import docx

    return docx.read(path, doc)


def _read_doc(path, doc):
    from docanalyzer.readers import doc as doc_reader

    return doc_reader.read(path, doc)


def _read_txt(path, doc):
    from docanalyzer.readers import text

    return text.read(path, doc)


# suffix -> (format name, magic check, reader)
READERS: dict[str, tuple[str, Callable[[bytes], bool], Callable]] = {
    ".pdf": ("pdf", lambda head: b"%PDF-" in head[:1024], _read_pdf),
    ".docx": ("docx", lambda head: head.startswith(b"PK\x03\x04"), _read_docx),
    ".doc": ("doc", lambda head: head.startswith(OLE_MAGIC), _read_doc),
    ".txt": ("txt", lambda head: not head.startswith((b"%PDF-", b"PK\x03\x04", OLE_MAGIC)), _read_txt),
}

_SNIFF = (("PDF", b"%PDF-"), ("Word（.docx）或其他 zip", b"PK\x03\x04"), ("旧版 Word（.doc）", OLE_MAGIC))


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def check_file(path: Path) -> tuple[str, Callable]:
    """The format and reader for ``path``, or an :class:`InputError` saying what is wrong."""
    name = path.name
    if not path.exists():
        raise InputError("文件不存在", "请检查路径后重试。", name)
    if not path.is_file():
        raise InputError("不是普通文件", "请给出 PDF、Word 或文本文件。", name)
    suffix = path.suffix.lower()
    if suffix not in READERS:
        raise UnsupportedFormat(
            f"不支持的文件类型 {suffix or '（无后缀）'}",
            "请给出 .pdf、.docx、.doc 或 .txt 文件。",
            name,
        )
    size = path.stat().st_size
    if size == 0:
        raise EmptyFile("文件为空（0 字节）", "请从来源处重新复制该文件。", name)
    limit = int(config.get("max_file_mb"))
    if size > limit * 1024 * 1024:
        raise TooLarge(
            f"文件大小 {size / 1024 / 1024:.1f} MB，超过 {limit} MB 的上限",
            "请拆分文件，或调高 DOCANALYZER_MAX_FILE_MB。",
            name,
        )
    fmt, matches, reader = READERS[suffix]
    with open(path, "rb") as f:
        head = f.read(1024)
    if not matches(head):
        actual = next(
            (kind for kind, magic in _SNIFF if magic in head[:1024]), "不是 " + fmt.upper() + " 文件"
        )
        raise CorruptFile(
            f"文件内容与后缀 {suffix} 不符（内容看起来是：{actual}）",
            "请按实际类型改名，或重新导出。",
            name,
        )
    return fmt, reader


def read(path: str | Path) -> Document:
    """Read one file into a document with headings, numbering, title, issuer, date and type."""
    from docanalyzer.text.normalize import simplified_view
    from docanalyzer.text.structure import annotate, copy_annotations

    path = Path(path)
    fmt, reader = check_file(path)
    doc = Document(file=path.name, sha256=sha256_of(path), format=fmt)
    try:
        reader(path, doc)
    except InputError as e:
        e.file = e.file or path.name  # errors raised deep in a reader still name the file
        raise
    except (MemoryError, RecursionError) as e:
        raise CorruptFile(f"无法读取该文件（{type(e).__name__}）", "请重新导出。", path.name) from e
    except Exception as e:  # a broken file can make any parser raise anything
        raise CorruptFile(
            f"该 {fmt.upper()} 文件已损坏或名不副实（{type(e).__name__}: {str(e)[:120]}）",
            "请用原程序打开后重新保存或导出。",
            path.name,
        ) from e
    view = simplified_view(doc)
    annotate(view)
    if view is not doc:
        copy_annotations(view, doc)
    return doc
