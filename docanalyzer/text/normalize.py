"""Normalised copies of text for the model stages; quotes and offsets always use the original."""

from __future__ import annotations

import functools
import unicodedata

from docanalyzer import config


@functools.lru_cache(maxsize=1)
def _converter():
    import opencc

    return opencc.OpenCC("t2s")


def for_model(text: str) -> str:
    """NFKC-folded (full-width letters and digits to ASCII) and, by setting, traditional to simplified.

    Both mappings keep one character for one character, so offsets in the copy
    are offsets in the original.
    """
    folded = "".join(ch if len(n := unicodedata.normalize("NFKC", ch)) != 1 else n for ch in text)
    if config.get("to_simplified"):
        converted = _converter().convert(folded)
        if len(converted) == len(folded):
            return converted
    return folded
