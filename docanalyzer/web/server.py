"""Running the web app under Uvicorn, alone (``serve``) or beside the inbox watcher (``run``).

The port is bound before anything is announced, so a busy port is one clear line; SIGTERM
stops as Ctrl-C does (a service manager's stop); ``run`` serves only while its watcher runs,
and its watcher never outlives it.
"""

from __future__ import annotations

import ctypes
import json
import secrets
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import typer

from docanalyzer import config
from docanalyzer.errors import DocanalyzerError
from docanalyzer.store import db, repository
from docanalyzer.web import auth

FIRST_ADMIN = "admin"
WATCHER_START_S = 300  # reconciling a large journal after a crash can take a while


class WebError(DocanalyzerError):
    """The web app cannot start or goes on without its watcher."""

    code = "E600"


class Stopped(Exception):
    """SIGTERM, turned into an exception so that cleanup runs as it does after Ctrl-C."""


def address(host: str | None, port: int | None) -> tuple[str, int]:
    return host or config.get("host"), port if port is not None else config.get("port")


def url_of(host: str, port: int) -> str:
    shown = "127.0.0.1" if host in ("0.0.0.0", "") else f"[{host}]" if ":" in host else host
    return f"http://{shown}:{port}/"


def listen(host: str, port: int) -> socket.socket:
    """The bound listening socket, or one clear error (port in use, address not on this machine)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as e:
        sock.close()
        raise WebError(
            f"无法在 {host}:{port} 上监听（{e.strerror}）",
            "请停止占用该端口的程序，或用 --port 或 DOCANALYZER_PORT 另选一个端口。",
        ) from e
    return sock


def ensure_admin() -> str | None:
    """On first start, an admin account with a generated password; returns the password (shown once)."""
    engine = db.engine()
    if repository.has_admin(engine):
        return None
    password = auth.generate_password()
    taken = repository.find_user(engine, FIRST_ADMIN)
    name = (
        FIRST_ADMIN
        if taken is None or taken["password_hash"] is None
        else f"{FIRST_ADMIN}-{secrets.token_hex(2)}"
    )
    repository.create_user(engine, name, "admin", auth.hash_password(password))
    typer.echo(f"已创建管理员账号 {name}，密码：{password}  （仅显示这一次）")
    return password


def ensure_admin_on_store() -> None:
    db.upgrade()
    ensure_admin()


def _raise_stopped(*_args) -> None:
    raise Stopped


def _serve_on(sock: socket.socket, host: str, port: int, log_level: str, watcher=None) -> None:
    """Serve the app on ``sock`` until Ctrl-C or SIGTERM (or, with ``watcher``, until it exits)."""
    import uvicorn

    from docanalyzer.web.app import create_app

    server = uvicorn.Server(
        uvicorn.Config(create_app(), log_level=log_level, server_header=False, proxy_headers=False)
    )
    if watcher is not None:
        threading.Thread(target=_stop_with, args=(watcher, server), daemon=True).start()
    typer.echo(f"审核应用已启动：{url_of(host, port)}  （按 Ctrl-C 停止）")
    # uvicorn raises the signal that stopped it again once it has shut down: for SIGTERM that
    # must end here, in cleanup, not in the default handler that would skip it
    previous = signal.signal(signal.SIGTERM, _raise_stopped)
    try:
        server.run(sockets=[sock])
    except (KeyboardInterrupt, Stopped):
        pass
    finally:
        signal.signal(signal.SIGTERM, previous)
        sock.close()


def _stop_with(watcher: subprocess.Popen, server) -> None:
    watcher.wait()
    server.should_exit = True


def serve(host: str | None, port: int | None) -> None:
    """``docanalyzer serve``: the web app on the configured store until Ctrl-C or SIGTERM."""
    host, port = address(host, port)
    sock = listen(host, port)
    ensure_admin_on_store()
    _serve_on(sock, host, port, "info")


def _die_with_parent() -> None:
    """In the watcher child: SIGTERM when ``run`` dies, even by kill -9, so it is never orphaned."""
    ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


def _wait_until_watching(watcher: subprocess.Popen, log: Path, offset: int) -> None:
    """Return once the watcher has logged that its workers are ready; raise if it exits first."""
    deadline = time.monotonic() + WATCHER_START_S
    while time.monotonic() < deadline:
        if log.exists():
            with open(log, encoding="utf-8") as f:
                f.seek(offset)
                for line in f:
                    try:
                        event = json.loads(line)
                    except ValueError:
                        continue
                    if event.get("event") == "ready" and event.get("pid") == watcher.pid:
                        return
        if watcher.poll() is not None:
            raise WebError(
                f"收件箱监视进程未能启动（退出状态 {watcher.returncode}），审核应用没有启动",
                "请按上面一行的提示处理后重新运行。",
            )
        time.sleep(0.1)
    raise WebError(f"收件箱监视进程 {WATCHER_START_S} 秒内未就绪", "请查看 DATA_DIR/logs/ 中的日志。")


def _stop_watcher(watcher: subprocess.Popen) -> None:
    if watcher.poll() is None:
        watcher.send_signal(signal.SIGTERM)  # finishes the files in progress, gives back the rest
    try:
        watcher.wait(timeout=90)
    except subprocess.TimeoutExpired:
        watcher.kill()
        watcher.wait()


def run(inbox: Path | None, host: str | None, port: int | None) -> None:
    """``docanalyzer run``: the watcher in a child process, the web app in this one; both stop together."""
    host, port = address(host, port)
    sock = listen(host, port)
    ensure_admin_on_store()
    log = db.data_dir() / "logs" / "docanalyzer.jsonl"
    offset = log.stat().st_size if log.exists() else 0
    command = [sys.executable, "-m", "docanalyzer", "watch"] + ([str(inbox)] if inbox else [])
    previous = signal.signal(signal.SIGTERM, _raise_stopped)
    # a session of its own: a terminal's Ctrl-C reaches this process only, which stops the
    # watcher with one SIGTERM (a second signal would make it drop the files in progress)
    watcher = subprocess.Popen(command, preexec_fn=_die_with_parent, start_new_session=True)
    try:
        _wait_until_watching(watcher, log, offset)
        _serve_on(sock, host, port, "warning", watcher)
    except Stopped:
        pass
    finally:
        signal.signal(signal.SIGTERM, previous)
        sock.close()
        watcher_quit = watcher.poll() is not None
        _stop_watcher(watcher)
    if watcher_quit:
        raise WebError(
            f"收件箱监视进程意外退出（退出状态 {watcher.returncode}），审核应用已随之停止",
            "请查看上面的提示和 DATA_DIR/logs/docanalyzer.jsonl，处理后重新运行。",
        )
