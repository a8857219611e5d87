"""Classifier speed: passages/s on one core after loading, model load time, import costs.

    python bench/bench_classify.py

The baseline in the same run is the scikit-learn estimator the weights were exported
from, predicting the same passages. Targets: at least 2,000 passages/s; loading the
model file under 0.5 s (library imports apart).
"""

from __future__ import annotations

import subprocess
import sys
import time

from common import ROOT, best_of

CODE = """
import time
t0 = time.perf_counter(); import numpy; t1 = time.perf_counter()
import spacy; t2 = time.perf_counter()
from docanalyzer.text.nlp import get_nlp; get_nlp(); t3 = time.perf_counter()
from docanalyzer.classify.model import load_classifier; load_classifier(); t4 = time.perf_counter()
print(t1 - t0, t2 - t1, t3 - t2, t4 - t3)
"""


def main() -> None:
    runs = [
        list(
            map(
                float,
                subprocess.run(
                    [sys.executable, "-c", CODE], capture_output=True, text=True, check=True
                ).stdout.split(),
            )
        )
        for _ in range(3)
    ]
    numpy_s, spacy_s, nlp_s, model_s = (sorted(r[i] for r in runs)[1] for i in range(4))
    print(
        f"imports (median of 3 fresh processes): numpy {numpy_s:.2f} s, spacy {spacy_s:.2f} s, "
        f"jieba dictionaries + pipeline {nlp_s:.2f} s"
    )
    print(f"loading the model file (weights.npz + card): {model_s:.3f} s (target < 0.5 s)")

    import joblib

    from docanalyzer.classify.model import load_classifier
    from docanalyzer.classify.training import load_corpus

    texts = [r["text"] for r in load_corpus()][:2000]
    compiled = load_classifier()
    compiled.explain_many(texts[:10])
    ours, _ = best_of(lambda: compiled.explain_many(texts))
    t0 = time.perf_counter()
    estimator = joblib.load(ROOT / "models" / "category" / "model.joblib")
    sk_load = time.perf_counter() - t0
    theirs, _ = best_of(lambda: estimator.predict_proba(texts))
    print(
        f"classify {len(texts)} passages, one core, median of 3: {len(texts) / ours:,.0f} passages/s with "
        f"scores and reasons (target >= 2,000); scikit-learn predict_proba {len(texts) / theirs:,.0f} passages/s "
        f"(joblib load {sk_load:.2f} s)"
    )


if __name__ == "__main__":
    main()
