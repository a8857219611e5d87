"""Running the web app under Uvicorn, alone (``serve``) or beside the inbox watcher (``run``)."""

from __future__ import annotations

import secrets
import signal
import subprocess
import sys
from pathlib import Path

import typer

from docanalyzer import config
from docanalyzer.errors import DocanalyzerError
from docanalyzer.store import db, repository
from docanalyzer.web import auth

FIRST_ADMIN = "admin"


class WebError(DocanalyzerError):
    code = "E500"


def address(host: str | None, port: int | None) -> tuple[str, int]:
    host = host or str(config.get("host"))
    port = port if port is not None else int(config.get("port"))
    if not 0 < port < 65536:
        raise WebError(f"the port {port} is not between 1 and 65535", "Give another --port.")
    return host, port


def url_of(host: str, port: int) -> str:
    shown = "127.0.0.1" if host in ("0.0.0.0", "") else f"[{host}]" if ":" in host else host
    return f"http://{shown}:{port}/"


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
    typer.echo(f"Created the admin account {name!r} with the password {password}  (shown only this once)")
    return password


def serve(host: str | None, port: int | None, log_level: str = "info") -> None:
    """``docanalyzer serve``: the web app on the configured store until Ctrl-C."""
    import uvicorn

    from docanalyzer.web.app import create_app

    host, port = address(host, port)
    app = create_app()
    ensure_admin()
    typer.echo(f"Review app at {url_of(host, port)}  (Ctrl-C stops it)")
    try:
        uvicorn.run(app, host=host, port=port, log_level=log_level, server_header=False)
    except OSError as e:
        raise WebError(
            f"cannot listen on {host}:{port} ({e.strerror})", "Stop what uses it or pick --port."
        ) from e


def run(inbox: Path | None, host: str | None, port: int | None) -> None:
    """``docanalyzer run``: the watcher in a child process, the web app in this one; both stop together."""
    host, port = address(host, port)
    db.upgrade()
    ensure_admin()
    watch = [sys.executable, "-m", "docanalyzer", "watch"] + ([str(inbox)] if inbox else [])
    watcher = subprocess.Popen(watch)
    try:
        serve(host, port, log_level="warning")
    finally:
        if watcher.poll() is None:
            watcher.send_signal(signal.SIGTERM)  # finishes the files in progress, gives back the rest
        try:
            watcher.wait(timeout=60)
        except subprocess.TimeoutExpired:
            watcher.kill()
            watcher.wait()
