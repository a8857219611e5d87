"""``analyze(path)``: read → structure → extract → classify. The one call every face uses."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from docanalyzer.errors import DocanalyzerError
from docanalyzer.model import Document, Item


@dataclass
class Analysis:
    document: Document
    items: list[Item] = field(default_factory=list)


def classify_items(items: list[Item]) -> list[Item]:
    """Fill each item's category, ranked categories and reasons from the shipped classifier."""
    from docanalyzer.classify.model import load_classifier
    from docanalyzer.text.nlp import has_chinese

    readable = [i for i in items if has_chinese(i.text)]  # the classifier reads Chinese passages only
    if not readable:
        return items
    results = load_classifier().explain_many([i.text for i in readable])
    for item, result in zip(readable, results, strict=True):
        item.category = result["category"]
        item.categories = result["categories"]
        item.reasons = result["reasons"]
    return items


def analyze(path: str | Path) -> Analysis:
    """Read one file and return its document and its classified, cited items."""
    from docanalyzer.extract.items import extract_items
    from docanalyzer.readers import read

    doc = read(path)
    return Analysis(doc, classify_items(extract_items(doc)))


def document_entry(doc: Document) -> dict:
    return {
        "file": doc.file,
        "sha256": doc.sha256,
        "title": doc.title,
        "issuer": doc.issuer,
        "date": doc.date,
        "doc_type": doc.doc_type,
        "pages": doc.pages,
        "format": doc.format,
    }


def analyze_many(paths: list[str | Path]) -> dict:
    """The ITEMS.md output for several files; a file that fails is listed with its error."""
    documents, items = [], []
    for path in paths:
        try:
            analysis = analyze(path)
        except DocanalyzerError as e:
            if e.file is None:
                raise  # a problem with the model or settings, not with this file
            documents.append(
                {
                    "file": Path(path).name,
                    "sha256": None,
                    "title": None,
                    "issuer": None,
                    "date": None,
                    "doc_type": None,
                    "pages": None,
                    "error": e.message,
                }
            )
            continue
        documents.append(document_entry(analysis.document))
        items.extend(i.to_dict() for i in analysis.items)
    return {"documents": documents, "items": items}
