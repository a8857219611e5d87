"""The category classifier: TF-IDF over jieba words and character n-grams, a linear SVM
with calibrated probabilities, saved with joblib beside a model card.

``CategoryClassifier`` is a scikit-learn estimator (``fit``/``predict``/
``predict_proba``; fitted attributes end in ``_``). ``load_classifier`` checks
the card against the installed libraries before trusting the pickle.
"""

from __future__ import annotations

import functools
import json
from pathlib import Path

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin

from docanalyzer import config
from docanalyzer.errors import ModelError, TextError
from docanalyzer.text.nlp import has_chinese, words
from docanalyzer.text.normalize import for_model

MODEL_FILE = "model.joblib"
CARD_FILE = "card.json"
MAX_TEXT = 1_000_000
PINNED = ("scikit-learn", "numpy", "scipy", "jieba")


def word_analyzer(text: str) -> list[str]:
    """Words and word bigrams of the normalised passage."""
    tokens = words(for_model(text))
    return tokens + [a + "_" + b for a, b in zip(tokens, tokens[1:], strict=False)]


def char_preprocessor(text: str) -> str:
    return for_model(text)


class CategoryClassifier(ClassifierMixin, BaseEstimator):
    """Linear text classifier over word and character n-gram TF-IDF, with sigmoid-calibrated scores."""

    def __init__(self, C: float = 0.5, char_ngrams: tuple[int, int] = (1, 3), calibration_folds: int = 3,
                 random_state: int = 0):
        self.C = C
        self.char_ngrams = char_ngrams
        self.calibration_folds = calibration_folds
        self.random_state = random_state

    def _features(self):
        from sklearn.feature_extraction.text import TfidfVectorizer
        from sklearn.pipeline import FeatureUnion

        return FeatureUnion([
            ("words", TfidfVectorizer(analyzer=word_analyzer, sublinear_tf=True, min_df=1)),
            ("chars", TfidfVectorizer(analyzer="char", ngram_range=self.char_ngrams, preprocessor=char_preprocessor,
                                      sublinear_tf=True, min_df=2)),
        ])

    def fit(self, X, y):
        from sklearn.calibration import CalibratedClassifierCV
        from sklearn.svm import LinearSVC

        self.features_ = self._features()
        matrix = self.features_.fit_transform(list(X))
        svm = LinearSVC(C=self.C, random_state=self.random_state, class_weight="balanced")
        self.model_ = CalibratedClassifierCV(svm, method="sigmoid", cv=self.calibration_folds)
        self.model_.fit(matrix, list(y))
        self.classes_ = self.model_.classes_
        # The average of the calibrated folds' linear weights: used to explain a decision.
        self.coef_ = np.mean([c.estimator.coef_ for c in self.model_.calibrated_classifiers_], axis=0)
        self.feature_names_ = np.array(self.features_.get_feature_names_out())
        return self

    def predict_proba(self, X):
        return self.model_.predict_proba(self.features_.transform(list(X)))

    def predict(self, X):
        return self.classes_[np.argmax(self.predict_proba(X), axis=1)]

    def reasons(self, matrix_row, class_index: int, top: int = 5) -> list[str]:
        """The terms that pushed the passage towards the class, strongest first."""
        row = matrix_row.tocoo()
        weights = row.data * self.coef_[class_index, row.col]
        order = np.argsort(-weights)
        out = []
        for i in order:
            if weights[i] <= 0 or len(out) >= top:
                break
            name = self.feature_names_[row.col[i]].split("__", 1)[-1].replace("_", "")
            if len(name) >= 2 and name not in out:
                out.append(name)
        return out

    def explain_many(self, texts: list[str]) -> list[dict]:
        """For each passage: the top category, every category ranked with its score, and reasons."""
        for t in texts:
            check_text(t)
        if not texts:
            return []
        matrix = self.features_.transform(texts)
        proba = self.model_.predict_proba(matrix)
        results = []
        for i, text in enumerate(texts):
            order = np.argsort(-proba[i])
            best = int(order[0])
            results.append({
                "text": text,
                "category": str(self.classes_[best]),
                "categories": [{"key": str(self.classes_[j]), "score": round(float(proba[i, j]), 4)} for j in order],
                "reasons": self.reasons(matrix[i], best),
            })
        return results


def check_text(text: str) -> None:
    if not text or not text.strip():
        raise TextError("the passage is empty", "Give a passage of Chinese text.")
    if len(text) > MAX_TEXT:
        raise TextError(f"the passage is {len(text):,} characters, over the {MAX_TEXT:,} limit",
                        "Classify it paragraph by paragraph.")
    if not has_chinese(text):
        raise TextError("the passage holds no Chinese text", "The classifier reads Chinese passages only.")


def library_versions() -> dict[str, str]:
    from importlib.metadata import version

    return {name: version(name) for name in PINNED}


def _minor(v: str) -> str:
    return ".".join(v.split(".")[:2])


def model_dir() -> Path:
    return Path(str(config.get("model_dir")))


def read_card(directory: Path) -> dict:
    fix = "Run `docanalyzer train` to rebuild the model from corpora/."
    try:
        return json.loads((directory / CARD_FILE).read_text(encoding="utf-8"))
    except FileNotFoundError as e:
        raise ModelError(f"no model card at {directory / CARD_FILE}", fix) from e
    except json.JSONDecodeError as e:
        raise ModelError(f"the model card {directory / CARD_FILE} is not valid JSON", fix) from e


@functools.lru_cache(maxsize=4)
def _load(directory: str) -> CategoryClassifier:
    import joblib

    path = Path(directory)
    card = read_card(path)
    fix = "Run `docanalyzer train` to rebuild the model from corpora/."
    installed = library_versions()
    for name, trained in card.get("libraries", {}).items():
        if name in installed and _minor(installed[name]) != _minor(trained):
            raise ModelError(
                f"the model was trained with {name} {trained}, but {installed[name]} is installed",
                f"Install {name}=={_minor(trained)}.* or {fix[0].lower()}{fix[1:]}",
            )
    try:
        model = joblib.load(path / MODEL_FILE)
    except FileNotFoundError as e:
        raise ModelError(f"no model file at {path / MODEL_FILE}", fix) from e
    except Exception as e:  # a truncated or foreign pickle can raise nearly anything
        raise ModelError(f"the model file {path / MODEL_FILE} is damaged ({type(e).__name__})", fix) from e
    if not isinstance(model, CategoryClassifier):
        raise ModelError(f"{path / MODEL_FILE} does not hold a docanalyzer classifier", fix)
    return model


def load_classifier(directory: str | Path | None = None) -> CategoryClassifier:
    """The trained classifier in ``directory`` (default: the ``model_dir`` setting), loaded once."""
    return _load(str(Path(directory) if directory else model_dir()))
