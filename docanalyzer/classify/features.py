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
        raise TextError("the passage is empty", "Give a passage of Chinese text.")
    if len(text) > MAX_TEXT:
        raise TextError(
            f"the passage is {len(text):,} characters, over the {MAX_TEXT:,} limit",
            "Classify it paragraph by paragraph.",
        )
    if not has_chinese(text):
        raise TextError("the passage holds no Chinese text", "The classifier reads Chinese passages only.")
