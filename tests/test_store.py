"""The store on SQLite and on the real PostgreSQL server: migrations, the ingest journal, and
re-analysis that keeps every reviewer's decision. Documents are real files, really analysed."""

from __future__ import annotations

import copy
import os
import secrets
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine, inspect
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError

from builders import load_spec, render
from conftest import ROOT, run_cli
from docanalyzer.pipeline import analyze
from docanalyzer.store import StoreError, db, repository
from docanalyzer.store.models import Base

# The PostgreSQL server the machine runs (.ci/run starts it); each test run makes its own databases.
PG_ADMIN_URL = os.environ.get("DOCANALYZER_TEST_POSTGRES", "postgresql+psycopg://root@127.0.0.1:5432/test")
TABLES = [
    "alembic_version",
    "arrivals",
    "blocks",
    "documents",
    "item_reviews",
    "items",
    "model_versions",
    "users",
    "web_sessions",
]


@pytest.fixture(scope="session")
def postgres_admin():
    """An autocommit engine on the server's maintenance database; skip without a server, except under CI."""
    engine = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect():
            pass
    except OperationalError:
        if os.environ.get("CI") == "true":
            pytest.fail(f"PostgreSQL is not reachable at {PG_ADMIN_URL} under CI: .ci/run must start it")
        pytest.skip(f"PostgreSQL is not reachable at {PG_ADMIN_URL}")
    yield engine
    engine.dispose()


@pytest.fixture
def postgres_url(postgres_admin):
    """A fresh, empty database of this test's own, dropped afterwards."""
    name = f"docanalyzer_test_{os.getpid()}_{secrets.token_hex(4)}"
    with postgres_admin.connect() as conn:
        conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    url = make_url(PG_ADMIN_URL).set(database=name)
    yield url.render_as_string(hide_password=False)
    db.engine(url).dispose()
    with postgres_admin.connect() as conn:
        conn.exec_driver_sql(f'DROP DATABASE "{name}" WITH (FORCE)')


@pytest.fixture(params=["sqlite", "postgresql"])
def store_url(request, tmp_path, monkeypatch) -> str:
    """The URL of an empty store, on each backend; the settings point at it too."""
    monkeypatch.setenv("DOCANALYZER_DATA_DIR", str(tmp_path / "data"))
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'data' / 'docanalyzer.db'}"
        monkeypatch.setenv("DOCANALYZER_DATABASE_URL", "")
    else:
        url = request.getfixturevalue("postgres_url")
        monkeypatch.setenv("DOCANALYZER_DATABASE_URL", url)
    return url


@pytest.fixture
def engine(store_url):
    db.upgrade(store_url)
    return db.engine(store_url)


@pytest.fixture(scope="module")
def documents(tmp_path_factory) -> list[Path]:
    """Three real documents: a feedback PDF, a plan in Word, a progress report in Word."""
    out = tmp_path_factory.mktemp("docs")
    names = ["t01_feedback_province_resources", "t03_plan_county", "t06_progress_subdistrict"]
    return [render(load_spec(ROOT / "tests" / "documents" / f"{n}.json"), out / n) for n in names]


def plain(path: Path) -> dict:
    result = analyze(path)
    return {"document": result.document.to_dict(), "items": [i.to_dict() for i in result.items]}


def store_document(engine, path: Path, version: str = "v1") -> tuple[int, dict]:
    analysis = plain(path)
    sha = analysis["document"]["sha256"]
    claim = repository.claim(
        engine,
        sha256=sha,
        name=path.name,
        source_path=str(path),
        size=path.stat().st_size,
        stored_path="files/x",
    )
    repository.complete(engine, claim["document_id"], claim["arrival_id"], analysis, version, None)
    return claim["document_id"], analysis


def test_db_upgrade_command_creates_the_schema_the_models_declare(store_url):
    first = run_cli("db", "upgrade")
    assert first.returncode == 0, first.stderr
    assert "版本 0003" in first.stdout
    again = run_cli("db", "upgrade")  # idempotent
    assert again.returncode == 0 and "版本 0003" in again.stdout
    assert sorted(inspect(db.engine(store_url)).get_table_names()) == TABLES
    with db.engine(store_url).connect() as conn:
        assert compare_metadata(MigrationContext.configure(conn), Base.metadata) == []


def test_sqlite_store_is_in_wal_mode_in_the_data_directory(tmp_path, monkeypatch):
    monkeypatch.setenv("DOCANALYZER_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("DOCANALYZER_DATABASE_URL", "")
    db.upgrade()
    assert (tmp_path / "data" / "docanalyzer.db").is_file()
    with db.engine().connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1


def test_a_completed_document_holds_its_blocks_and_cited_items(engine, documents):
    for path in documents:
        document_id, analysis = store_document(engine, path)
        doc = repository.get_document(engine, document_id)
        assert doc["status"] == "done" and doc["sha256"] == analysis["document"]["sha256"]
        assert (
            doc["title"] == analysis["document"]["title"]
            and doc["doc_type"] == analysis["document"]["doc_type"]
        )
        blocks = repository.list_blocks(engine, document_id)
        assert [b["text"] for b in blocks] == [b["text"] for b in analysis["document"]["blocks"]]
        items = repository.list_items(engine, document_id)
        assert [i["id"] for i in items] == [i["id"] for i in analysis["items"]]
        for stored, original in zip(items, analysis["items"], strict=True):
            assert stored["citation"] == {**original["citation"], "file": path.name}
            assert (
                stored["category"] == original["category"] and stored["categories"] == original["categories"]
            )
            c = stored["citation"]
            assert (
                blocks[c["paragraph"]]["char_start"] <= c["char_start"] < blocks[c["paragraph"]]["char_end"]
            )
            assert stored["reviewed"] is False and stored["current"] is True
    assert repository.status_counts(engine) == {"done": len(documents)}


def test_reanalysis_updates_suggestions_and_never_loses_a_reviewed_item(engine, documents):
    document_id, analysis = store_document(engine, documents[0])
    ids = [i["id"] for i in analysis["items"]]
    assert len(ids) >= 5
    reviewed, rejected, untouched_gone = ids[0], ids[1], ids[2]
    repository.review_item(engine, reviewed, "王审核", "category", "standards")
    repository.review_item(engine, rejected, "王审核", "status", "rejected")

    # The same file analysed again: every id comes back unchanged, nothing new, nothing dropped.
    again = repository.save_analysis(engine, document_id, plain(documents[0]), "v1")
    assert again == {"items": len(ids), "new": 0, "updated": len(ids), "kept": 0, "dropped": 0}

    # A new model: other categories everywhere; two items no longer found, one new one.
    newer = copy.deepcopy(analysis)
    for item in newer["items"]:
        item["category"] = "education"
    newer["items"] = [i for i in newer["items"] if i["id"] not in (rejected, untouched_gone)]
    extra = copy.deepcopy(newer["items"][-1])
    extra["id"] = extra["id"][:9] + "0" * 16
    newer["items"].append(extra)
    counts = repository.save_analysis(engine, document_id, newer, "v2")
    assert counts == {"items": len(ids) - 1, "new": 1, "updated": len(ids) - 2, "kept": 1, "dropped": 1}

    items = {i["id"]: i for i in repository.list_items(engine, document_id)}
    assert untouched_gone not in items  # machine output nobody touched goes with the machine
    assert items[rejected]["status"] == "rejected" and items[rejected]["current"] is False
    assert items[reviewed]["category"] == "standards"  # the reviewer's choice stands...
    assert items[reviewed]["suggested"] == {"category": "education"}  # ...beside the new suggestion
    assert items[ids[3]]["category"] == "education" and items[ids[3]]["reviewed"] is False
    assert extra["id"] in items


def test_reviews_record_who_when_before_and_after(engine, documents):
    document_id, analysis = store_document(engine, documents[1])
    item = analysis["items"][0]
    repository.review_item(engine, item["id"], "李四", "responsible_unit", "县水利局")
    changed = repository.review_item(engine, item["id"], "张三", "responsible_unit", "县财政局")
    assert changed["responsible_unit"] == "县财政局" and changed["reviewed"] is True
    history = repository.reviews(engine, item["id"])
    assert [(h["user"], h["field"], h["before"], h["after"]) for h in history] == [
        ("李四", "responsible_unit", item["responsible_unit"], "县水利局"),
        ("张三", "responsible_unit", "县水利局", "县财政局"),
    ]
    assert history[0]["at"] <= history[1]["at"] and history[0]["at"].endswith("+00:00")
    with pytest.raises(StoreError, match="不可审核修改"):
        repository.review_item(engine, item["id"], "张三", "quote", "x")
    with pytest.raises(StoreError, match="不是事项类型"):
        repository.review_item(engine, item["id"], "张三", "kind", "wish")
    with pytest.raises(StoreError, match="库中没有事项"):
        repository.review_item(engine, "nope", "张三", "status", "accepted")


def test_the_journal_claims_each_document_once(engine, documents):
    path = documents[2]
    analysis = plain(path)
    sha = analysis["document"]["sha256"]
    args = {"sha256": sha, "name": path.name, "source_path": str(path), "size": 1, "stored_path": "files/x"}
    first = repository.claim(engine, **args)
    assert [c["document_id"] for c in repository.claimed(engine)] == [first["document_id"]]
    repository.release(engine, first["document_id"], first["arrival_id"])  # given back: as if never taken
    assert repository.find_document(engine, sha) is None and repository.claimed(engine) == []

    second = repository.claim(engine, **args)
    repository.fail(engine, second["document_id"], second["arrival_id"], "it broke", "failed/x")
    retry = repository.claim(engine, **args)  # a failed document may be dropped in again
    assert retry["document_id"] == second["document_id"]
    repository.complete(engine, retry["document_id"], retry["arrival_id"], analysis, "v1", "archive/x")
    with pytest.raises(StoreError, match="已分析完成"):
        repository.claim(engine, **args)
    repository.record_duplicate(
        engine, retry["document_id"], "copy.pdf", "/in/copy.pdf", "duplicates/copy.pdf"
    )

    pending = repository.unfinished_moves(engine)
    assert [(m["outcome"], m["destination"]) for m in pending] == [
        ("failed", "failed/x"),
        ("analysed", "archive/x"),
        ("duplicate", "duplicates/copy.pdf"),
    ]
    for m in pending:
        repository.mark_moved(engine, m["arrival_id"])
    assert repository.unfinished_moves(engine) == []
    doc = repository.find_document(engine, sha)
    assert doc["status"] == "done" and doc["attempts"] == 2 and doc["error"] is None
    assert len(repository.list_items(engine, doc["id"])) == len(analysis["items"])


def test_text_with_nul_characters_is_stored_with_its_offsets_intact(engine, documents):
    analysis = plain(documents[0])
    analysis["document"]["text"] = "\x00" + analysis["document"]["text"][1:]
    quote = analysis["items"][0]["citation"]["quote"]
    analysis["items"][0]["citation"]["quote"] = quote[:2] + "\x00" + quote[3:]
    sha = analysis["document"]["sha256"]
    claim = repository.claim(engine, sha256=sha, name="a.pdf", source_path="/a.pdf", size=1, stored_path="f")
    repository.complete(engine, claim["document_id"], claim["arrival_id"], analysis, "v1", None)
    stored = repository.list_items(engine, claim["document_id"])[0]["citation"]["quote"]
    assert stored == quote[:2] + "\ufffd" + quote[3:] and len(stored) == len(quote)


@pytest.mark.parametrize(
    "url, says",
    [
        ("postgresql+psycopg://root@127.0.0.1:1/nothing", "无法打开或迁移数据库"),
        ("nosuchdb://somewhere/x", "数据库驱动未知"),
        ("::not a url::", "无法解析数据库地址"),
    ],
)
def test_a_bad_database_url_is_one_clear_line(url, says, tmp_path):
    result = run_cli(
        "db", "upgrade", env={"DOCANALYZER_DATABASE_URL": url, "DOCANALYZER_DATA_DIR": str(tmp_path)}
    )
    assert result.returncode == 1
    assert says in result.stderr and "[E400]" in result.stderr
    assert "Traceback" not in result.stderr and len(result.stderr.strip().splitlines()) == 1
