"""The review app end to end, as a reviewer uses it: a real `docanalyzer serve` process on a free port
over a copy of the test site, driven in Debian's headless Chromium through Playwright."""

from __future__ import annotations

import csv
import io
import time

import pytest
from web_site import PASSWORD, ROLES, serving, site_fixture, site_template_fixture  # noqa: F401

from conftest import require_tool

pytestmark = pytest.mark.browser
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@pytest.fixture
def server(site):
    """The app as a real Uvicorn server subprocess; yields its base URL."""
    with serving() as base:
        yield base


@pytest.fixture
def page(server):
    chromium = require_tool("chromium")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium, args=CHROMIUM_FLAGS)
        context = browser.new_context(viewport={"width": 1440, "height": 900}, accept_downloads=True)
        page = context.new_page()
        errors = []
        page.on("pageerror", lambda error: errors.append(str(error)))
        page.base = server
        yield page
        context.close()
        browser.close()
        assert errors == [], errors  # no script error on any page


def log_in(page, role: str) -> None:
    page.goto(page.base + "/")
    assert page.url.startswith(page.base + "/login")
    page.fill("input[name=name]", ROLES[role])
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(page.base + "/")


def api(page, path: str):
    response = page.request.get(page.base + path)
    assert response.ok, response.text()
    return response.json()


def wait_until(page, script: str, timeout_s: float = 10) -> None:
    """Poll a page expression (the page's CSP forbids the eval behind wait_for_function)."""
    deadline = time.monotonic() + timeout_s
    while not page.evaluate(script):
        assert time.monotonic() < deadline, f"still false after {timeout_s} s: {script}"
        time.sleep(0.1)


def drag_select(page, block, start: int, end: int) -> None:
    """Select characters ``start``–``end`` of a source block with the mouse, as a person would."""
    box = block.evaluate(
        """(node, [start, end]) => {
            const text = node.firstChild, range = document.createRange();
            const at = (i) => { range.setStart(text, i); range.setEnd(text, i + 1); return range.getClientRects()[0]; };
            const a = at(start), b = at(end - 1);
            return {x1: a.left + 1, y1: a.top + a.height / 2, x2: b.right - 1, y2: b.top + b.height / 2};
        }""",
        [start, end],
    )
    page.mouse.move(box["x1"], box["y1"])
    page.mouse.down()
    page.mouse.move(box["x2"], box["y2"], steps=5)
    page.mouse.up()


def test_a_reviewer_works_through_a_document(page, tmp_path):
    log_in(page, "reviewer")
    page.click("#queue-new >> text=t01_feedback_province_resources.pdf")
    page.wait_for_selector("#items li.item.selected")
    document_id = int(page.url.split("/documents/")[1].split("#")[0])
    items = api(page, f"/api/documents/{document_id}/items")
    first, second = items[0], items[1]

    # the first item is selected and its passage highlighted in the source text
    assert page.locator("#items li.item.selected").get_attribute("data-id") == first["id"]
    marked = "".join(page.locator("#doc-text mark").all_inner_texts())
    assert marked == first["citation"]["quote"].replace("\n", "")

    # a: accept, and the next item is selected
    page.keyboard.press("a")
    page.wait_for_selector(f"#item-{second['id']}.selected")
    assert page.locator(f"#item-{first['id']} .status-accepted").inner_text() == "已采纳"
    assert api(page, f"/api/items/{first['id']}")["status"] == "accepted"

    # change the category of the second item with its chip, and of the first with key 3
    page.click(f"#item-{second['id']} button.chip[data-category=collaboration]")
    page.wait_for_selector(f"#item-{second['id']} button.chip.active[data-category=collaboration]")
    assert api(page, f"/api/items/{second['id']}")["category"] == "collaboration"
    page.keyboard.press("k")
    page.wait_for_selector(f"#item-{first['id']}.selected")
    page.keyboard.press("3")
    page.wait_for_selector(f"#item-{first['id']} button.chip.active[data-category=education]")
    names = {c["key"]: c["name"] for c in api(page, "/api/taxonomy")}
    change = f"问题类别：{names[first['category']]} → 教育管理与标本兼治"
    # the list shows 加载中… until the history arrives: wait for the entry itself
    page.locator(f"#item-{first['id']} .history-list li", has_text=change).last.wait_for()

    # u: undo the category change
    page.keyboard.press("u")
    page.wait_for_selector(f"#item-{first['id']} button.chip.active[data-category={first['category']}]")
    assert api(page, f"/api/items/{first['id']}")["category"] == first["category"]

    # add a missed item by selecting words of the source
    text = api(page, f"/api/documents/{document_id}")["text"]
    block = page.locator("#doc-text .blk", has_text="巡视认为").first
    block_start = int(block.get_attribute("data-start"))
    begin = text.index("巡视认为") - block_start
    drag_select(page, block, begin, begin + 24)
    page.wait_for_selector("#add-bar:not([hidden])")
    page.select_option("#add-kind", "requirement")
    page.click("#add-item")
    page.wait_for_selector("li.item.selected .badge.origin")
    added = [i for i in api(page, f"/api/documents/{document_id}/items") if i["origin"] == "added"]
    assert len(added) == 1
    citation = added[0]["citation"]
    assert (
        citation["char_start"] == block_start + begin
        and citation["quote"] == text[block_start + begin :][:24]
    )
    assert added[0]["kind"] == "requirement" and citation["page"] == 1

    # the page image of a PDF, rendered from the stored copy
    page.check("#show-page")
    wait_until(page, "() => document.getElementById('page-image').naturalWidth > 500")
    page.screenshot(path=str(tmp_path / "document.png"))

    # export this document's reviewed ledger from the page: the added item and the new category are in it
    with page.expect_download() as download:
        page.click(".doc-actions a:has-text('CSV')")
    rows = list(csv.DictReader(io.StringIO(download.value.path().read_text(encoding="utf-8-sig"))))
    by_id = {r["id"]: r for r in rows}
    assert by_id[added[0]["id"]]["citation.quote"] == citation["quote"]
    assert by_id[second["id"]]["category"] == "collaboration"
    assert len(rows) == len(items) + 1


def test_a_stale_save_shows_both_versions_and_lets_the_reviewer_choose(page, server):
    log_in(page, "reviewer")
    documents = api(page, "/api/documents")
    pdf = next(d["id"] for d in documents if d["file"].endswith(".pdf"))
    page.goto(f"{page.base}/documents/{pdf}")
    page.wait_for_selector("#items li.item.selected")
    item = api(page, f"/api/documents/{pdf}/items")[0]

    other = page.context.browser.new_context()  # a second reviewer saves first
    login = other.request.post(
        server + "/api/login", data={"name": ROLES["reviewer2"], "password": PASSWORD}
    ).json()
    saved = other.request.patch(
        f"{server}/api/items/{item['id']}",
        data={"deadline": "长期坚持", "version": item["version"]},
        headers={"X-CSRF-Token": login["csrf_token"]},
    )
    assert saved.ok
    other.close()

    page.fill(f"#item-{item['id']} input[name=deadline]", "2026-09-30")
    page.click(f"#item-{item['id']} .edit-form button[type=submit]")
    page.wait_for_selector("#conflict[open]")
    assert "2026-09-30" in page.inner_text("#conflict-mine")
    assert "长期坚持" in page.inner_text("#conflict-theirs")
    page.click("#conflict-keep-mine")
    page.wait_for_selector("#conflict", state="hidden")
    wait_until(
        page,
        f"() => document.querySelector('#item-{item['id']} .item-fields').innerText.includes('2026-09-30')",
    )
    assert api(page, f"/api/items/{item['id']}")["deadline"] == "2026-09-30"


def test_a_viewer_reads_but_the_page_offers_no_changes(page):
    log_in(page, "viewer")
    page.click("text=hostile.txt")
    page.wait_for_selector("#items li.item.selected")
    assert page.locator(".item-detail button.accept").count() == 0
    page.keyboard.press("a")  # nothing happens, nothing breaks
    assert page.evaluate("window.pwned === undefined")  # the document's markup never ran
    assert "<script>window.pwned = 1</script>" in page.inner_text("#doc-text")
