"""The store: documents, blocks, items and the reviews of them, in SQLite or PostgreSQL.

``db`` opens the database and runs the shipped Alembic migrations; ``models``
declares the tables; ``repository`` holds the functions the rest of the
package calls, which take and return plain data (dicts), never ORM objects.
"""

from __future__ import annotations

from docanalyzer.errors import DocanalyzerError


class StoreError(DocanalyzerError):
    """The database cannot be opened, migrated or written."""

    code = "E400"


class NotFound(StoreError):
    """A document, item or user that the store does not hold."""

    code = "E401"


class StaleVersion(StoreError):
    """A change made on an older copy of an item: refused, with the item as it now stands."""

    code = "E402"

    def __init__(self, what: str, fix: str, current: dict):
        super().__init__(what, fix)
        self.current = current
        self.yours: dict | None = None  # the refused change, where the caller knows it


class InvalidChange(StoreError):
    """A reviewer's change that cannot be applied as asked (bad field, value or offsets)."""

    code = "E403"
