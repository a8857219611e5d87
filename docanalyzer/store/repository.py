"""What the rest of the package asks of the store. Every function takes an engine and plain
data, runs in one transaction, and returns plain data (dicts of str, int, None, lists).

The ingest journal is ``documents.status`` (claimed → done | failed) plus ``arrivals`` (each file
that came in and where it must go). ``complete`` writes the items and 'done' in one
transaction, so a document is in the store with all of its items or not at all.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Connection, Engine, bindparam, delete, func, insert, select, update

from docanalyzer.store import InvalidChange, NotFound, StaleVersion, StoreError
from docanalyzer.store.models import (
    Arrival,
    Block,
    Document,
    Item,
    ItemReview,
    ModelVersion,
    User,
    WebSession,
    now,
)

# Item columns an analysis rewrites, and the fields a reviewer may set (``status`` is the reviewer's own).
MACHINE_FIELDS = (
    "kind",
    "text",
    "category",
    "categories",
    "reasons",
    "responsible_unit",
    "deadline",
    "measures",
    "heading",
)
REVIEWABLE = ("kind", "text", "category", "responsible_unit", "deadline", "measures", "status")
KINDS = ("problem", "requirement", "measure")
STATUSES = ("pending", "accepted", "rejected")
REVIEW_STATUSES = ("new", "in_review", "done")  # a document's, as the reviewers see it
ROLES = ("admin", "reviewer", "analyst", "viewer")
BLOCK_FIELDS = ("kind", "text", "char_start", "char_end", "page", "level", "numbering", "style")
DOCUMENT_FIELDS = ("format", "title", "issuer", "date", "doc_type", "pages", "text")


def _iso(value: datetime | None) -> str | None:
    """ISO time in UTC; SQLite hands back the stored UTC time without its zone."""
    if value is None:
        return None
    return (value if value.tzinfo else value.replace(tzinfo=UTC)).isoformat()


def _document_dict(row) -> dict:
    return {
        "id": row.id,
        "sha256": row.sha256,
        "file": row.file_name,
        "size": row.size,
        "stored_path": row.stored_path,
        "status": row.status,
        "error": row.error,
        "attempts": row.attempts,
        "format": row.format,
        "title": row.title,
        "issuer": row.issuer,
        "date": row.date,
        "doc_type": row.doc_type,
        "pages": row.pages,
        "claimed_at": _iso(row.claimed_at),
        "analysed_at": _iso(row.analysed_at),
        "review_status": row.review_status,
    }


def find_document(engine: Engine, sha256: str) -> dict | None:
    with engine.connect() as conn:
        row = conn.execute(select(Document).where(Document.sha256 == sha256)).first()
    return _document_dict(row) if row else None


def get_document(engine: Engine, document_id: int) -> dict:
    with engine.connect() as conn:
        row = conn.execute(select(Document).where(Document.id == document_id)).first()
    if row is None:
        raise NotFound(f"库中没有文件 #{document_id}", "请在文件列表中选择一个。")
    return _document_dict(row)


def list_documents(engine: Engine, status: str | None = None) -> list[dict]:
    query = select(Document).order_by(Document.id)
    if status:
        query = query.where(Document.status == status)
    with engine.connect() as conn:
        return [_document_dict(r) for r in conn.execute(query)]


def status_counts(engine: Engine) -> dict[str, int]:
    with engine.connect() as conn:
        rows = conn.execute(select(Document.status, func.count()).group_by(Document.status))
        return {status: n for status, n in rows}


def claim(engine: Engine, *, sha256: str, name: str, source_path: str, size: int, stored_path: str) -> dict:
    """Record that a file is about to be analysed: a new document, or a retry of a failed one.

    A retry takes the name the bytes came back under (its citations give it) and that name's
    stored copy. Returns ``{"document_id", "arrival_id", "previous_copy"}``, the last the stored
    copy no longer used (same bytes, another suffix) or None; a document already done cannot be claimed.
    """
    previous_copy = None
    with engine.begin() as conn:
        row = conn.execute(
            select(Document.id, Document.status, Document.stored_path).where(Document.sha256 == sha256)
        ).first()
        if row is None:
            document_id = conn.execute(
                insert(Document).values(
                    sha256=sha256,
                    file_name=name,
                    size=size,
                    stored_path=stored_path,
                    status="claimed",
                    attempts=1,
                    claimed_at=now(),
                )
            ).inserted_primary_key[0]
        elif row.status == "done":
            raise StoreError(f"文件 {sha256[:12]} 已分析完成", "请将该文件记为重复文件。")
        else:
            document_id = row.id
            conn.execute(
                update(Document)
                .where(Document.id == document_id)
                .values(
                    status="claimed",
                    attempts=Document.attempts + 1,
                    claimed_at=now(),
                    file_name=name,
                    stored_path=stored_path,
                )
            )
            if row.stored_path != stored_path:
                previous_copy = row.stored_path
        arrival_id = _arrival(conn, document_id, name, source_path, "claimed", None)
    return {"document_id": document_id, "arrival_id": arrival_id, "previous_copy": previous_copy}


def _arrival(
    conn: Connection, document_id: int, name: str, source: str, outcome: str, dest, moved: bool = False
) -> int:
    return conn.execute(
        insert(Arrival).values(
            document_id=document_id,
            name=name,
            source_path=source,
            outcome=outcome,
            destination=dest,
            moved=moved,
            at=now(),
        )
    ).inserted_primary_key[0]


def record_duplicate(engine: Engine, document_id: int, name: str, source_path: str, destination) -> int:
    """A file whose bytes the store already holds; returns the arrival to finish by moving it.
    Without a destination (the file stays where it is) the arrival is settled at once."""
    with engine.begin() as conn:
        return _arrival(conn, document_id, name, source_path, "duplicate", destination, destination is None)


def claimed(engine: Engine) -> list[dict]:
    """Documents claimed but neither done nor failed (in flight, or left by a crash), with their arrival."""
    query = (
        select(
            Document.id, Document.sha256, Document.file_name, Document.stored_path, Arrival.id.label("aid")
        )
        .add_columns(Arrival.source_path)
        .join(Arrival, Arrival.document_id == Document.id)
        .where(Document.status == "claimed", Arrival.outcome == "claimed")
        .order_by(Document.id, Arrival.id)
    )
    with engine.connect() as conn:
        rows = conn.execute(query).all()
    latest = {}
    for r in rows:  # the latest claim of each document wins
        latest[r.id] = {
            "document_id": r.id,
            "sha256": r.sha256,
            "name": r.file_name,
            "stored_path": r.stored_path,
            "arrival_id": r.aid,
            "source_path": r.source_path,
        }
    return list(latest.values())


def release(engine: Engine, document_id: int, arrival_id: int) -> None:
    """Give a claimed file back: as if it had never been taken (it is still in the inbox)."""
    with engine.begin() as conn:
        conn.execute(delete(Arrival).where(Arrival.id == arrival_id, Arrival.outcome == "claimed"))
        others = conn.execute(select(func.count()).where(Arrival.document_id == document_id)).scalar_one()
        if others:
            conn.execute(
                update(Document)
                .where(Document.id == document_id, Document.status == "claimed")
                .values(status="failed")
            )
        else:
            conn.execute(delete(Document).where(Document.id == document_id, Document.status == "claimed"))


def complete(
    engine: Engine, document_id: int, arrival_id: int, analysis: dict, model_version: str, destination
) -> dict:
    """Store a document's analysis and mark it done, in one transaction. Returns the item counts."""
    with engine.begin() as conn:
        counts = _save_analysis(conn, document_id, analysis, model_version)
        conn.execute(update(Document).where(Document.id == document_id).values(status="done", error=None))
        conn.execute(
            update(Arrival)
            .where(Arrival.id == arrival_id)
            .values(outcome="analysed", destination=destination, moved=destination is None)
        )
    return counts


def fail(engine: Engine, document_id: int, arrival_id: int, error: str, destination) -> None:
    with engine.begin() as conn:
        conn.execute(
            update(Document)
            .where(Document.id == document_id)
            .values(status="failed", error=error, analysed_at=now())
        )
        conn.execute(
            update(Arrival)
            .where(Arrival.id == arrival_id)
            .values(outcome="failed", destination=destination, moved=destination is None)
        )


def _arrival_fields(row) -> dict:
    return {
        "document_id": row.document_id,
        "name": row.name,
        "source_path": row.source_path,
        "outcome": row.outcome,
        "destination": row.destination,
    }


def unfinished_moves(engine: Engine) -> list[dict]:
    """Arrivals whose outcome is committed but whose file has not reached its destination yet."""
    query = (
        select(Arrival, Document.sha256)
        .join(Document, Document.id == Arrival.document_id)
        .where(Arrival.moved.is_(False), Arrival.outcome != "claimed")
        .order_by(Arrival.id)
    )
    with engine.connect() as conn:
        return [{"arrival_id": r.id, "sha256": r.sha256, **_arrival_fields(r)} for r in conn.execute(query)]


def mark_moved(engine: Engine, arrival_id: int, destination: str | None = None) -> None:
    values = {"moved": True} if destination is None else {"moved": True, "destination": destination}
    with engine.begin() as conn:
        conn.execute(update(Arrival).where(Arrival.id == arrival_id).values(**values))


def arrivals(engine: Engine, document_id: int | None = None) -> list[dict]:
    query = select(Arrival).order_by(Arrival.id)
    if document_id is not None:
        query = query.where(Arrival.document_id == document_id)
    with engine.connect() as conn:
        return [
            {"id": r.id, **_arrival_fields(r), "moved": r.moved, "at": _iso(r.at)}
            for r in conn.execute(query)
        ]


def processed_here(engine: Engine, sha256: str, source_path: str) -> bool:
    """True when this very path was the one analysed (files left in place stay known, not duplicates)."""
    query = (
        select(func.count())
        .select_from(Arrival)
        .join(Document, Document.id == Arrival.document_id)
        .where(
            Document.sha256 == sha256,
            Arrival.source_path == source_path,
            Arrival.destination.is_(None),
            Arrival.outcome.in_(("analysed", "failed", "duplicate")),
        )
    )
    with engine.connect() as conn:
        return conn.execute(query).scalar_one() > 0


def save_analysis(engine: Engine, document_id: int, analysis: dict, model_version: str) -> dict:
    """Re-analysis: replace the machine suggestions, keep every reviewer's decision."""
    with engine.begin() as conn:
        return _save_analysis(conn, document_id, analysis, model_version)


def _model_version_id(conn: Connection, version: str) -> int:
    found = conn.execute(select(ModelVersion.id).where(ModelVersion.version == version)).scalar()
    if found is not None:
        return found
    return conn.execute(insert(ModelVersion).values(version=version, created_at=now())).inserted_primary_key[
        0
    ]


def _save_analysis(conn: Connection, document_id: int, analysis: dict, model_version: str) -> dict:
    """Blocks are replaced; items are matched by id: new ones added, known ones get the new
    suggestions, vanished ones dropped unless a reviewer touched them (then kept, not current)."""
    if "\x00" in analysis["document"].get("text", ""):  # every stored string is a piece of the text
        analysis = _without_nul(analysis)
    doc = analysis["document"]
    version_id = _model_version_id(conn, model_version)
    conn.execute(
        update(Document)
        .where(Document.id == document_id)
        .values(**{f: doc.get(f) for f in DOCUMENT_FIELDS}, model_version_id=version_id, analysed_at=now())
    )
    conn.execute(delete(Block).where(Block.document_id == document_id))
    blocks = [
        {
            "document_id": document_id,
            "position": i,
            **{f: b.get(f) for f in BLOCK_FIELDS},
            "cells": b.get("cells") or [],
        }
        for i, b in enumerate(doc.get("blocks", []))
    ]
    if blocks:
        conn.execute(insert(Block), blocks)

    existing = dict(  # the machine's items: those reviewers made are theirs alone
        conn.execute(
            select(Item.id, Item.reviewed_at).where(Item.document_id == document_id, Item.origin == "machine")
        ).all()
    )
    rows = [_item_row(document_id, i, item, version_id) for i, item in enumerate(analysis["items"])]
    new = [r for r in rows if r["id"] not in existing]
    known = [{"b_" + k: v for k, v in r.items()} for r in rows if r["id"] in existing]
    if new:
        conn.execute(insert(Item), [{**r, "edits": {}} for r in new])
    if known:  # bound names must differ from column names in an UPDATE
        columns = {k[2:]: bindparam(k) for k in known[0] if k != "b_id"}
        conn.execute(update(Item.__table__).where(Item.id == bindparam("b_id")).values(**columns), known)
    found = {r["id"] for r in rows}
    gone = [item_id for item_id in existing if item_id not in found]
    kept = [item_id for item_id in gone if existing[item_id] is not None]
    dropped = [item_id for item_id in gone if existing[item_id] is None]
    if kept:
        conn.execute(update(Item).where(Item.id.in_(kept)).values(current=False))
    if dropped:
        conn.execute(delete(Item).where(Item.id.in_(dropped)))
    return {
        "items": len(rows),
        "new": len(new),
        "updated": len(known),
        "kept": len(kept),
        "dropped": len(dropped),
    }


def _without_nul(value):
    """PostgreSQL text cannot hold NUL; U+FFFD takes its place, one character for one, so offsets hold."""
    if isinstance(value, str):
        return value.replace("\x00", "\ufffd")
    if isinstance(value, dict):
        return {k: _without_nul(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_without_nul(v) for v in value]
    return value


def _item_row(document_id: int, position: int, item: dict, version_id: int) -> dict:
    c = item["citation"]
    return {
        "id": item["id"],
        "document_id": document_id,
        "position": position,
        **{f: item.get(f) for f in MACHINE_FIELDS},
        "categories": item.get("categories") or [],
        "reasons": item.get("reasons") or [],
        "confidence": _confidence(item.get("categories")),
        "page": c.get("page"),
        "paragraph": c["paragraph"],
        "char_start": c["char_start"],
        "char_end": c["char_end"],
        "quote": c["quote"],
        "current": True,
        "model_version_id": version_id,
    }


def _confidence(categories: list | None) -> float | None:
    scores = [c["score"] for c in categories or [] if isinstance(c, dict) and c.get("score") is not None]
    return max(scores) if scores else None


# -- accounts -------------------------------------------------------------------------------------


def _user_dict(row) -> dict:
    return {
        "id": row.id,
        "name": row.name,
        "role": row.role,
        "active": row.active,
        "can_sign_in": row.password_hash is not None,
        "created_at": _iso(row.created_at),
    }


def _check_role(role: str) -> None:
    if role not in ROLES:
        raise InvalidChange(f"{role!r} 不是角色", f"请使用其中之一：{'、'.join(ROLES)}。")


def create_user(engine: Engine, name: str, role: str, password_hash: str) -> dict:
    """A new account; a name known only from the audit history becomes an account in place."""
    name = name.strip()
    if not name or len(name) > 200:
        raise InvalidChange("用户名须为 1 到 200 个字符", "请换一个名字。")
    _check_role(role)
    with engine.begin() as conn:
        row = conn.execute(select(User).where(User.name == name)).first()
        if row is not None and row.password_hash is not None:
            raise InvalidChange(f"用户 {name!r} 已存在", "请换一个名字。")
        values = {"role": role, "password_hash": password_hash, "active": True}
        if row is None:
            conn.execute(insert(User).values(name=name, created_at=now(), **values))
        else:
            conn.execute(update(User).where(User.id == row.id).values(**values))
        return _user_dict(conn.execute(select(User).where(User.name == name)).one())


def find_user(engine: Engine, name: str) -> dict | None:
    """The account and its password hash, for signing in."""
    with engine.connect() as conn:
        row = conn.execute(select(User).where(User.name == name.strip())).first()
    return {**_user_dict(row), "password_hash": row.password_hash} if row else None


def get_user(engine: Engine, user_id: int) -> dict | None:
    with engine.connect() as conn:
        row = conn.execute(select(User).where(User.id == user_id)).first()
    return _user_dict(row) if row else None


def list_users(engine: Engine) -> list[dict]:
    with engine.connect() as conn:
        return [_user_dict(r) for r in conn.execute(select(User).order_by(User.name))]


def update_user(
    engine: Engine,
    user_id: int,
    *,
    role: str | None = None,
    active: bool | None = None,
    password_hash: str | None = None,
) -> dict:
    """An admin changes an account's role, turns it off or on, or sets a new password."""
    values = {"role": role, "active": active, "password_hash": password_hash}
    values = {k: v for k, v in values.items() if v is not None}
    if role is not None:
        _check_role(role)
    with engine.begin() as conn:
        if conn.execute(select(User.id).where(User.id == user_id)).first() is None:
            raise NotFound(f"没有用户 #{user_id}", "请在用户列表中选择一个。")
        if values:
            conn.execute(update(User).where(User.id == user_id).values(**values))
        if password_hash is not None or active is False:  # a copied cookie must not outlive either
            conn.execute(delete(WebSession).where(WebSession.user_id == user_id))
        return _user_dict(conn.execute(select(User).where(User.id == user_id)).one())


def _token_id(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def start_session(engine: Engine, user_id: int, hours: int) -> str:
    """A new sign-in of ``user_id``; returns the token the cookie carries (the store keeps its hash)."""
    token = secrets.token_urlsafe(32)
    at = now()
    with engine.begin() as conn:
        conn.execute(delete(WebSession).where(WebSession.expires_at < at))  # expired ones, lazily
        conn.execute(
            insert(WebSession).values(
                id=_token_id(token), user_id=user_id, created_at=at, expires_at=at + timedelta(hours=hours)
            )
        )
    return token


def session_user(engine: Engine, token: str) -> dict | None:
    """The active account of a live session, or None (ended, expired, or its account turned off)."""
    query = (
        select(User)
        .join(WebSession, WebSession.user_id == User.id)
        .where(WebSession.id == _token_id(token), WebSession.expires_at > now(), User.active.is_(True))
    )
    with engine.connect() as conn:
        row = conn.execute(query).first()
    return _user_dict(row) if row else None


def end_session(engine: Engine, token: str) -> None:
    with engine.begin() as conn:
        conn.execute(delete(WebSession).where(WebSession.id == _token_id(token)))


def has_admin(engine: Engine) -> bool:
    """True once an active admin can sign in (``docanalyzer run`` makes one on first start)."""
    query = select(func.count()).where(
        User.role == "admin", User.active.is_(True), User.password_hash.is_not(None)
    )
    with engine.connect() as conn:
        return conn.execute(query).scalar_one() > 0


def _user_id(conn: Connection, name: str) -> int:
    found = conn.execute(select(User.id).where(User.name == name)).scalar()
    if found is not None:
        return found
    return conn.execute(insert(User).values(name=name, created_at=now())).inserted_primary_key[0]


# -- reviewing ------------------------------------------------------------------------------------


def _effective(row) -> dict:
    """The item as reviewers see it: their values over the machine's."""
    machine = {f: getattr(row, f) for f in MACHINE_FIELDS}
    return {**machine, **(row.edits or {}), "status": row.status}


def _item_dict(row) -> dict:
    values = _effective(row)
    return {
        "id": row.id,
        "document_id": row.document_id,
        **values,
        "citation": {
            "file": row.file_name,
            "sha256": row.sha256,
            "page": row.page,
            "paragraph": row.paragraph,
            "char_start": row.char_start,
            "char_end": row.char_end,
            "quote": row.quote,
        },
        "confidence": row.confidence,
        "version": row.version,
        "origin": row.origin,
        "parents": row.parents or [],
        "retired": row.retired,
        "reviewed": row.reviewed_at is not None,
        "current": row.current,
        "suggested": {f: getattr(row, f) for f in MACHINE_FIELDS if f in (row.edits or {})},
    }


def _items_query():
    return select(Item, Document.file_name, Document.sha256).join(Document, Document.id == Item.document_id)


def _read_item(conn: Connection, item_id: str) -> dict:
    row = conn.execute(_items_query().where(Item.id == item_id)).first()
    if row is None:
        raise NotFound(f"库中没有事项 {item_id!r}", "请检查事项编号。")
    return _item_dict(row)


def get_item(engine: Engine, item_id: str) -> dict:
    with engine.connect() as conn:
        return _read_item(conn, item_id)


def list_items(engine: Engine, document_id: int, include_retired: bool = False) -> list[dict]:
    """The document's items as a reviewer sees them, in document order; split or merged ones left out."""
    query = _items_query().where(Item.document_id == document_id)
    if not include_retired:
        query = query.where(Item.retired.is_(False))
    with engine.connect() as conn:
        return [_item_dict(r) for r in conn.execute(query.order_by(Item.position, Item.char_start, Item.id))]


def _effective_column(field: str):
    """A reviewer's value where there is one, else the machine's, in SQL (SQLite and PostgreSQL alike)."""
    return func.coalesce(Item.edits[field].as_string(), getattr(Item, field))


def review_queue(
    engine: Engine,
    *,
    document_id: int | None = None,
    category: str | None = None,
    kind: str | None = None,
    unit: str | None = None,
    status: str | None = None,
    max_confidence: float | None = None,
    limit: int = 100,
    offset: int = 0,
) -> dict:
    """Items of analysed documents to review, least certain (lowest top score) first, filtered.
    Returns ``{"total", "items"}``; ``unit`` matches any part of the responsible unit."""
    query = _items_query().where(Item.retired.is_(False), Document.status == "done")
    if document_id is not None:
        query = query.where(Item.document_id == document_id)
    if category:
        query = query.where(_effective_column("category") == category)
    if kind:
        query = query.where(_effective_column("kind") == kind)
    if unit:
        query = query.where(_effective_column("responsible_unit").contains(unit, autoescape=True))
    if status:
        query = query.where(Item.status == status)
    if max_confidence is not None:
        query = query.where(Item.confidence <= max_confidence)
    count = select(func.count()).select_from(query.subquery())
    ordered = query.order_by(
        Item.confidence.is_(None), Item.confidence, Item.document_id, Item.position, Item.id
    )
    with engine.connect() as conn:
        total = conn.execute(count).scalar_one()
        rows = conn.execute(ordered.limit(limit).offset(offset))
        return {"total": total, "items": [_item_dict(r) for r in rows]}


def review_documents(engine: Engine, review_status: str | None = None) -> list[dict]:
    """Analysed documents with their reviewers' progress: items, and how many are still pending."""
    if review_status and review_status not in REVIEW_STATUSES:
        raise InvalidChange(
            f"{review_status!r} 不是文件的审核状态", f"请使用其中之一：{'、'.join(REVIEW_STATUSES)}。"
        )
    query = select(Document).where(Document.status == "done").order_by(Document.id.desc())
    if review_status:
        query = query.where(Document.review_status == review_status)
    counts = (
        select(Item.document_id, Item.status, func.count())
        .where(Item.retired.is_(False))
        .group_by(Item.document_id, Item.status)
    )
    with engine.connect() as conn:
        documents = [_document_dict(r) for r in conn.execute(query)]
        tally: dict[int, dict[str, int]] = {}
        for document_id, item_status, n in conn.execute(counts):
            tally.setdefault(document_id, {})[item_status] = n
    for doc in documents:
        by_status = tally.get(doc["id"], {})
        doc["items"] = sum(by_status.values())
        doc.update({s: by_status.get(s, 0) for s in STATUSES})
    return documents


def document_text(engine: Engine, document_id: int) -> str:
    with engine.connect() as conn:
        text = conn.execute(select(Document.text).where(Document.id == document_id)).first()
    if text is None:
        raise NotFound(f"库中没有文件 #{document_id}", "请在文件列表中选择一个。")
    return text[0] or ""


def set_review_status(engine: Engine, document_id: int, review_status: str) -> dict:
    """A reviewer marks a document new, in review or done."""
    if review_status not in REVIEW_STATUSES:
        raise InvalidChange(
            f"{review_status!r} 不是文件的审核状态", f"请使用其中之一：{'、'.join(REVIEW_STATUSES)}。"
        )
    with engine.begin() as conn:
        changed = conn.execute(
            update(Document).where(Document.id == document_id).values(review_status=review_status)
        )
        if changed.rowcount == 0:
            raise NotFound(f"库中没有文件 #{document_id}", "请在文件列表中选择一个。")
    return get_document(engine, document_id)


class _Action:
    """One reviewer action, in one transaction: its audit rows share an id, every item it changes
    goes up one version (refused when the reviewer saw an older one), and its document is in review."""

    def __init__(self, conn: Connection, user: str):
        if not user.strip():
            raise InvalidChange("审核操作需要审核人的名字", "请给出做此修改的用户。")
        self.conn, self.at = conn, now()
        self.user_id = _user_id(conn, user.strip())
        self.id = secrets.token_hex(16)

    def load(self, item_id: str, version: int | None) -> Any:
        row = self.conn.execute(_items_query().where(Item.id == item_id)).first()
        if row is None:
            raise NotFound(f"库中没有事项 {item_id!r}", "请检查事项编号。")
        if row.retired:
            raise InvalidChange(
                f"事项 {item_id!r} 已被拆分、合并或撤回",
                "请重新载入文件后使用其中的事项。",
            )
        if version is not None and row.version != version:
            self.stale(row)
        return row

    def stale(self, row) -> None:
        current = _read_item(self.conn, row.id)
        raise StaleVersion(
            f"事项 {row.id!r} 已被他人修改（现为第 {current['version']} 版）",
            "请对比两个版本，在最新版本上重新保存。",
            current,
        )

    def change(self, row, values: dict, fields: list[tuple[str, str | None, str | None]]) -> None:
        """Write ``values`` on the item (only if nobody wrote it since ``row`` was read) and one audit
        row per (field, before, after)."""
        written = self.conn.execute(
            update(Item)
            .where(Item.id == row.id, Item.version == row.version)
            .values(**{"reviewed_at": self.at, **values}, version=row.version + 1)
        )
        if written.rowcount != 1:
            self.stale(row)
        prior = {
            "edits": row.edits or {},
            "status": row.status,
            "retired": row.retired,
            "reviewed_at": _iso(row.reviewed_at),
        }
        self.audit(row.id, fields, prior, row.version + 1)
        self.in_review(row.document_id)

    def confirm(self, row) -> None:
        """A change that changes nothing still checks, under the write lock, that nobody wrote the
        item since ``row`` was read: else it would answer with another reviewer's decision."""
        held = self.conn.execute(
            update(Item).where(Item.id == row.id, Item.version == row.version).values(version=row.version)
        )
        if held.rowcount != 1:
            self.stale(row)

    def audit(self, item_id: str, fields, prior: dict | None, version: int) -> None:
        for field, before, after in fields:
            self.conn.execute(
                insert(ItemReview).values(
                    item_id=item_id,
                    user_id=self.user_id,
                    at=self.at,
                    field=field,
                    before=before,
                    after=after,
                    action=self.id,
                    prior=prior,
                    item_version=version,
                )
            )

    def create(self, document_id: int, values: dict, field: str, before: str | None) -> str:
        """A reviewer's new item (added, split off or merged); returns its id."""
        sha = self.conn.execute(select(Document.sha256).where(Document.id == document_id)).scalar_one()
        item_id = f"{sha[:8]}-r{secrets.token_hex(8)}"
        self.conn.execute(
            insert(Item).values(
                id=item_id,
                document_id=document_id,
                current=True,
                edits={},
                reviewed_at=self.at,
                version=1,
                confidence=_confidence(values.get("categories")),
                **values,
            )
        )
        self.audit(item_id, [(field, before, values["text"])], None, 1)
        self.in_review(document_id)
        return item_id

    def in_review(self, document_id: int) -> None:
        self.conn.execute(
            update(Document)
            .where(Document.id == document_id, Document.review_status == "new")
            .values(review_status="in_review")
        )


def _clean(field: str, value) -> str | None:
    """A reviewer's value for ``field``, checked: one clear message for a value that cannot be stored."""
    if field not in REVIEWABLE:
        raise InvalidChange(f"字段 {field!r} 不可审核修改", f"请使用其中之一：{'、'.join(REVIEWABLE)}。")
    if value is not None and not isinstance(value, str):
        raise InvalidChange(f"{field!r} 的值须为文本", "请发送字符串或 null。")
    value = (value or "").strip() or None
    if field == "kind" and value not in KINDS:
        raise InvalidChange(f"{value!r} 不是事项类型", f"请使用其中之一：{'、'.join(KINDS)}。")
    if field == "status" and value not in STATUSES:
        raise InvalidChange(f"{value!r} 不是审核状态", f"请使用其中之一：{'、'.join(STATUSES)}。")
    if field in ("text", "category") and value is None:
        raise InvalidChange(f"事项的 {field} 不能为空", f"请为事项填写 {field}。")
    return value


def edit_item(engine: Engine, item_id: str, user: str, changes: dict, version: int | None = None) -> dict:
    """A reviewer sets fields of an item, as one action: each change is recorded with who, when,
    before and after. ``version``: the one the reviewer saw; a newer one refuses the change."""
    cleaned = {field: _clean(field, value) for field, value in changes.items()}
    with engine.begin() as conn:
        action = _Action(conn, user)
        row = action.load(item_id, version)
        current = _effective(row)
        changed = [(f, current[f], v) for f, v in cleaned.items() if current[f] != v]
        if changed:
            edits = {**(row.edits or {}), **{f: v for f, _, v in changed if f != "status"}}
            values = {"edits": edits}
            if "status" in cleaned:
                values["status"] = cleaned["status"]
            action.change(row, values, changed)
        else:
            action.confirm(row)
        return _read_item(conn, item_id)


def review_item(
    engine: Engine, item_id: str, user: str, field: str, value: str | None, version: int | None = None
) -> dict:
    """One field of an item set by a reviewer (accept and reject set ``status``)."""
    return edit_item(engine, item_id, user, {field: value}, version)


Ranker = Callable[[list[str]], list[dict]]


def _suggestions(rank: Ranker | None, texts: list[str]) -> list[dict]:
    """The classifier's category, ranked categories and reasons for new items' texts, when given one."""
    if rank is None:
        return [{"categories": [], "reasons": []} for _ in texts]
    return [
        {"category": r["category"], "categories": r["categories"], "reasons": r["reasons"]}
        for r in rank(texts)
    ]


def _citation(conn: Connection, document_id: int, start: int, end: int) -> dict:
    """Page, paragraph and quote of ``text[start:end]``, its ends trimmed of white space."""
    text = conn.execute(select(Document.text).where(Document.id == document_id)).scalar()
    if text is None:
        raise NotFound(f"库中没有带正文的文件 #{document_id}", "请在文件列表中选择一个。")
    if not (isinstance(start, int) and isinstance(end, int) and 0 <= start < end <= len(text)):
        raise InvalidChange(
            f"所选范围 {start}–{end} 不在文件正文之内（0–{len(text)}）",
            "请在文件中重新选择这段文字。",
        )
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    if start == end:
        raise InvalidChange("所选范围内没有文字", "请选中漏掉事项的文字。")
    block = conn.execute(
        select(Block.position, Block.page)
        .where(Block.document_id == document_id, Block.char_start <= start, Block.char_end > start)
        .limit(1)
    ).first()
    if block is None:
        raise InvalidChange("所选范围的起点不在文件的段落之内", "请在段落之内选择。")
    return {
        "page": block.page,
        "paragraph": block.position,
        "char_start": start,
        "char_end": end,
        "quote": text[start:end],
    }


def add_item(
    engine: Engine,
    document_id: int,
    user: str,
    char_start: int,
    char_end: int,
    kind: str = "problem",
    rank: Ranker | None = None,
) -> dict:
    """An item the extractor missed, from a selection of the document's text: its citation is the
    selection's (page from the blocks, paragraph, quote = text[start:end])."""
    kind = _clean("kind", kind)
    with engine.begin() as conn:
        citation = _citation(conn, document_id, char_start, char_end)
        before = conn.execute(
            select(func.max(Item.position)).where(
                Item.document_id == document_id, Item.char_start <= citation["char_start"]
            )
        ).scalar()
        action = _Action(conn, user)
        values = {
            "kind": kind,
            "text": citation["quote"],
            **_suggestions(rank, [citation["quote"]])[0],
            **citation,
            "position": before or 0,
            "origin": "added",
            "parents": [],
        }
        return _read_item(conn, action.create(document_id, values, "add", None))


def _inherited(row) -> dict:
    current = _effective(row)
    return {
        f: current[f] for f in ("kind", "category", "responsible_unit", "deadline", "measures", "heading")
    }


def split_item(
    engine: Engine,
    item_id: str,
    user: str,
    offset: int,
    version: int | None = None,
    rank: Ranker | None = None,
) -> list[dict]:
    """Split an item into two at ``offset`` characters into its quote; both parts keep its fields."""
    with engine.begin() as conn:
        action = _Action(conn, user)
        row = action.load(item_id, version)
        if not (isinstance(offset, int) and 0 < offset < len(row.quote)):
            raise InvalidChange(
                f"拆分位置须在引文之内（1–{len(row.quote) - 1}），而不是 {offset}",
                "请把光标放在第二个事项开始的地方。",
            )
        cut = row.char_start + offset
        parts = [
            _citation(conn, row.document_id, row.char_start, cut),
            _citation(conn, row.document_id, cut, row.char_end),
        ]
        suggestions = _suggestions(rank, [p["quote"] for p in parts])
        new_ids = [
            action.create(
                row.document_id,
                {
                    **_inherited(row),
                    "categories": s["categories"],
                    "reasons": s["reasons"],
                    **part,
                    "text": part["quote"],
                    "position": row.position,
                    "origin": "split",
                    "parents": [row.id],
                    "category": _inherited(row)["category"] or s.get("category"),
                },
                "split",
                row.id,
            )
            for part, s in zip(parts, suggestions, strict=True)
        ]
        action.change(row, {"retired": True}, [("split", None, "、".join(new_ids))])
        return [_read_item(conn, i) for i in new_ids]


def merge_items(
    engine: Engine,
    item_ids: list[str],
    user: str,
    versions: list[int | None] | None = None,
    rank: Ranker | None = None,
) -> dict:
    """Merge two items of one document into one: texts joined in document order, the citation from
    the first one's start to the last one's end, unit and deadline the first that has them."""
    if len(item_ids) != 2 or item_ids[0] == item_ids[1]:
        raise InvalidChange("合并需要两个不同的事项", "请选择要合并的两个事项。")
    versions = versions or [None, None]
    with engine.begin() as conn:
        action = _Action(conn, user)
        rows = [action.load(i, v) for i, v in zip(item_ids, versions, strict=True)]
        if rows[0].document_id != rows[1].document_id:
            raise InvalidChange("只能合并同一文件中的事项", "请选择本文件中的两个事项。")
        rows.sort(key=lambda r: (r.char_start, r.char_end))
        first, last = rows
        citation = _citation(conn, first.document_id, first.char_start, max(first.char_end, last.char_end))
        texts = [_effective(r)["text"] for r in rows]
        text = texts[0] + ("" if texts[0].endswith(("。", "；", ";", ".")) else "；") + texts[1]
        inherited = [_inherited(r) for r in rows]
        values = {
            **{f: inherited[0][f] or inherited[1][f] for f in inherited[0]},
            **_suggestions(rank, [text])[0],
            **citation,
            "category": inherited[0]["category"],
            "text": text,
            "position": first.position,
            "origin": "merged",
            "parents": [r.id for r in rows],
        }
        new_id = action.create(first.document_id, values, "merge", "、".join(r.id for r in rows))
        for r in rows:
            action.change(r, {"retired": True}, [("merge", None, new_id)])
        return _read_item(conn, new_id)


def undo_last(engine: Engine, user: str) -> dict:
    """Undo the user's last action not yet undone: each item it touched goes back to its state
    before, items it made are withdrawn. Refused when someone changed one of them since.
    Returns ``{"action", "fields", "items"}`` (the items as they now stand)."""
    with engine.begin() as conn:
        user_id = conn.execute(select(User.id).where(User.name == user.strip())).scalar()
        last = conn.execute(
            select(ItemReview.action)
            .where(
                ItemReview.user_id == user_id,
                ItemReview.action.is_not(None),
                ItemReview.undone.is_(False),
                ItemReview.field != "undo",
            )
            .order_by(ItemReview.id.desc())
            .limit(1)
        ).scalar()
        if last is None:
            raise NotFound("没有可撤销的您的操作", "撤销只适用于您自己的修改。")
        rows = conn.execute(select(ItemReview).where(ItemReview.action == last).order_by(ItemReview.id)).all()
        touched: dict[str, tuple[dict | None, int]] = {}
        for r in rows:  # the first row of an item holds its state before the action, the last its version
            prior = touched[r.item_id][0] if r.item_id in touched else r.prior
            touched[r.item_id] = (prior, r.id)
        action = _Action(conn, user)
        for item_id, (prior, last_row) in touched.items():
            row = conn.execute(_items_query().where(Item.id == item_id)).one()
            if not _unchanged_since(conn, row, last_row):
                action.stale(row)
            if prior is None:
                values = {"retired": True}
            else:
                reviewed = prior["reviewed_at"]  # none: untouched again, so re-analysis may drop it
                values = {
                    "edits": prior["edits"],
                    "status": prior["status"],
                    "retired": prior["retired"],
                    "reviewed_at": datetime.fromisoformat(reviewed) if reviewed else None,
                }
            action.change(
                row, values, [("undo", ", ".join(r.field for r in rows if r.item_id == item_id), None)]
            )
        conn.execute(update(ItemReview).where(ItemReview.action == last).values(undone=True))
        return {
            "action": last,
            "fields": sorted({r.field for r in rows}),
            "items": [_read_item(conn, i) for i in touched],
        }


def list_blocks(engine: Engine, document_id: int) -> list[dict]:
    query = select(Block).where(Block.document_id == document_id).order_by(Block.position)
    with engine.connect() as conn:
        return [
            {"position": r.position, **{f: getattr(r, f) for f in BLOCK_FIELDS}, "cells": r.cells}
            for r in conn.execute(query)
        ]


def _unchanged_since(conn: Connection, row, review_id: int) -> bool:
    """True when the item is as audit row ``review_id`` left it: every later change was undone
    (an undo restores the state before the change it undoes) and the version is the last recorded."""
    later = conn.execute(
        select(ItemReview.field, ItemReview.undone, ItemReview.item_version)
        .where(ItemReview.item_id == row.id, ItemReview.id >= review_id)
        .order_by(ItemReview.id)
    ).all()
    live = [r for r in later[1:] if not r.undone and r.field != "undo"]
    return not live and row.version == later[-1].item_version


def reviews(engine: Engine, item_id: str) -> list[dict]:
    """The item's audit history, oldest first."""
    query = (
        select(ItemReview, User.name).join(User).where(ItemReview.item_id == item_id).order_by(ItemReview.id)
    )
    with engine.connect() as conn:
        return [
            {
                "user": r.name,
                "at": _iso(r.at),
                "field": r.field,
                "before": r.before,
                "after": r.after,
                "undone": r.undone,
            }
            for r in conn.execute(query)
        ]


def ledger(engine: Engine, document_id: int | None = None) -> list[dict]:
    """The reviewed ledger: every item not rejected, split or merged, reviewers' values applied."""
    query = _items_query().where(
        Item.retired.is_(False), Item.status != "rejected", Document.status == "done"
    )
    if document_id is not None:
        query = query.where(Item.document_id == document_id)
    with engine.connect() as conn:
        rows = conn.execute(query.order_by(Item.document_id, Item.position, Item.char_start, Item.id))
        return [_item_dict(r) for r in rows]
