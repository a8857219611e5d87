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
    fix = "请把 DOCANALYZER_TAXONOMY 指向一个含 [[category]] 表（key、name）的 TOML 文件。"
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as e:
        raise ModelError(f"分类体系文件 {path} 不存在", fix) from e
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as e:
        raise ModelError(f"分类体系文件 {path} 不是有效的 TOML（{e}）", fix) from e
    try:
        cats = tuple(
            Category(c["key"], c["name"], c.get("description", ""), tuple(c.get("seed_terms", [])))
            for c in data["category"]
        )
    except (KeyError, TypeError) as e:
        raise ModelError(f"分类体系文件 {path} 缺少带 key 和 name 的 [[category]] 条目", fix) from e
    if len({c.key for c in cats}) != len(cats) or len(cats) < 2:
        raise ModelError(f"分类体系文件 {path} 至少需要两个 key 互不相同的类别", fix)
    return Taxonomy(cats, str(path))
