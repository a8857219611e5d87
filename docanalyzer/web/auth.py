"""Who is asking and what they may do: Argon2 passwords, the session cookie's key, CSRF tokens,
login throttling and the roles' permissions."""

from __future__ import annotations

import functools
import os
import secrets
import threading
import time
from collections import deque
from pathlib import Path

from fastapi import Request
from pwdlib import PasswordHash
from pwdlib.exceptions import PwdlibError
from pwdlib.hashers.argon2 import Argon2Hasher

from docanalyzer import config
from docanalyzer.store import repository

HASHER = PasswordHash((Argon2Hasher(),))
MIN_PASSWORD = 8
SAFE_METHODS = ("GET", "HEAD", "OPTIONS")

# What each role may do; every page and API call names the permission it needs.
PERMISSIONS = {
    "read": {"admin", "reviewer", "analyst", "viewer"},
    "export": {"admin", "reviewer", "analyst"},
    "review": {"admin", "reviewer"},
    "users": {"admin"},
}
ROLE_NAMES = {"admin": "管理员", "reviewer": "审核员", "analyst": "分析员", "viewer": "只读用户"}


class NotSignedIn(Exception):
    """No valid session: pages send the user to the login page, the API answers 401."""


class Forbidden(Exception):
    """Signed in, but the role does not allow this."""


class CsrfRejected(Exception):
    """A write without the session's CSRF token: refused before anything is done."""


class Throttled(Exception):
    def __init__(self, wait_s: float):
        super().__init__(wait_s)
        self.wait_s = wait_s


def hash_password(password: str) -> str:
    return HASHER.hash(password)


def verify_password(password: str, password_hash: str | None) -> bool:
    if not password_hash:
        return False
    try:
        return HASHER.verify(password, password_hash)
    except PwdlibError:  # a hash this hasher does not know: no sign-in, never a crash
        return False


@functools.cache
def _unknown_user_hash() -> str:
    return hash_password(secrets.token_urlsafe(12))


def generate_password() -> str:
    return secrets.token_urlsafe(12)


def check_password(password: str) -> str:
    if len(password) < MIN_PASSWORD:
        raise ValueError(f"a password needs at least {MIN_PASSWORD} characters")
    return password


def secret_key(data_dir: Path) -> str:
    """DOCANALYZER_SECRET_KEY, else a key generated on first use and kept in DATA_DIR/secret_key (0600),
    so that sessions survive a restart."""
    configured = str(config.get("secret_key")).strip()
    if configured:
        return configured
    path = data_dir / "secret_key"
    if path.is_file():
        return path.read_text(encoding="ascii").strip()
    data_dir.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(48)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:  # another process made it first: use theirs
        return path.read_text(encoding="ascii").strip()
    with os.fdopen(fd, "w", encoding="ascii") as f:
        f.write(key)
    return key


class LoginThrottle:
    """Failed sign-ins counted per user name and per client address over a sliding window; past the
    limit, that name or address waits, whatever password it tries (in memory: one server process)."""

    def __init__(self, per_user: int, per_address: int, window_s: float):
        self.limits = {"user": per_user, "address": per_address}
        self.window_s = window_s
        self.failures: dict[tuple[str, str], deque[float]] = {}
        self.lock = threading.Lock()

    def _recent(self, key: tuple[str, str], at: float) -> deque[float]:
        times = self.failures.setdefault(key, deque())
        while times and times[0] <= at - self.window_s:
            times.popleft()
        return times

    def check(self, name: str, address: str) -> None:
        """Raise Throttled when this name or this address has failed too often lately."""
        at = time.monotonic()
        with self.lock:
            for key in (("user", name), ("address", address)):
                times = self._recent(key, at)
                if len(times) >= self.limits[key[0]]:
                    raise Throttled(times[0] + self.window_s - at)

    def failed(self, name: str, address: str) -> None:
        at = time.monotonic()
        with self.lock:
            for key in (("user", name), ("address", address)):
                self._recent(key, at).append(at)

    def succeeded(self, name: str) -> None:
        with self.lock:
            self.failures.pop(("user", name), None)


def csrf_token(request: Request) -> str:
    """The session's CSRF token, made on first need (the login page makes one before sign-in)."""
    token = request.session.get("csrf")
    if not token:
        token = request.session["csrf"] = secrets.token_urlsafe(32)
    return token


async def check_csrf(request: Request) -> None:
    """Every write carries the session's token: forms as ``csrf_token``, the page's API calls as the
    ``X-CSRF-Token`` header."""
    if request.method in SAFE_METHODS:
        return
    expected = request.session.get("csrf")
    given = request.headers.get("x-csrf-token")
    if given is None and request.headers.get("content-type", "").startswith(
        ("application/x-www-form-urlencoded", "multipart/form-data")
    ):
        given = (await request.form()).get("csrf_token")
    if not expected or not isinstance(given, str) or not secrets.compare_digest(given, expected):
        raise CsrfRejected()


def signed_in_user(request: Request) -> dict | None:
    """The active account the session names, read afresh so that a disabled account is out at once."""
    user_id = request.session.get("user_id")
    if not isinstance(user_id, int):
        return None
    user = repository.get_user(request.app.state.engine, user_id)
    if user is None or not user["active"] or user["role"] not in PERMISSIONS["read"]:
        return None
    return user


def can(user: dict, permission: str) -> bool:
    return user["role"] in PERMISSIONS[permission]


def require(permission: str):
    """A dependency: the signed-in user, if their role has ``permission``."""

    def dependency(request: Request) -> dict:
        user = signed_in_user(request)
        if user is None:
            raise NotSignedIn()
        if not can(user, permission):
            raise Forbidden()
        return user

    return dependency


def sign_in(request: Request, name: str, password: str) -> dict | None:
    """Check a name and password under the throttle; on success start a fresh session."""
    state = request.app.state
    address = request.client.host if request.client else "unknown"
    name = name.strip()
    state.throttle.check(name, address)
    found = repository.find_user(state.engine, name) if name else None
    if found is None:
        verify_password(password, _unknown_user_hash())  # as slow as a known name: names stay secret
    if found is None or not found["active"] or not verify_password(password, found["password_hash"]):
        state.throttle.failed(name, address)
        return None
    state.throttle.succeeded(name)
    request.session.clear()  # a new session (and CSRF token) for the signed-in user
    request.session["user_id"] = found["id"]
    csrf_token(request)
    return repository.get_user(state.engine, found["id"])


def throttle_from_settings() -> LoginThrottle:
    return LoginThrottle(
        int(config.get("login_attempts")),
        int(config.get("login_attempts_per_address")),
        float(config.get("login_window_s")),
    )
