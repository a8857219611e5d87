"""`docanalyzer run`, what `make run` starts: the watcher and the review app in one command, an admin
account made on first start with its password printed once, and Ctrl-C stopping both."""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
import urllib.request
from http.cookiejar import CookieJar

from test_web_browser import free_port

from conftest import ROOT


def test_run_watches_the_inbox_and_serves_the_app_until_ctrl_c(tmp_path):
    inbox, data = tmp_path / "inbox", tmp_path / "data"
    inbox.mkdir()
    shutil.copy(ROOT / "examples" / "e2_plan.docx", inbox)
    port = free_port()
    log = tmp_path / "run.log"
    env = {
        **os.environ,
        "DOCANALYZER_DATA_DIR": str(data),
        "DOCANALYZER_DATABASE_URL": "",
        "DOCANALYZER_STABLE_S": "0",
    }
    with open(log, "w") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "docanalyzer", "run", str(inbox), "--port", str(port)],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group, as a terminal's Ctrl-C reaches it
        )
    try:
        opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(CookieJar()))
        deadline = time.monotonic() + 60
        while not re.search(r"Review app at (\S+)", log.read_text()):
            assert process.poll() is None and time.monotonic() < deadline, log.read_text()
            time.sleep(0.2)
        printed = log.read_text()
        assert f"http://127.0.0.1:{port}/" in printed
        password = re.search(r"admin account 'admin' with the password (\S+)", printed).group(1)
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
                assert time.monotonic() < deadline, log.read_text()
                time.sleep(0.2)
        documents = []
        while not documents:  # the watcher analyses the dropped file; the app lists it
            assert time.monotonic() < deadline, log.read_text()
            documents = json.load(opener.open(f"http://127.0.0.1:{port}/api/documents", timeout=5))
            time.sleep(0.2)
        assert documents[0]["file"] == "e2_plan.docx" and documents[0]["items"] > 0
    finally:
        os.killpg(process.pid, signal.SIGINT)
        returncode = process.wait(timeout=90)
    assert returncode == 0, log.read_text()
    time.sleep(0.5)
    try:
        os.killpg(process.pid, 0)
        survivors = True
    except ProcessLookupError:
        survivors = False
    assert not survivors, "the watcher outlived the app"
    assert "Traceback" not in log.read_text()
    assert (data / "archive").is_dir() and not any(inbox.iterdir())  # the watcher archived the file
