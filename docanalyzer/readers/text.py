"""Plain-text reader: UTF-8 (with or without BOM), UTF-16 (with BOM), GB18030 or Big5, one block
per non-empty line.

The order is strict: a byte order mark decides; else text that is valid UTF-8 is UTF-8. Chinese
bytes are often valid both as GB18030 and as Big5 (the same two-byte ranges), and charset
detection is unreliable on short Chinese text, so the choice between the two is constrained:
only a decoding that succeeds strictly counts; charset-normalizer decides when it rules out all
but one; otherwise the decoding with more common Chinese characters wins, GB18030 on a tie.
"""

from __future__ import annotations

import codecs
import functools
import re
from collections import Counter
from pathlib import Path

from docanalyzer.errors import CorruptFile
from docanalyzer.model import Document, DocumentBuilder

BOMS = ((codecs.BOM_UTF8, "utf-8"), (codecs.BOM_UTF16_LE, "utf-16-le"), (codecs.BOM_UTF16_BE, "utf-16-be"))
CHINESE = ("gb18030", "cp950")  # cp950: Big5 as Windows writes it (a superset of Big5)
BINARY = re.compile(r"[\x00-\x08\x0e-\x1f\x7f]")  # control characters text does not hold
PUNCTUATION = frozenset("，。、；：？！“”‘’（）《》—…·")
# Each code's frequently used characters: GB2312 level 1 (3,755 hanzi), Big5 level 1 (5,401).
COMMON_RANGES = (("gb2312", b"\xb0\xa1", b"\xd7\xf9"), ("cp950", b"\xa4\x40", b"\xc6\x7e"))


@functools.cache
def is_common(ch: str) -> bool:
    """A frequently used simplified or traditional character, or Chinese punctuation: text read
    in the wrong code turns into rare characters, symbols and kana instead."""
    if ch in PUNCTUATION:
        return True
    for code, low, high in COMMON_RANGES:
        try:
            encoded = ch.encode(code)
        except UnicodeEncodeError:
            continue
        if len(encoded) == 2 and low <= encoded <= high:
            return True
    return False


def common_characters(text: str) -> int:
    return sum(n for ch, n in Counter(text).items() if is_common(ch))


def strictly(data: bytes, encoding: str) -> str | None:
    """The text in ``encoding``, or None when the bytes are not valid in it or hold binary data."""
    try:
        text = data.decode(encoding)
    except UnicodeDecodeError:
        return None
    return None if BINARY.search(text) else text


def chinese(data: bytes) -> str | None:
    """GB18030 or Big5 text, chosen as the module says; None when neither reads."""
    from charset_normalizer import from_bytes

    texts = {code: text for code in CHINESE if (text := strictly(data, code)) is not None}
    if len(texts) > 1:
        kept = {match.encoding for match in from_bytes(data, cp_isolation=list(texts))}
        if len(kept) == 1 and kept <= texts.keys():
            return texts[kept.pop()]
    return max(texts.values(), key=common_characters, default=None)  # max keeps the first on a tie


def decode(data: bytes, name: str) -> str:
    bom = next(((len(mark), code) for mark, code in BOMS if data.startswith(mark)), None)
    if bom:
        text = strictly(data[bom[0] :], bom[1])
    else:
        text = strictly(data, "utf-8")
        if text is None:
            text = chinese(data)
    if text is None:
        raise CorruptFile(
            "无法读取文本：编码不是 UTF-8、UTF-16、GB18030 或 Big5，或文件含有二进制数据",
            "请用记事本或 WPS 将其另存为 UTF-8 编码的文本，或改交原始的 PDF 或 Word 文件。",
            name,
        )
    return text


def read(path: Path, doc: Document) -> Document:
    text = decode(path.read_bytes(), path.name)
    builder = DocumentBuilder(doc)
    for line in text.splitlines():
        line = line.strip()
        if line:
            builder.paragraph(line)
    return builder.finish()
