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
FIX = "Run `docanalyzer train` to rebuild the model from corpora/."


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
        raise ModelError(f"no model card at {directory / CARD_FILE}", FIX) from e
    except json.JSONDecodeError as e:
        raise ModelError(f"the model card {directory / CARD_FILE} is not valid JSON", FIX) from e


def check_card(card: dict) -> None:
    installed = library_versions()
    for name, trained in card.get("libraries", {}).items():
        if name in installed and _minor(installed[name]) != _minor(trained):
            raise ModelError(
                f"the model was trained with {name} {trained}, but {installed[name]} is installed",
                f"Install {name}=={_minor(trained)}.* or run `docanalyzer train` to rebuild the model from corpora/.",
            )


def check_taxonomy(card: dict, directory: Path, taxonomy) -> None:
    """A model knows only the categories it was trained for: refuse it for another taxonomy."""
    trained = card.get("taxonomy")
    if trained is not None and sorted(trained) != sorted(taxonomy.keys):
        raise ModelError(
            f"the model in {directory} was trained for the categories {', '.join(trained)}, "
            f"but the taxonomy {taxonomy.source} has {', '.join(taxonomy.keys)}",
            "Run `docanalyzer train` to train a model for this taxonomy, "
            "or point DOCANALYZER_MODEL_DIR at the model trained for it.",
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
        raise ModelError(f"no model file at {path / WEIGHTS_FILE}", FIX) from e
    except Exception as e:  # a truncated or foreign file can raise nearly anything
        raise ModelError(
            f"the model file {path / WEIGHTS_FILE} is damaged ({type(e).__name__}: {e})", FIX
        ) from e


def load_classifier(directory: str | Path | None = None):
    """The shipped classifier in ``directory`` (default: the ``model_dir`` setting), loaded once."""
    return _load(str(Path(directory) if directory else model_dir()), config.get("taxonomy"))
