"""Text features shared by training and prediction: the analyzers and the input checks."""

from __future__ import annotations

from docanalyzer.errors import TextError
from docanalyzer.text.nlp import has_chinese, words
from docanalyzer.text.normalize import for_model

MAX_TEXT = 1_000_000


def word_terms(normalized: str) -> list[str]:
    """Words and word bigrams of an already normalised passage (shared spaCy/jieba pipeline)."""
    tokens = words(normalized)
    return tokens + [a + "_" + b for a, b in zip(tokens, tokens[1:], strict=False)]


def word_analyzer(text: str) -> list[str]:
    return word_terms(for_model(text))


def char_preprocessor(text: str) -> str:
    return for_model(text)


def check_text(text: str) -> None:
    if not text or not text.strip():
        raise TextError("段落为空", "请给出一段中文文字。")
    if len(text) > MAX_TEXT:
        raise TextError(
            f"段落有 {len(text):,} 个字符，超过上限 {MAX_TEXT:,}",
            "请逐段分类。",
        )
    if not has_chinese(text):
        raise TextError("段落中没有中文", "分类器只读中文段落。")
