"""Taking files in: the inbox watcher and batch ingest, both on one crash-safe pipeline.

``files`` decides when a dropped file is complete and moves files without ever deleting one;
``pool`` runs each analysis in a worker process under a time and a memory limit;
``service`` keeps the journal in the store and drives both faces.
"""

from __future__ import annotations

from docanalyzer.errors import DocanalyzerError


class IngestError(DocanalyzerError):
    """The watcher or ingest cannot run (a folder, a lock, worker processes that cannot start)."""

    code = "E500"


class TimeLimit(IngestError):
    code = "E501"


class MemoryLimit(IngestError):
    code = "E502"


class WorkerDied(IngestError):
    code = "E503"


class InternalError(IngestError):
    code = "E504"
