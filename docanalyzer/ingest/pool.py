"""A pool of worker processes with a time limit per document.

A worker that overruns the time limit is killed and replaced; one that dies (a crash in a
parser, the memory limit) is replaced too. Either way only its own document fails.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from multiprocessing.connection import Connection, wait
from pathlib import Path

from docanalyzer.ingest import IngestError, TimeLimit, WorkerDied

# Threads in numeric libraries would fight the other workers for the cores and swell address space.
SINGLE_THREADED = {"OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}
START_FAILURES_ALLOWED = 3


@dataclass
class Outcome:
    task: dict
    ok: bool
    analysis: dict | None = None
    error: dict | None = None  # {"message", "what", "fix"}
    seconds: float = 0.0
    model_version: str = ""


@dataclass
class Worker:
    proc: subprocess.Popen
    to_child: Connection
    from_child: Connection
    ready: bool = False
    version: str = ""
    task: dict | None = None
    started: float = 0.0


class Pool:
    def __init__(self, size: int, time_limit: float, memory_mb: int, log_path: Path):
        self.size, self.time_limit, self.memory_mb = size, time_limit, memory_mb
        self.log_path = log_path
        self.workers: list[Worker] = []
        self.start_failures = 0

    def start(self) -> None:
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        while len(self.workers) < self.size:
            self.workers.append(self._spawn())

    def _spawn(self) -> Worker:
        down_r, down_w = os.pipe()
        up_r, up_w = os.pipe()
        with open(self.log_path, "ab") as log:
            proc = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "docanalyzer.ingest.worker",
                    str(down_r),
                    str(up_w),
                    str(self.memory_mb),
                ],
                pass_fds=(down_r, up_w),
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=log,
                env={**os.environ, **SINGLE_THREADED},
            )
        os.close(down_r)
        os.close(up_w)
        return Worker(proc, Connection(down_w, readable=False), Connection(up_r, writable=False))

    def ready(self) -> int:
        return sum(1 for w in self.workers if w.ready)

    def idle(self) -> int:
        return sum(1 for w in self.workers if w.ready and w.task is None)

    def busy(self) -> int:
        return sum(1 for w in self.workers if w.task is not None)

    def submit(self, task: dict) -> bool:
        """Hand ``task`` ({"path", "name", ...}) to an idle worker; False when none is idle."""
        for w in self.workers:
            if w.ready and w.task is None:
                w.task, w.started = task, time.monotonic()
                with contextlib.suppress(OSError):  # it died: wait() reports the death with the task
                    w.to_child.send({"path": task["path"], "name": task["name"]})
                return True
        return False

    def wait(self, timeout: float) -> list[Outcome]:
        """Results that arrived within ``timeout`` seconds, and the tasks of workers that died or overran."""
        outcomes = []
        by_conn = {w.from_child: w for w in self.workers}
        limit = self._next_deadline()
        for conn in wait(list(by_conn), timeout=min(timeout, limit) if limit is not None else timeout):
            w = by_conn[conn]
            try:
                message = conn.recv()
            except (EOFError, OSError):
                outcomes.extend(self._replace(w, self._death(w)))
                continue
            if message[0] == "ready":
                w.ready, w.version = True, message[2]
                self.start_failures = 0
            elif w.task is not None:
                task, seconds = w.task, time.monotonic() - w.started
                w.task = None
                ok = message[0] == "ok"
                outcomes.append(
                    Outcome(
                        task,
                        ok,
                        analysis=message[1] if ok else None,
                        error=None if ok else message[1],
                        seconds=seconds,
                        model_version=w.version,
                    )
                )
        now = time.monotonic()
        for w in list(self.workers):
            if w.task is not None and now - w.started > self.time_limit:
                w.proc.kill()
                over = TimeLimit(
                    f"分析用时超过了 {self.time_limit:g} 秒的时间上限",
                    "如果文件本身没有问题，请调高 DOCANALYZER_TIME_LIMIT_S 后重新导入；"
                    "否则请用原程序打开并重新导出。",
                    w.task["name"],
                )
                outcomes.extend(self._replace(w, over))
        return outcomes

    def _next_deadline(self) -> float | None:
        busy = [w.started + self.time_limit - time.monotonic() for w in self.workers if w.task is not None]
        return max(0.0, min(busy)) if busy else None

    def _death(self, w: Worker) -> WorkerDied:
        how = _how(w.proc.wait())
        name = w.task["name"] if w.task else None
        return WorkerDied(
            f"分析它的工作进程意外终止（{how}）：文件可能已损坏或被恶意构造，"
            f"也可能所需内存超过了 {self.memory_mb} MB 的上限",
            "请用原程序打开并重新导出，或调高 DOCANALYZER_MEMORY_LIMIT_MB。",
            name,
        )

    def _replace(self, w: Worker, error) -> list[Outcome]:
        """Retire worker ``w`` (its task failing with ``error``) and start another in its place."""
        w.proc.kill()
        w.proc.wait()
        w.to_child.close()
        w.from_child.close()
        self.workers.remove(w)
        outcomes = []
        if w.task is not None:
            failure = {"message": error.message, "what": error.what, "fix": error.fix}
            outcomes.append(Outcome(w.task, False, error=failure, seconds=time.monotonic() - w.started))
        elif not w.ready:
            self.start_failures += 1
            if self.start_failures >= START_FAILURES_ALLOWED:
                raise IngestError(
                    f"工作进程无法启动（最后一个以{_how(w.proc.returncode)} 结束）",
                    f"请查看 {self.log_path}；常见原因是内存上限 DOCANALYZER_MEMORY_LIMIT_MB "
                    "太低，不够加载所需的库。",
                )
        self.workers.append(self._spawn())
        return outcomes

    def close(self, kill: bool = False) -> None:
        """Stop every worker: at once with ``kill``, else by closing its pipe and waiting a little."""
        for w in self.workers:
            if kill:
                w.proc.kill()
            w.to_child.close()
        deadline = time.monotonic() + 10
        for w in self.workers:
            try:
                w.proc.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                w.proc.kill()
                w.proc.wait()
            w.from_child.close()
        self.workers = []


def _how(returncode: int) -> str:
    return f"信号 {signal.Signals(-returncode).name}" if returncode < 0 else f"退出状态 {returncode}"
