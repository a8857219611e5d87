"""Plain-text reader: UTF-8 (with or without BOM) or GB18030, one block per non-empty line."""

from __future__ import annotations

from pathlib import Path

from docanalyzer.errors import CorruptFile
from docanalyzer.model import Document, DocumentBuilder


def decode(data: bytes, name: str) -> str:
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8")
    for encoding in ("utf-8", "gb18030"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise CorruptFile("the text is neither UTF-8 nor GB18030", "Save it as UTF-8 text and try again.", name)


def read(path: Path, doc: Document) -> Document:
    text = decode(path.read_bytes(), path.name)
    if "\x00" in text:
        raise CorruptFile(
            "the file holds binary data, not text", "Give the original PDF or Word file.", path.name
        )
    builder = DocumentBuilder(doc)
    for line in text.splitlines():
        line = line.strip()
        if line:
            builder.paragraph(line)
    return builder.finish()
