"""The category classifier: shipped model, exact compiled predictions, taxonomy as data, bad input."""

from __future__ import annotations

import json
import re
import shutil

import numpy as np
import pytest

from conftest import ROOT, run_cli
from docanalyzer.classify.model import load_classifier
from docanalyzer.classify.training import load_corpus
from docanalyzer.errors import TextError


def test_compiled_model_gives_the_estimators_probabilities():
    import joblib

    texts = [r["text"] for r in load_corpus()][::7]
    estimator = joblib.load(ROOT / "models" / "category" / "model.joblib")
    compiled = load_classifier()
    assert np.abs(estimator.predict_proba(texts) - compiled.predict_proba(texts)).max() < 1e-9


def test_gold_quotes_of_the_samples_are_classified(eval_samples):
    golds = [json.loads(p.read_text(encoding="utf-8")) for p in eval_samples.glob("*.gold.json")]
    items = [i for g in golds for i in g["items"]]
    results = load_classifier().explain_many([i["quote"] for i in items])
    right = sum(r["category"] == i["category"] for r, i in zip(results, items, strict=True))
    assert right / len(items) >= 0.9


def test_explanations_rank_every_category_and_name_terms():
    [result] = load_classifier().explain_many(["部门之间推诿扯皮，信息共享不及时，整改合力没有形成"])
    assert result["category"] == "collaboration"
    scores = [c["score"] for c in result["categories"]]
    assert len(scores) == 4 and scores == sorted(scores, reverse=True) and abs(sum(scores) - 1) < 1e-3
    assert result["reasons"] and all(len(r) >= 2 for r in result["reasons"])


@pytest.mark.parametrize(
    "text,what",
    [
        ("", "段落为空"),
        ("   ", "段落为空"),
        ("Budget overrun in 2024", "没有中文"),
        ("整改" * 600_001, "超过上限"),
    ],
)
def test_bad_passages(text, what):
    with pytest.raises(TextError, match=what):
        load_classifier().explain_many([text])


def test_classify_cli_reads_standard_input_as_json():
    result = run_cli(
        "classify", "-", "--format", "json", stdin="党组落实主体责任不到位\n\n警示教育开展不经常\n"
    )
    assert result.returncode == 0, result.stderr
    out = json.loads(result.stdout)
    assert [r["category"] for r in out] == ["political_awareness", "education"]
    assert set(out[0]) >= {"text", "category", "categories", "reasons"}


def test_missing_corrupt_and_mismatched_models_say_how_to_fix(tmp_path):
    missing = run_cli(
        "classify", "党组落实主体责任不到位", env={"DOCANALYZER_MODEL_DIR": str(tmp_path / "none")}
    )
    assert (
        missing.returncode == 1
        and "docanalyzer train" in missing.stderr
        and "Traceback" not in missing.stderr
    )
    broken = tmp_path / "broken"
    shutil.copytree(ROOT / "models" / "category", broken)
    (broken / "weights.npz").write_bytes(b"not an npz file")
    result = run_cli("classify", "党组落实主体责任不到位", env={"DOCANALYZER_MODEL_DIR": str(broken)})
    assert result.returncode == 1 and "已损坏" in result.stderr and "Traceback" not in result.stderr
    card = json.loads((broken / "card.json").read_text())
    card["libraries"]["scikit-learn"] = "0.1.0"
    (broken / "card.json").write_text(json.dumps(card))
    result = run_cli("classify", "党组落实主体责任不到位", env={"DOCANALYZER_MODEL_DIR": str(broken)})
    assert result.returncode == 1 and "用 scikit-learn 0.1.0 训练" in result.stderr


def test_a_taxonomy_with_other_keys_works_end_to_end(tmp_path):
    """Relabel part of the corpus into three new keys, then train, classify and evaluate by settings only."""
    mapping = {
        "political_awareness": "leadership",
        "standards": "rules",
        "education": "people",
        "collaboration": "people",
    }
    corpus = tmp_path / "corpus"
    (corpus / "passages").mkdir(parents=True)
    for name in ("userdict.txt", "jieba_dict.txt"):
        shutil.copy(ROOT / "corpora" / name, corpus / name)
    rows = []
    for line in (ROOT / "corpora" / "passages" / "p2.jsonl").read_text(encoding="utf-8").splitlines():
        row = json.loads(line)
        if row["category"]:
            row["category"] = mapping[row["category"]]
            row["secondary"] = []
            rows.append(json.dumps(row, ensure_ascii=False))
    (corpus / "passages" / "new.jsonl").write_text("\n".join(rows), encoding="utf-8")
    (tmp_path / "tax.toml").write_text(
        '[[category]]\nkey = "leadership"\nname = "领导责任"\n\n[[category]]\nkey = "rules"\nname = "制度规矩"\n\n'
        '[[category]]\nkey = "people"\nname = "队伍与协作"\n',
        encoding="utf-8",
    )
    env = {
        "DOCANALYZER_TAXONOMY": str(tmp_path / "tax.toml"),
        "DOCANALYZER_CORPUS_DIR": str(corpus),
        "DOCANALYZER_MODEL_DIR": str(tmp_path / "model"),
    }
    trained = run_cli("train", env=env)
    assert trained.returncode == 0, trained.stderr
    assert json.loads(trained.stdout)["taxonomy"] == ["leadership", "rules", "people"]
    result = run_cli("classify", "--format", "json", "党组落实主体责任不到位，政治站位不高", env=env)
    out = json.loads(result.stdout)[0]
    assert {c["key"] for c in out["categories"]} == {"leadership", "rules", "people"}
    assert out["category"] == "leadership"
    report = run_cli("evaluate", "--folds", "3", env=env)
    assert report.returncode == 0 and "macro-F1" in report.stdout and "people" in report.stdout


def test_training_is_reproducible(tmp_path):
    from docanalyzer.classify.training import train

    rows = load_corpus()[::4]
    texts = [r["text"] for r in rows[:50]]
    a, b = train(rows, seed=3), train(rows, seed=3)
    assert np.array_equal(a.predict_proba(texts), b.predict_proba(texts))


def test_classifier_words_are_the_spacy_pipelines_tokens():
    """``words`` skips building a spaCy Doc; it must cut exactly as the pipeline's tokenizer does."""
    from docanalyzer.text.nlp import get_nlp, words

    nlp = get_nlp()
    assert nlp.tokenizer.jieba_seg is __import__("jieba")
    for text in [r["text"] for r in load_corpus()][::50]:
        tokens = [t.text for t in nlp.tokenizer(text) if not t.is_space and not t.is_punct]
        assert words(text) == [t for t in tokens if t.strip() and not re.fullmatch(r"[\W_]+", t)]
    doc = nlp("会议强调，要压实整改责任。县纪委监委要严肃问责！要建立台账")
    assert [s.text for s in doc.sents] == [
        "会议强调，要压实整改责任。",
        "县纪委监委要严肃问责！",
        "要建立台账",
    ]


def test_an_empty_passage_is_refused_like_one_without_chinese():
    for given, stdin in (("", None), ("   ", None), ("-", "\n\n")):
        result = run_cli("classify", given, stdin=stdin)
        assert result.returncode == 1, (given, result.stdout)
        assert (
            result.stderr.count("\n") == 1 and "[E300]" in result.stderr and "Traceback" not in result.stderr
        )


def test_a_model_trained_for_another_taxonomy_is_refused(tmp_path):
    (tmp_path / "tax.toml").write_text(
        '[[category]]\nkey = "leadership"\nname = "领导责任"\n\n[[category]]\nkey = "rules"\nname = "制度规矩"\n',
        encoding="utf-8",
    )
    env = {"DOCANALYZER_TAXONOMY": str(tmp_path / "tax.toml")}
    for command in (
        ["classify", "党组落实主体责任不到位"],
        ["extract", str(ROOT / "examples" / "e2_plan.docx")],
    ):
        result = run_cli(*command, env=env)
        assert result.returncode == 1, result.stdout
        assert (
            "[E200]" in result.stderr
            and "leadership" in result.stderr
            and "docanalyzer train" in result.stderr
        )
        assert "Traceback" not in result.stderr
