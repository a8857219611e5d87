"""The fitted classifier's parameters as plain arrays, for prediction without importing scikit-learn.

Importing scikit-learn (and through it scipy.stats) costs about a second, more
than a whole small ``extract`` should take. Prediction with a fitted linear
model is a few array operations, so the trained :class:`CategoryClassifier`
is exported once to ``weights.npz`` and read back here with numpy alone. A test
checks that both give the same probabilities.
"""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

import numpy as np

from docanalyzer.classify.features import check_text, word_terms
from docanalyzer.text.normalize import for_model

WEIGHTS_FILE = "weights.npz"
Row = tuple[np.ndarray, np.ndarray]  # a sparse TF-IDF row: feature indices and their values
EMPTY: Row = (np.zeros(0, dtype=np.int64), np.zeros(0))
WHITE_SPACES = re.compile(r"\s\s+")


def export(model, path: Path) -> None:
    """Write a fitted CategoryClassifier's parameters to ``path`` (npz)."""
    words = model.features_.transformer_list[0][1]
    chars = model.features_.transformer_list[1][1]
    folds = model.model_.calibrated_classifiers_
    np.savez_compressed(
        path,
        classes=np.array(model.classes_, dtype=str),
        word_terms=np.array(sorted(words.vocabulary_, key=words.vocabulary_.get), dtype=str),
        word_idf=words.idf_,
        char_terms=np.array(sorted(chars.vocabulary_, key=chars.vocabulary_.get), dtype=str),
        char_idf=chars.idf_,
        char_ngrams=np.array(chars.ngram_range),
        coef=np.stack([f.estimator.coef_ for f in folds]),
        intercept=np.stack([f.estimator.intercept_ for f in folds]),
        cal_a=np.array([[c.a_ for c in f.calibrators] for f in folds]),
        cal_b=np.array([[c.b_ for c in f.calibrators] for f in folds]),
    )


class CompiledClassifier:
    """Same predictions as the fitted CategoryClassifier, from its exported arrays."""

    def __init__(self, arrays):
        self.classes_ = arrays["classes"]
        self.word_index = {t: i for i, t in enumerate(arrays["word_terms"].tolist())}
        self.char_index = {t: i for i, t in enumerate(arrays["char_terms"].tolist())}
        self.word_idf = arrays["word_idf"]
        self.char_idf = arrays["char_idf"]
        self.char_min, self.char_max = (int(n) for n in arrays["char_ngrams"])
        self.coef = arrays["coef"]  # folds x classes (or 1 for two classes) x features
        self.intercept = arrays["intercept"]
        self.cal_a = arrays["cal_a"]
        self.cal_b = arrays["cal_b"]
        self.mean_coef = self.coef.mean(axis=0)
        self.names = arrays["word_terms"].tolist() + arrays["char_terms"].tolist()

    @classmethod
    def load(cls, path: Path) -> CompiledClassifier:
        with np.load(path, allow_pickle=False) as arrays:
            return cls({k: arrays[k] for k in arrays.files})

    def _char_ngrams(self, normalized: str) -> list[str]:
        text = WHITE_SPACES.sub(" ", normalized)
        grams = []
        for n in range(self.char_min, self.char_max + 1):
            grams.extend(text[i : i + n] for i in range(len(text) - n + 1))
        return grams

    @staticmethod
    def _tfidf(terms: list[str], index: dict[str, int], idf: np.ndarray, offset: int) -> Row:
        counts = Counter(map(index.get, terms))  # counted in C; unknown terms fall under None
        counts.pop(None, None)
        if not counts:
            return EMPTY
        cols = np.fromiter(counts.keys(), dtype=np.int64, count=len(counts))
        values = (1.0 + np.log(np.fromiter(counts.values(), dtype=float, count=len(counts)))) * idf[cols]
        return cols + offset, values / np.sqrt(values @ values)

    def vectorize(self, text: str) -> Row:
        """Sparse TF-IDF row (feature indices, values) as the fitted FeatureUnion makes it."""
        normalized = for_model(text)  # once for both analyzers, as each would make it
        words = self._tfidf(word_terms(normalized), self.word_index, self.word_idf, 0)
        chars = self._tfidf(
            self._char_ngrams(normalized), self.char_index, self.char_idf, len(self.word_index)
        )
        return np.concatenate([words[0], chars[0]]), np.concatenate([words[1], chars[1]])

    def _proba(self, row: Row) -> np.ndarray:
        cols, vals = row
        decision = self.coef[:, :, cols] @ vals + self.intercept  # folds x outputs
        calibrated = 1.0 / (1.0 + np.exp(self.cal_a * decision + self.cal_b))
        n = len(self.classes_)
        if n == 2:
            calibrated = np.concatenate([1.0 - calibrated, calibrated], axis=1)
        else:
            total = calibrated.sum(axis=1, keepdims=True)
            calibrated = np.where(total != 0, calibrated / np.where(total == 0, 1, total), 1.0 / n)
        return calibrated.mean(axis=0)

    def predict_proba(self, texts) -> np.ndarray:
        return np.array([self._proba(self.vectorize(t)) for t in texts])

    def predict(self, texts) -> np.ndarray:
        return self.classes_[np.argmax(self.predict_proba(texts), axis=1)]

    def reasons(self, row: Row, class_index: int, top: int = 5) -> list[str]:
        """The terms that pushed the passage towards the class, strongest first."""
        weights = (
            self.mean_coef[class_index]
            if self.mean_coef.shape[0] > 1
            else (self.mean_coef[0] * (1 if class_index == 1 else -1))
        )
        cols, vals = row
        pushes = vals * weights[cols]
        out = []
        for k in np.argsort(-pushes)[: 4 * top]:
            name = self.names[cols[k]].replace("_", "")
            if pushes[k] <= 0 or len(out) >= top:
                break
            if len(name) >= 2 and not any(name in o for o in out):
                out.append(name)
        return out

    def explain_many(self, texts: list[str]) -> list[dict]:
        """For each passage: the top category, every category ranked with its score, and reasons."""
        for t in texts:
            check_text(t)
        results = []
        for text in texts:
            row = self.vectorize(text)
            proba = self._proba(row)
            order = np.argsort(-proba, kind="stable")
            best = int(order[0])
            results.append(
                {
                    "text": text,
                    "category": str(self.classes_[best]),
                    "categories": [
                        {"key": str(self.classes_[j]), "score": round(float(proba[j]), 4)} for j in order
                    ],
                    "reasons": self.reasons(row, best),
                }
            )
        return results
