"""`docanalyzer run`, what `make run` starts: the watcher and the review app in one command, an admin
account made on first start with its password printed once, and Ctrl-C or SIGTERM stopping both."""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from http.cookiejar import CookieJar
from pathlib import Path

import pytest
from web_site import free_port

from conftest import ROOT

READY = re.compile(r"审核应用已启动：(\S+)")


class Run:
    """One `docanalyzer run` in its own process group, its output in a log file."""

    def __init__(self, tmp_path: Path, *args: str, **settings: str):
        self.inbox, self.data, self.log = tmp_path / "inbox", tmp_path / "data", tmp_path / "run.log"
        self.inbox.mkdir(exist_ok=True)
        self.port = free_port()
        env = {
            **os.environ,
            "DOCANALYZER_DATA_DIR": str(self.data),
            "DOCANALYZER_DATABASE_URL": "",
            "DOCANALYZER_STABLE_S": "0",
            **{f"DOCANALYZER_{k.upper()}": v for k, v in settings.items()},
        }
        with open(self.log, "w") as out:
            self.process = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "docanalyzer",
                    "run",
                    str(self.inbox),
                    "--port",
                    str(self.port),
                    *args,
                ],
                cwd=ROOT,
                env=env,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # its own process group, as a terminal's Ctrl-C reaches it
            )

    def output(self) -> str:
        return self.log.read_text()

    def wait_until_ready(self) -> str:
        deadline = time.monotonic() + 60
        while not READY.search(self.output()):
            assert self.process.poll() is None and time.monotonic() < deadline, self.output()
            time.sleep(0.2)
        return self.output()

    def watcher_pids(self) -> list[int]:
        """The watcher, found by its command line among this run's children."""
        found = []
        for proc in Path("/proc").iterdir():
            try:
                command = (proc / "cmdline").read_bytes().split(b"\0")
            except OSError:
                continue
            if b"watch" in command and str(self.inbox).encode() in command:
                found.append(int(proc.name))
        return found

    def wait(self, timeout: float = 90) -> int:
        return self.process.wait(timeout=timeout)


def gone(pids: list[int], timeout: float = 30) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        alive = [pid for pid in pids if Path(f"/proc/{pid}").exists() and not zombie(pid)]
        if not alive:
            return True
        time.sleep(0.2)
    return False


def zombie(pid: int) -> bool:
    try:
        return (Path(f"/proc/{pid}") / "stat").read_text().split(") ")[1].startswith("Z")
    except OSError:
        return False


def test_run_watches_the_inbox_and_serves_the_app_until_ctrl_c(tmp_path):
    shutil.copy(ROOT / "examples" / "e2_plan.docx", tmp_path)
    run = Run(tmp_path)
    shutil.move(tmp_path / "e2_plan.docx", run.inbox)
    port = run.port
    try:
        opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(CookieJar()))
        deadline = time.monotonic() + 60
        printed = run.wait_until_ready()
        assert f"http://127.0.0.1:{port}/" in printed
        password = re.search(r"已创建管理员账号 admin，密码：(\S+)", printed).group(1)
        signed_in = False
        while not signed_in:
            try:
                request = urllib.request.Request(
                    f"http://127.0.0.1:{port}/api/login",
                    data=json.dumps({"name": "admin", "password": password}).encode(),
                    headers={"Content-Type": "application/json"},
                )
                signed_in = opener.open(request, timeout=5).status == 200
            except OSError:
                assert time.monotonic() < deadline, run.output()
                time.sleep(0.2)
        documents = []
        while not documents:  # the watcher analyses the dropped file; the app lists it
            assert time.monotonic() < deadline, run.output()
            documents = json.load(opener.open(f"http://127.0.0.1:{port}/api/documents", timeout=5))
            time.sleep(0.2)
        assert documents[0]["file"] == "e2_plan.docx" and documents[0]["items"] > 0
    finally:
        os.killpg(run.process.pid, signal.SIGINT)
        returncode = run.wait()
    assert returncode == 0, run.output()
    time.sleep(0.5)
    try:
        os.killpg(run.process.pid, 0)
        survivors = True
    except ProcessLookupError:
        survivors = False
    assert not survivors, "the watcher outlived the app"
    assert "Traceback" not in run.output()
    assert (run.data / "archive").is_dir() and not any(run.inbox.iterdir())  # the watcher archived the file


def test_sigterm_stops_the_app_and_the_watcher_and_the_next_start_works(tmp_path):
    """A service manager (or docker stop) sends SIGTERM to the main process only."""
    run = Run(tmp_path)
    run.wait_until_ready()
    watchers = run.watcher_pids()
    assert watchers, "no watcher found"
    run.process.send_signal(signal.SIGTERM)
    assert run.wait() == 0, run.output()
    assert gone(watchers), "the watcher outlived `run`"
    assert "Traceback" not in run.output()
    again = Run(tmp_path)  # the data directory is free again
    try:
        again.wait_until_ready()
    finally:
        again.process.send_signal(signal.SIGTERM)
        assert again.wait() == 0, again.output()


def test_kill_9_of_run_takes_its_watcher_down(tmp_path):
    run = Run(tmp_path)
    run.wait_until_ready()
    watchers = run.watcher_pids()
    run.process.kill()
    run.wait()
    assert gone(watchers), "the watcher was orphaned"


def test_a_watcher_that_cannot_start_stops_run_before_it_serves(tmp_path):
    run = Run(tmp_path, memory_limit_mb="60")  # too little for a worker process to start
    assert run.wait() == 1, run.output()
    printed = run.output()
    assert not READY.search(printed) and "[E500]" in printed and "[E600]" in printed
    assert "Traceback" not in printed
    with pytest.raises(OSError):
        socket.create_connection(("127.0.0.1", run.port), timeout=2).close()


def test_a_busy_port_is_one_line_before_anything_starts(tmp_path):
    busy = socket.socket()
    busy.bind(("127.0.0.1", 0))
    busy.listen()
    port = busy.getsockname()[1]
    env = {**os.environ, "DOCANALYZER_DATA_DIR": str(tmp_path / "data"), "DOCANALYZER_DATABASE_URL": ""}
    try:
        for command in ("serve", "run"):
            result = subprocess.run(
                [sys.executable, "-m", "docanalyzer", command, "--port", str(port)],
                cwd=tmp_path,
                env=env,
                capture_output=True,
                text=True,
                timeout=60,
            )
            assert result.returncode == 1, result
            assert result.stderr.strip().count("\n") == 0 and f"127.0.0.1:{port}" in result.stderr
            assert "[E600]" in result.stderr and "--port" in result.stderr
            assert not READY.search(result.stdout) and "Traceback" not in result.stderr
    finally:
        busy.close()
