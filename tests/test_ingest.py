"""The inbox watcher as users meet it: a real `docanalyzer watch` process, real PDF and Word files
dropped, written slowly, renamed in, copied twice, broken, too slow to analyse, and the process
killed with SIGKILL mid-batch. Afterwards every file is in exactly one place and once in the store."""

from __future__ import annotations

import copy
import hashlib
import json
import os
import random
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from test_store import postgres_admin, postgres_url  # noqa: F401 (fixtures: a database of its own)

from builders import load_spec, render
from conftest import ROOT, run_cli
from docanalyzer.ingest.files import Tracker, free_name, ignored
from docanalyzer.pipeline import analyze
from docanalyzer.store import db, repository

# Five PDF and five Word specs of the extraction tests, named so that new ones there change nothing here.
SPECS = [
    ROOT / "tests" / "documents" / f"{name}.json"
    for name in (
        "t01_feedback_province_resources",
        "t02_feedback_city_housing",
        "t03_plan_county",
        "t04_plan_hospital",
        "t05_meeting_township",
        "t06_progress_subdistrict",
        "t07_progress_province_education",
        "t08_feedback_city_transport",
        "t09_meeting_soe_group",
        "t10_plan_university",
    )
]


def make_documents(folder: Path, count: int, start: int = 0) -> list[Path]:
    """``count`` distinct real documents (PDF and Word by turns), each with bytes of its own."""
    folder.mkdir(parents=True, exist_ok=True)
    out = []
    for n in range(start, start + count):
        spec = copy.deepcopy(load_spec(SPECS[n % len(SPECS)]))
        spec["blocks"][0]["text"] += f"（{n}号）"
        out.append(render(spec, folder / f"doc{n:03d}"))
    return out


@pytest.fixture(scope="module")
def corpus(tmp_path_factory) -> list[Path]:
    return make_documents(tmp_path_factory.mktemp("corpus"), 40)


@pytest.fixture(scope="module")
def big_pdf(tmp_path_factory) -> Path:
    """A genuine 800-page PDF: seconds of work for the parser, far over a 2 s time limit."""
    spec = load_spec(SPECS[0])
    body = [b for b in spec["blocks"] if b["t"] != "title"]
    spec["blocks"] = spec["blocks"][:1] + body * 300
    return render(spec, tmp_path_factory.mktemp("big") / "huge_report")


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


class Site:
    """An inbox and a data directory, and the environment that points the command line at them."""

    def __init__(self, root: Path, **settings):
        self.root, self.inbox, self.data = root, root / "inbox", root / "data"
        self.inbox.mkdir(parents=True, exist_ok=True)
        self.env = {
            "DOCANALYZER_DATA_DIR": str(self.data),
            "DOCANALYZER_DATABASE_URL": "",
            "DOCANALYZER_STABLE_S": "1",
            "DOCANALYZER_RESCAN_S": "60",
            "DOCANALYZER_WORKERS": "2",
            **{f"DOCANALYZER_{k.upper()}": str(v) for k, v in settings.items()},
        }
        self.procs: list[subprocess.Popen] = []

    def run(self, *args: str) -> subprocess.CompletedProcess:
        return run_cli(*args, env=self.env)

    def once(self) -> subprocess.CompletedProcess:
        result = self.run("watch", str(self.inbox), "--once")
        assert result.returncode == 0, result.stderr
        return result

    def start(self, *args: str) -> subprocess.Popen:
        """A watcher in the background, returned once it watches."""
        seen = len(self.events("started"))
        out = open(self.root / f"watch-{len(self.procs)}.out", "w")  # noqa: SIM115 (the process writes it)
        proc = subprocess.Popen(
            [sys.executable, "-m", "docanalyzer", "watch", str(self.inbox), *args],
            stdout=out,
            stderr=subprocess.STDOUT,
            env={**os.environ, **self.env},
        )
        self.procs.append(proc)
        self.wait_for(lambda: len(self.events("started")) > seen, what="the watcher to start")
        return proc

    def events(self, name: str | None = None) -> list[dict]:
        log = self.data / "logs" / "docanalyzer.jsonl"
        if not log.exists():
            return []
        records = [json.loads(line) for line in log.read_text(encoding="utf-8").splitlines() if line.strip()]
        return [r for r in records if name is None or r["event"] == name]

    def wait_for(self, condition, what: str, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while not condition():
            for p in self.procs:
                assert p.poll() is None or p.returncode in (0, -9), f"the watcher exited {p.returncode}"
            assert time.monotonic() < deadline, f"timed out waiting for {what}"
            time.sleep(0.1)

    def engine(self):
        return db.engine(f"sqlite:///{self.data / 'docanalyzer.db'}")

    def archived(self) -> list[Path]:
        return sorted((self.data / "archive").rglob("*.*"))

    def stop(self) -> None:
        for p in self.procs:
            if p.poll() is None:
                p.kill()
                p.wait()


@pytest.fixture
def site(tmp_path):
    s = Site(tmp_path)
    yield s
    s.stop()


def check_exactly_once(site: Site, originals: list[Path]) -> None:
    """Every original is in the store once with all of its items, archived once, gone from the inbox."""
    engine = site.engine()
    docs = repository.list_documents(engine)
    assert sorted(d["sha256"] for d in docs) == sorted(sha(p) for p in originals)
    assert all(d["status"] == "done" for d in docs), [(d["file"], d["status"], d["error"]) for d in docs]
    for doc in docs:
        arrivals = repository.arrivals(engine, doc["id"])
        assert [(a["outcome"], a["moved"]) for a in arrivals] == [("analysed", True)]
        assert (site.data / doc["stored_path"]).is_file()
    archived = site.archived()
    assert sorted(sha(p) for p in archived) == sorted(sha(p) for p in originals)
    assert sorted(p.name for p in archived) == sorted(p.name for p in originals)
    assert list(site.inbox.iterdir()) == []
    assert not (site.data / "failed").exists() and not (site.data / "duplicates").exists()


def test_ignored_names_and_free_names(tmp_path):
    for name in ["~$报告.docx", ".~lock.报告.docx#", "upload.tmp", ".DS_Store", "Thumbs.db", "x.pdf.part"]:
        assert ignored(Path(name)), name
    for name in ["报告.docx", "plan.pdf", "notes.txt", "tmp.pdf"]:
        assert not ignored(Path(name)), name
    (tmp_path / "a.pdf").write_bytes(b"1")
    (tmp_path / "a-2.pdf.error.txt").write_text("x")
    assert free_name(tmp_path, "b.pdf") == tmp_path / "b.pdf"
    assert free_name(tmp_path, "a.pdf") == tmp_path / "a-2.pdf"
    assert free_name(tmp_path, "a.pdf", ".error.txt") == tmp_path / "a-3.pdf"  # its note's name is taken


def test_the_terminal_lines_are_chinese_and_the_log_keeps_english_events(tmp_path, capsys):
    from docanalyzer.ingest.progress import SKIPPED, Reporter

    reporter = Reporter(tmp_path / "logs" / "docanalyzer.jsonl", "正在导入", total=3)
    reporter.event("queued", file="a.pdf", sha256="0" * 64, document_id=1)
    reporter.event("done", file="a.pdf", sha256="0" * 64, document_id=1, items=12, seconds=1.5)
    reporter.event("resumed", file="b.docx", sha256="1" * 64, document_id=2)
    reporter.event("returned", file="b.docx", sha256="1" * 64)
    reporter.event("skipped", file="c.py", reason="type")
    reporter.event("stopping", level="warning", force=False)
    reporter.event("stopping", level="warning", force=True)
    assert reporter.summary().startswith("完成 1 · 失败 0 · 重复 0 · 排队 0 · 处理中 0 · ")
    reporter.close()
    lines = capsys.readouterr().out.splitlines()
    assert lines[:6] == [
        "完成      a.pdf：12 个事项，文档 #1（1.5 秒）",
        "继续      b.docx：停止前已接收，现在分析",
        "退回      b.docx：尚未开始分析，留待下次运行",
        f"跳过      c.py：{SKIPPED['type']}",
        "正在停止：先处理完正在分析的文件（再次停止则立即结束）",
        "正在停止：立即停止",
    ]
    assert re.fullmatch(r"完成 1，失败 0，重复 0，跳过 1（[\d.]+ 份/分钟）", lines[6])
    log = [json.loads(line) for line in (tmp_path / "logs" / "docanalyzer.jsonl").read_text().splitlines()]
    assert [r["event"] for r in log] == [
        "queued",
        "done",
        "resumed",
        "returned",
        "skipped",
        "stopping",
        "stopping",
        "stopped",
    ]
    assert log[-1]["done"] == 1 and log[-1]["skipped"] == 1


def test_a_file_is_taken_only_once_it_has_stopped_changing(tmp_path):
    tracker = Tracker(delay=0.5)
    path = tmp_path / "growing.pdf"
    path.write_bytes(b"%PDF-1.4 part one")
    tracker.see(path)
    assert tracker.ready() == []
    time.sleep(0.3)
    with open(path, "ab") as f:
        f.write(b" part two")
    time.sleep(0.3)
    assert tracker.ready() == []  # changed 0.3 s ago: not yet
    time.sleep(0.6)
    assert tracker.ready() == [path]
    path.unlink()
    assert tracker.ready() == [] and len(tracker) == 0


def test_watch_once_takes_what_was_dropped_while_it_was_down(site, corpus):
    good = corpus[:6]
    for p in good:
        shutil.copy(p, site.inbox)
    (site.inbox / "sub").mkdir()
    shutil.copy(corpus[6], site.inbox / "sub")
    shutil.copy(corpus[0], site.inbox / "same bytes again.pdf")
    (site.inbox / "broken.pdf").write_bytes(corpus[0].read_bytes()[:600])  # a PDF cut short
    (site.inbox / "~$doc001.docx").write_bytes(b"owner file of Word")
    (site.inbox / "upload.tmp").write_bytes(b"partial")

    result = site.once()

    engine = site.engine()
    done = repository.list_documents(engine, "done")
    assert sorted(d["sha256"] for d in done) == sorted(sha(p) for p in good + [corpus[6]])
    for doc in done:
        expected = analyze(next(p for p in corpus if sha(p) == doc["sha256"]))
        assert [i["id"] for i in repository.list_items(engine, doc["id"])] == [i.id for i in expected.items]
    month = time.strftime("%Y/%m")
    assert sorted(p.name for p in (site.data / "archive" / month).iterdir()) == sorted(
        p.name for p in good + [corpus[6]]
    )
    # the duplicate: recorded, not analysed again, moved with a note naming the original
    duplicate = site.data / "duplicates" / "same bytes again.pdf"
    assert duplicate.read_bytes() == corpus[0].read_bytes()
    note = (site.data / "duplicates" / "same bytes again.pdf.note.txt").read_text(encoding="utf-8")
    assert corpus[0].name in note and "没有再次分析" in note
    assert f"sha256：{sha(corpus[0])}" in note and "来源：" in note
    # the broken file: failed, with why and what to do beside it; the others went on
    failed = repository.list_documents(engine, "failed")
    assert [d["file"] for d in failed] == ["broken.pdf"]
    error = (site.data / "failed" / "broken.pdf.error.txt").read_text(encoding="utf-8")
    assert "原因：" in error and "处理办法：" in error and "[E10" not in error.splitlines()[0]
    assert "存储副本：" in error and "来源：" in error
    assert (site.data / "failed" / "broken.pdf").is_file()
    assert "broken.pdf: [E10" in result.stderr and "Traceback" not in result.stderr
    # ignored files stay untouched; everything else has left the inbox; nothing was lost
    assert sorted(p.name for p in site.inbox.rglob("*") if p.is_file()) == ["upload.tmp", "~$doc001.docx"]
    stored = {p.name.split(".")[0] for p in (site.data / "files").rglob("*.*")}
    assert stored == {d["sha256"] for d in done + failed}
    assert "完成 7，失败 1，重复 1" in result.stdout
    line = rf"^重复 +same bytes again\.pdf：与文档 #\d+（{re.escape(corpus[0].name)}）内容完全相同$"
    assert re.search(line, result.stdout, re.M)
    assert {e["event"] for e in site.events()} >= {
        "started",
        "queued",
        "done",
        "failed",
        "duplicate",
        "stopped",
    }


def test_the_watcher_takes_files_dropped_written_slowly_and_renamed_in(site, corpus, tmp_path):
    proc = site.start()
    dropped = shutil.copy(corpus[0], site.inbox)
    site.wait_for(lambda: len(site.events("done")) == 1, "the dropped file")

    # written slowly in chunks, longer than the stability delay in all: taken only once complete
    data = corpus[1].read_bytes()
    slow = site.inbox / corpus[1].name
    with open(slow, "wb") as f:
        for i in range(6):
            f.write(data[i * len(data) // 6 : (i + 1) * len(data) // 6])
            f.flush()
            time.sleep(0.4)
    # renamed in: written under a temporary name (ignored), then renamed
    tmp = site.inbox / "incoming.tmp"
    tmp.write_bytes(corpus[2].read_bytes())
    tmp.rename(site.inbox / corpus[2].name)
    # moved in from elsewhere on the same file system
    outside = tmp_path / "outside"
    outside.mkdir()
    shutil.copy(corpus[3], outside)
    (outside / corpus[3].name).rename(site.inbox / corpus[3].name)
    site.wait_for(lambda: len(site.events("done")) + len(site.events("failed")) == 4, "the four files")
    assert not site.events("failed"), "a file was taken before it was complete"

    shutil.copy(corpus[2], site.inbox / "copy of it.docx")  # the same bytes again, later
    site.wait_for(lambda: len(site.events("duplicate")) == 1, "the duplicate")

    proc.send_signal(signal.SIGTERM)
    assert proc.wait(timeout=30) == 0
    assert sorted(p.name for p in site.archived()) == sorted(p.name for p in corpus[:4])
    assert sha(site.data / "duplicates" / "copy of it.docx") == sha(corpus[2])
    assert list(site.inbox.iterdir()) == [] and Path(dropped).exists() is False
    assert site.events("stopped")


def test_polling_watches_a_folder_without_file_system_events(site, corpus):
    proc = site.start("--poll")
    shutil.copy(corpus[4], site.inbox)
    site.wait_for(lambda: len(site.events("done")) == 1, "the dropped file")
    proc.send_signal(signal.SIGINT)
    assert proc.wait(timeout=30) == 0
    assert [p.name for p in site.archived()] == [corpus[4].name]


@pytest.mark.slow
def test_the_time_limit_stops_a_file_that_takes_too_long(tmp_path, corpus, big_pdf):
    site = Site(tmp_path, time_limit_s=2)
    for p in [corpus[0], big_pdf, corpus[1], corpus[2]]:
        shutil.copy(p, site.inbox)
    started = time.monotonic()
    result = site.once()
    assert time.monotonic() - started < 60
    assert "huge_report.pdf: [E501]" in result.stderr and "超过了 2 秒的时间上限" in result.stderr
    failed = repository.list_documents(site.engine(), "failed")
    assert [d["file"] for d in failed] == ["huge_report.pdf"]
    error = (site.data / "failed" / "huge_report.pdf.error.txt").read_text(encoding="utf-8")
    assert "DOCANALYZER_TIME_LIMIT_S" in error
    assert sorted(p.name for p in site.archived()) == sorted(p.name for p in corpus[:3])


def test_a_memory_limit_too_low_for_a_worker_is_one_clear_line(tmp_path, corpus):
    site = Site(tmp_path, memory_limit_mb=60)
    shutil.copy(corpus[0], site.inbox)
    result = site.run("watch", str(site.inbox), "--once")
    assert result.returncode == 1
    assert "[E500] 工作进程无法启动" in result.stderr and "DOCANALYZER_MEMORY_LIMIT_MB" in result.stderr
    assert "Traceback" not in result.stderr
    assert (site.inbox / corpus[0].name).exists()  # nothing processed, nothing lost


@pytest.mark.slow
def test_kill_9_mid_batch_then_restart_processes_every_file_exactly_once(site, corpus):
    for p in corpus:
        shutil.copy(p, site.inbox)
    rng = random.Random(6)
    for round_ in range(3):
        proc = site.start()
        # kill after a few more files are done, at a random moment within the next one
        target = len(site.events("done")) + 2 + round_
        site.wait_for(lambda t=target: len(site.events("done")) >= t, "some progress")
        time.sleep(rng.uniform(0, 0.3))
        proc.kill()
        proc.wait()
    assert list(site.inbox.iterdir()), "the kills should have come mid-batch"
    site.once()
    check_exactly_once(site, corpus)
    engine = site.engine()
    for doc in repository.list_documents(engine)[:5]:
        expected = analyze(next(p for p in corpus if sha(p) == doc["sha256"]))
        assert len(repository.list_items(engine, doc["id"])) == len(expected.items)


@pytest.mark.slow
def test_sigterm_finishes_the_files_in_progress_and_returns_the_rest(tmp_path, corpus):
    site = Site(tmp_path, workers=1)
    batch = corpus[:20]
    for p in batch:
        shutil.copy(p, site.inbox)
    proc = site.start()
    site.wait_for(lambda: len(site.events("done")) >= 2, "some progress")
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(timeout=60) == 0
    engine = site.engine()
    assert repository.claimed(engine) == []  # nothing left half taken
    done = repository.list_documents(engine, "done")
    assert 2 <= len(done) < len(batch)
    assert len(site.archived()) == len(done)
    assert len(list(site.inbox.iterdir())) == len(batch) - len(done)
    site.once()
    check_exactly_once(site, batch)


def test_ingest_analyses_files_and_folders_and_leaves_them_where_they_are(site, corpus):
    folder = site.root / "batch"
    folder.mkdir()
    for p in corpus[:3]:
        shutil.copy(p, folder)
    (folder / "broken.docx").write_bytes(b"PK\x03\x04 not really a Word file")
    single = shutil.copy(corpus[3], site.root)
    before = sorted(p.name for p in folder.iterdir())

    result = site.run("ingest", str(folder), single, str(site.root / "missing.pdf"))

    assert result.returncode == 1
    assert "missing.pdf: [E100] 文件或文件夹不存在" in result.stderr
    assert "broken.docx: [E104]" in result.stderr and "Traceback" not in result.stderr
    assert sorted(p.name for p in folder.iterdir()) == before and Path(single).exists()
    assert not (site.data / "archive").exists() and not (site.data / "failed").exists()
    engine = site.engine()
    assert sorted(d["sha256"] for d in repository.list_documents(engine, "done")) == sorted(
        sha(p) for p in corpus[:4]
    )
    again = site.run("ingest", single)
    assert again.returncode == 0 and re.search(
        rf"^重复 +{re.escape(Path(single).name)}：", again.stdout, re.M
    )
    assert "完成 0，失败 0，重复 1" in again.stdout
    assert len(repository.list_documents(engine, "done")) == 4


def test_leave_in_place_processes_each_file_once_across_runs(tmp_path, corpus):
    site = Site(tmp_path, leave_in_place="true")
    for p in corpus[:2]:
        shutil.copy(p, site.inbox)
    site.once()
    second = site.once()
    assert sorted(p.name for p in site.inbox.iterdir()) == sorted(p.name for p in corpus[:2])
    assert "完成 0，失败 0，重复 0" in second.stdout and second.stdout.count("已在库中，不再处理") == 2
    engine = site.engine()
    assert len(repository.list_documents(engine, "done")) == 2
    assert not (site.data / "archive").exists()


def test_watch_stores_into_postgresql(tmp_path, corpus, postgres_url):  # noqa: F811
    site = Site(tmp_path, database_url=postgres_url)
    for p in corpus[:3]:
        shutil.copy(p, site.inbox)
    site.once()
    engine = db.engine(postgres_url)
    docs = repository.list_documents(engine, "done")
    assert sorted(d["sha256"] for d in docs) == sorted(sha(p) for p in corpus[:3])
    assert all(repository.list_items(engine, d["id"]) for d in docs)


def test_bad_folders_and_a_second_watcher_are_one_clear_line(site, corpus):
    missing = site.run("watch", str(site.root / "nope"))
    assert missing.returncode == 1 and "nope 不存在" in missing.stderr
    inside = run_cli(
        "watch", str(site.root), "--once", env={**site.env, "DOCANALYZER_DATA_DIR": str(site.inbox / "d")}
    )
    assert inside.returncode == 1 and "位于收件箱" in inside.stderr and "之内" in inside.stderr
    site.start()
    second = site.run("watch", str(site.inbox), "--once")
    assert second.returncode == 1 and "正被另一个进程占用（docanalyzer pid" in second.stderr
    for result in (missing, inside, second):
        assert "Traceback" not in result.stderr and len(result.stderr.strip().splitlines()) == 1


def test_a_restart_finishes_what_a_crash_left_between_the_commit_and_the_move(site, corpus):
    """The journal states a kill -9 can leave, built with the store's own calls, then one restart."""
    from docanalyzer.ingest.files import store_copy

    db.upgrade(site.engine().url)
    engine = site.engine()
    committed, claimed = (Path(shutil.copy(p, site.inbox)) for p in corpus[:2])
    duplicate = Path(shutil.copy(corpus[0], site.inbox / "second copy.pdf"))

    def take(path):
        sha256, size, stored, _ = store_copy(path, site.data)
        return repository.claim(
            engine, sha256=sha256, name=path.name, source_path=str(path), size=size, stored_path=stored
        )

    first = take(committed)  # analysed and committed; killed before the move
    result = analyze(committed)
    analysis = {"document": result.document.to_dict(), "items": [i.to_dict() for i in result.items]}
    planned = site.data / "archive" / "2020" / "01" / committed.name
    repository.complete(engine, first["document_id"], first["arrival_id"], analysis, "v0", str(planned))
    analysed_at = repository.get_document(engine, first["document_id"])["analysed_at"]
    take(claimed)  # claimed; killed while a worker analysed it
    repository.record_duplicate(  # a duplicate recorded; killed before the move
        engine,
        first["document_id"],
        duplicate.name,
        str(duplicate),
        str(site.data / "duplicates" / duplicate.name),
    )

    site.once()

    assert planned.read_bytes() == corpus[0].read_bytes()  # moved where the journal said, not analysed again
    assert repository.get_document(engine, first["document_id"])["analysed_at"] == analysed_at
    assert [e["file"] for e in site.events("done")] == [claimed.name]
    assert (site.data / "duplicates" / "second copy.pdf.note.txt").is_file()
    assert list(site.inbox.iterdir()) == [] and repository.unfinished_moves(engine) == []
    assert repository.status_counts(engine) == {"done": 2}


def test_a_stored_document_is_analysed_again_from_its_copy_keeping_reviews(site, corpus):
    from docanalyzer.ingest.service import reanalyse

    shutil.copy(corpus[0], site.inbox)
    site.once()
    engine = site.engine()
    (doc,) = repository.list_documents(engine, "done")
    items = repository.list_items(engine, doc["id"])
    repository.review_item(engine, items[0]["id"], "审核员", "deadline", "2026-12-31")
    shutil.move(site.archived()[0], site.root / "elsewhere.pdf")  # whatever became of the file

    counts = reanalyse(engine, site.data, doc["id"])

    assert counts == {"items": len(items), "new": 0, "updated": len(items), "kept": 0, "dropped": 0}
    again = repository.list_items(engine, doc["id"])
    assert [i["id"] for i in again] == [i["id"] for i in items]
    assert again[0]["deadline"] == "2026-12-31" and again[0]["reviewed"]
    assert [i["citation"] for i in again] == [i["citation"] for i in items]


def test_a_duplicate_left_in_place_does_not_stop_later_runs(site, corpus):
    from sqlalchemy import update

    from docanalyzer.store.models import Arrival

    first, later = (Path(shutil.copy(p, site.root)) for p in corpus[:2])
    again = Path(shutil.copy(corpus[0], site.root / "copy of it.pdf"))
    assert site.run("ingest", str(first)).returncode == 0
    duplicate = site.run("ingest", str(again))
    assert duplicate.returncode == 0 and re.search(r"^重复 +copy of it\.pdf：", duplicate.stdout, re.M)
    after = site.run("ingest", str(later))
    assert after.returncode == 0, after.stderr
    shutil.copy(corpus[2], site.inbox)
    watched = site.once()
    assert "Traceback" not in after.stderr + watched.stderr
    engine = site.engine()
    assert sorted(d["sha256"] for d in repository.list_documents(engine, "done")) == sorted(
        sha(p) for p in corpus[:3]
    )
    assert repository.unfinished_moves(engine) == [] and again.exists()

    # a store written before the fix: its duplicate left in place still waits for a move to nowhere
    with engine.begin() as conn:
        conn.execute(update(Arrival).where(Arrival.outcome == "duplicate").values(moved=False))
    shutil.copy(corpus[3], site.inbox)
    resumed = site.once()
    assert "Traceback" not in resumed.stderr
    assert len(repository.list_documents(engine, "done")) == 4 and repository.unfinished_moves(engine) == []


def test_ingest_of_a_folder_skips_what_it_does_not_read(site, corpus):
    folder = site.root / "project"
    (folder / "specs").mkdir(parents=True)
    shutil.copy(corpus[0], folder)
    (folder / "build.py").write_text("print('build')\n", encoding="utf-8")
    for name in ("a.json", "b.json"):
        (folder / "specs" / name).write_text("{}", encoding="utf-8")

    result = site.run("ingest", str(folder))

    assert result.returncode == 0, result.stderr
    assert "完成 1，失败 0，重复 0，跳过 3" in result.stdout
    assert re.search(r"^跳过 +build\.py：不是本工具读取的文件类型", result.stdout, re.M)
    assert result.stderr.strip() == ""
    assert [d["sha256"] for d in repository.list_documents(site.engine())] == [sha(corpus[0])]
    named = site.run("ingest", str(folder / "build.py"))  # named on the command line: it fails, clearly
    assert named.returncode == 1 and "build.py: [E101]" in named.stderr and "Traceback" not in named.stderr
    shutil.copy(folder / "build.py", site.inbox)  # in the inbox: staff learn why it was not taken
    site.once()
    assert (site.data / "failed" / "build.py").is_file()
    reason = (site.data / "failed" / "build.py.error.txt").read_text(encoding="utf-8").splitlines()[2]
    assert reason.startswith("原因：") and ".py" in reason


def test_links_in_the_inbox_are_refused_and_never_followed(site, corpus, tmp_path):
    secret = site.data / "secret_key"
    secret.parent.mkdir(parents=True)
    secret.write_text("关于整改工作的报告\n机密内容 SECRET-7f3a\n", encoding="utf-8")
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "plan.txt").write_text("关于整改工作的报告\n外部内容 OUTSIDE-91c2\n", encoding="utf-8")
    before = {p: (p.read_bytes(), p.stat().st_mtime_ns) for p in (secret, outside / "plan.txt")}
    (site.inbox / "报告.txt").symlink_to(secret)
    (site.inbox / "共享").symlink_to(outside, target_is_directory=True)
    shutil.copy(corpus[0], site.inbox)

    result = site.once()

    assert "Traceback" not in result.stderr
    engine = site.engine()
    docs = repository.list_documents(engine)
    assert [d["sha256"] for d in docs] == [sha(corpus[0])]
    texts = "".join(repository.document_text(engine, d["id"]) for d in docs)
    assert "SECRET" not in texts and "OUTSIDE" not in texts
    stored = [p.read_bytes() for p in (site.data / "files").rglob("*") if p.is_file()]
    assert all(b"SECRET" not in b and b"OUTSIDE" not in b for b in stored)
    for name, target in (("报告.txt", secret), ("共享", outside)):
        moved = site.data / "failed" / name
        assert moved.is_symlink() and os.readlink(moved) == str(target)  # the link itself, not its target
        reason = (site.data / "failed" / f"{name}.error.txt").read_text(encoding="utf-8")
        assert "原因：" in reason and "符号链接" in reason and "处理办法：" in reason
    assert {p: (p.read_bytes(), p.stat().st_mtime_ns) for p in before} == before
    assert list(site.inbox.iterdir()) == []

    site.start()  # a link made while the watcher watches: the same
    (site.inbox / "later.txt").symlink_to(secret)
    site.wait_for(lambda: (site.data / "failed" / "later.txt.error.txt").exists(), "the link refused")
    site.wait_for(lambda: not any(site.inbox.iterdir()), "the link moved")
    assert os.readlink(site.data / "failed" / "later.txt") == str(secret)
    site.stop()
    assert len(repository.list_documents(engine)) == 1

    folder = tmp_path / "batch"  # ingest of a folder: links inside it are skipped and counted
    folder.mkdir()
    (folder / "报告.txt").symlink_to(secret)
    (folder / "共享").symlink_to(outside, target_is_directory=True)
    walked = site.run("ingest", str(folder))
    assert walked.returncode == 0 and "，跳过 2" in walked.stdout, walked.stdout + walked.stderr
    assert len(repository.list_documents(engine)) == 1
    assert {p: (p.read_bytes(), p.stat().st_mtime_ns) for p in before} == before


WRITER = """
import sys, time
data = open(sys.argv[2], "rb").read()
with open(sys.argv[1], "wb") as f:
    f.write(data[: len(data) // 4])
    f.flush()
    print("paused", flush=True)
    time.sleep(float(sys.argv[3]))
    f.write(data[len(data) // 4 :])
"""


@pytest.mark.parametrize("mode", [(), ("--poll",)], ids=["events", "poll"])
def test_a_file_its_writer_holds_open_is_taken_only_once_closed(site, corpus, mode):
    site.start(*mode)
    target = site.inbox / corpus[0].name
    writer = subprocess.Popen(  # pauses 4 s, far longer than stable_s (1 s), with the file open
        [sys.executable, "-c", WRITER, str(target), str(corpus[0]), "4"], stdout=subprocess.PIPE, text=True
    )
    assert writer.stdout.readline() == "paused\n"
    assert writer.wait(timeout=60) == 0
    site.wait_for(lambda: site.events("done") or site.events("failed"), "the written file")
    site.wait_for(lambda: not any(site.inbox.iterdir()), "the inbox to empty")
    docs = repository.list_documents(site.engine())
    assert [(d["sha256"], d["status"]) for d in docs] == [(sha(corpus[0]), "done")]
    assert [sha(p) for p in site.archived()] == [sha(corpus[0])]


def test_bytes_that_failed_under_a_wrong_name_take_the_name_they_come_back_under(site, corpus):
    pdf = next(p for p in corpus if p.suffix == ".pdf")
    (site.inbox / "report.txt").write_bytes(pdf.read_bytes())
    site.once()
    engine = site.engine()
    assert [d["file"] for d in repository.list_documents(engine, "failed")] == ["report.txt"]

    shutil.move(site.data / "failed" / "report.txt", site.inbox / "report.pdf")
    site.once()

    (doc,) = repository.list_documents(engine)
    assert (doc["status"], doc["file"]) == ("done", "report.pdf")
    assert (
        doc["stored_path"].endswith(".pdf")
        and (site.data / doc["stored_path"]).read_bytes() == pdf.read_bytes()
    )
    assert [p.name for p in (site.data / "files").rglob("*") if p.is_file()] == [
        Path(doc["stored_path"]).name
    ]
    items = repository.list_items(engine, doc["id"])
    assert items and {i["citation"]["file"] for i in items} == {"report.pdf"}


REWRITER = """
import os, sys
fd = os.open(sys.argv[1], os.O_WRONLY)
size, n = os.fstat(fd).st_size, 0
while True:  # the same size, other bytes, until killed
    os.pwrite(fd, os.urandom(4096), (n * 7919 * 4096) % (size - 4096))
    n += 1
    if n == 1:
        print("writing", flush=True)
"""


def test_a_file_that_changes_while_it_is_copied_is_not_claimed(site):
    path = site.root / "rewritten.txt"
    path.write_bytes(os.urandom(32 << 20))
    writer = subprocess.Popen([sys.executable, "-c", REWRITER, str(path)], stdout=subprocess.PIPE, text=True)
    try:
        assert writer.stdout.readline() == "writing\n"
        result = site.run("ingest", str(path))
    finally:
        writer.kill()
        writer.wait()
    assert result.returncode == 1 and "rewritten.txt: [E506]" in result.stderr, result.stdout + result.stderr
    assert repository.list_documents(site.engine()) == []
    assert [p for p in (site.data / "files").rglob("*") if p.is_file()] == []  # our copy dropped
