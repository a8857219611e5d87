"""Taking files in: the inbox watcher and batch ingest, both on one crash-safe pipeline.

``files`` decides when a dropped file is complete and moves files without ever deleting one;
``pool`` runs each analysis in a worker process under a time and a memory limit;
``service`` keeps the journal in the store and drives both faces.
"""

from __future__ import annotations

from pathlib import Path

from docanalyzer.errors import DocanalyzerError, InputError


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


class Refused(InputError):
    """A link, a path through a linked folder, or no regular file: never read, so that nothing
    outside the inbox reaches the store through it. ``entry`` is what to move aside: the link itself."""

    code = "E505"

    def __init__(self, what: str, entry: Path):
        super().__init__(what, "请把文件本身（而不是指向它的链接）放入收件箱。", entry.name)
        self.entry = entry


class StillChanging(InputError):
    """The file changed while it was copied into the store: its copy is dropped, not claimed."""

    code = "E506"

    def __init__(self, file: str):
        super().__init__("复制进库时文件仍在变化", "请等文件写完后再导入。", file)
