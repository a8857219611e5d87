"""Normalised copies of text for the model stages; quotes and offsets always use the original."""

from __future__ import annotations

import copy
import functools
import unicodedata
from pathlib import Path

from docanalyzer import config
from docanalyzer.model import Document


@functools.lru_cache(maxsize=1)
def _converter():
    """OpenCC's traditional-to-simplified converter, and the characters it would change."""
    import opencc

    table = Path(opencc.__file__).parent / "dictionary" / "TSCharacters.txt"
    changes = frozenset(
        line.split("\t", 1)[0] for line in table.read_text(encoding="utf-8").splitlines() if "\t" in line
    )
    return opencc.OpenCC("t2s"), changes


@functools.lru_cache(maxsize=4096)
def _fold(ch: str) -> str:
    folded = unicodedata.normalize("NFKC", ch)
    return folded if len(folded) == 1 else ch


def to_simplified(text: str) -> str:
    """Traditional characters to simplified, one for one (text unchanged where OpenCC would change
    its length, or where the setting is off). Text with no traditional character skips OpenCC,
    which is the slow part."""
    if not config.get("to_simplified"):
        return text
    converter, changes = _converter()
    if changes.isdisjoint(text):
        return text
    converted = converter.convert(text)
    return converted if len(converted) == len(text) else text


def for_model(text: str) -> str:
    """NFKC-folded (full-width letters and digits to ASCII) and simplified, for the classifier.

    Both mappings keep one character for one character, so offsets in the copy
    are offsets in the original."""
    return to_simplified("".join(map(_fold, text)))


def simplified_view(doc: Document) -> Document:
    """The document in simplified characters with the same offsets, for the rule-based stages
    (whose patterns are written in simplified Chinese); the document itself when nothing changes.
    Quotes and citations are always taken from the original."""
    text = to_simplified(doc.text)
    if text == doc.text:
        return doc
    view = copy.deepcopy(doc)
    view.text = text
    for block in view.blocks:
        block.text = text[block.char_start : block.char_end]
        for cell in block.cells:
            cell.text = text[cell.char_start : cell.char_end]
    return view
