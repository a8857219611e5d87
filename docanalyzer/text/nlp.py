"""One spaCy pipeline for the process: ``spacy.blank("zh")`` with the jieba segmenter,
the domain user dictionary, and a sentence splitter for Chinese punctuation.

The segmenter is jieba's process-wide tokenizer, configured once (``segmenter``):
spaCy's ``zh`` tokenizer cuts with that same object, and ``words`` calls it directly,
so commands that need only words (``extract``, ``classify``) do not pay for importing
spaCy (about half a second); ``get_nlp`` builds the pipeline on first use. jieba's
dictionary cache lives in the tool's own cache directory, not a ``/tmp`` file shared
between users.
"""

from __future__ import annotations

import functools
import re
from pathlib import Path

from docanalyzer import config

SENTENCE_ENDS = frozenset("。！？；!?;")
CJK_RUN = re.compile(r"[\u4e00-\u9fff]")
PUNCT = re.compile(r"[\W_]+")


def user_dictionary() -> Path:
    return Path(str(config.get("corpus_dir"))) / "userdict.txt"


def main_dictionary() -> Path:
    """jieba's own dictionary trimmed to words seen at least 10 times: a third of the size,
    four times faster to load, and the same cuts on official prose (see corpora/README.md)."""
    return Path(str(config.get("corpus_dir"))) / "jieba_dict.txt"


@functools.lru_cache(maxsize=1)
def segmenter():
    """jieba, with the project's dictionaries; spaCy's ``zh`` tokenizer uses this same module."""
    import logging

    import jieba

    jieba.setLogLevel(logging.WARNING)
    cache = Path(str(config.get("cache_dir")))
    cache.mkdir(parents=True, exist_ok=True)
    if main_dictionary().is_file():
        jieba.set_dictionary(str(main_dictionary()))
    jieba.dt.tmp_dir = str(cache)
    jieba.dt.initialize()
    if user_dictionary().is_file():
        jieba.dt.load_userdict(str(user_dictionary()))
    return jieba


def chinese_sentences(doc):
    """spaCy component: a sentence starts after 。！？； and their ASCII forms."""
    for i, token in enumerate(doc):
        token.is_sent_start = i == 0 or doc[i - 1].text[-1:] in SENTENCE_ENDS
    return doc


@functools.lru_cache(maxsize=1)
def get_nlp():
    """The shared pipeline (tokenizer + sentence splitter)."""
    import spacy
    from spacy.language import Language

    segmenter()
    if "docanalyzer_sentences" not in Language.factories:
        Language.component("docanalyzer_sentences")(chinese_sentences)
    nlp = spacy.blank("zh", config={"nlp": {"tokenizer": {"segmenter": "jieba"}}})
    nlp.add_pipe("docanalyzer_sentences")
    return nlp


def words(text: str) -> list[str]:
    """Segmented words of a passage (punctuation and spaces dropped): the pipeline's own cut
    (``segmenter().cut(text, cut_all=False)``, as spaCy's tokenizer makes it) without building
    a spaCy ``Doc`` the classifier does not need."""
    return [w for w in segmenter().cut(text, cut_all=False) if w.strip() and not PUNCT.fullmatch(w)]


def has_chinese(text: str) -> bool:
    return bool(CJK_RUN.search(text))
