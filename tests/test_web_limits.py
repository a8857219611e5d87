"""The review app's limits against a real `docanalyzer serve` process, as an attacker meets them:
sessions that end on the server, sign-in attempts counted before the password check, forwarding
headers believed only from trusted proxies, Secure cookies, and sizes, ids and NUL bytes refused
with a clear answer (on SQLite and PostgreSQL)."""

from __future__ import annotations

import io
import json
import threading

import httpx
import pytest
from fastapi.testclient import TestClient
from test_store import postgres_admin, postgres_url  # noqa: F401 (a PostgreSQL database of its own)
from web_site import PASSWORD, ROLES, serving, site_fixture, site_template_fixture  # noqa: F401

from conftest import run_cli
from docanalyzer.store import db, repository
from docanalyzer.web import auth
from docanalyzer.web.app import create_app


def signed_in(base: str, role: str = "reviewer", **headers) -> httpx.Client:
    client = httpx.Client(base_url=base, headers=headers, timeout=30)
    answer = client.post("/api/login", json={"name": ROLES[role], "password": PASSWORD})
    assert answer.status_code == 200, answer.text
    client.headers["X-CSRF-Token"] = answer.json()["csrf_token"]
    return client


def copy_of(client: httpx.Client, base: str) -> httpx.Client:
    """Another client holding the same cookie and token, as a thief who copied them would."""
    thief = httpx.Client(base_url=base, timeout=30)
    thief.cookies.update(client.cookies)
    thief.headers["X-CSRF-Token"] = client.headers["X-CSRF-Token"]
    return thief


def first_item(client: httpx.Client) -> dict:
    return client.get("/api/items").json()["items"][0]


def still_works(thief: httpx.Client) -> list[int]:
    item = first_item_or_none(thief)
    write = thief.post(f"/api/items/{item['id'] if item else 'x'}/accept", json={})
    return [thief.get("/api/documents").status_code, write.status_code]


def first_item_or_none(client):
    answer = client.get("/api/items")
    return answer.json()["items"][0] if answer.status_code == 200 else None


def test_sign_out_a_new_password_and_a_disabled_account_end_the_session_on_the_server(site):
    with serving() as base:
        # sign-out
        reviewer = signed_in(base)
        thief = copy_of(reviewer, base)
        assert thief.get("/api/documents").status_code == 200
        assert reviewer.post("/api/logout").status_code == 200
        assert still_works(thief) == [401, 401]
        # a new password set on the command line
        reviewer = signed_in(base)
        thief = copy_of(reviewer, base)
        changed = run_cli("users", "passwd", ROLES["reviewer"], "--generate-password")
        assert changed.returncode == 0, changed.stderr
        assert still_works(thief) == [401, 401]
        # an account turned off by an admin
        viewer = signed_in(base, "viewer")
        thief = copy_of(viewer, base)
        admin = signed_in(base, "admin")
        viewer_id = next(u["id"] for u in admin.get("/api/users").json() if u["name"] == ROLES["viewer"])
        assert admin.patch(f"/api/users/{viewer_id}", json={"active": False}).status_code == 200
        assert thief.get("/api/documents").status_code == 401
        assert admin.get("/api/documents").status_code == 200  # others stay signed in


def test_parallel_guesses_get_no_more_password_checks_than_the_limit(site):
    with serving(login_attempts="5", login_attempts_per_address="1000") as base:
        answers: list[int] = []

        def guess(n: int) -> None:
            with httpx.Client(base_url=base, timeout=60) as client:
                body = {"name": ROLES["analyst"], "password": f"wrong guess {n}"}
                answers.append(client.post("/api/login", json=body).status_code)

        threads = [threading.Thread(target=guess, args=(n,)) for n in range(40)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert answers.count(401) <= 5 and answers.count(429) >= 35, sorted(answers)
        right = httpx.post(base + "/api/login", json={"name": ROLES["analyst"], "password": PASSWORD})
        assert right.status_code == 429  # throttled names wait, whatever password they try


def test_forwarded_for_is_believed_only_from_a_trusted_proxy(site):
    def failures_until_throttled(base: str, forwarded_for) -> list[int]:
        codes = []
        for n in range(6):
            headers = {"X-Forwarded-For": forwarded_for(n)}
            body = {"name": f"nobody-{n}", "password": "wrong password"}
            codes.append(httpx.post(base + "/api/login", json=body, headers=headers, timeout=30).status_code)
        return codes

    limits = {"login_attempts": "100", "login_attempts_per_address": "3"}
    with serving(**limits) as base:  # nothing trusted: a rotating header does not escape the limit
        assert failures_until_throttled(base, lambda n: f"203.0.113.{n}") == [401] * 3 + [429] * 3
    with serving(trusted_proxies="127.0.0.1", **limits) as base:
        # behind a trusted proxy each client has its own count: one locked out locks out no other
        assert failures_until_throttled(base, lambda n: "198.51.100.7") == [401] * 3 + [429] * 3
        other = httpx.post(
            base + "/api/login",
            json={"name": "nobody", "password": "wrong password"},
            headers={"X-Forwarded-For": "198.51.100.8"},
        )
        assert other.status_code == 401
        # and only the right-most address that is not a proxy counts: a forged left one does not
        forged = [f"192.0.2.{n}, 198.51.100.7" for n in range(2)]
        for value in forged:
            answer = httpx.post(
                base + "/api/login",
                json={"name": "nobody", "password": "wrong password"},
                headers={"X-Forwarded-For": value},
            )
            assert answer.status_code == 429


def session_cookie(answer: httpx.Response) -> str:
    return next(
        v for k, v in answer.headers.multi_items() if k == "set-cookie" and "docanalyzer_session" in v
    )


def test_the_session_cookie_is_secure_over_https(site):
    body = {"name": ROLES["viewer"], "password": PASSWORD}
    https = {"X-Forwarded-Proto": "https"}
    with serving() as base:  # the header of an untrusted peer changes nothing
        cookie = session_cookie(httpx.post(base + "/api/login", json=body, headers=https))
        assert "secure" not in cookie.lower() and "httponly" in cookie.lower()
    with serving(trusted_proxies="127.0.0.0/8") as base:
        assert "secure" in session_cookie(httpx.post(base + "/api/login", json=body, headers=https)).lower()
        assert "secure" not in session_cookie(httpx.post(base + "/api/login", json=body)).lower()
    with serving(secure_cookies="true") as base:
        assert "secure" in session_cookie(httpx.post(base + "/api/login", json=body)).lower()


def test_bodies_and_fields_over_their_limits_are_refused_and_the_server_stays_up(site):
    with serving(max_request_kb="64") as base:
        big = json.dumps({"name": "x" * (8 << 20), "password": "y"}).encode()
        declared = httpx.post(base + "/api/login", content=big, headers={"Content-Type": "application/json"})
        assert declared.status_code == 413 and "64 KB" in declared.json()["error"]

        def chunks():  # no Content-Length: the server stops reading at the limit
            for _ in range(256):
                yield b"x" * 65536

        streamed = httpx.post(
            base + "/api/login", content=chunks(), headers={"Content-Type": "application/json"}
        )
        assert streamed.status_code == 413
        reviewer = signed_in(base)
        item = first_item(reviewer)
        long_unit = reviewer.patch(
            f"/api/items/{item['id']}", json={"responsible_unit": "局" * 20_000, "version": item["version"]}
        )
        assert long_unit.status_code == 422 and "responsible_unit" in long_unit.json()["error"]
        long_text = reviewer.patch(f"/api/items/{item['id']}", json={"text": "改" * 25_000})
        assert long_text.status_code == 413  # 75 KB of UTF-8: over the body limit before any field
        assert reviewer.get("/api/documents").status_code == 200


def test_a_huge_pdf_page_is_drawn_within_the_pixel_limit(site, tmp_path, monkeypatch):
    from PIL import Image
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.pdfgen import canvas

    pdfmetrics.registerFont(UnicodeCIDFont("STSong-Light"))
    path = tmp_path / "huge_page.pdf"
    c = canvas.Canvas(str(path), pagesize=(14400, 14400))
    c.setFont("STSong-Light", 200)
    c.drawString(500, 13000, "巡察反馈问题整改台账")
    c.save()
    assert run_cli("ingest", str(path)).returncode == 0
    monkeypatch.setenv("DOCANALYZER_MAX_PAGE_PIXELS", "4000000")
    app = create_app()
    client = TestClient(app)
    client.post("/api/login", json={"name": ROLES["viewer"], "password": PASSWORD})
    document = next(d for d in client.get("/api/documents").json() if d["file"] == "huge_page.pdf")
    image = client.get(f"/api/documents/{document['id']}/pages/1")
    assert image.status_code == 200
    width, height = Image.open(io.BytesIO(image.content)).size
    assert width * height <= 4_000_000 and width >= 1900  # as large as the limit allows, no larger


@pytest.fixture(params=["sqlite", "postgresql"])
def bare_app(request, tmp_path, monkeypatch):
    """The app over an empty store with one analyst, on each database."""
    monkeypatch.setenv("DOCANALYZER_DATA_DIR", str(tmp_path / "data"))
    url = (
        f"sqlite:///{tmp_path / 'data' / 'docanalyzer.db'}"
        if request.param == "sqlite"
        else request.getfixturevalue("postgres_url")
    )
    monkeypatch.setenv("DOCANALYZER_DATABASE_URL", url)
    app = create_app(url)
    repository.create_user(db.engine(url), "访客", "analyst", auth.hash_password(PASSWORD))
    client = TestClient(app, raise_server_exceptions=False)
    assert client.post("/api/login", json={"name": "访客", "password": PASSWORD}).status_code == 200
    return client


def test_huge_ids_and_nul_bytes_are_clear_answers_not_server_errors(bare_app):
    huge = "99999999999999999999"
    cases = {
        f"/api/documents/{huge}": 422,
        f"/api/documents/{2**31}": 422,
        f"/api/documents/{2**31 - 1}": 404,
        f"/api/documents/{huge}/pages/1": 422,
        "/api/documents/1/pages/99999999999": 422,
        f"/api/items?document_id={huge}": 422,
        f"/api/export?document_id={2**40}": 422,
        "/api/items?unit=%00": 422,
        "/api/items?category=a%00b": 422,
        "/api/items/a%00b": 422,
        f"/api/items/{'x' * 1000}": 422,
        "/api/items/nothing-here": 404,
        f"/documents/{huge}": 422,
        f"/items?page={huge}": 422,
    }
    for path, status in cases.items():
        answer = bare_app.get(path)
        assert answer.status_code == status, (path, answer.status_code, answer.text[:200])
