"""Who is asking and what they may do: Argon2 passwords, the session cookie's key, CSRF tokens,
login throttling and the roles' permissions."""

from __future__ import annotations

import functools
import ipaddress
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
        raise ValueError(f"密码至少需要 {MIN_PASSWORD} 个字符")
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

    def attempt(self, name: str, address: str) -> float:
        """Count an attempt before its slow password check, so that parallel guesses cannot all slip
        under the limit; raise Throttled when this name or address has used up its attempts.
        Returns the attempt's mark, for :meth:`succeeded`."""
        at = time.monotonic()
        keys = (("user", name), ("address", address))
        with self.lock:
            for key in keys:
                times = self._recent(key, at)
                if len(times) >= self.limits[key[0]]:
                    raise Throttled(times[0] + self.window_s - at)
            for key in keys:
                self.failures[key].append(at)
        return at

    def succeeded(self, name: str, address: str, mark: float) -> None:
        """A right password: the name's count starts again, the address gets its attempt back."""
        with self.lock:
            self.failures.pop(("user", name), None)
            times = self.failures.get(("address", address))
            if times and mark in times:
                times.remove(mark)


def _trusted(address: str, proxies: tuple[str, ...]) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in ipaddress.ip_network(p, strict=False) for p in proxies)


def origin(scope) -> tuple[str, str]:
    """The client's address and the scheme it used. ``X-Forwarded-For`` and ``X-Forwarded-Proto``
    are believed only from a peer in ``trusted_proxies``; the client is then the right-most
    forwarded address that is not itself a trusted proxy (the left ones are the client's to forge)."""
    peer = scope["client"][0] if scope.get("client") else "unknown"
    proxies = config.get("trusted_proxies")
    if not _trusted(peer, proxies):
        return peer, scope.get("scheme", "http")
    headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
    hops = [h.strip() for h in headers.get("x-forwarded-for", "").split(",") if h.strip()]
    client = next((h for h in reversed(hops) if not _trusted(h, proxies)), hops[0] if hops else peer)
    proto = headers.get("x-forwarded-proto", "").split(",")[-1].strip().lower()
    return client, proto if proto in ("http", "https") else scope.get("scheme", "http")


class SecureCookies:
    """Pure ASGI middleware: cookies set on an HTTPS request (directly or behind a trusted proxy),
    or on every request with ``secure_cookies``, are marked Secure."""

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http" or not (config.get("secure_cookies") or origin(scope)[1] == "https"):
            return await self.app(scope, receive, send)

        async def secure(message):
            if message["type"] == "http.response.start":
                message["headers"] = [
                    (k, v + b"; secure" if k.lower() == b"set-cookie" and b"secure" not in v.lower() else v)
                    for k, v in message.get("headers", [])
                ]
            await send(message)

        return await self.app(scope, receive, secure)


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
    """The active account of the session the cookie names, read afresh from the store: a session
    ended by sign-out, a new password or a disabled account is out at once, whoever holds the cookie."""
    token = request.session.get("sid")
    if not isinstance(token, str):
        return None
    user = repository.session_user(request.app.state.engine, token)
    if user is None or user["role"] not in PERMISSIONS["read"]:
        return None
    return user


def sign_out(request: Request) -> None:
    token = request.session.get("sid")
    if isinstance(token, str):
        repository.end_session(request.app.state.engine, token)
    request.session.clear()


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
    address = origin(request.scope)[0]
    name = name.strip()
    mark = state.throttle.attempt(name, address)
    found = repository.find_user(state.engine, name) if name else None
    if found is None:
        verify_password(password, _unknown_user_hash())  # as slow as a known name: names stay secret
    if found is None or not found["active"] or not verify_password(password, found["password_hash"]):
        return None
    state.throttle.succeeded(name, address, mark)
    request.session.clear()  # a new session (and CSRF token) for the signed-in user
    request.session["sid"] = repository.start_session(state.engine, found["id"], config.get("session_hours"))
    csrf_token(request)
    return repository.get_user(state.engine, found["id"])


def throttle_from_settings() -> LoginThrottle:
    return LoginThrottle(
        int(config.get("login_attempts")),
        int(config.get("login_attempts_per_address")),
        float(config.get("login_window_s")),
    )
