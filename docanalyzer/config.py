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
    Setting("ocr", True, "Read scanned PDF pages (no text layer) with Tesseract OCR."),
    Setting("ocr_dpi", 300, "Resolution at which scanned pages are rendered for OCR."),
    Setting("ocr_languages", "chi_sim", "Tesseract language data for OCR (e.g. chi_sim, chi_sim+chi_tra)."),
    Setting(
        "doc_reader",
        "auto",
        "Old Word (.doc): 'auto' (LibreOffice where installed, else antiword), 'libreoffice' or 'antiword'.",
    ),
    Setting(
        "pdf_engine",
        "auto",
        "PDF text: 'auto' (pypdfium2, pdfplumber for ruled tables and for fonts without glyph boxes) "
        "or 'pdfplumber' (every page; slower).",
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
    Setting("workers", 0, "Worker processes that analyse documents side by side; 0: one per CPU core."),
    Setting("time_limit_s", 120, "Seconds one document may take to analyse before its worker is stopped."),
    Setting(
        "memory_limit_mb",
        2048,
        "Address space one worker process may use, in megabytes (a file needing more fails, alone).",
    ),
    Setting(
        "stable_s",
        2,
        "Seconds a file's size and modification time must stay unchanged before the watcher takes it.",
    ),
    Setting("rescan_s", 60, "Seconds between full rescans of the inbox (catches files that events missed)."),
    Setting("poll", False, "Watch the inbox by polling instead of file system events (for network shares)."),
    Setting("host", "127.0.0.1", "Address the review web app listens on (`docanalyzer serve`, `run`)."),
    Setting("port", 8000, "Port the review web app listens on."),
    Setting(
        "secret_key",
        "",
        "Key that signs the web app's session cookies; empty: one generated once and kept in "
        "DATA_DIR/secret_key (mode 0600).",
    ),
    Setting("session_hours", 12, "Hours a web app sign-in lasts."),
    Setting(
        "login_attempts",
        5,
        "Failed sign-ins allowed per user name within login_window_s; then that name must wait.",
    ),
    Setting(
        "login_attempts_per_address",
        20,
        "Failed sign-ins allowed per client address within login_window_s; then that address must wait.",
    ),
    Setting("login_window_s", 900, "Seconds over which failed sign-ins are counted."),
    Setting(
        "leave_in_place",
        False,
        "Leave processed files in the inbox instead of moving them to DATA_DIR/archive/YYYY/MM/.",
    ),
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
