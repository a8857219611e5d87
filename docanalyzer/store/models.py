"""The tables. Machine output and human decisions live in separate columns of an item:
the ``*`` suggestion columns are rewritten by every analysis, ``edits`` only by reviewers."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import (
    JSON,
    BigInteger,
    DateTime,
    Float,
    ForeignKey,
    Integer,
    MetaData,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.sql import false, true
from sqlalchemy.sql import text as sql_text


def now() -> datetime:
    return datetime.now(UTC)


class Base(DeclarativeBase):
    # named constraints, so that later migrations can alter them on SQLite too
    metadata = MetaData(
        naming_convention={
            "ix": "ix_%(column_0_label)s",
            "uq": "uq_%(table_name)s_%(column_0_name)s",
            "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
            "pk": "pk_%(table_name)s",
        }
    )


class User(Base):
    """A person who signs in to the review app (``password_hash`` empty: a name in the audit only)."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=now)
    password_hash: Mapped[str | None] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(16), default="viewer", server_default="viewer")
    active: Mapped[bool] = mapped_column(default=True, server_default=true())


class WebSession(Base):
    """A sign-in to the review app. The cookie carries a random token; the store keeps only its
    sha256, so that sign-out, a new password or a disabled account end the session on the server."""

    __tablename__ = "web_sessions"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)  # sha256 of the cookie's token
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=now)
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class ModelVersion(Base):
    """What produced a document's machine suggestions: the package and classifier versions."""

    __tablename__ = "model_versions"
    __table_args__ = (UniqueConstraint("version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    version: Mapped[str] = mapped_column(String(300))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=now)


class Document(Base):
    """One source file's content, by sha256; ``status`` is the ingest journal: claimed → done | failed."""

    __tablename__ = "documents"

    id: Mapped[int] = mapped_column(primary_key=True)
    sha256: Mapped[str] = mapped_column(String(64), unique=True)
    file_name: Mapped[str] = mapped_column(String(500))
    size: Mapped[int] = mapped_column(BigInteger)
    stored_path: Mapped[str] = mapped_column(String(500))  # relative to the data directory
    status: Mapped[str] = mapped_column(String(16), index=True)
    error: Mapped[str | None] = mapped_column(Text)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    format: Mapped[str | None] = mapped_column(String(16))
    title: Mapped[str | None] = mapped_column(Text)
    issuer: Mapped[str | None] = mapped_column(Text)
    date: Mapped[str | None] = mapped_column(String(32))
    doc_type: Mapped[str | None] = mapped_column(String(32))
    pages: Mapped[int | None] = mapped_column(Integer)
    text: Mapped[str | None] = mapped_column(Text)
    model_version_id: Mapped[int | None] = mapped_column(ForeignKey("model_versions.id"))
    claimed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=now)
    analysed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # the reviewers' progress: new → in_review (first change) → done (a reviewer says so)
    review_status: Mapped[str] = mapped_column(String(16), default="new", server_default="new", index=True)


class Arrival(Base):
    """One file that arrived (the first copy, a duplicate, a retry) and where it must go.

    ``moved`` turns true only once the file is at ``destination``: on restart, every arrival
    not yet moved is finished, so a crash between the commit and the move loses nothing.
    """

    __tablename__ = "arrivals"

    id: Mapped[int] = mapped_column(primary_key=True)
    document_id: Mapped[int] = mapped_column(ForeignKey("documents.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(500))
    source_path: Mapped[str] = mapped_column(Text)
    outcome: Mapped[str] = mapped_column(String(16))  # claimed | analysed | failed | duplicate
    destination: Mapped[str | None] = mapped_column(Text)
    moved: Mapped[bool] = mapped_column(default=False)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=now)


class Block(Base):
    __tablename__ = "blocks"
    __table_args__ = (UniqueConstraint("document_id", "position"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    document_id: Mapped[int] = mapped_column(ForeignKey("documents.id", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column(Integer)  # the citation's ``paragraph``
    kind: Mapped[str] = mapped_column(String(16))
    text: Mapped[str] = mapped_column(Text)
    char_start: Mapped[int] = mapped_column(Integer)
    char_end: Mapped[int] = mapped_column(Integer)
    page: Mapped[int | None] = mapped_column(Integer)
    level: Mapped[int | None] = mapped_column(Integer)
    numbering: Mapped[str | None] = mapped_column(Text)
    style: Mapped[str | None] = mapped_column(String(200))
    cells: Mapped[list] = mapped_column(JSON, default=list)


class Item(Base):
    """A rectification item; ``id`` is the extractor's, stable for the same text of the same document.

    Items a reviewer made (``origin`` added, split or merged) have ids of their own that no analysis
    produces, and their suggestion columns hold the values they were made with."""

    __tablename__ = "items"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    document_id: Mapped[int] = mapped_column(ForeignKey("documents.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    # machine suggestions, replaced by each analysis
    kind: Mapped[str] = mapped_column(String(16))
    text: Mapped[str] = mapped_column(Text)
    category: Mapped[str | None] = mapped_column(String(64))
    categories: Mapped[list] = mapped_column(JSON, default=list)
    reasons: Mapped[list] = mapped_column(JSON, default=list)
    responsible_unit: Mapped[str | None] = mapped_column(Text)
    deadline: Mapped[str | None] = mapped_column(Text)  # a cell's own words may run long
    measures: Mapped[str | None] = mapped_column(Text)
    heading: Mapped[str | None] = mapped_column(Text)
    page: Mapped[int | None] = mapped_column(Integer)
    paragraph: Mapped[int] = mapped_column(Integer)
    char_start: Mapped[int] = mapped_column(Integer)
    char_end: Mapped[int] = mapped_column(Integer)
    quote: Mapped[str] = mapped_column(Text)
    # false once an analysis no longer finds an item a reviewer touched (kept, never dropped)
    current: Mapped[bool] = mapped_column(default=True)
    model_version_id: Mapped[int | None] = mapped_column(ForeignKey("model_versions.id"))
    confidence: Mapped[float | None] = mapped_column(Float)  # the top category score: low first in review
    # human decisions: field -> value, written only by reviews
    edits: Mapped[dict] = mapped_column(JSON, default=dict)
    reviewed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    status: Mapped[str] = mapped_column(String(16), default="pending", server_default="pending", index=True)
    # raised by every change, so that a save made on an older copy is refused, not applied over it
    version: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    origin: Mapped[str] = mapped_column(String(16), default="machine", server_default="machine")
    parents: Mapped[list] = mapped_column(JSON, default=list, server_default=sql_text("'[]'"))
    # true once a split, a merge or an undo took the item out of the ledger; kept for its history
    retired: Mapped[bool] = mapped_column(default=False, server_default=false())


class ItemReview(Base):
    """Who changed which field of an item, when, from what to what.

    The rows of one reviewer action share ``action``; ``prior`` holds the item's reviewer state
    before it (null for an item the action created) and ``item_version`` its version after, so that
    undo restores exactly that state, and only while nobody has changed the item since."""

    __tablename__ = "item_reviews"

    id: Mapped[int] = mapped_column(primary_key=True)
    item_id: Mapped[str] = mapped_column(ForeignKey("items.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=now)
    field: Mapped[str] = mapped_column(String(32))
    before: Mapped[str | None] = mapped_column(Text)
    after: Mapped[str | None] = mapped_column(Text)
    action: Mapped[str | None] = mapped_column(String(32), index=True)
    prior: Mapped[dict | None] = mapped_column(JSON)
    item_version: Mapped[int | None] = mapped_column(Integer)
    undone: Mapped[bool] = mapped_column(default=False, server_default=false())
