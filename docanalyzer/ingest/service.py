"""The ingest pipeline and its journal: every file is processed exactly once, whatever happens.

For each file: store a copy by sha256 and commit a 'claimed' row (the journal), analyse the
copy in a worker, commit the items and 'done' (or 'failed') together with where the file must
go, and move the inbox file last. A restart first finishes the moves the store records as not
done, then queues again the documents still claimed: after ``kill -9`` at any moment nothing is
lost, nothing analysed twice into the store, and nothing deleted.
"""

from __future__ import annotations

import fcntl
import os
import queue
import signal
import time
from collections import deque
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from sqlalchemy.exc import SQLAlchemyError

from docanalyzer.errors import InputError
from docanalyzer.ingest import IngestError, Refused, StillChanging
from docanalyzer.ingest.files import (
    Tracker,
    candidates,
    free_name,
    holds,
    ignored,
    move,
    signature,
    store_copy,
    write_note,
)
from docanalyzer.ingest.pool import Outcome, Pool
from docanalyzer.ingest.progress import Reporter
from docanalyzer.readers import READERS
from docanalyzer.store import StoreError, repository

TICK_S = 0.2


@dataclass
class Options:
    data_dir: Path
    workers: int
    time_limit: float
    memory_mb: int
    leave_in_place: bool = False


class Ingestor:
    """Takes files, runs them through the pool and settles each one in the store and on disk."""

    def __init__(self, engine, options: Options, reporter: Reporter):
        self.engine, self.options, self.reporter = engine, options, reporter
        self.data_dir = options.data_dir
        self.pool = Pool(
            options.workers, options.time_limit, options.memory_mb, self.data_dir / "logs" / "workers.log"
        )
        self.queue: deque[dict] = deque()  # claimed tasks waiting for a worker
        self.in_flight: dict[str, dict] = {}  # sha256 -> task, queued or in a worker
        self.paths: set[Path] = set()  # inbox paths of those tasks
        self.settled: dict[Path, tuple[int, int]] = {}  # files left in place, already dealt with
        self.stop_requested = self._stops_reported = 0
        self.started = self.ready_reported = False
        self.backlog = 2 * options.workers  # claimed files waiting for a worker, at most
        self._lock_file = None

    # -- life cycle -------------------------------------------------------------------------

    def lock(self) -> None:
        """One watcher or ingest per data directory: two would claim each other's files."""
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self._lock_file = open(self.data_dir / ".lock", "a+")  # noqa: SIM115 (held for the process's life)
        try:
            fcntl.flock(self._lock_file, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError as e:
            self._lock_file.seek(0)
            holder = self._lock_file.read().strip()
            raise IngestError(
                f"数据目录 {self.data_dir} 正被另一个进程占用" + (f"（{holder}）" if holder else ""),
                "请先停止那个监视或导入进程，或把文件放入它监视的收件箱。",
            ) from e
        self._lock_file.truncate(0)
        self._lock_file.write(f"docanalyzer pid {os.getpid()}")
        self._lock_file.flush()

    def start(self) -> None:
        self.lock()
        self.started = True
        for partial in (self.data_dir / "files").glob(".incoming-*"):
            partial.unlink()  # our own copy cut short by a crash; its file is still in the inbox
        self.reconcile()
        self.pool.start()

    def close(self) -> None:
        self.pool.close(kill=self.stop_requested > 1)
        self.reporter.close(summary=self.started)
        if self._lock_file:
            self._lock_file.close()

    def request_stop(self, *_args) -> None:
        """First SIGTERM/Ctrl-C: take no more files and finish those in a worker; second: stop now.
        Only counted here: a signal handler must not write to files the main loop may be writing."""
        self.stop_requested += 1

    def handle_signals(self) -> None:
        signal.signal(signal.SIGTERM, self.request_stop)
        signal.signal(signal.SIGINT, self.request_stop)

    # -- the journal ------------------------------------------------------------------------

    def reconcile(self) -> None:
        """Finish what a previous run left half done: moves the store recorded, then documents claimed."""
        for move_entry in repository.unfinished_moves(self.engine):
            if move_entry["destination"] is None:  # a duplicate left in place, as older versions recorded it
                repository.mark_moved(self.engine, move_entry["arrival_id"])
            else:
                self._settle_file(move_entry)
        for c in repository.claimed(self.engine):
            source = Path(c["source_path"])
            task = {**c, "path": str(self.data_dir / c["stored_path"]), "source_sig": signature(source)}
            if task["source_sig"] is not None and not holds(source, c["sha256"]):
                task["source_sig"] = None  # another file took its name meanwhile: leave that one be
            self._enqueue(task)
            self.reporter.event("resumed", file=c["name"], sha256=c["sha256"], document_id=c["document_id"])

    def _enqueue(self, task: dict) -> None:
        self.queue.append(task)
        self.in_flight[task["sha256"]] = task
        self.paths.add(Path(task["source_path"]))

    def take(self, path: Path, root: Path, remember_in_place: bool = False) -> str:
        """Take one file found under ``root``: 'queued', 'duplicate', 'known' (left in place earlier),
        'busy' (a copy with the same bytes is in flight: try again later), 'taken' (already in
        flight), 'changing' (it changed while copied: try again once it settles), 'refused' (a link
        or no regular file: never read), 'unreadable' or 'gone'."""
        path = path.absolute()
        if path in self.paths:
            return "taken"
        sig = signature(path)
        if sig is None:
            return "gone"
        if remember_in_place and self.settled.get(path) == sig:
            return "known"
        try:
            sha, size, stored, sig = store_copy(path, self.data_dir, root)
        except FileNotFoundError:
            return "gone"
        except Refused as e:
            self._refuse(e)
            return "refused"
        except StillChanging:
            return "changing"
        except OSError as e:  # e.g. no permission: say so; the watcher tries again at its next rescan
            error = InputError(f"无法读取该文件（{e.strerror}）", "请检查文件的访问权限。", path.name)
            self.reporter.event("unreadable", level="error", file=path.name, error=error.message)
            return "unreadable"
        if sha in self.in_flight:
            return "busy"
        existing = repository.find_document(self.engine, sha)
        if remember_in_place and existing and repository.processed_here(self.engine, sha, str(path)):
            self.settled[path] = sig
            self.reporter.event("known", file=path.name, sha256=sha, document_id=existing["id"])
            return "known"
        if existing and existing["status"] == "done":
            self._duplicate(path, existing)
            if self.options.leave_in_place:
                self.settled[path] = sig
            return "duplicate"
        claim = repository.claim(
            self.engine, sha256=sha, name=path.name, source_path=str(path), size=size, stored_path=stored
        )
        if claim["previous_copy"]:  # the same bytes came back under a name of another type
            (self.data_dir / claim["previous_copy"]).unlink(missing_ok=True)
        task = {
            **claim,
            "sha256": sha,
            "name": path.name,
            "source_path": str(path),
            "path": str(self.data_dir / stored),
            "source_sig": sig,
        }
        self._enqueue(task)
        self.reporter.event("queued", file=path.name, sha256=sha, document_id=claim["document_id"])
        return "queued"

    def _refuse(self, error: Refused) -> None:
        """Never read a link (nor what is no regular file): move the entry itself to failed/ with
        its reason, unless files stay in place."""
        entry, destination = error.entry, None
        if self.options.leave_in_place:
            self.settled[entry] = signature(entry)
        else:
            destination = free_name(self.data_dir / "failed", entry.name, ".error.txt")
            write_note(
                destination.with_name(destination.name + ".error.txt"),
                f"{entry.name} 未被读取。\n\n原因：{error.what}。\n处理办法：{error.fix}\n\n来源：{entry}\n",
            )
        self.reporter.event(
            "unreadable",
            level="error",
            file=entry.name,
            error=error.message,
            destination=str(destination) if destination else None,
        )
        if destination:
            move(entry, destination)
            self.reporter.event("moved", file=entry.name, destination=str(destination))

    def _duplicate(self, path: Path, original: dict) -> None:
        destination = None
        if not self.options.leave_in_place:
            destination = free_name(self.data_dir / "duplicates", path.name, ".note.txt")
        arrival_id = repository.record_duplicate(
            self.engine, original["id"], path.name, str(path), str(destination) if destination else None
        )
        self.reporter.event(
            "duplicate",
            file=path.name,
            sha256=original["sha256"],
            document_id=original["id"],
            of=original["file"],
            destination=str(destination) if destination else None,
        )
        if destination:
            self._settle_file(
                {
                    "arrival_id": arrival_id,
                    "document_id": original["id"],
                    "sha256": original["sha256"],
                    "name": path.name,
                    "source_path": str(path),
                    "outcome": "duplicate",
                    "destination": str(destination),
                }
            )

    def dispatch(self) -> None:
        while self.queue and self.pool.idle():
            self.pool.submit(self.queue.popleft())

    def finish(self, outcome: Outcome) -> None:
        """Commit one analysis (or its failure) with the file's destination, then move the file."""
        task = outcome.task
        source = Path(task["source_path"])
        movable = (
            not self.options.leave_in_place and task["source_sig"] and signature(source) == task["source_sig"]
        )
        if outcome.ok:
            destination = self._archive_name(task["name"]) if movable else None
            try:
                counts = repository.complete(
                    self.engine,
                    task["document_id"],
                    task["arrival_id"],
                    outcome.analysis,
                    outcome.model_version,
                    str(destination) if destination else None,
                )
            except SQLAlchemyError as e:  # e.g. text PostgreSQL refuses: this file fails, not the watcher
                reason = str(getattr(e, "orig", None) or e).strip().splitlines()[0][:160]
                error = StoreError(
                    f"数据库拒绝保存它的分析结果（{reason}）",
                    "请连同该文件报告此问题；其他文件不受影响。",
                    task["name"],
                )
                failed = {"message": error.message, "what": error.what, "fix": error.fix}
                return self.finish(Outcome(task, False, error=failed, seconds=outcome.seconds))
            self.reporter.event(
                "done",
                file=task["name"],
                sha256=task["sha256"],
                document_id=task["document_id"],
                items=counts["items"],
                seconds=round(outcome.seconds, 3),
                destination=str(destination) if destination else None,
            )
        else:
            destination = free_name(self.data_dir / "failed", task["name"], ".error.txt") if movable else None
            repository.fail(
                self.engine,
                task["document_id"],
                task["arrival_id"],
                outcome.error["message"],
                str(destination) if destination else None,
            )
            self.reporter.event(
                "failed",
                level="error",
                file=task["name"],
                sha256=task["sha256"],
                document_id=task["document_id"],
                error=outcome.error["message"],
                seconds=round(outcome.seconds, 3),
                destination=str(destination) if destination else None,
            )
        del self.in_flight[task["sha256"]]
        self.paths.discard(source)
        if self.options.leave_in_place and task["source_sig"]:
            self.settled[source] = task["source_sig"]
        if destination:
            self._settle_file(
                {
                    "arrival_id": task["arrival_id"],
                    "document_id": task["document_id"],
                    "sha256": task["sha256"],
                    "name": task["name"],
                    "source_path": str(source),
                    "outcome": "analysed" if outcome.ok else "failed",
                    "destination": str(destination),
                    "error": outcome.error,
                }
            )

    def _archive_name(self, name: str) -> Path:
        month = datetime.now()
        return free_name(self.data_dir / "archive" / f"{month:%Y}" / f"{month:%m}", name)

    def _settle_file(self, entry: dict) -> None:
        """Write the note beside the destination, move the inbox file there, record it as moved.

        Safe to repeat after a crash at any point: a file already moved is only recorded."""
        source, destination = Path(entry["source_path"]), Path(entry["destination"])
        if entry["outcome"] in ("failed", "duplicate"):
            note = destination.with_name(
                destination.name + (".error.txt" if entry["outcome"] == "failed" else ".note.txt")
            )
            write_note(note, self._note_text(entry))
        here = holds(source, entry["sha256"])
        if here:
            if holds(destination, entry["sha256"]):
                source.unlink()  # a move across file systems cut short after its copy was complete
            else:
                if destination.exists():  # someone put a file there meanwhile: never overwrite it
                    destination = free_name(destination.parent, destination.name)
                move(source, destination)
            self.reporter.event("moved", file=entry["name"], destination=str(destination))
        repository.mark_moved(self.engine, entry["arrival_id"], str(destination) if here else None)

    def _note_text(self, entry: dict) -> str:
        doc = repository.get_document(self.engine, entry["document_id"])
        if entry["outcome"] == "duplicate":
            when = doc["analysed_at"] and datetime.fromisoformat(doc["analysed_at"]).astimezone()
            analysed = f"，已于 {when:%Y-%m-%d %H:%M} 分析" if when else ""
            return (
                f"{entry['name']} 没有再次分析：它与文档 #{doc['id']} 内容完全相同"
                f"（该文档最初收到时名为 {doc['file']}{analysed}）。\n"
                "它的事项已在库中，归在该文档下，无需处理。\n\n"
                f"来源：{entry['source_path']}\nsha256：{entry['sha256']}\n"
            )
        error = entry.get("error") or {"what": doc["error"], "fix": ""}
        what = (error["what"] or doc["error"] or "").rstrip("。")
        return (
            f"{entry['name']} 未能分析。\n\n"
            f"原因：{what}。\n"
            f"处理办法：{error['fix'] or '请按上面的原因处理。'}"
            "处理后把文件重新放入收件箱。\n\n"
            f"来源：{entry['source_path']}\nsha256：{entry['sha256']}\n"
            f"存储副本：{self.data_dir / doc['stored_path']}\n"
        )

    # -- the two faces ----------------------------------------------------------------------

    def step(self, timeout: float) -> None:
        if self.stop_requested > self._stops_reported:
            self._stops_reported = self.stop_requested
            self.reporter.event("stopping", level="warning", force=self.stop_requested > 1)
        self.dispatch()
        outcomes = self.pool.wait(timeout)
        self.dispatch()  # idle workers get their next file before the results are committed
        if not self.ready_reported and self.pool.ready():
            self.ready_reported = True
            self.reporter.event("ready", workers=self.options.workers)  # `run` serves from here on
        for outcome in outcomes:
            self.finish(outcome)
        self.dispatch()
        self.reporter.update(queued=len(self.queue), working=self.pool.busy())

    def drain(self) -> None:
        """Stop: tasks not yet in a worker go back (their files are still where they were);
        those in a worker finish, unless a second signal asks to stop at once."""
        while self.queue:
            task = self.queue.pop()
            if task["source_sig"] is None:
                continue  # its file is gone: it stays claimed and the next start analyses the stored copy
            repository.release(self.engine, task["document_id"], task["arrival_id"])
            del self.in_flight[task["sha256"]]
            self.paths.discard(Path(task["source_path"]))
            self.reporter.event("returned", file=task["name"], sha256=task["sha256"])
        while self.pool.busy() and self.stop_requested < 2:
            self.step(TICK_S)


def watch(
    ingestor: Ingestor, inbox: Path, *, once: bool, poll: bool, stable_s: float, rescan_s: float
) -> None:
    """Process what is in ``inbox`` and, unless ``once``, whatever arrives until stopped."""
    events: queue.SimpleQueue[tuple[str, Path]] = queue.SimpleQueue()
    observer = None if once else _observer(inbox, poll, events)
    tracker = Tracker(stable_s)
    leave = ingestor.options.leave_in_place
    try:
        ingestor.start()
        ingestor.reporter.event("started", inbox=str(inbox), workers=ingestor.options.workers, once=once)
        next_scan = 0.0
        while not ingestor.stop_requested:
            if time.monotonic() >= next_scan:
                for path in candidates(inbox):
                    tracker.see(path)
                next_scan = time.monotonic() + rescan_s
            while not events.empty():
                kind, path = events.get()
                if not ignored(path):
                    getattr(tracker, kind)(path)
            # claim only what the workers will soon take; the rest stay in the tracker
            for path in tracker.ready(limit=max(0, ingestor.backlog - len(ingestor.queue))):
                if ingestor.stop_requested or len(ingestor.queue) >= ingestor.backlog:
                    break
                result = ingestor.take(path, inbox, remember_in_place=leave)
                if result != "busy":
                    tracker.forget(path)
                if result == "changing":
                    tracker.see(path)  # its clock starts again
                ingestor.dispatch()
            ingestor.step(TICK_S)
            ingestor.reporter.update(waiting=len(tracker))
            if once and not len(tracker) and not ingestor.in_flight:
                break
        ingestor.drain()
    finally:
        if observer:
            observer.stop()
            observer.join()
        ingestor.close()


def _observer(inbox: Path, poll: bool, events: queue.SimpleQueue):
    """Events as (Tracker method, path). Where the observer reports closes (inotify alone), a file
    written is 'written' until its close-write; elsewhere every change is only 'see'."""
    from watchdog.events import (
        FileClosedEvent,
        FileClosedNoWriteEvent,
        FileModifiedEvent,
        FileOpenedEvent,
        FileSystemEventHandler,
    )
    from watchdog.observers import Observer
    from watchdog.observers.polling import PollingObserver

    closes = not poll and Observer.__module__ == "watchdog.observers.inotify"

    class Handler(FileSystemEventHandler):
        def on_any_event(self, event):
            if event.is_directory or isinstance(event, FileOpenedEvent | FileClosedNoWriteEvent):
                return  # opening and reading (ours too) change nothing
            target = Path(os.fsdecode(getattr(event, "dest_path", "") or event.src_path))  # renamed: new name
            if not target.is_relative_to(inbox):
                return
            if closes and isinstance(event, FileModifiedEvent):
                events.put(("written", target))
            elif closes and isinstance(event, FileClosedEvent):
                events.put(("closed", target))
            else:
                events.put(("see", target))

    observer = PollingObserver(timeout=1) if poll else Observer()
    observer.schedule(Handler(), str(inbox), recursive=True)
    observer.start()
    return observer


def ingest(ingestor: Ingestor, files: list[tuple[Path, Path]], skipped: list[tuple[Path, str]]) -> None:
    """The same pipeline once over ``files`` (each with the folder it was found in), leaving every
    file where it is; ``skipped`` (each with its reason) are only counted."""
    try:
        ingestor.start()
        ingestor.reporter.event("started", files=len(files), workers=ingestor.options.workers)
        for path, reason in skipped:
            ingestor.reporter.event("skipped", file=path.name, reason=reason)
        later = []  # a second copy of bytes in flight: a duplicate once the first is done
        for path, root in files:
            if ingestor.stop_requested:
                break
            while len(ingestor.queue) >= ingestor.backlog and not ingestor.stop_requested:
                ingestor.step(TICK_S)
            result = ingestor.take(path, root)
            if result == "busy":
                later.append((path, root))
            elif result in ("gone", "taken"):
                ingestor.reporter.event("skipped", file=path.name, reason=result)
            elif result == "changing":
                error = StillChanging(path.name)
                ingestor.reporter.event("unreadable", level="error", file=path.name, error=error.message)
        while ingestor.in_flight and not ingestor.stop_requested:
            ingestor.step(TICK_S)
        for path, root in later:
            if not ingestor.stop_requested:
                ingestor.take(path, root)
        ingestor.drain()
    finally:
        ingestor.close()


def reanalyse(engine, data_dir: Path, document_id: int) -> dict:
    """Analyse a stored document again from its copy in the store (after a new model or extractor):
    the machine's suggestions are replaced, every reviewer's decision stays. Returns the item counts."""
    import tempfile

    from docanalyzer.ingest.worker import model_version
    from docanalyzer.pipeline import analyze

    doc = repository.get_document(engine, document_id)
    with tempfile.TemporaryDirectory(prefix="docanalyzer-") as tmp:
        link = Path(tmp) / doc["file"]  # the copy under the name it came with, as citations give it
        link.symlink_to((data_dir / doc["stored_path"]).resolve())
        result = analyze(link)
    analysis = {"document": result.document.to_dict(), "items": [i.to_dict() for i in result.items]}
    return repository.save_analysis(engine, document_id, analysis, model_version())


def open_ingestor(title: str, total: int | None, leave_in_place: bool) -> Ingestor:
    """An ingestor on the configured store (migrated to the newest schema) with its settings."""
    from docanalyzer import config
    from docanalyzer.store import db

    db.upgrade()
    options = Options(
        data_dir=db.data_dir(),
        workers=config.get("workers") or os.cpu_count() or 1,
        time_limit=config.get("time_limit_s"),
        memory_mb=config.get("memory_limit_mb"),
        leave_in_place=leave_in_place,
    )
    reporter = Reporter(options.data_dir / "logs" / "docanalyzer.jsonl", title, total)
    ingestor = Ingestor(db.engine(), options, reporter)
    ingestor.handle_signals()
    return ingestor


def run_watch(inbox: Path | None, once: bool, poll: bool) -> None:
    """``docanalyzer watch``: check the folders, then watch until stopped (or once through)."""
    from docanalyzer import config
    from docanalyzer.store import db

    default = Path(str(config.get("inbox")))
    inbox = (inbox or default).absolute()
    if not inbox.exists() and inbox == default.absolute():
        inbox.mkdir(parents=True)
    if not inbox.is_dir():
        raise IngestError(
            f"收件箱 {inbox} " + ("不是文件夹" if inbox.exists() else "不存在"),
            "请先创建该文件夹，或指定要监视的文件夹。",
        )
    if db.data_dir().is_relative_to(inbox.resolve()):
        raise IngestError(
            f"数据目录 {db.data_dir()} 位于收件箱 {inbox} 之内",
            "请把 DOCANALYZER_DATA_DIR 设为收件箱以外的文件夹。",
        )
    stable_s, rescan_s = config.get("stable_s"), config.get("rescan_s")
    poll = poll or config.get("poll")
    ingestor = open_ingestor(f"正在监视 {inbox}", None, config.get("leave_in_place"))
    watch(ingestor, inbox, once=once, poll=poll, stable_s=stable_s, rescan_s=rescan_s)


def run_ingest(paths: list[Path]) -> dict:
    """``docanalyzer ingest``: files and folders (searched through) once, left where they are.
    A path named here is followed if it is a link (as cp and tar do); in a folder, links and files
    of a type no reader reads are skipped. Returns the counts of the run: done, failed, duplicate,
    known, skipped, unreadable."""
    files, skipped = [], []
    for given in paths:
        path = Path(os.path.realpath(given))
        if not path.is_dir():
            files.append((path, path.parent))
            continue
        for found in candidates(path):
            if found.is_symlink():
                skipped.append((found, "link"))
            elif found.suffix.lower() not in READERS:
                skipped.append((found, "type"))
            else:
                files.append((found, path))
    ingestor = open_ingestor("正在导入", len(files) + len(skipped), leave_in_place=True)
    ingest(ingestor, files, skipped)
    return dict(ingestor.reporter.counts)
