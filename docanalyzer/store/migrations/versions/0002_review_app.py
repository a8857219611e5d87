"""The review app: accounts with roles, item status, versions and origins, undoable review actions.

An item's review status moves out of ``edits`` into a column of its own (``candidate`` becomes
``pending``), and each item gets its top category score, so that queues filter and sort in SQL.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-27
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

items = sa.table(
    "items",
    sa.column("id", sa.String),
    sa.column("categories", sa.JSON),
    sa.column("edits", sa.JSON),
    sa.column("status", sa.String),
    sa.column("confidence", sa.Float),
)


def upgrade() -> None:
    with op.batch_alter_table("users") as batch:
        batch.add_column(sa.Column("password_hash", sa.String(length=255), nullable=True))
        batch.add_column(sa.Column("role", sa.String(length=16), server_default="viewer", nullable=False))
        batch.add_column(sa.Column("active", sa.Boolean(), server_default=sa.true(), nullable=False))
    with op.batch_alter_table("documents") as batch:
        batch.add_column(
            sa.Column("review_status", sa.String(length=16), server_default="new", nullable=False)
        )
        batch.create_index(batch.f("ix_documents_review_status"), ["review_status"])
    with op.batch_alter_table("items") as batch:
        batch.add_column(sa.Column("confidence", sa.Float(), nullable=True))
        batch.add_column(sa.Column("status", sa.String(length=16), server_default="pending", nullable=False))
        batch.add_column(sa.Column("version", sa.Integer(), server_default="1", nullable=False))
        batch.add_column(sa.Column("origin", sa.String(length=16), server_default="machine", nullable=False))
        batch.add_column(sa.Column("parents", sa.JSON(), server_default=sa.text("'[]'"), nullable=False))
        batch.add_column(sa.Column("retired", sa.Boolean(), server_default=sa.false(), nullable=False))
        batch.create_index(batch.f("ix_items_status"), ["status"])
    with op.batch_alter_table("item_reviews") as batch:
        batch.add_column(sa.Column("action", sa.String(length=32), nullable=True))
        batch.add_column(sa.Column("prior", sa.JSON(), nullable=True))
        batch.add_column(sa.Column("item_version", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("undone", sa.Boolean(), server_default=sa.false(), nullable=False))
        batch.create_index(batch.f("ix_item_reviews_action"), ["action"])
    move_status_out_of_edits()


def move_status_out_of_edits() -> None:
    connection = op.get_bind()
    for row in connection.execute(sa.select(items.c.id, items.c.categories, items.c.edits)).all():
        edits = dict(row.edits or {})
        status = edits.pop("status", None)
        scores = [c.get("score") for c in row.categories or [] if isinstance(c, dict)]
        connection.execute(
            sa.update(items)
            .where(items.c.id == row.id)
            .values(
                edits=edits,
                status="pending" if status in (None, "candidate") else status,
                confidence=max(scores) if scores else None,
            )
        )


def downgrade() -> None:
    with op.batch_alter_table("item_reviews") as batch:
        batch.drop_index(batch.f("ix_item_reviews_action"))
        for column in ("undone", "item_version", "prior", "action"):
            batch.drop_column(column)
    with op.batch_alter_table("items") as batch:
        batch.drop_index(batch.f("ix_items_status"))
        for column in ("retired", "parents", "origin", "version", "status", "confidence"):
            batch.drop_column(column)
    with op.batch_alter_table("documents") as batch:
        batch.drop_index(batch.f("ix_documents_review_status"))
        batch.drop_column("review_status")
    with op.batch_alter_table("users") as batch:
        for column in ("active", "role", "password_hash"):
            batch.drop_column(column)
