"""Training and evaluation of the category classifier on the labelled corpus in ``corpora/``."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from pathlib import Path

import numpy as np

from docanalyzer import config
from docanalyzer.classify.compiled import WEIGHTS_FILE, export
from docanalyzer.classify.estimator import CategoryClassifier
from docanalyzer.classify.model import CARD_FILE, MODEL_FILE, library_versions, model_dir
from docanalyzer.classify.taxonomy import load_taxonomy
from docanalyzer.errors import ModelError


def corpus_files(corpus_dir: Path | None = None) -> list[Path]:
    directory = Path(str(corpus_dir or config.get("corpus_dir"))) / "passages"
    return sorted(directory.glob("*.jsonl"))


def load_corpus(corpus_dir: Path | None = None, keys: list[str] | None = None) -> list[dict]:
    """Labelled item passages (non-item text left out) whose category is in the taxonomy."""
    keys = keys or load_taxonomy().keys
    files = corpus_files(corpus_dir)
    if not files:
        raise ModelError(
            f"{Path(str(corpus_dir or config.get('corpus_dir'))) / 'passages'} 下没有语料文件（*.jsonl）",
            "请把 DOCANALYZER_CORPUS_DIR 指向含 passages/*.jsonl 的文件夹。",
        )
    rows = []
    for path in files:
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip():
                row = json.loads(line)
                if row.get("category") in keys:
                    rows.append(row)
    missing = [k for k in keys if not any(r["category"] == k for r in rows)]
    if missing:
        raise ModelError(
            f"语料中没有类别 {', '.join(missing)} 的段落",
            "请为分类体系的每个类别标注段落，或从分类体系中删去这些类别。",
        )
    return rows


def corpus_hash(rows: list[dict]) -> str:
    digest = hashlib.sha256()
    for r in rows:
        digest.update(f"{r['id']}\t{r['text']}\t{r['category']}\n".encode())
    return digest.hexdigest()


def train(rows: list[dict], seed: int = 0) -> CategoryClassifier:
    return CategoryClassifier(random_state=seed).fit([r["text"] for r in rows], [r["category"] for r in rows])


def evaluate(folds: int = 5, seed: int = 0, rows: list[dict] | None = None) -> dict:
    """Cross-validation grouped by source document: no document is in training and test at once."""
    from sklearn.metrics import accuracy_score, confusion_matrix, f1_score, precision_recall_fscore_support
    from sklearn.model_selection import StratifiedGroupKFold

    rows = rows if rows is not None else load_corpus()
    texts = np.array([r["text"] for r in rows], dtype=object)
    labels = np.array([r["category"] for r in rows])
    groups = np.array([r["doc_id"] for r in rows])
    predicted = np.empty(len(rows), dtype=object)
    splitter = StratifiedGroupKFold(n_splits=folds, shuffle=True, random_state=seed)
    for train_idx, test_idx in splitter.split(texts, labels, groups):
        model = CategoryClassifier(random_state=seed).fit(texts[train_idx], labels[train_idx])
        predicted[test_idx] = model.predict(texts[test_idx])
    keys = sorted(set(labels))
    p, r, f, n = precision_recall_fscore_support(labels, predicted.astype(str), labels=keys, zero_division=0)
    return {
        "passages": len(rows),
        "documents": len(set(groups)),
        "folds": folds,
        "accuracy": round(float(accuracy_score(labels, predicted.astype(str))), 4),
        "macro_f1": round(float(f1_score(labels, predicted.astype(str), average="macro")), 4),
        "per_class": {
            k: {
                "precision": round(float(p[i]), 4),
                "recall": round(float(r[i]), 4),
                "f1": round(float(f[i]), 4),
                "support": int(n[i]),
            }
            for i, k in enumerate(keys)
        },
        "labels": keys,
        "confusion": confusion_matrix(labels, predicted.astype(str), labels=keys).tolist(),
    }


def format_report(report: dict) -> str:
    lines = [
        f"passages {report['passages']}, documents {report['documents']}, {report['folds']}-fold grouped by document",
        f"accuracy {report['accuracy']:.4f}  macro-F1 {report['macro_f1']:.4f}",
        f"{'category':<22}{'precision':>10}{'recall':>10}{'f1':>10}{'n':>6}",
    ]
    for key, m in report["per_class"].items():
        lines.append(f"{key:<22}{m['precision']:>10.4f}{m['recall']:>10.4f}{m['f1']:>10.4f}{m['support']:>6}")
    lines.append("confusion (rows: true, columns: predicted, in the order above)")
    for key, row in zip(report["labels"], report["confusion"], strict=True):
        lines.append(f"{key:<22}" + "".join(f"{v:>6}" for v in row))
    return "\n".join(lines)


def train_and_save(seed: int = 0, directory: Path | None = None, with_metrics: bool = True) -> dict:
    """Train on the whole corpus, save the model and its card, and return the card."""
    import joblib

    rows = load_corpus()
    model = train(rows, seed=seed)
    directory = Path(directory or model_dir())
    directory.mkdir(parents=True, exist_ok=True)
    joblib.dump(model, directory / MODEL_FILE, compress=3)
    export(model, directory / WEIGHTS_FILE)
    card = {
        "model": "CategoryClassifier (TF-IDF words+char n-grams, LinearSVC, sigmoid calibration)",
        "trained": dt.date.today().isoformat(),
        "seed": seed,
        "taxonomy": load_taxonomy().keys,
        "training_data": {
            "passages": len(rows),
            "sha256": corpus_hash(rows),
            "files": [p.name for p in corpus_files()],
        },
        "libraries": library_versions(),
    }
    if with_metrics:
        report = evaluate(seed=seed, rows=rows)
        card["metrics"] = {k: report[k] for k in ("accuracy", "macro_f1", "per_class", "folds", "documents")}
    (directory / CARD_FILE).write_text(json.dumps(card, ensure_ascii=False, indent=1), encoding="utf-8")
    return card
