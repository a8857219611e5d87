"""What the watcher tells people and machines: a Rich progress line on the terminal, one
plain line per file, and a JSON-lines log of every event in DATA_DIR/logs/."""

from __future__ import annotations

import json
import os
import sys
import time
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    SpinnerColumn,
    TextColumn,
    TimeElapsedColumn,
)

from docanalyzer.readers import READERS

FINAL = ("done", "failed", "duplicate", "known", "skipped", "unreadable")  # events that settle one file
SKIPPED = {  # why ingest left a file alone
    "taken": "重复给出",
    "gone": "文件已不在原处",
    "link": "符号链接，不读取（请给出文件本身）",
    "type": "不是本工具读取的文件类型（" + "、".join(READERS) + "）",
}
LABELS = {  # what the terminal calls each event and count
    "done": "完成",
    "failed": "失败",
    "duplicate": "重复",
    "known": "已处理",
    "skipped": "跳过",
    "unreadable": "无法读取",
    "resumed": "继续",
    "returned": "退回",
}


def _label(name: str) -> str:
    """The event's Chinese label padded to five characters' width (each takes two columns)."""
    label = LABELS[name]
    return label + " " * (10 - 2 * len(label))


class Reporter:
    def __init__(self, log_path: Path, title: str, total: int | None = None):
        log_path.parent.mkdir(parents=True, exist_ok=True)
        self.log = open(log_path, "a", encoding="utf-8")  # noqa: SIM115 (open for the reporter's life)
        self.counts: Counter[str] = Counter()
        self.started: float | None = None
        self.last: float | None = None
        self.state = {"queued": 0, "working": 0, "waiting": 0}
        columns = [SpinnerColumn(), TextColumn("{task.description}")]
        if total is not None:
            columns += [BarColumn(), MofNCompleteColumn()]
        columns += [TextColumn("{task.fields[summary]}"), TimeElapsedColumn()]
        console = Console(stderr=True)
        # on a terminal a live line; in a log or a pipe the per-file lines and the summary say it all
        self.progress = Progress(*columns, console=console, disable=not console.is_terminal)
        self.task = self.progress.add_task(title, total=total, summary=self.summary())
        self.progress.start()

    def rate(self) -> float:
        """Documents analysed (done or failed) per minute, from the first file taken to the last settled:
        a watcher's idle hours do not dilute it."""
        if self.started is None or self.last is None:
            return 0.0
        minutes = max(self.last - self.started, 1e-6) / 60
        return (self.counts["done"] + self.counts["failed"]) / minutes

    def summary(self) -> str:
        c, s = self.counts, self.state
        return (
            f"完成 {c['done']} · 失败 {c['failed']} · 重复 {c['duplicate']} · "
            f"排队 {s['queued'] + s['waiting']} · 处理中 {s['working']} · {self.rate():.1f} 份/分钟"
        )

    def event(self, name: str, level: str = "info", **fields) -> None:
        """Log one event; files that are settled also count and get a line on the terminal."""
        record = {
            "ts": datetime.now(UTC).isoformat(),
            "level": level,
            "event": name,
            "pid": os.getpid(),
            **fields,
        }
        self.log.write(json.dumps(record, ensure_ascii=False) + "\n")
        self.log.flush()
        if name == "queued" and self.started is None:
            self.started = time.monotonic()
        if name in ("done", "failed"):
            self.last = time.monotonic()
        if name in FINAL:
            self.counts[name] += 1
            self.progress.advance(self.task)
        line = self._line(name, fields)
        if line:
            print(line, file=sys.stderr if level == "error" else sys.stdout, flush=True)
        self.progress.update(self.task, summary=self.summary())

    @staticmethod
    def _line(name: str, f: dict) -> str | None:
        if name == "done":
            return (
                f"{_label(name)}{f['file']}：{f['items']} 个事项，文档 #{f['document_id']}"
                f"（{f['seconds']:.1f} 秒）"
            )
        if name in ("failed", "unreadable"):
            return f"{_label(name)}{f['error']}"
        if name == "duplicate":
            return f"{_label(name)}{f['file']}：与文档 #{f['document_id']}（{f['of']}）内容完全相同"
        if name == "known":
            return f"{_label(name)}{f['file']}：已在库中，不再处理"
        if name == "skipped":
            return f"{_label(name)}{f['file']}：{SKIPPED[f['reason']]}"
        if name == "resumed":
            return f"{_label(name)}{f['file']}：停止前已接收，现在分析"
        if name == "returned":
            return f"{_label(name)}{f['file']}：尚未开始分析，留待下次运行"
        if name == "stopping":
            return "正在停止：" + (
                "立即停止" if f.get("force") else "先处理完正在分析的文件（再次停止则立即结束）"
            )
        return None

    def update(self, **state: int) -> None:
        self.state.update(state)
        self.progress.update(self.task, summary=self.summary())

    def close(self, summary: bool = True) -> None:
        self.progress.stop()
        if summary:
            c = self.counts
            print(
                f"完成 {c['done']}，失败 {c['failed']}，重复 {c['duplicate']}"
                + "".join(f"，{LABELS[name]} {c[name]}" for name in ("skipped", "unreadable") if c[name])
                + f"（{self.rate():.1f} 份/分钟）",
                flush=True,
            )
            self.event("stopped", **dict(c))
        self.log.close()
