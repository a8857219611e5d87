"""The taxonomy as data: category keys, Chinese names, descriptions and seed terms."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from docanalyzer import config
from docanalyzer.errors import ModelError


@dataclass(frozen=True)
class Category:
    key: str
    name: str
    description: str = ""
    seed_terms: tuple[str, ...] = field(default_factory=tuple)


@dataclass(frozen=True)
class Taxonomy:
    categories: tuple[Category, ...]
    source: str

    @property
    def keys(self) -> list[str]:
        return [c.key for c in self.categories]

    def name_of(self, key: str) -> str:
        return next((c.name for c in self.categories if c.key == key), key)


def load_taxonomy(path: str | Path | None = None) -> Taxonomy:
    path = Path(str(path or config.get("taxonomy")))
    fix = "Point DOCANALYZER_TAXONOMY at a TOML file with [[category]] tables (key, name)."
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as e:
        raise ModelError(f"taxonomy file {path} not found", fix) from e
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as e:
        raise ModelError(f"taxonomy file {path} is not valid TOML ({e})", fix) from e
    try:
        cats = tuple(
            Category(c["key"], c["name"], c.get("description", ""), tuple(c.get("seed_terms", [])))
            for c in data["category"]
        )
    except (KeyError, TypeError) as e:
        raise ModelError(f"taxonomy file {path} lacks [[category]] entries with key and name", fix) from e
    if len({c.key for c in cats}) != len(cats) or len(cats) < 2:
        raise ModelError(f"taxonomy file {path} needs at least two categories with distinct keys", fix)
    return Taxonomy(cats, str(path))
