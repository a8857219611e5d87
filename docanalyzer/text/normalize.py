"""Normalised copies of text for the model stages; quotes and offsets always use the original."""

from __future__ import annotations

import functools
import unicodedata
from pathlib import Path

from docanalyzer import config


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


def for_model(text: str) -> str:
    """NFKC-folded (full-width letters and digits to ASCII) and, by setting, traditional to simplified.

    Both mappings keep one character for one character, so offsets in the copy
    are offsets in the original. Text with no traditional character skips OpenCC,
    which is the slow part.
    """
    folded = "".join(map(_fold, text))
    if config.get("to_simplified"):
        converter, changes = _converter()
        if not changes.isdisjoint(folded):
            converted = converter.convert(folded)
            if len(converted) == len(folded):
                return converted
    return folded
