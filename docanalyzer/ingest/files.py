"""Files on disk: which to ignore, when one is complete, its stored copy, and moves that never delete."""

from __future__ import annotations

import errno
import fnmatch
import hashlib
import os
import shutil
import tempfile
import time
from pathlib import Path

# Editors' lock files, partial downloads and system files: never documents.
IGNORED = ("~$*", ".~lock*", "*.tmp", ".DS_Store", "Thumbs.db", "desktop.ini", "*.part", "*.crdownload")


def ignored(path: Path) -> bool:
    name = path.name
    return any(fnmatch.fnmatch(name, pattern) for pattern in IGNORED)


def candidates(folder: Path) -> list[Path]:
    """Every file under ``folder`` that could be a document, oldest first."""
    found = []
    for root, dirs, names in os.walk(folder):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        for name in names:
            path = Path(root) / name
            if not ignored(path) and path.is_file():
                found.append(path)
    return sorted(found, key=_mtime)


def _mtime(path: Path) -> float:
    try:
        return path.stat().st_mtime
    except OSError:
        return 0.0


def signature(path: Path) -> tuple[int, int] | None:
    """(size, mtime_ns), or None for a file that is gone."""
    try:
        st = path.stat()
    except OSError:
        return None
    return st.st_size, st.st_mtime_ns


def readable(path: Path) -> bool:
    try:
        with open(path, "rb") as f:
            f.read(1)
    except OSError:
        return False
    return True


class Tracker:
    """Files seen in the inbox, each taken only once its size and mtime have stayed unchanged
    for ``delay`` seconds and it can be opened (a copy in progress keeps changing)."""

    def __init__(self, delay: float):
        self.delay = delay
        self.files: dict[Path, tuple[tuple[int, int], float]] = {}

    def see(self, path: Path) -> None:
        sig = signature(path)
        if sig is None:
            self.files.pop(path, None)
        elif path not in self.files or self.files[path][0] != sig:
            self.files[path] = (sig, time.monotonic())

    def forget(self, path: Path) -> None:
        self.files.pop(path, None)

    def ready(self, limit: int | None = None) -> list[Path]:
        """Files complete now, first seen first, at most ``limit`` (the rest are checked next time)."""
        now = time.monotonic()
        out = []
        for path, (sig, since) in list(self.files.items()):
            if limit is not None and len(out) >= limit:
                break
            current = signature(path)
            if current is None:
                del self.files[path]
            elif current != sig:
                self.files[path] = (current, now)
            elif now - since >= self.delay and readable(path):
                out.append(path)
        return out

    def __len__(self) -> int:
        return len(self.files)


def store_copy(path: Path, data_dir: Path) -> tuple[str, int, str]:
    """Copy ``path`` into DATA_DIR/files/ under its sha256, hashing the very bytes copied.

    Returns (sha256, size, path relative to the data directory). Written to a temporary name,
    flushed to disk, then renamed: a copy under its final name is always complete.
    """
    files = data_dir / "files"
    files.mkdir(parents=True, exist_ok=True)
    digest, size = hashlib.sha256(), 0
    fd, tmp = tempfile.mkstemp(dir=files, prefix=".incoming-")
    try:
        with open(path, "rb") as src, os.fdopen(fd, "wb") as out:
            for chunk in iter(lambda: src.read(1 << 20), b""):
                digest.update(chunk)
                out.write(chunk)
                size += len(chunk)
            out.flush()
            os.fsync(out.fileno())
        sha = digest.hexdigest()
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
    return sha, size, str(relative)


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
    """Move a file; across file systems, copy to a temporary name, sync, rename, then unlink the source."""
    dst.parent.mkdir(parents=True, exist_ok=True)
    try:
        os.rename(src, dst)
        return
    except OSError as e:
        if e.errno != errno.EXDEV:  # another file system
            raise
    tmp = dst.with_name(f".{dst.name}.moving")
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
