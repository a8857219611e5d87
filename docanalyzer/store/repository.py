"""What the rest of the package asks of the store. Every function takes an engine and plain
data, runs in one transaction, and returns plain data (dicts of str, int, None, lists).

The ingest journal is ``documents.status`` (claimed → done | failed) plus ``arrivals`` (each file
that came in and where it must go). ``complete`` writes the items and 'done' in one
transaction, so a document is in the store with all of its items or not at all.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import Connection, Engine, bindparam, delete, func, insert, select, update

from docanalyzer.store import StoreError
from docanalyzer.store.models import Arrival, Block, Document, Item, ItemReview, ModelVersion, User, now

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
STATUSES = ("candidate", "accepted", "rejected")
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
    }


def find_document(engine: Engine, sha256: str) -> dict | None:
    with engine.connect() as conn:
        row = conn.execute(select(Document).where(Document.sha256 == sha256)).first()
    return _document_dict(row) if row else None


def get_document(engine: Engine, document_id: int) -> dict:
    with engine.connect() as conn:
        row = conn.execute(select(Document).where(Document.id == document_id)).first()
    if row is None:
        raise StoreError(f"no document #{document_id} in the store", "List the documents and pick one.")
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

    Returns ``{"document_id", "arrival_id"}``; a document already done cannot be claimed.
    """
    with engine.begin() as conn:
        row = conn.execute(select(Document.id, Document.status).where(Document.sha256 == sha256)).first()
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
            raise StoreError(f"document {sha256[:12]} is already done", "Record the file as a duplicate.")
        else:
            document_id = row.id
            conn.execute(
                update(Document)
                .where(Document.id == document_id)
                .values(status="claimed", attempts=Document.attempts + 1, claimed_at=now())
            )
        arrival_id = _arrival(conn, document_id, name, source_path, "claimed", None)
    return {"document_id": document_id, "arrival_id": arrival_id}


def _arrival(conn: Connection, document_id: int, name: str, source: str, outcome: str, dest) -> int:
    return conn.execute(
        insert(Arrival).values(
            document_id=document_id,
            name=name,
            source_path=source,
            outcome=outcome,
            destination=dest,
            moved=False,
            at=now(),
        )
    ).inserted_primary_key[0]


def record_duplicate(engine: Engine, document_id: int, name: str, source_path: str, destination: str) -> int:
    """A file whose bytes the store already holds; returns the arrival to finish by moving it."""
    with engine.begin() as conn:
        return _arrival(conn, document_id, name, source_path, "duplicate", destination)


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


def unfinished_moves(engine: Engine) -> list[dict]:
    """Arrivals whose outcome is committed but whose file has not reached its destination yet."""
    query = (
        select(Arrival, Document.sha256)
        .join(Document, Document.id == Arrival.document_id)
        .where(Arrival.moved.is_(False), Arrival.outcome != "claimed")
        .order_by(Arrival.id)
    )
    with engine.connect() as conn:
        return [
            {
                "arrival_id": r.id,
                "document_id": r.document_id,
                "sha256": r.sha256,
                "name": r.name,
                "source_path": r.source_path,
                "outcome": r.outcome,
                "destination": r.destination,
            }
            for r in conn.execute(query)
        ]


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
            {
                "id": r.id,
                "document_id": r.document_id,
                "name": r.name,
                "source_path": r.source_path,
                "outcome": r.outcome,
                "destination": r.destination,
                "moved": r.moved,
                "at": _iso(r.at),
            }
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

    existing = dict(
        conn.execute(select(Item.id, Item.reviewed_at).where(Item.document_id == document_id)).all()
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
        "page": c.get("page"),
        "paragraph": c["paragraph"],
        "char_start": c["char_start"],
        "char_end": c["char_end"],
        "quote": c["quote"],
        "current": True,
        "model_version_id": version_id,
    }


def _user_id(conn: Connection, name: str) -> int:
    found = conn.execute(select(User.id).where(User.name == name)).scalar()
    if found is not None:
        return found
    return conn.execute(insert(User).values(name=name, created_at=now())).inserted_primary_key[0]


def review_item(engine: Engine, item_id: str, user: str, field: str, value: str | None) -> dict:
    """A reviewer sets one field of an item; the change is recorded with who, when, before and after."""
    if field not in REVIEWABLE:
        raise StoreError(f"the field {field!r} cannot be reviewed", f"Use one of: {', '.join(REVIEWABLE)}.")
    if field == "kind" and value not in KINDS:
        raise StoreError(f"{value!r} is not an item kind", f"Use one of: {', '.join(KINDS)}.")
    if field == "status" and value not in STATUSES:
        raise StoreError(f"{value!r} is not a review status", f"Use one of: {', '.join(STATUSES)}.")
    if not user.strip():
        raise StoreError("a review needs the reviewer's name", "Give the user who made the change.")
    with engine.begin() as conn:
        row = conn.execute(select(Item).where(Item.id == item_id)).first()
        if row is None:
            raise StoreError(f"no item {item_id!r} in the store", "Check the item id.")
        before = _effective(row)[field]
        edits = {**(row.edits or {}), field: value}
        at = now()
        conn.execute(update(Item).where(Item.id == item_id).values(edits=edits, reviewed_at=at))
        conn.execute(
            insert(ItemReview).values(
                item_id=item_id,
                user_id=_user_id(conn, user.strip()),
                at=at,
                field=field,
                before=before,
                after=value,
            )
        )
        return _item_dict(
            conn.execute(
                select(Item, Document.file_name, Document.sha256).join(Document).where(Item.id == item_id)
            ).one()
        )


def _effective(row) -> dict:
    machine = {f: getattr(row, f) for f in MACHINE_FIELDS}
    machine["status"] = "candidate"
    return {**machine, **(row.edits or {})}


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
        "reviewed": row.reviewed_at is not None,
        "current": row.current,
        "suggested": {f: getattr(row, f) for f in MACHINE_FIELDS if f in (row.edits or {})},
    }


def list_items(engine: Engine, document_id: int) -> list[dict]:
    """The document's items as a reviewer sees them: reviewers' values over the machine's."""
    query = (
        select(Item, Document.file_name, Document.sha256)
        .join(Document)
        .where(Item.document_id == document_id)
        .order_by(Item.position, Item.id)
    )
    with engine.connect() as conn:
        return [_item_dict(r) for r in conn.execute(query)]


def list_blocks(engine: Engine, document_id: int) -> list[dict]:
    query = select(Block).where(Block.document_id == document_id).order_by(Block.position)
    with engine.connect() as conn:
        return [
            {"position": r.position, **{f: getattr(r, f) for f in BLOCK_FIELDS}, "cells": r.cells}
            for r in conn.execute(query)
        ]


def reviews(engine: Engine, item_id: str) -> list[dict]:
    query = (
        select(ItemReview, User.name).join(User).where(ItemReview.item_id == item_id).order_by(ItemReview.id)
    )
    with engine.connect() as conn:
        return [
            {"user": r.name, "at": _iso(r.at), "field": r.field, "before": r.before, "after": r.after}
            for r in conn.execute(query)
        ]
