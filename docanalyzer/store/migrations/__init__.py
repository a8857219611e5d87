"""Alembic migrations of the store, run by ``docanalyzer db upgrade`` and at start-up."""
