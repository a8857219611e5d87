"""Loading the shipped classifier: the model card is checked against the installed libraries
before the weights are trusted; every problem becomes one :class:`ModelError` with its fix."""

from __future__ import annotations

import functools
import json
from pathlib import Path

from docanalyzer import config
from docanalyzer.errors import ModelError

MODEL_FILE = "model.joblib"
CARD_FILE = "card.json"
PINNED = ("scikit-learn", "numpy", "scipy", "jieba")
FIX = "请运行 `docanalyzer train`，用 corpora/ 重新训练模型。"


def library_versions() -> dict[str, str]:
    from importlib.metadata import version

    return {name: version(name) for name in PINNED}


def _minor(v: str) -> str:
    return ".".join(v.split(".")[:2])


def model_dir() -> Path:
    return Path(str(config.get("model_dir")))


def read_card(directory: Path) -> dict:
    try:
        return json.loads((directory / CARD_FILE).read_text(encoding="utf-8"))
    except FileNotFoundError as e:
        raise ModelError(f"{directory / CARD_FILE} 处没有模型说明文件", FIX) from e
    except json.JSONDecodeError as e:
        raise ModelError(f"模型说明文件 {directory / CARD_FILE} 不是有效的 JSON", FIX) from e


def check_card(card: dict) -> None:
    installed = library_versions()
    for name, trained in card.get("libraries", {}).items():
        if name in installed and _minor(installed[name]) != _minor(trained):
            raise ModelError(
                f"模型是用 {name} {trained} 训练的，但安装的是 {installed[name]}",
                f"请安装 {name}=={_minor(trained)}.*，或运行 `docanalyzer train` 用 corpora/ 重新训练模型。",
            )


def check_taxonomy(card: dict, directory: Path, taxonomy) -> None:
    """A model knows only the categories it was trained for: refuse it for another taxonomy."""
    trained = card.get("taxonomy")
    if trained is not None and sorted(trained) != sorted(taxonomy.keys):
        raise ModelError(
            f"{directory} 中的模型是为类别 {', '.join(trained)} 训练的，"
            f"而分类体系 {taxonomy.source} 的类别是 {', '.join(taxonomy.keys)}",
            "请运行 `docanalyzer train` 为这个分类体系训练模型，或把 DOCANALYZER_MODEL_DIR 指向为它训练的模型。",
        )


@functools.lru_cache(maxsize=4)
def _load(directory: str, taxonomy_path: str):
    from docanalyzer.classify.compiled import WEIGHTS_FILE, CompiledClassifier
    from docanalyzer.classify.taxonomy import load_taxonomy

    path = Path(directory)
    card = read_card(path)
    check_card(card)
    check_taxonomy(card, path, load_taxonomy(taxonomy_path))
    try:
        return CompiledClassifier.load(path / WEIGHTS_FILE)
    except FileNotFoundError as e:
        raise ModelError(f"{path / WEIGHTS_FILE} 处没有模型文件", FIX) from e
    except Exception as e:  # a truncated or foreign file can raise nearly anything
        raise ModelError(f"模型文件 {path / WEIGHTS_FILE} 已损坏（{type(e).__name__}: {e}）", FIX) from e


def load_classifier(directory: str | Path | None = None):
    """The shipped classifier in ``directory`` (default: the ``model_dir`` setting), loaded once."""
    return _load(str(Path(directory) if directory else model_dir()), config.get("taxonomy"))
