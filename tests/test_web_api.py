"""The review API as a reviewer's page uses it, through FastAPI's test client over a real SQLite store
whose documents the real `docanalyzer ingest` analysed."""

from __future__ import annotations

import csv
import io

import pytest
from fastapi.testclient import TestClient
from openpyxl import load_workbook
from web_site import PASSWORD, ROLES, documents_by_file, site_fixture, site_template_fixture  # noqa: F401

from docanalyzer import export
from docanalyzer.store import db, repository
from docanalyzer.web.app import create_app


@pytest.fixture
def app(site):
    return create_app()


def sign_in(app, role: str) -> TestClient:
    """A client signed in as the account of ``role``, sending the page's CSRF token on writes."""
    client = TestClient(app)
    response = client.post("/api/login", json={"name": ROLES[role], "password": PASSWORD})
    assert response.status_code == 200, response.text
    client.headers["X-CSRF-Token"] = response.json()["csrf_token"]
    return client


@pytest.fixture
def reviewer(app) -> TestClient:
    return sign_in(app, "reviewer")


def document_id(client: TestClient, suffix: str) -> int:
    return next(d["id"] for d in client.get("/api/documents").json() if d["file"].endswith(suffix))


def test_documents_queue_counts_items_and_follows_review_status(reviewer):
    documents = reviewer.get("/api/documents").json()
    assert sorted(d["file"] for d in documents) == [
        "hostile.txt",
        "t01_feedback_province_resources.pdf",
        "t03_plan_county.docx",
    ]
    assert all(d["review_status"] == "new" and d["items"] == d["pending"] > 0 for d in documents)
    pdf = document_id(reviewer, ".pdf")
    item = reviewer.get(f"/api/documents/{pdf}/items").json()[0]
    reviewer.post(f"/api/items/{item['id']}/accept", json={"version": item["version"]})
    in_review = reviewer.get("/api/documents", params={"review_status": "in_review"}).json()
    assert [(d["id"], d["accepted"]) for d in in_review] == [(pdf, 1)]
    done = reviewer.put(f"/api/documents/{pdf}/review-status", json={"review_status": "done"})
    assert done.json()["review_status"] == "done"
    assert [d["id"] for d in reviewer.get("/api/documents?review_status=done").json()] == [pdf]


def test_item_queue_puts_the_least_certain_first_and_filters(reviewer):
    queue = reviewer.get("/api/items", params={"limit": 500}).json()
    scores = [i["confidence"] for i in queue["items"]]
    assert queue["total"] == len(scores) > 20 and scores == sorted(scores)
    for i in queue["items"]:
        assert i["confidence"] == max(c["score"] for c in i["categories"])

    unsure = reviewer.get("/api/items", params={"max_confidence": 0.9, "limit": 500}).json()
    assert unsure["total"] == sum(s <= 0.9 for s in scores)

    plan = document_id(reviewer, ".docx")
    units = [i["responsible_unit"] for i in reviewer.get(f"/api/documents/{plan}/items").json()]
    unit = next(u for u in units if u)
    by_unit = reviewer.get("/api/items", params={"unit": unit[1:4], "limit": 500}).json()["items"]
    assert by_unit and all(unit[1:4] in i["responsible_unit"] for i in by_unit)

    first = queue["items"][0]
    reviewer.patch(
        f"/api/items/{first['id']}", json={"category": "collaboration", "version": first["version"]}
    )
    mine = reviewer.get("/api/items", params={"category": "collaboration", "limit": 500}).json()["items"]
    assert first["id"] in [i["id"] for i in mine] and all(i["category"] == "collaboration" for i in mine)
    reviewer.post(f"/api/items/{first['id']}/reject", json={})
    rejected = reviewer.get("/api/items", params={"status": "rejected", "kind": first["kind"]}).json()
    assert [i["id"] for i in rejected["items"]] == [first["id"]]


def test_accept_edit_and_history_record_who_before_and_after(reviewer):
    pdf = document_id(reviewer, ".pdf")
    item = reviewer.get(f"/api/documents/{pdf}/items").json()[1]
    accepted = reviewer.post(f"/api/items/{item['id']}/accept", json={"version": item["version"]}).json()
    assert accepted["status"] == "accepted" and accepted["version"] == item["version"] + 1
    edited = reviewer.patch(
        f"/api/items/{item['id']}",
        json={
            "version": accepted["version"],
            "text": "改写后的事项内容",
            "responsible_unit": "省自然资源厅耕地保护处",
            "deadline": "2026-06-30",
        },
    ).json()
    assert (edited["text"], edited["responsible_unit"], edited["deadline"]) == (
        "改写后的事项内容",
        "省自然资源厅耕地保护处",
        "2026-06-30",
    )
    assert edited["citation"] == item["citation"]  # the source stays where it was
    history = reviewer.get(f"/api/items/{item['id']}/history").json()
    assert [(h["user"], h["field"], h["before"], h["after"]) for h in history] == [
        (ROLES["reviewer"], "status", "pending", "accepted"),
        (ROLES["reviewer"], "text", item["text"], "改写后的事项内容"),
        (ROLES["reviewer"], "responsible_unit", item["responsible_unit"], "省自然资源厅耕地保护处"),
        (ROLES["reviewer"], "deadline", item["deadline"], "2026-06-30"),
    ]
    bad = reviewer.patch(f"/api/items/{item['id']}", json={"category": "no_such_category"})
    assert bad.status_code == 400 and "不是分类体系中的类别" in bad.json()["error"]


def test_a_save_on_a_stale_version_is_refused_with_both_versions(app, reviewer):
    other = sign_in(app, "reviewer2")
    pdf = document_id(reviewer, ".pdf")
    item = reviewer.get(f"/api/documents/{pdf}/items").json()[2]
    first = other.patch(f"/api/items/{item['id']}", json={"version": item["version"], "deadline": "长期坚持"})
    assert first.status_code == 200
    second = reviewer.patch(
        f"/api/items/{item['id']}", json={"version": item["version"], "deadline": "2026-12-31"}
    )
    assert second.status_code == 409
    body = second.json()
    assert "已被他人修改" in body["error"]
    assert body["current"]["deadline"] == "长期坚持" and body["current"]["version"] == item["version"] + 1
    assert body["yours"] == {"deadline": "2026-12-31", "version": item["version"]}
    assert reviewer.get(f"/api/items/{item['id']}").json()["deadline"] == "长期坚持"  # nothing overwritten
    again = reviewer.patch(
        f"/api/items/{item['id']}", json={"version": body["current"]["version"], "deadline": "2026-12-31"}
    )
    assert again.status_code == 200 and again.json()["deadline"] == "2026-12-31"


def test_split_merge_add_and_undo_keep_citations_exact(reviewer):
    pdf = document_id(reviewer, ".pdf")
    text = reviewer.get(f"/api/documents/{pdf}").json()["text"]
    items = reviewer.get(f"/api/documents/{pdf}/items").json()
    target = max(items, key=lambda i: len(i["citation"]["quote"]))
    cut = target["citation"]["quote"].index("。") + 1
    parts = reviewer.post(
        f"/api/items/{target['id']}/split", json={"offset": cut, "version": target["version"]}
    )
    assert parts.status_code == 200, parts.text
    first, second = parts.json()
    for part in (first, second):
        c = part["citation"]
        assert text[c["char_start"] : c["char_end"]] == c["quote"] == part["text"]
        assert part["origin"] == "split" and part["parents"] == [target["id"]] and part["categories"]
    assert first["citation"]["char_start"] == target["citation"]["char_start"]
    assert second["citation"]["char_end"] == target["citation"]["char_end"]
    listed = [i["id"] for i in reviewer.get(f"/api/documents/{pdf}/items").json()]
    assert target["id"] not in listed and first["id"] in listed and second["id"] in listed

    merged = reviewer.post("/api/items/merge", json={"items": [second["id"], first["id"]]}).json()
    assert merged["citation"]["char_start"] == target["citation"]["char_start"]
    assert (
        merged["citation"]["quote"] == text[merged["citation"]["char_start"] : merged["citation"]["char_end"]]
    )
    assert merged["origin"] == "merged" and merged["parents"] == [first["id"], second["id"]]

    undone = reviewer.post("/api/undo").json()  # the merge
    assert undone["fields"] == ["merge"]
    listed = [i["id"] for i in reviewer.get(f"/api/documents/{pdf}/items").json()]
    assert merged["id"] not in listed and first["id"] in listed and second["id"] in listed
    assert reviewer.post("/api/undo").json()["fields"] == ["split"]
    listed = [i["id"] for i in reviewer.get(f"/api/documents/{pdf}/items").json()]
    assert target["id"] in listed and first["id"] not in listed
    assert reviewer.post("/api/undo").status_code == 404  # nothing of this reviewer's left

    start = text.index("巡视认为")
    added = reviewer.post(
        f"/api/documents/{pdf}/items", json={"char_start": start - 1, "char_end": start + 30}
    )
    assert added.status_code == 201, added.text
    c = added.json()["citation"]
    assert c["char_start"] == start and c["quote"] == text[start : start + 30]  # leading line break trimmed
    blocks = reviewer.get(f"/api/documents/{pdf}").json()["blocks"]
    block = blocks[c["paragraph"]]
    assert block["char_start"] <= start < block["char_end"] and c["page"] == block["page"] == 1
    outside = reviewer.post(f"/api/documents/{pdf}/items", json={"char_start": 5, "char_end": len(text) + 9})
    assert outside.status_code == 400 and "不在文件正文之内" in outside.json()["error"]


def test_export_applies_reviews_with_the_extract_columns(reviewer):
    plan = document_id(reviewer, ".docx")
    items = reviewer.get(f"/api/documents/{plan}/items").json()
    kept, dropped = items[0], items[1]
    reviewer.patch(f"/api/items/{kept['id']}", json={"category": "education", "responsible_unit": "县教育局"})
    reviewer.post(f"/api/items/{dropped['id']}/reject", json={})

    response = reviewer.get("/api/export", params={"format": "csv", "document_id": plan})
    assert response.status_code == 200 and "attachment" in response.headers["content-disposition"]
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows[0] == [path for path, _, _ in export.COLUMNS]
    by_id = {r[0]: dict(zip(rows[0], r, strict=True)) for r in rows[1:]}
    assert len(by_id) == len(items) - 1 and dropped["id"] not in by_id
    assert (
        by_id[kept["id"]]["category"] == "education" and by_id[kept["id"]]["responsible_unit"] == "县教育局"
    )

    workbook = reviewer.get("/api/export", params={"format": "xlsx"})
    sheet = load_workbook(io.BytesIO(workbook.content)).active
    headers = [cell.value for cell in sheet[1]]
    assert headers == [header for _, header, _ in export.COLUMNS]
    values = {
        row[0]: dict(zip(headers, row, strict=True)) for row in sheet.iter_rows(min_row=2, values_only=True)
    }
    assert values[kept["id"]]["问题类别"] == "教育管理与标本兼治" and dropped["id"] not in values
    assert len({v["来源文件"] for v in values.values()}) == 3  # every document


def test_pdf_pages_and_source_files_are_served_by_document_id(reviewer, site):
    pdf = document_id(reviewer, ".pdf")
    page = reviewer.get(f"/api/documents/{pdf}/pages/1")
    assert page.status_code == 200 and page.headers["content-type"] == "image/png"
    assert page.content.startswith(b"\x89PNG") and len(page.content) > 10_000
    assert reviewer.get(f"/api/documents/{pdf}/pages/99").status_code == 404
    word = document_id(reviewer, ".docx")
    assert reviewer.get(f"/api/documents/{word}/pages/1").status_code == 404
    original = reviewer.get(f"/api/documents/{pdf}/file")
    stored = repository.get_document(db.engine(), pdf)["stored_path"]
    assert original.content == (site / stored).read_bytes()
    assert "t01_feedback_province_resources.pdf" in original.headers["content-disposition"]


def test_openapi_describes_the_api_to_signed_in_users(reviewer):
    spec = reviewer.get("/api/openapi.json").json()
    for path in ("/api/items/{item_id}/accept", "/api/items/merge", "/api/undo", "/api/export"):
        assert path in spec["paths"]


def test_reanalysis_keeps_reviewer_items_and_decisions(reviewer, site):
    from docanalyzer.ingest.service import reanalyse

    pdf = document_id(reviewer, ".pdf")
    text = reviewer.get(f"/api/documents/{pdf}").json()["text"]
    start = text.index("巡视认为")
    added = reviewer.post(
        f"/api/documents/{pdf}/items", json={"char_start": start, "char_end": start + 20}
    ).json()
    item = reviewer.get(f"/api/documents/{pdf}/items").json()[0]
    reviewer.post(f"/api/items/{item['id']}/reject", json={})
    counts = reanalyse(db.engine(), site, pdf)
    assert counts["dropped"] == 0 and counts["kept"] == 0
    after = {i["id"]: i for i in reviewer.get(f"/api/documents/{pdf}/items").json()}
    assert after[added["id"]]["current"] and after[added["id"]]["origin"] == "added"
    assert after[item["id"]]["status"] == "rejected"


def test_bad_requests_are_one_clear_message(reviewer):
    response = reviewer.post("/api/items/merge", json={"items": ["only-one"]})
    assert response.status_code == 422 and "items" in response.json()["error"]
    missing = reviewer.post("/api/items/nope/accept", json={})
    assert missing.status_code == 404 and missing.json() == {
        "error": "[E401] 库中没有事项 'nope'。请检查事项编号。"
    }
    assert reviewer.get("/api/documents/999").status_code == 404
    pdf = document_id(reviewer, ".pdf")
    item = reviewer.get(f"/api/documents/{pdf}/items").json()[0]
    split = reviewer.post(f"/api/items/{item['id']}/split", json={"offset": 0})
    assert split.status_code == 400 and "拆分位置须在引文之内" in split.json()["error"]
    assert documents_by_file(db.engine())  # the store is untouched by the refusals
