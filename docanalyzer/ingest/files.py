"""Files on disk: which to ignore, when one is complete, reading one without following links,
its stored copy, and moves that never delete."""

from __future__ import annotations

import errno
import fnmatch
import hashlib
import os
import shutil
import stat
import tempfile
import time
from pathlib import Path

from docanalyzer.ingest import Refused, StillChanging

# Editors' lock files, partial downloads and system files: never documents.
IGNORED = ("~$*", ".~lock*", "*.tmp", ".DS_Store", "Thumbs.db", "desktop.ini", "*.part", "*.crdownload")


def ignored(path: Path) -> bool:
    name = path.name
    return any(fnmatch.fnmatch(name, pattern) for pattern in IGNORED)


def candidates(folder: Path) -> list[Path]:
    """Every file under ``folder`` that could be a document, and every link (to be refused), oldest first.
    Linked folders are listed, never entered."""
    found = []
    for root, dirs, names in os.walk(folder):
        links = [d for d in dirs if os.path.islink(os.path.join(root, d))]
        dirs[:] = sorted(d for d in dirs if not d.startswith(".") and d not in links)
        for name in names + links:
            path = Path(root) / name
            if not ignored(path) and (path.is_symlink() or path.is_file()):
                found.append(path)
    return sorted(found, key=lambda p: (signature(p) or (0, 0))[1])


def signature(path: Path) -> tuple[int, int] | None:
    """(size, mtime_ns) of the file itself (a link's own, not its target's), or None for one that is gone."""
    try:
        st = os.lstat(path)
    except OSError:
        return None
    return st.st_size, st.st_mtime_ns


def open_for_writing(path: Path) -> bool:
    """True when a process on this machine holds ``path`` open for writing, as /proc shows it.
    Processes we may not inspect are skipped; without /proc (not Linux) nothing is found."""
    target = os.path.join(os.path.realpath(path.parent), path.name)  # a link: its own path, held by none
    try:
        pids = [p for p in os.listdir("/proc") if p.isdigit()]
    except OSError:
        return False
    for pid in pids:
        try:
            fds = os.listdir(f"/proc/{pid}/fd")
        except OSError:
            continue
        for fd in fds:
            try:
                if os.readlink(f"/proc/{pid}/fd/{fd}") != target:
                    continue
                with open(f"/proc/{pid}/fdinfo/{fd}") as info:
                    flags = next(int(line.split()[1], 8) for line in info if line.startswith("flags:"))
            except (OSError, StopIteration, ValueError):
                continue  # closed meanwhile, or not ours to see
            if flags & (os.O_WRONLY | os.O_RDWR):
                return True
    return False


class Tracker:
    """Files seen in the inbox, each taken only once no process holds it open for writing and its
    size and mtime have stayed unchanged for ``delay`` seconds.

    "Open for writing": written (an IN_MODIFY) and not closed since (IN_CLOSE_WRITE), where the
    observer reports closes, which also covers writers of other users; or found open in /proc."""

    def __init__(self, delay: float):
        self.delay = delay
        self.files: dict[Path, tuple[tuple[int, int], float]] = {}
        self.writing: set[Path] = set()

    def see(self, path: Path) -> None:
        sig = signature(path)
        if sig is None:
            self.forget(path)
        elif path not in self.files or self.files[path][0] != sig:
            self.files[path] = (sig, time.monotonic())

    def written(self, path: Path) -> None:
        self.writing.add(path)
        self.see(path)

    def closed(self, path: Path) -> None:
        self.writing.discard(path)
        self.see(path)

    def forget(self, path: Path) -> None:
        self.files.pop(path, None)
        self.writing.discard(path)

    def ready(self, limit: int | None = None) -> list[Path]:
        """Files complete now, first seen first, at most ``limit`` (the rest are checked next time)."""
        now = time.monotonic()
        out = []
        for path, (sig, since) in list(self.files.items()):
            if limit is not None and len(out) >= limit:
                break
            current = signature(path)
            if current is None:
                self.forget(path)
            elif current != sig:
                self.files[path] = (current, now)
            elif now - since >= self.delay:
                if path in self.writing or open_for_writing(path):
                    self.files[path] = (sig, now)  # its writer is not done: look again after another delay
                else:
                    out.append(path)
        return out

    def __len__(self) -> int:
        return len(self.files)


def open_inside(path: Path, root: Path) -> int:
    """A read-only descriptor of the regular file ``path``, reached from ``root`` one name at a time
    without following any link: nothing outside ``root`` can be read through it."""
    *folders, name = path.relative_to(root).parts
    fd = os.open(root, os.O_RDONLY | os.O_DIRECTORY)
    try:
        for depth, folder in enumerate(folders, 1):
            try:
                inner = os.open(folder, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW, dir_fd=fd)
            except OSError as e:
                if e.errno in (errno.ENOTDIR, errno.ELOOP, errno.EMLINK):  # Linux says ENOTDIR for a link
                    link = root.joinpath(*folders[:depth])
                    raise Refused(f"是指向文件夹的符号链接，其中的 {path.name} 等文件不予读取", link) from e
                raise
            os.close(fd)
            fd = inner
        try:  # O_NONBLOCK: a named pipe must not hang the watcher; it is refused below
            file_fd = os.open(name, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_NOCTTY, dir_fd=fd)
        except OSError as e:
            if e.errno in (errno.ELOOP, errno.EMLINK):
                raise Refused("是符号链接，不予读取", path) from e
            raise
    finally:
        os.close(fd)
    if not stat.S_ISREG(os.fstat(file_fd).st_mode):
        os.close(file_fd)
        raise Refused("不是普通文件，不予读取", path)
    return file_fd


def holds(path: Path, sha256: str) -> bool:
    """True when ``path`` is a regular file (not a link) holding exactly these bytes."""
    try:
        fd = open_inside(path, path.parent)
    except (OSError, Refused):
        return False
    try:
        return _sha256_at(fd) == sha256
    finally:
        os.close(fd)


def store_copy(path: Path, data_dir: Path, root: Path | None = None) -> tuple[str, int, str, tuple[int, int]]:
    """Copy ``path`` (opened by :func:`open_inside` from ``root``, by default its folder) into
    DATA_DIR/files/ under its sha256, hashing the very bytes copied.

    Returns (sha256, size, path relative to the data directory, the signature of the bytes copied).
    Written to a temporary name, flushed to disk, then renamed: a copy under its final name is
    always complete. A file whose size, mtime or bytes changed during the copy raises
    :class:`StillChanging`, its copy dropped.
    """
    files = data_dir / "files"
    files.mkdir(parents=True, exist_ok=True)
    src = open_inside(path, root or path.parent)
    try:
        before = _identity(os.fstat(src))
        digest, size = hashlib.sha256(), 0
        fd, tmp = tempfile.mkstemp(dir=files, prefix=".incoming-")
        try:
            with os.fdopen(fd, "wb") as out:
                for chunk in iter(lambda: os.read(src, 1 << 20), b""):
                    digest.update(chunk)
                    out.write(chunk)
                    size += len(chunk)
                out.flush()
                os.fsync(out.fileno())
            sha = digest.hexdigest()
            # the same file (not one renamed over it), unchanged, with the bytes hashed: else not ours yet
            if not before == _identity(os.fstat(src)) == _identity(os.lstat(path)) or _sha256_at(src) != sha:
                raise StillChanging(path.name)
            relative = Path("files") / sha[:2] / (sha + path.suffix.lower())
            target = data_dir / relative
            target.parent.mkdir(exist_ok=True)
            if target.exists():
                os.unlink(tmp)  # the same bytes are stored already; this was our own temporary copy
            else:
                os.replace(tmp, target)
        except BaseException:
            if os.path.exists(tmp):
                os.unlink(tmp)
            raise
    finally:
        os.close(src)
    return sha, size, str(relative), before[2:]


def _identity(st: os.stat_result) -> tuple[int, int, int, int]:
    """(device, inode, size, mtime_ns): the signature, and which file it is."""
    return st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns


def _sha256_at(fd: int) -> str:
    """The sha256 of the file behind ``fd`` as it is now, read again from its start."""
    digest, offset = hashlib.sha256(), 0
    while chunk := os.pread(fd, 1 << 20, offset):
        digest.update(chunk)
        offset += len(chunk)
    return digest.hexdigest()


def free_name(folder: Path, name: str, suffix_note: str = "") -> Path:
    """``folder/name``, or ``folder/stem-2.ext``, ``-3``… when that name (or its note) is taken."""
    stem, ext = os.path.splitext(name)
    n = 1
    while True:
        candidate = folder / (name if n == 1 else f"{stem}-{n}{ext}")
        note = candidate.with_name(candidate.name + suffix_note) if suffix_note else None
        if not candidate.exists() and not (note and note.exists()):
            return candidate
        n += 1


def move(src: Path, dst: Path) -> None:
    """Move a file (a link as the link itself); across file systems, copy to a temporary name,
    sync, rename, then unlink the source."""
    dst.parent.mkdir(parents=True, exist_ok=True)
    try:
        os.rename(src, dst)
        return
    except OSError as e:
        if e.errno != errno.EXDEV:  # another file system
            raise
    tmp = dst.with_name(f".{dst.name}.moving")
    if src.is_symlink():
        os.symlink(os.readlink(src), tmp)
    else:
        shutil.copy2(src, tmp)
        with open(tmp, "rb") as f:
            os.fsync(f.fileno())
    os.replace(tmp, dst)
    os.unlink(src)


def write_note(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.writing")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)
