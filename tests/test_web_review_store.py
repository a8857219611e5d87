"""The store's reviewing functions on SQLite and on the real PostgreSQL server: versions that refuse
stale saves, undo across split and merge, queues filtered in SQL, and the 0001 → 0002 migration."""

from __future__ import annotations

import pytest
from sqlalchemy import text
from test_store import documents, engine, plain, postgres_admin, postgres_url, store_document, store_url  # noqa: F401

from docanalyzer.store import InvalidChange, NotFound, StaleVersion, db, repository


@pytest.fixture
def store(engine, documents):  # noqa: F811 (test_store's fixtures: a migrated store on each backend)
    return engine, documents


@pytest.fixture
def empty_store(store_url, documents):  # noqa: F811 (a store not migrated yet)
    return store_url, documents


def rank(texts: list[str]) -> list[dict]:
    """The shipped classifier, as the web app hands it to the store."""
    from docanalyzer.classify.model import load_classifier

    return load_classifier().explain_many(texts)


def test_versions_refuse_a_stale_save_and_undo_restores_exactly(store):
    eng, docs = store
    document_id, analysis = store_document(eng, docs[0])
    item = analysis["items"][0]
    first = repository.edit_item(eng, item["id"], "甲", {"category": "standards", "deadline": "长期坚持"}, 1)
    assert first["version"] == 2 and first["category"] == "standards" and first["deadline"] == "长期坚持"
    with pytest.raises(StaleVersion) as refused:
        repository.review_item(eng, item["id"], "乙", "status", "accepted", version=1)
    assert refused.value.current["version"] == 2 and refused.value.current["status"] == "pending"
    accepted = repository.review_item(eng, item["id"], "乙", "status", "accepted", version=2)
    assert accepted["status"] == "accepted"

    with pytest.raises(StaleVersion):  # 乙 accepted on top of 甲's edit: 甲 cannot undo it silently
        repository.undo_last(eng, "甲")
    assert repository.undo_last(eng, "乙")["fields"] == ["status"]
    undone = repository.undo_last(eng, "甲")
    assert undone["fields"] == ["category", "deadline"]
    back = repository.get_item(eng, item["id"])
    assert (back["category"], back["deadline"], back["status"]) == (
        item["category"],
        item["deadline"],
        "pending",
    )
    assert back["reviewed"] is False and back["version"] == 5
    with pytest.raises(NotFound, match="没有可撤销"):
        repository.undo_last(eng, "甲")
    history = repository.reviews(eng, item["id"])
    assert [(h["user"], h["field"], h["undone"]) for h in history] == [
        ("甲", "category", True),
        ("甲", "deadline", True),
        ("乙", "status", True),
        ("乙", "undo", False),
        ("甲", "undo", False),
    ]
    assert repository.review_documents(eng)[0]["review_status"] == "in_review"


def test_split_merge_and_add_compute_citations_from_the_text(store):
    eng, docs = store
    document_id, analysis = store_document(eng, docs[0])
    text_ = analysis["document"]["text"]
    target = max(analysis["items"], key=lambda i: len(i["citation"]["quote"]))
    with pytest.raises(InvalidChange, match="拆分位置须在引文之内"):
        repository.split_item(eng, target["id"], "甲", len(target["citation"]["quote"]))
    cut = target["citation"]["quote"].index("。") + 1
    first, second = repository.split_item(eng, target["id"], "甲", cut, version=1, rank=rank)
    for part in (first, second):
        c = part["citation"]
        assert text_[c["char_start"] : c["char_end"]] == c["quote"] and part["categories"]
        assert part["category"] == target["category"]  # the reviewer's view of the item carries over
    with pytest.raises(InvalidChange, match="已被拆分、合并或撤回"):
        repository.review_item(eng, target["id"], "甲", "status", "accepted")

    other = next(i for i in analysis["items"] if i["id"] != target["id"])
    merged = repository.merge_items(eng, [first["id"], other["id"]], "甲", rank=rank)
    c = merged["citation"]
    assert c["quote"] == text_[c["char_start"] : c["char_end"]]
    assert c["char_start"] == min(first["citation"]["char_start"], other["citation"]["char_start"])
    live = {i["id"] for i in repository.list_items(eng, document_id)}
    assert merged["id"] in live and first["id"] not in live and other["id"] not in live

    second_doc, second_analysis = store_document(eng, docs[1])
    with pytest.raises(InvalidChange, match="同一文件"):
        repository.merge_items(eng, [second["id"], second_analysis["items"][0]["id"]], "甲")

    start = text_.index("巡视认为")
    added = repository.add_item(eng, document_id, "甲", start, start + 12, "requirement", rank)
    assert added["citation"]["quote"] == text_[start : start + 12] and added["kind"] == "requirement"
    assert added["categories"] and added["confidence"] == max(c["score"] for c in added["categories"])
    with pytest.raises(InvalidChange, match="没有文字"):
        repository.add_item(eng, document_id, "甲", start - 1, start)


def test_queue_filters_on_reviewers_values_least_certain_first(store):
    eng, docs = store
    document_id, analysis = store_document(eng, docs[1])
    by_id = {i["id"]: i for i in analysis["items"]}
    queue = repository.review_queue(eng, limit=500)
    scores = [i["confidence"] for i in queue["items"]]
    assert queue["total"] == len(analysis["items"]) and scores == sorted(scores)
    moved = queue["items"][-1]  # the most certain item, set to a category by hand
    repository.review_item(eng, moved["id"], "甲", "category", "collaboration")
    repository.review_item(eng, moved["id"], "甲", "responsible_unit", "县100%合力办")
    found = repository.review_queue(eng, category="collaboration", unit="100%合力")["items"]
    assert [i["id"] for i in found] == [moved["id"]]  # % is a character here, not a wildcard
    assert repository.review_queue(eng, unit="%")["total"] == 1
    machine = by_id[moved["id"]]["category"]
    if machine != "collaboration":
        assert moved["id"] not in [i["id"] for i in repository.review_queue(eng, category=machine)["items"]]
    low = repository.review_queue(eng, max_confidence=scores[len(scores) // 2])
    assert low["total"] == sum(s <= scores[len(scores) // 2] for s in scores)
    assert repository.review_queue(eng, limit=3, offset=3)["items"] == queue["items"][3:6]


def test_migration_moves_the_review_status_out_of_the_edits(empty_store):
    """A store made at 0001 with reviews in it reads the same at 0002."""
    url, docs = empty_store
    from alembic import command

    from docanalyzer.store.db import _alembic_config

    eng = db.engine(url)
    with eng.begin() as conn:
        command.upgrade(_alembic_config(conn), "0001")
    analysis = plain(docs[0])
    first, second = analysis["items"][0], analysis["items"][1]
    with eng.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO documents (sha256, file_name, size, stored_path, status, attempts, claimed_at) "
                "VALUES ('s', 'a.pdf', 1, 'files/s', 'done', 1, CURRENT_TIMESTAMP)"
            )
        )
        for n, (item, edits) in enumerate(
            ((first, '{"status": "rejected", "deadline": "长期坚持"}'), (second, '{"status": "candidate"}'))
        ):
            conn.execute(
                text(
                    "INSERT INTO items (id, document_id, position, kind, text, categories, reasons, paragraph, "
                    "char_start, char_end, quote, current, edits) VALUES (:id, 1, :n, 'problem', 't', :cats, '[]', "
                    "0, 0, 1, 'q', true, :edits)"
                ),
                {"id": item["id"], "n": n, "cats": '[{"key": "standards", "score": 0.25}]', "edits": edits},
            )
    assert db.upgrade(url) == "0003"
    items = {i["id"]: i for i in repository.list_items(eng, 1)}
    assert items[first["id"]]["status"] == "rejected" and items[first["id"]]["deadline"] == "长期坚持"
    assert items[second["id"]]["status"] == "pending" and items[second["id"]]["suggested"] == {}
    assert items[first["id"]]["confidence"] == 0.25


def test_an_accept_that_changes_nothing_still_loses_to_a_decision_made_meanwhile(store, monkeypatch):
    """Reviewer B accepts an item already accepted, while A rejects it between B's read and B's
    answer: B must get 409 with A's decision, never 200 carrying it."""
    eng, docs = store
    document_id, _ = store_document(eng, docs[0])
    item = repository.list_items(eng, document_id)[0]
    for name in ("审核员甲", "审核员乙"):  # accounts exist: B's transaction only reads until its answer
        repository.create_user(eng, name, "reviewer", "x")
    accepted = repository.review_item(eng, item["id"], "审核员甲", "status", "accepted", item["version"])
    load, interleaved = repository._Action.load, []

    def load_then_a_rejects(action, item_id, version):
        row = load(action, item_id, version)
        if not interleaved:  # A's reject lands after B's read, in another transaction
            interleaved.append(True)
            repository.review_item(eng, item_id, "审核员甲", "status", "rejected", accepted["version"])
        return row

    monkeypatch.setattr(repository._Action, "load", load_then_a_rejects)
    with pytest.raises(StaleVersion) as refused:
        repository.review_item(eng, item["id"], "审核员乙", "status", "accepted", accepted["version"])
    assert refused.value.current["status"] == "rejected"
    assert repository.get_item(eng, item["id"])["status"] == "rejected"
