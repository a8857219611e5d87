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

_SNIFF = (("PDF", b"%PDF-"), ("Word (.docx) or another zip", b"PK\x03\x04"), ("old Word (.doc)", OLE_MAGIC))


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
        raise InputError("file not found", "Check the path and try again.", name)
    if not path.is_file():
        raise InputError("not a regular file", "Give a PDF, Word or text file.", name)
    suffix = path.suffix.lower()
    if suffix not in READERS:
        raise UnsupportedFormat(
            f"unsupported format {suffix or '(no suffix)'!r}",
            "Give a .pdf, .docx, .doc or .txt file.",
            name,
        )
    size = path.stat().st_size
    if size == 0:
        raise EmptyFile("the file is empty (0 bytes)", "Copy the file again from its source.", name)
    limit = int(config.get("max_file_mb"))
    if size > limit * 1024 * 1024:
        raise TooLarge(
            f"the file is {size / 1024 / 1024:.1f} MB, over the {limit} MB limit",
            "Split the file, or raise DOCANALYZER_MAX_FILE_MB.",
            name,
        )
    fmt, matches, reader = READERS[suffix]
    with open(path, "rb") as f:
        head = f.read(1024)
    if not matches(head):
        actual = next(
            (kind for kind, magic in _SNIFF if magic in head[:1024]), "not a " + fmt.upper() + " file"
        )
        raise CorruptFile(
            f"the bytes do not match the suffix {suffix} (content looks like: {actual})",
            "Rename the file to its real type, or export it again.",
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
        raise CorruptFile(
            f"the file could not be read ({type(e).__name__})", "Export it again.", path.name
        ) from e
    except Exception as e:  # a broken file can make any parser raise anything
        raise CorruptFile(
            f"the {fmt.upper()} file is damaged or not what it claims ({type(e).__name__}: {str(e)[:120]})",
            "Open it in its program and save or export it again.",
            path.name,
        ) from e
    view = simplified_view(doc)
    annotate(view)
    if view is not doc:
        copy_annotations(view, doc)
    return doc
