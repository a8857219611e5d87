"""Every setting, declared once: name, default, help.

Values come from, in order of precedence: environment variables
``DOCANALYZER_<NAME>``, a TOML file (``DOCANALYZER_CONFIG`` or
``./docanalyzer.toml``), then the defaults below.
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass
from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent
PROJECT_DIR = PACKAGE_DIR.parent


@dataclass(frozen=True)
class Setting:
    name: str
    default: object
    help: str

    @property
    def env(self) -> str:
        return f"DOCANALYZER_{self.name.upper()}"


SETTINGS: tuple[Setting, ...] = (
    Setting("max_file_mb", 100, "Largest input file accepted, in megabytes."),
    Setting(
        "max_docx_part_mb", 200, "Largest uncompressed part inside a .docx (zip bomb guard), in megabytes."
    ),
    Setting(
        "model_dir",
        str(PROJECT_DIR / "models" / "category"),
        "Folder of the category classifier and its card.",
    ),
    Setting(
        "taxonomy",
        str(PROJECT_DIR / "models" / "taxonomy.toml"),
        "Taxonomy file: category keys, names, seed terms.",
    ),
    Setting(
        "corpus_dir",
        str(PROJECT_DIR / "corpora"),
        "Folder of the labelled training corpus and user dictionary.",
    ),
    Setting(
        "cache_dir", str(Path.home() / ".cache" / "docanalyzer"), "Private cache (jieba dictionary cache)."
    ),
    Setting(
        "to_simplified",
        True,
        "Normalise traditional characters to simplified for segmentation and classification.",
    ),
    Setting("data_dir", "./data", "Data directory: database, stored copies, archive and failed files."),
)

_BY_NAME = {s.name: s for s in SETTINGS}


def _coerce(value: object, default: object) -> object:
    if isinstance(default, bool):
        if isinstance(value, bool):
            return value
        return str(value).strip().lower() in {"1", "true", "yes", "on"}
    if isinstance(default, int):
        return int(value)
    return str(value)


def _toml_values() -> dict:
    path = os.environ.get("DOCANALYZER_CONFIG") or "docanalyzer.toml"
    if not Path(path).is_file():
        return {}
    with open(path, "rb") as f:
        return tomllib.load(f)


def get(name: str) -> object:
    """The current value of one setting."""
    setting = _BY_NAME[name]
    if setting.env in os.environ:
        return _coerce(os.environ[setting.env], setting.default)
    toml = _toml_values()
    if name in toml:
        return _coerce(toml[name], setting.default)
    return setting.default


def current() -> list[tuple[Setting, object, str]]:
    """Every setting with its value and where the value came from."""
    toml = _toml_values()
    rows = []
    for s in SETTINGS:
        if s.env in os.environ:
            rows.append((s, get(s.name), "env"))
        elif s.name in toml:
            rows.append((s, get(s.name), "toml"))
        else:
            rows.append((s, s.default, "default"))
    return rows
