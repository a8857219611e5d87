"""A worker process: analyses one stored file at a time, under a memory limit.

Started by the pool as ``python -m docanalyzer.ingest.worker READ_FD WRITE_FD MEMORY_MB``: a plain
subprocess rather than multiprocessing, so that no ``__main__`` of the parent is re-run. It talks
to the parent over two pipes in plain data; the parent enforces the time limit by killing it.
"""

from __future__ import annotations

import contextlib
import ctypes
import hashlib
import os
import resource
import signal
import sys
import tempfile
import traceback
from multiprocessing.connection import Connection
from pathlib import Path

WARM_UP_TEXT = (
    "关于整改工作的报告\n一、存在的问题\n（一）理论学习不够深入，学习流于形式。\n二、整改措施\n要加强学习。\n"
)


def die_with_parent() -> None:
    """Linux: the kernel kills this worker if the watcher dies, even by kill -9."""
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG


def limit_memory(megabytes: int) -> None:
    if megabytes > 0:
        limit = megabytes * 1024 * 1024
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))


def model_version() -> str:
    """Which code and which classifier produce this worker's suggestions."""
    from docanalyzer import __version__, config

    weights = Path(str(config.get("model_dir"))) / "weights.npz"
    digest = hashlib.sha256(weights.read_bytes()).hexdigest()[:12] if weights.is_file() else "none"
    return f"docanalyzer {__version__}; classifier {digest}"


def warm_up() -> None:
    """Load readers, language pipeline and classifier now, so that a document's time limit
    measures the document alone."""
    import docanalyzer.readers.docx
    import docanalyzer.readers.pdf  # noqa: F401
    from docanalyzer.pipeline import analyze

    with tempfile.TemporaryDirectory(prefix="docanalyzer-") as tmp:
        sample = Path(tmp) / "warm-up.txt"
        sample.write_text(WARM_UP_TEXT, encoding="utf-8")
        analyze(sample)


def failure(error) -> dict:
    return {"message": error.message, "what": error.what, "fix": error.fix}


def analyse(task: dict, memory_mb: int) -> tuple:
    """("ok", analysis) or ("error", failure) for one task {"path", "name"}."""
    from docanalyzer.errors import DocanalyzerError
    from docanalyzer.ingest import InternalError, MemoryLimit
    from docanalyzer.pipeline import analyze

    name = task["name"]
    over = MemoryLimit(
        f"分析它所需的内存超过了工作进程 {memory_mb} MB 的上限",
        "如果文件本身没有问题，请调高 DOCANALYZER_MEMORY_LIMIT_MB 后重新导入。",
        name,
    )
    with tempfile.TemporaryDirectory(prefix="docanalyzer-") as tmp:
        link = Path(tmp) / name  # the stored copy under the name the user gave it
        link.symlink_to(Path(task["path"]).resolve())
        try:
            result = analyze(link)
        except DocanalyzerError as e:
            return ("error", failure(over if isinstance(e.__cause__, MemoryError) else e))
        except MemoryError:
            return ("error", failure(over))
        except Exception as e:  # a bug, not the file's fault: say so, and keep the trace in the log
            traceback.print_exc()
            bug = InternalError(
                f"分析时出现内部错误（{type(e).__name__}: {str(e)[:160]}）",
                "这是 docanalyzer 的程序缺陷，请连同该文件报告（详见 DATA_DIR/logs/workers.log）。",
                name,
            )
            return ("error", failure(bug))
    return ("ok", {"document": result.document.to_dict(), "items": [i.to_dict() for i in result.items]})


def main(argv: list[str]) -> None:
    read_fd, write_fd, memory_mb = (int(a) for a in argv)
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the watcher's to handle
    die_with_parent()
    inbox, outbox = Connection(read_fd, writable=False), Connection(write_fd, readable=False)
    limit_memory(memory_mb)
    warm_up()
    outbox.send(("ready", os.getpid(), model_version()))
    while True:
        try:
            task = inbox.recv()
        except EOFError:  # the watcher closed the pipe: time to go
            return
        outbox.send(analyse(task, memory_mb))


if __name__ == "__main__":
    main(sys.argv[1:])
