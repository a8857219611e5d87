"""The pages, rendered on the server in Simplified Chinese; the document page's item actions call
the JSON API from ``static/review.js``. Every form carries the session's CSRF token."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse

from docanalyzer.export import KIND_NAMES
from docanalyzer.store import InvalidChange, repository
from docanalyzer.web import auth
from docanalyzer.web.limits import Id, QueuePage

router = APIRouter(dependencies=[Depends(auth.check_csrf)], include_in_schema=False)

Reader = Annotated[dict, Depends(auth.require("read"))]
Reviewer = Annotated[dict, Depends(auth.require("review"))]
Admin = Annotated[dict, Depends(auth.require("users"))]

REVIEW_STATUS_NAMES = {"new": "新文件", "in_review": "审核中", "done": "已完成"}
STATUS_NAMES = {"pending": "待审核", "accepted": "已采纳", "rejected": "已驳回"}
DOC_TYPE_NAMES = {
    "feedback": "反馈意见",
    "plan": "整改方案",
    "meeting": "会议纪要",
    "progress": "进展情况",
    "other": "其他",
}
PAGE_SIZE = 50


def render(request: Request, template: str, user: dict | None, status_code: int = 200, **context):
    state = request.app.state
    return state.templates.TemplateResponse(
        request,
        template,
        {
            "user": user,
            "csrf_token": auth.csrf_token(request),
            "can": (lambda permission: user is not None and auth.can(user, permission)),
            "role_names": auth.ROLE_NAMES,
            "review_status_names": REVIEW_STATUS_NAMES,
            "status_names": STATUS_NAMES,
            "kind_names": KIND_NAMES,
            "doc_type_names": DOC_TYPE_NAMES,
            "category_name": state.taxonomy.name_of,
            "categories": state.taxonomy.categories,
            **context,
        },
        status_code=status_code,
    )


@router.get("/login", response_class=HTMLResponse)
def login_page(request: Request, next: str = "/"):
    return render(request, "login.html", None, next=safe_next(next))


def safe_next(target: str) -> str:
    """Only a path of this site (never ``//other.site``) to go on to after sign-in."""
    return target if target.startswith("/") and not target.startswith("//") else "/"


@router.post("/login", response_class=HTMLResponse)
def login_form(
    request: Request,
    name: Annotated[str, Form(max_length=200)],
    password: Annotated[str, Form(max_length=1000)],
    next: Annotated[str, Form()] = "/",
):
    try:
        user = auth.sign_in(request, name, password)
    except auth.Throttled as e:
        minutes = max(1, round(e.wait_s / 60))
        error = f"登录失败次数过多，请 {minutes} 分钟后再试。"
        return render(request, "login.html", None, 429, error=error, name=name, next=safe_next(next))
    if user is None:
        error = "用户名或密码不正确。"
        return render(request, "login.html", None, 401, error=error, name=name, next=safe_next(next))
    return RedirectResponse(safe_next(next), status_code=303)


@router.post("/logout")
def logout(request: Request):
    auth.sign_out(request)
    return RedirectResponse("/login", status_code=303)


@router.get("/", response_class=HTMLResponse)
def queue(request: Request, user: Reader):
    documents = repository.review_documents(request.app.state.engine)
    groups = {
        status: [d for d in documents if d["review_status"] == status] for status in REVIEW_STATUS_NAMES
    }
    return render(request, "documents.html", user, groups=groups)


@router.get("/items", response_class=HTMLResponse)
def item_queue(
    request: Request,
    user: Reader,
    category: str = "",
    kind: str = "",
    unit: str = "",
    status: str = "",
    max_confidence: str = "",
    page: QueuePage = 1,
):
    filters = {
        "category": category if category in request.app.state.taxonomy.keys else "",
        "kind": kind if kind in KIND_NAMES else "",
        "unit": unit.strip()[:200],
        "status": status if status in STATUS_NAMES else "",
        "max_confidence": max_confidence if max_confidence in ("0.5", "0.6", "0.7", "0.8", "0.9") else "",
    }
    page = max(1, page)
    found = repository.review_queue(
        request.app.state.engine,
        category=filters["category"] or None,
        kind=filters["kind"] or None,
        unit=filters["unit"] or None,
        status=filters["status"] or None,
        max_confidence=float(filters["max_confidence"]) if filters["max_confidence"] else None,
        limit=PAGE_SIZE,
        offset=(page - 1) * PAGE_SIZE,
    )
    pages = max(1, -(-found["total"] // PAGE_SIZE))
    query = urlencode({k: v for k, v in filters.items() if v})
    return render(
        request,
        "items.html",
        user,
        filters=filters,
        found=found,
        page=page,
        pages=pages,
        query=query,
    )


@router.get("/documents/{document_id}", response_class=HTMLResponse)
def document_page(request: Request, document_id: Id, user: Reader):
    engine = request.app.state.engine
    doc = repository.get_document(engine, document_id)
    blocks = repository.list_blocks(engine, document_id)
    review = {
        "document": {"id": doc["id"], "format": doc["format"], "pages": doc["pages"], "file": doc["file"]},
        "items": repository.list_items(engine, document_id),
        "taxonomy": [{"key": c.key, "name": c.name} for c in request.app.state.taxonomy.categories],
        "can_review": auth.can(user, "review"),
        "kind_names": KIND_NAMES,
        "status_names": STATUS_NAMES,
    }
    return render(request, "document.html", user, doc=doc, blocks=blocks, review=review)


@router.post("/documents/{document_id}/review-status")
def document_status(request: Request, document_id: Id, review_status: Annotated[str, Form()], user: Reviewer):
    if review_status not in REVIEW_STATUS_NAMES:
        raise InvalidChange(f"{review_status!r} 不是文件的审核状态", "请从列表中选择。")
    repository.set_review_status(request.app.state.engine, document_id, review_status)
    return RedirectResponse(f"/documents/{document_id}", status_code=303)


@router.get("/users", response_class=HTMLResponse)
def users_page(request: Request, user: Admin):
    return users_list(request, user)


def users_list(request: Request, user: dict, shown: dict | None = None):
    """The accounts; ``shown``: a password just generated, in this answer only (never stored)."""
    users = repository.list_users(request.app.state.engine)
    return render(request, "users.html", user, users=users, shown=shown)


@router.post("/users")
def add_user(
    request: Request,
    user: Admin,
    name: Annotated[str, Form(max_length=200)],
    role: Annotated[str, Form()],
):
    password = auth.generate_password()
    created = repository.create_user(request.app.state.engine, name, role, auth.hash_password(password))
    return users_list(request, user, {"name": created["name"], "password": password})


@router.post("/users/{user_id}")
def change_user(
    request: Request,
    user_id: Id,
    user: Admin,
    role: Annotated[str, Form()],
    active: Annotated[bool, Form()] = False,
    new_password: Annotated[bool, Form()] = False,
):
    if user_id == user["id"] and (role != "admin" or not active):
        raise InvalidChange("不能取消自己的管理员权限", "请由另一位管理员操作。")
    password = auth.generate_password() if new_password else None
    changed = repository.update_user(
        request.app.state.engine,
        user_id,
        role=role,
        active=active,
        password_hash=auth.hash_password(password) if password else None,
    )
    if password:
        return users_list(request, user, {"name": changed["name"], "password": password})
    return RedirectResponse("/users", status_code=303)
