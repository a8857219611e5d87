"""The category classifier as a scikit-learn estimator: TF-IDF over jieba words and character
n-grams, a linear SVM with sigmoid-calibrated probabilities (``fit``/``predict``/``predict_proba``;
fitted attributes end in ``_``). Used for training and evaluation; prediction at run time
uses its exported arrays (:mod:`docanalyzer.classify.compiled`).
"""

from __future__ import annotations

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin

from docanalyzer.classify.features import char_preprocessor, word_analyzer


class CategoryClassifier(ClassifierMixin, BaseEstimator):
    """Linear text classifier over word and character n-gram TF-IDF, with sigmoid-calibrated scores."""

    def __init__(
        self,
        C: float = 0.5,
        char_ngrams: tuple[int, int] = (2, 3),
        calibration_folds: int = 3,
        random_state: int = 0,
    ):
        self.C = C
        self.char_ngrams = char_ngrams
        self.calibration_folds = calibration_folds
        self.random_state = random_state

    def _features(self):
        from sklearn.feature_extraction.text import TfidfVectorizer
        from sklearn.pipeline import FeatureUnion

        return FeatureUnion(
            [
                ("words", TfidfVectorizer(analyzer=word_analyzer, sublinear_tf=True, min_df=1)),
                (
                    "chars",
                    TfidfVectorizer(
                        analyzer="char",
                        ngram_range=self.char_ngrams,
                        preprocessor=char_preprocessor,
                        sublinear_tf=True,
                        min_df=2,
                    ),
                ),
            ]
        )

    def fit(self, X, y):
        from sklearn.calibration import CalibratedClassifierCV
        from sklearn.svm import LinearSVC

        self.features_ = self._features()
        matrix = self.features_.fit_transform(list(X))
        svm = LinearSVC(C=self.C, random_state=self.random_state, class_weight="balanced")
        self.model_ = CalibratedClassifierCV(svm, method="sigmoid", cv=self.calibration_folds)
        self.model_.fit(matrix, list(y))
        self.classes_ = self.model_.classes_
        return self

    def predict_proba(self, X):
        return self.model_.predict_proba(self.features_.transform(list(X)))

    def predict(self, X):
        return self.classes_[np.argmax(self.predict_proba(X), axis=1)]
