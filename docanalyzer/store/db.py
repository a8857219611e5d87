"""Opening the store: the URL from the settings, SQLite tuned for a crash-safe journal,
and the Alembic migrations shipped in the package, run from code."""

from __future__ import annotations

import functools
from pathlib import Path

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError, NoSuchModuleError, SQLAlchemyError

from docanalyzer import config
from docanalyzer.store import StoreError

MIGRATIONS = Path(__file__).resolve().parent / "migrations"
URL_FIX = (
    "请检查 DOCANALYZER_DATABASE_URL（如 postgresql+psycopg://user@host:5432/name）以及数据库服务是否在运行。"
)


def data_dir() -> Path:
    return Path(str(config.get("data_dir"))).expanduser().resolve()


def database_url() -> URL:
    """The configured URL; PostgreSQL URLs without a driver get psycopg 3."""
    text = str(config.get("database_url")).strip()
    if not text:
        path = data_dir() / "docanalyzer.db"
        return URL.create("sqlite", database=str(path))
    try:
        url = make_url(text)
    except ArgumentError as e:
        raise StoreError(f"无法解析数据库地址 {text!r}", URL_FIX) from e
    if url.drivername in ("postgresql", "postgres"):
        url = url.set(drivername="postgresql+psycopg")
    return url


def shown(url: URL) -> str:
    return url.render_as_string(hide_password=True)


def _sqlite_pragmas(dbapi_connection, _record) -> None:
    """WAL lets readers work beside the watcher; NORMAL sync in WAL survives a killed process."""
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


@functools.lru_cache(maxsize=8)
def _engine(url_text: str) -> Engine:
    url = make_url(url_text)
    try:
        if url.get_backend_name() == "sqlite":
            if url.database:
                Path(url.database).parent.mkdir(parents=True, exist_ok=True)
            engine = create_engine(url, connect_args={"timeout": 30})
            event.listen(engine, "connect", _sqlite_pragmas)
            return engine
        return create_engine(url, pool_pre_ping=True)
    except (NoSuchModuleError, ArgumentError) as e:
        raise StoreError(f"数据库地址 {shown(url)} 指定的数据库驱动未知", URL_FIX) from e


def engine(url: URL | str | None = None) -> Engine:
    """One engine per URL and process (the configured one by default)."""
    url = database_url() if url is None else make_url(url)
    return _engine(url.render_as_string(hide_password=False))


def _alembic_config(connection):
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.attributes["connection"] = connection
    return cfg


def upgrade(url: URL | str | None = None) -> str:
    """Bring the database to the newest schema; returns the revision it is at."""
    from alembic import command
    from alembic.runtime.migration import MigrationContext

    eng = engine(url)
    try:
        with eng.begin() as connection:
            command.upgrade(_alembic_config(connection), "head")
            return MigrationContext.configure(connection).get_current_revision() or "base"
    except SQLAlchemyError as e:
        reason = str(getattr(e, "orig", None) or e).strip().splitlines()[0][:200]
        raise StoreError(f"无法打开或迁移数据库 {shown(eng.url)}（{reason}）", URL_FIX) from e
