"""The review app's limits, as an attacker or a user of the wrong role meets them: roles, CSRF,
login throttling, markup in document text, files only by document id, and the accounts' commands."""

from __future__ import annotations

import os
import re
import stat
import subprocess
import sys

import pytest
from fastapi.testclient import TestClient
from test_web_api import document_id, sign_in
from web_site import HOSTILE, PASSWORD, ROLES, site_fixture, site_template_fixture  # noqa: F401

from conftest import ROOT, run_cli
from docanalyzer.store import db, repository
from docanalyzer.web import auth
from docanalyzer.web.app import create_app


@pytest.fixture
def app(site):
    return create_app()


def form_token(client: TestClient, path: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', client.get(path).text).group(1)


def test_nobody_signed_in_sees_anything_but_the_login_page(app):
    client = TestClient(app, follow_redirects=False)
    for path in ("/", "/items", "/documents/1", "/users", "/no/such/page"):
        response = client.get(path)
        assert response.status_code == 303 and response.headers["location"].startswith("/login"), path
    for path in (
        "/api/documents",
        "/api/items",
        "/api/documents/1/file",
        "/api/documents/1/pages/1",
        "/api/export",
        "/api/openapi.json",
    ):
        response = client.get(path)
        assert response.status_code == 401 and "not signed in" in response.json()["error"], path
    login = client.get("/login")
    assert login.status_code == 200 and "登录" in login.text


def test_each_role_can_do_what_it_may_and_nothing_more(app):
    clients = {role: sign_in(app, role) for role in ("admin", "reviewer", "analyst", "viewer")}
    pdf = document_id(clients["viewer"], ".pdf")
    item = clients["viewer"].get(f"/api/documents/{pdf}/items").json()[0]
    allowed = {
        "read": {"admin", "reviewer", "analyst", "viewer"},
        "export": {"admin", "reviewer", "analyst"},
        "review": {"admin", "reviewer"},
        "users": {"admin"},
    }
    for role, client in clients.items():
        checks = {
            "read": client.get(f"/api/items/{item['id']}"),
            "export": client.get("/api/export", params={"format": "csv"}),
            "review": client.post(f"/api/items/{item['id']}/accept", json={}),
            "users": client.get("/api/users"),
        }
        for permission, response in checks.items():
            expected = 200 if role in allowed[permission] else 403
            assert response.status_code == expected, (role, permission, response.text)
        page = client.get("/users")
        assert (page.status_code == 200) == (role == "admin")
        assert ("用户管理" in client.get("/").text) == (
            role == "admin"
        )  # the menu shows only what one may do
    analyst = clients["analyst"]
    refused = analyst.post("/api/users", json={"name": "新人", "role": "admin"})
    assert refused.status_code == 403 and repository.find_user(db.engine(), "新人") is None
    viewer_page = clients["viewer"].get(f"/documents/{pdf}").text
    assert '"can_review": false' in viewer_page and 'action="/documents/' not in viewer_page


def test_writes_without_the_csrf_token_are_refused(app):
    reviewer = sign_in(app, "reviewer")
    pdf = document_id(reviewer, ".pdf")
    item = reviewer.get(f"/api/documents/{pdf}/items").json()[0]
    token = reviewer.headers.pop("X-CSRF-Token")
    assert reviewer.post(f"/api/items/{item['id']}/accept", json={}).status_code == 403
    forged = reviewer.post(f"/api/items/{item['id']}/accept", json={}, headers={"X-CSRF-Token": "guess"})
    assert forged.status_code == 403 and "CSRF" in forged.json()["error"]
    assert reviewer.get(f"/api/items/{item['id']}").json()["status"] == "pending"
    form = reviewer.post(
        f"/documents/{pdf}/review-status", data={"review_status": "done"}, follow_redirects=False
    )
    assert form.status_code == 403
    assert repository.get_document(db.engine(), pdf)["review_status"] == "new"
    ok = reviewer.post(
        f"/documents/{pdf}/review-status",
        data={"review_status": "done", "csrf_token": token},
        follow_redirects=False,
    )
    assert ok.status_code == 303 and repository.get_document(db.engine(), pdf)["review_status"] == "done"

    anonymous = TestClient(app, follow_redirects=False)
    no_token = anonymous.post("/login", data={"name": ROLES["reviewer"], "password": PASSWORD})
    assert no_token.status_code == 303 and "docanalyzer_session" not in no_token.cookies  # not signed in
    page_token = form_token(anonymous, "/login")
    signed = anonymous.post(
        "/login", data={"name": ROLES["reviewer"], "password": PASSWORD, "csrf_token": page_token}
    )
    assert signed.status_code == 303 and anonymous.get("/").status_code == 200
    assert form_token(anonymous, "/") != page_token  # a new session token after sign-in


def test_login_is_throttled_per_user_and_per_address(site, monkeypatch):
    monkeypatch.setenv("DOCANALYZER_LOGIN_ATTEMPTS", "3")
    monkeypatch.setenv("DOCANALYZER_LOGIN_ATTEMPTS_PER_ADDRESS", "5")
    app = create_app()
    client = TestClient(app)
    name = ROLES["reviewer"]
    for _ in range(3):
        assert client.post("/api/login", json={"name": name, "password": "wrong"}).status_code == 401
    locked = client.post("/api/login", json={"name": name, "password": PASSWORD})
    assert locked.status_code == 429 and int(locked.headers["retry-after"]) > 0  # even the right password
    page = client.post(
        "/login", data={"name": name, "password": PASSWORD, "csrf_token": form_token(client, "/login")}
    )
    assert page.status_code == 429 and "登录失败次数过多" in page.text

    other = ROLES["analyst"]  # another name from the same address: two more failures fill its quota
    for _ in range(2):
        assert client.post("/api/login", json={"name": other, "password": "wrong"}).status_code == 401
    assert client.post("/api/login", json={"name": ROLES["viewer"], "password": PASSWORD}).status_code == 429
    elsewhere = TestClient(app, client=("10.9.8.7", 50000))  # another address is not held back
    assert (
        elsewhere.post("/api/login", json={"name": ROLES["viewer"], "password": PASSWORD}).status_code == 200
    )


def test_markup_in_document_text_is_shown_as_text(app):
    viewer = sign_in(app, "viewer")
    hostile = document_id(viewer, "hostile.txt")
    page = viewer.get(f"/documents/{hostile}").text
    assert "<script>window.pwned" not in page and "<img src=x" not in page
    assert "&lt;script&gt;window.pwned = 1&lt;/script&gt;" in page  # in the source text, escaped
    data = re.search(r'<script type="application/json" id="review-data">(.*?)</script>', page, re.S).group(1)
    assert "<" not in data and "\\u003cscript\\u003e" in data  # items as JSON, unable to close the tag
    queue = viewer.get("/items").text
    assert "<script>window" not in queue and "&lt;script&gt;" in queue
    assert "script-src 'self'" in viewer.get("/").headers["content-security-policy"]
    items = viewer.get(f"/api/documents/{hostile}/items").json()
    assert any("<script>window.pwned = 1</script>" in i["citation"]["quote"] for i in items)  # kept verbatim
    assert HOSTILE.splitlines()[2] in viewer.get(f"/api/documents/{hostile}").json()["text"]


def test_files_are_served_by_document_id_never_by_path(app, site):
    viewer = sign_in(app, "viewer")
    (site / "secret.txt").write_text("not for you", encoding="utf-8")
    for path in (
        "/api/documents/../../secret.txt",
        "/api/documents/%2e%2e%2fsecret.txt/file",
        "/static/../data/secret.txt",
        "/static/%2e%2e/%2e%2e/data/secret.txt",
        "/api/documents/1/file?path=../secret.txt",
        "/api/documents/1/pages/..%2f..%2fsecret.txt",
    ):
        response = viewer.get(path)
        assert "not for you" not in response.text, path
    pdf = document_id(viewer, ".pdf")
    engine = db.engine()
    with engine.begin() as conn:  # even a stored path bent out of the store is not followed
        conn.exec_driver_sql("UPDATE documents SET stored_path = '../secret.txt' WHERE id = ?", (pdf,))
    bent = viewer.get(f"/api/documents/{pdf}/file")
    assert bent.status_code == 404 and "not for you" not in bent.text


def test_session_cookie_is_signed_http_only_and_same_site(app, site):
    client = TestClient(app)
    response = client.post("/api/login", json={"name": ROLES["viewer"], "password": PASSWORD})
    cookie = response.headers["set-cookie"].lower()
    assert "docanalyzer_session=" in cookie and "httponly" in cookie and "samesite=lax" in cookie
    key = site / "secret_key"
    assert stat.S_IMODE(key.stat().st_mode) == 0o600 and len(key.read_text()) >= 40
    value = client.cookies["docanalyzer_session"]
    tampered = TestClient(app)
    tampered.cookies.set("docanalyzer_session", value[:-3] + ("AAA" if not value.endswith("AAA") else "BBB"))
    assert tampered.get("/api/me").status_code == 401
    repository.update_user(db.engine(), response.json()["user"]["id"], active=False)
    assert client.get("/api/me").status_code == 401  # an account turned off is out at once


def test_admin_manages_users_and_cannot_lock_themselves_out(app):
    admin = sign_in(app, "admin")
    created = admin.post("/api/users", json={"name": "新审核员", "role": "reviewer"})
    assert created.status_code == 201
    password = created.json()["password"]
    assert len(password) >= 12
    fresh = TestClient(app)
    assert fresh.post("/api/login", json={"name": "新审核员", "password": password}).status_code == 200
    me = admin.get("/api/me").json()["user"]
    refused = admin.patch(f"/api/users/{me['id']}", json={"role": "viewer"})
    assert refused.status_code == 400 and "不能取消自己的管理员权限" in refused.json()["error"]
    short = admin.post("/api/users", json={"name": "短密码", "role": "viewer", "password": "short"})
    assert short.status_code == 400 and "至少需要 8 个字符" in short.json()["error"]
    page = admin.post(
        "/users", data={"name": "页面新增", "role": "analyst", "csrf_token": form_token(admin, "/users")}
    )
    shown = re.search(r'<code class="password">([^<]+)</code>', page.text).group(1)
    assert auth.verify_password(shown, repository.find_user(db.engine(), "页面新增")["password_hash"])


def test_users_add_command_generates_or_prompts_for_a_password(site):
    result = run_cli("users", "add", "命令行审核员", "--role", "reviewer", "--generate-password")
    assert result.returncode == 0, result.stderr
    password = re.search(r"密码：(\S+)", result.stdout).group(1)
    stored = repository.find_user(db.engine(), "命令行审核员")
    assert stored["role"] == "reviewer" and auth.verify_password(password, stored["password_hash"])
    again = run_cli("users", "add", "命令行审核员", "--generate-password")
    assert again.returncode == 1 and "已存在" in again.stderr and "Traceback" not in again.stderr

    typed = subprocess.run(  # no terminal: the hidden prompt reads standard input
        [sys.executable, "-m", "docanalyzer", "users", "add", "输入密码者", "--role", "viewer"],
        input="typed password 1\ntyped password 1\n",
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=os.environ,
        start_new_session=True,
        timeout=120,
    )
    assert typed.returncode == 0, typed.stderr
    assert "typed password 1" not in typed.stdout
    assert auth.verify_password(
        "typed password 1", repository.find_user(db.engine(), "输入密码者")["password_hash"]
    )
    listed = run_cli("users", "list")
    assert "输入密码者\tviewer\t启用" in listed.stdout
