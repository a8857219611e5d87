"""The review web app: reviewers correct the items beside their source, and every change is kept.

``app.create_app`` builds the FastAPI application: server-rendered pages in Simplified Chinese
(``pages``), the same operations as a JSON API under ``/api`` (``api``), sign-in, roles and CSRF
(``auth``), and the stored source files and PDF page images served by document id (``source``).
``server`` runs it under Uvicorn, alone or beside the inbox watcher.
"""
