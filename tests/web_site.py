"""A review site for the web tests: real documents built by ``builders.render``, ingested by the real
``docanalyzer ingest`` into a data directory with accounts of every role. It is built once per test
session and copied for each test, so that every test starts from the same store. Test modules import
``site_fixture`` and ``site_template_fixture``; they take the fixtures as ``site`` and ``site_template``."""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from builders import load_spec, render
from conftest import ROOT, run_cli
from docanalyzer.store import db, repository
from docanalyzer.web import auth

PASSWORD = "correct horse battery"
ROLES = {
    "admin": "管理员甲",
    "reviewer": "审核员乙",
    "reviewer2": "审核员丙",
    "analyst": "分析员丁",
    "viewer": "访客戊",
}
# A text document whose words are markup: the pages must show it as text and never run it.
HOSTILE = (
    "关于巡察某局党组的反馈意见\n"
    "一、巡察发现的主要问题\n"
    '（一）主体责任落实不到位。<script>window.pwned = 1</script><img src=x onerror="window.pwned=2">'
    "党组对整改工作研究不够，责任压得不实。\n"
    "（二）制度执行不严。部分项目审批程序不规范，台账管理混乱。\n"
)


def sqlite_url(data_dir: Path) -> str:
    return f"sqlite:///{data_dir / 'docanalyzer.db'}"


@pytest.fixture(scope="session", name="site_template")
def site_template_fixture(tmp_path_factory) -> Path:
    """The data directory of a store holding three analysed documents and one account per role."""
    root = tmp_path_factory.mktemp("site")
    docs = root / "docs"
    docs.mkdir()
    for name in ("t01_feedback_province_resources", "t03_plan_county"):
        render(load_spec(ROOT / "tests" / "documents" / f"{name}.json"), docs / name)
    (docs / "hostile.txt").write_text(HOSTILE, encoding="utf-8")
    data = root / "data"
    result = run_cli(
        "ingest", str(docs), env={"DOCANALYZER_DATA_DIR": str(data), "DOCANALYZER_DATABASE_URL": ""}
    )
    assert result.returncode == 0, result.stderr
    engine = db.engine(sqlite_url(data))
    hashed = auth.hash_password(PASSWORD)
    for role, name in ROLES.items():
        repository.create_user(engine, name, role.rstrip("2"), hashed)
    engine.dispose()
    return data


@pytest.fixture(name="site")
def site_fixture(site_template, tmp_path, monkeypatch) -> Path:
    """A fresh copy of the site's data directory; the settings point at it."""
    data = tmp_path / "data"
    shutil.copytree(site_template, data)
    monkeypatch.setenv("DOCANALYZER_DATA_DIR", str(data))
    monkeypatch.setenv("DOCANALYZER_DATABASE_URL", "")
    monkeypatch.delenv("DOCANALYZER_SECRET_KEY", raising=False)
    return data


def documents_by_file(engine) -> dict[str, dict]:
    return {d["file"]: d for d in repository.list_documents(engine)}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def serving(**settings: str):
    """A real `docanalyzer serve` process on a free port over the site's store, with ``settings``
    (``DOCANALYZER_<NAME>``) of its own; yields its base URL and stops it afterwards."""
    port = free_port()
    env = {**os.environ, **{f"DOCANALYZER_{k.upper()}": v for k, v in settings.items()}}
    process = subprocess.Popen(
        [sys.executable, "-m", "docanalyzer", "serve", "--port", str(port)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        try:
            urllib.request.urlopen(base + "/login", timeout=2)
            break
        except OSError:
            if process.poll() is not None or time.monotonic() > deadline:
                process.kill()
                pytest.fail(f"the server did not start:\n{process.stdout.read()}")
            time.sleep(0.2)
    try:
        yield base
    finally:
        process.terminate()
        process.wait(timeout=30)
