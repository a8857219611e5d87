"""Every setting, declared once: name, default, help, and the values it accepts.

Values come from, in order of precedence: environment variables
``DOCANALYZER_<NAME>``, a TOML file (``DOCANALYZER_CONFIG`` or
``./docanalyzer.toml``), then the defaults below. They are read and checked
all together (:func:`settings`), so a bad value is one line at start naming
the setting and what it accepts, never a crash in the middle of a job.
"""

from __future__ import annotations

import ipaddress
import os
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from docanalyzer.errors import ConfigError

PACKAGE_DIR = Path(__file__).resolve().parent
PROJECT_DIR = PACKAGE_DIR.parent
ENV_PREFIX = "DOCANALYZER_"
TRUE_WORDS, FALSE_WORDS = {"1", "true", "yes", "on"}, {"0", "false", "no", "off", ""}


@dataclass(frozen=True)
class Setting:
    """One setting: its type is the default's (bool, int, float, str, or a tuple of str)."""

    name: str
    default: object
    help: str
    minimum: float | None = None
    maximum: float | None = None
    choices: tuple[str, ...] = ()

    @property
    def env(self) -> str:
        return f"{ENV_PREFIX}{self.name.upper()}"

    def accepts(self) -> str:
        """What the setting accepts, in the words its error message uses."""
        default = self.default
        if isinstance(default, bool):
            return "true 或 false"
        if self.choices:
            return "、".join(self.choices) + " 之一"
        if isinstance(default, tuple):
            return "以逗号分隔的 IP 地址或网段（如 127.0.0.1,10.0.0.0/8），可为空"
        kind = "整数" if isinstance(default, int) else "数字" if isinstance(default, float) else "文本"
        if self.minimum is not None and self.maximum is not None:
            return f"{self.minimum:g} 到 {self.maximum:g} 之间的{kind}"
        if self.minimum is not None:
            return f"不小于 {self.minimum:g} 的{kind}"
        return kind

    def parse(self, raw: object) -> object:
        """The typed value of ``raw`` (text from the environment, or a TOML value); ValueError if unfit."""
        default = self.default
        if isinstance(default, bool):
            if isinstance(raw, bool):
                return raw
            word = str(raw).strip().lower()
            if word in TRUE_WORDS | FALSE_WORDS:
                return word in TRUE_WORDS
            raise ValueError(raw)
        if isinstance(default, tuple):
            parts = raw if isinstance(raw, list) else str(raw).split(",")
            value = tuple(str(p).strip() for p in parts if str(p).strip())
            for part in value:
                ipaddress.ip_network(part, strict=False)  # ValueError for anything else
            return value
        if isinstance(default, int | float):
            if isinstance(raw, bool):
                raise ValueError(raw)
            number = float(raw) if isinstance(default, float) else _whole_number(raw)
            if self.minimum is not None and number < self.minimum:
                raise ValueError(raw)
            if self.maximum is not None and number > self.maximum:
                raise ValueError(raw)
            return number
        value = str(raw)
        if self.choices and value not in self.choices:
            raise ValueError(raw)
        return value


def _whole_number(raw: object) -> int:
    if isinstance(raw, int):
        return raw
    if isinstance(raw, float) or not str(raw).strip().lstrip("+-").isdigit():
        raise ValueError(raw)
    return int(str(raw).strip())


SETTINGS: tuple[Setting, ...] = (
    Setting("max_file_mb", 100, "Largest input file accepted, in megabytes.", minimum=1),
    Setting(
        "max_docx_part_mb",
        200,
        "Largest uncompressed part inside a .docx (zip bomb guard), in megabytes.",
        minimum=1,
    ),
    Setting("ocr", True, "Read scanned PDF pages (no text layer) with Tesseract OCR."),
    Setting(
        "ocr_dpi", 300, "Resolution at which scanned pages are rendered for OCR.", minimum=72, maximum=600
    ),
    Setting("ocr_languages", "chi_sim", "Tesseract language data for OCR (e.g. chi_sim, chi_sim+chi_tra)."),
    Setting(
        "doc_reader",
        "auto",
        "Old Word (.doc): 'auto' (LibreOffice where installed, else antiword), 'libreoffice' or 'antiword'.",
        choices=("auto", "libreoffice", "antiword"),
    ),
    Setting(
        "pdf_engine",
        "auto",
        "PDF text: 'auto' (pypdfium2, pdfplumber for ruled tables and for fonts without glyph boxes) "
        "or 'pdfplumber' (every page; slower).",
        choices=("auto", "pdfplumber"),
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
    Setting(
        "database_url",
        "",
        "SQLAlchemy URL of the store, e.g. postgresql+psycopg://user@host:5432/name; "
        "empty: SQLite (WAL mode) at DATA_DIR/docanalyzer.db.",
    ),
    Setting("inbox", "./inbox", "Folder that `docanalyzer watch` watches when none is given."),
    Setting(
        "workers", 0, "Worker processes that analyse documents side by side; 0: one per CPU core.", minimum=0
    ),
    Setting(
        "time_limit_s",
        120.0,
        "Seconds one document may take to analyse before its worker is stopped.",
        minimum=0.1,
    ),
    Setting(
        "memory_limit_mb",
        2048,
        "Address space one worker process may use, in megabytes (a file needing more fails, alone).",
        minimum=1,
    ),
    Setting(
        "stable_s",
        2.0,
        "Seconds a file's size and modification time must stay unchanged (and, where the system tells, "
        "no process holds it open for writing) before the watcher takes it.",
        minimum=0,
    ),
    Setting(
        "rescan_s",
        60.0,
        "Seconds between full rescans of the inbox (catches files that events missed).",
        minimum=1,
    ),
    Setting("poll", False, "Watch the inbox by polling instead of file system events (for network shares)."),
    Setting("host", "127.0.0.1", "Address the review web app listens on (`docanalyzer serve`, `run`)."),
    Setting("port", 8000, "Port the review web app listens on.", minimum=1, maximum=65535),
    Setting(
        "secret_key",
        "",
        "Key that signs the web app's session cookies; empty: one generated once and kept in "
        "DATA_DIR/secret_key (mode 0600).",
    ),
    Setting("session_hours", 12, "Hours a web app sign-in lasts (a whole number).", minimum=1, maximum=720),
    Setting(
        "login_attempts",
        5,
        "Failed sign-ins allowed per user name within login_window_s; then that name must wait.",
        minimum=1,
    ),
    Setting(
        "login_attempts_per_address",
        20,
        "Failed sign-ins allowed per client address within login_window_s; then that address must wait.",
        minimum=1,
    ),
    Setting("login_window_s", 900.0, "Seconds over which failed sign-ins are counted.", minimum=1),
    Setting(
        "trusted_proxies",
        (),
        "Addresses or networks of reverse proxies whose X-Forwarded-For and X-Forwarded-Proto the web app "
        "believes (comma-separated); empty: no forwarding header is believed.",
    ),
    Setting(
        "secure_cookies",
        False,
        "Mark the session cookie Secure even when the app itself is served over plain HTTP "
        "(behind a proxy that terminates HTTPS); it is Secure anyway on HTTPS requests.",
    ),
    Setting(
        "max_request_kb",
        1024,
        "Largest request body the web app reads, in kilobytes (larger: HTTP 413).",
        minimum=1,
    ),
    Setting(
        "max_page_pixels",
        12_000_000,
        "Most pixels a rendered page image may have; larger pages are drawn at a lower resolution.",
        minimum=100_000,
    ),
    Setting(
        "leave_in_place",
        False,
        "Leave processed files in the inbox instead of moving them to DATA_DIR/archive/YYYY/MM/.",
    ),
)

_BY_NAME = {s.name: s for s in SETTINGS}


@dataclass(frozen=True)
class Settings:
    """Every setting's checked value and where it came from ('env', 'toml' or 'default')."""

    values: dict[str, object]
    sources: dict[str, str] = field(default_factory=dict)

    def __getitem__(self, name: str) -> object:
        return self.values[name]


def config_path(environ=os.environ) -> Path:
    return Path(environ.get(f"{ENV_PREFIX}CONFIG") or "docanalyzer.toml")


def _toml_values(path: Path, named: bool) -> dict:
    if not path.is_file():
        if named:  # a file the user named must be there; ./docanalyzer.toml is optional
            raise ConfigError(f"配置文件 {path} 不存在", f"请检查 {ENV_PREFIX}CONFIG 指向的路径")
        return {}
    try:
        with open(path, "rb") as f:
            values = tomllib.load(f)
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as e:
        raise ConfigError(f"配置文件 {path} 无法读取（{e}）", "请按 TOML 格式修改它，例如 port = 8001") from e
    unknown = sorted(set(values) - set(_BY_NAME))
    if unknown:
        raise ConfigError(
            f"配置文件 {path} 中有未知的设置 {', '.join(unknown)}",
            "请删除或改正它；`docanalyzer config` 列出全部设置",
        )
    return values


def load(environ=os.environ) -> Settings:
    """Read every setting from ``environ``, the TOML file and the defaults, and check each one."""
    toml = _toml_values(config_path(environ), named=bool(environ.get(f"{ENV_PREFIX}CONFIG")))
    values, sources = {}, {}
    for s in SETTINGS:
        if s.env in environ:
            raw, source, where = environ[s.env], "env", f"环境变量 {s.env}"
        elif s.name in toml:
            raw, source, where = toml[s.name], "toml", f"配置文件中的 {s.name}"
        else:
            values[s.name], sources[s.name] = s.default, "default"
            continue
        try:
            values[s.name] = s.parse(raw)
        except (ValueError, TypeError) as e:
            raise ConfigError(
                f"设置 {s.name} 的值 {raw!r} 无效（来自{where}），它应为{s.accepts()}", f"请改正{where}"
            ) from e
        sources[s.name] = source
    return Settings(values, sources)


_cache: tuple[tuple, Settings] | None = None
_ENV_NAMES = tuple(os.fsencode(s.env) for s in SETTINGS) + (os.fsencode(f"{ENV_PREFIX}CONFIG"),)


def _environment_fingerprint() -> tuple:
    """The raw values of our variables: hot paths ask for settings per passage, and decoding every
    variable through ``os.environ`` each time cost a tenth of extraction."""
    raw = getattr(os.environ, "_data", None)  # CPython's undecoded mapping
    if raw is None:
        return tuple(os.environ.get(os.fsdecode(name)) for name in _ENV_NAMES)
    return tuple(map(raw.get, _ENV_NAMES))


def settings() -> Settings:
    """The checked settings, read once and read again only when the environment or the file changes."""
    global _cache
    path = config_path()
    try:
        stamp = path.stat().st_mtime_ns
    except OSError:
        stamp = None
    key = (_environment_fingerprint(), str(path), stamp)
    if _cache is None or _cache[0] != key:
        _cache = (key, load())
    return _cache[1]


def get(name: str) -> object:
    """The current, checked value of one setting."""
    return settings()[name]


def current() -> list[tuple[Setting, object, str]]:
    """Every setting with its value and where the value came from."""
    loaded = settings()
    return [(s, loaded[s.name], loaded.sources[s.name]) for s in SETTINGS]
