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
